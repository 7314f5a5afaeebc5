from django import forms

from orders.models import Order


class HistoryFilterForm(forms.Form):
    """The history's search and filters, read from the query string (all optional)."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "Order number, name or phone"}),
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    state = forms.ChoiceField(
        label="State", required=False, choices=[("", "Any state"), *Order.State.choices]
    )
    store = forms.ChoiceField(label="Store", required=False)

    def __init__(self, *args, stores=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.stores = {str(store.public_id): store for store in stores}
        self.fields["store"].choices = [("", "All stores")] + [
            (key, store.name) for key, store in self.stores.items()
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "Choose a day on or after “From”.")
        data["store"] = self.stores.get(data.get("store") or "")
        return data
