import zoneinfo
from decimal import Decimal

from django import forms
from django.utils import timezone

from portal.exceptions import PortalError
from portal.images import ImageField
from portal.money import amount_parse, money_for_currencies
from stores.models import PauseReason, Store
from stores.services import RESUME_PRESETS, resume_at_for_preset

# Area/City names only: no aliases ("US/Eastern", "GB-Eire") or oddities ("Factory").
_LEGACY_PREFIXES = (
    "Etc/",
    "US/",
    "SystemV/",
    "posix/",
    "right/",
    "Canada/",
    "Brazil/",
    "Chile/",
    "Mexico/",
)
TIMEZONE_CHOICES = [("UTC", "UTC")] + [
    (tz, tz)
    for tz in sorted(zoneinfo.available_timezones())
    if "/" in tz and not tz.startswith(_LEGACY_PREFIXES)
]


class AmountField(forms.CharField):
    """An amount typed in major units ("12.50"); `portal.money.amount_parse` reads it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)


class StoreForm(forms.ModelForm):
    timezone = forms.ChoiceField(choices=TIMEZONE_CHOICES, help_text="Opening hours use this.")
    tax_rate = forms.DecimalField(
        label="Tax rate (%)", min_value=0, max_value=100, decimal_places=2, max_digits=5
    )
    delivery_fee_amount = AmountField(label="Delivery fee")
    minimum_order_amount = AmountField(label="Minimum order")

    # Typed in major units, kept in minor units of the store's currency.
    AMOUNTS = {"delivery_fee_amount": "delivery_fee", "minimum_order_amount": "minimum_order"}

    class Meta:
        model = Store
        fields = [
            "name",
            "phone",
            "description",
            "logo",
            "street",
            "city",
            "state",
            "postal_code",
            "country",
            "timezone",
            "currency",
            "delivery_allowed",
            "pickup_allowed",
            "default_prep_minutes",
            "auto_accept",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        # The picture limits (bytes, sides, pixels) every upload door shares.
        field_classes = {"logo": ImageField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        store = self.instance
        if store.timezone and (store.timezone, store.timezone) not in TIMEZONE_CHOICES:
            # A store set to an alias in the admin keeps it until someone picks a proper one.
            self.fields["timezone"].choices = [(store.timezone, store.timezone), *TIMEZONE_CHOICES]
        self.fields["tax_rate"].initial = Decimal(store.tax_rate_bp).scaleb(-2)
        money = money_for_currencies([store.currency])
        for field, attribute in self.AMOUNTS.items():
            self.fields[field].initial = money.text(getattr(store, attribute))

    def _post_clean(self):
        # Money and percentages are entered in people's units and kept in ours.
        store = self.instance
        currency = self.cleaned_data.get("currency") or store.currency
        if self.cleaned_data.get("tax_rate") is not None:
            store.tax_rate_bp = int(self.cleaned_data["tax_rate"] * 100)
        for field, attribute in self.AMOUNTS.items():
            if field not in self.cleaned_data:
                continue
            try:
                minor = amount_parse(self.cleaned_data[field], currency, field=field)
            except PortalError as exc:
                self.add_error(exc.field, exc.message)
            else:
                setattr(store, attribute, minor)
        super()._post_clean()


class MerchantSwitchForm(forms.Form):
    merchant = forms.UUIDField()


class PauseForm(forms.Form):
    reason = forms.ChoiceField(
        choices=[("", "Choose a reason…"), *PauseReason.choices],
        error_messages={"required": "Choose why the store is paused."},
    )
    preset = forms.ChoiceField(
        label="Resume",
        choices=list(RESUME_PRESETS.items()),
        initial="30m",
        widget=forms.RadioSelect,
    )
    resume_at = forms.DateTimeField(
        label="Resume at (store time)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )

    def __init__(self, *args, store: Store, **kwargs):
        self.store = store
        super().__init__(*args, **kwargs)

    def clean_resume_at(self):
        value = self.cleaned_data.get("resume_at")
        if value is None:
            return None
        # The person typed a wall-clock time in the store's own time zone.
        naive = timezone.make_naive(value) if timezone.is_aware(value) else value
        return naive.replace(tzinfo=self.store.tzinfo)

    def clean(self):
        # Turns the choice into a time; whether the time is allowed is the service's rule
        # (`services.store_pause`), shown here by the view as an error on the field it names.
        cleaned = super().clean()
        preset = cleaned.get("preset")
        if preset and not self.errors:
            try:
                cleaned["resume_at"] = resume_at_for_preset(
                    store=self.store, preset=preset, at=cleaned.get("resume_at")
                )
            except PortalError as exc:
                self.add_error(exc.field, exc.message)
        return cleaned
