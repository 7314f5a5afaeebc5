import zoneinfo
from decimal import Decimal

from django import forms
from django.utils import timezone

from gett.wire import to_major, to_minor
from stores.models import PauseReason, Store
from stores.services import RESUME_PRESETS

MAX_LOGO_BYTES = 2 * 1024 * 1024
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


class MoneyField(forms.DecimalField):
    """Shown in major units (12.50), stored in minor units (1250)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)


class StoreForm(forms.ModelForm):
    timezone = forms.ChoiceField(choices=TIMEZONE_CHOICES, help_text="Opening hours use this.")
    tax_rate = forms.DecimalField(
        label="Tax rate (%)", min_value=0, max_value=100, decimal_places=2, max_digits=5
    )
    delivery_fee_amount = MoneyField(label="Delivery fee")
    minimum_order_amount = MoneyField(label="Minimum order")

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        store = self.instance
        if store.timezone and (store.timezone, store.timezone) not in TIMEZONE_CHOICES:
            # A store set to an alias in the admin keeps it until someone picks a proper one.
            self.fields["timezone"].choices = [(store.timezone, store.timezone), *TIMEZONE_CHOICES]
        self.fields["tax_rate"].initial = Decimal(store.tax_rate_bp).scaleb(-2)
        self.fields["delivery_fee_amount"].initial = to_major(store.delivery_fee, store.currency)
        self.fields["minimum_order_amount"].initial = to_major(store.minimum_order, store.currency)

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and getattr(logo, "size", 0) > MAX_LOGO_BYTES:
            raise forms.ValidationError("The logo must be 2 MB or smaller.")
        return logo

    def clean_country(self):
        return (self.cleaned_data.get("country") or "").upper()

    def _post_clean(self):
        # Money and percentages are entered in people's units and kept in ours.
        store = self.instance
        currency = self.cleaned_data.get("currency") or store.currency
        if self.cleaned_data.get("tax_rate") is not None:
            store.tax_rate_bp = int(self.cleaned_data["tax_rate"] * 100)
        if self.cleaned_data.get("delivery_fee_amount") is not None:
            store.delivery_fee = to_minor(self.cleaned_data["delivery_fee_amount"], currency)
        if self.cleaned_data.get("minimum_order_amount") is not None:
            store.minimum_order = to_minor(self.cleaned_data["minimum_order_amount"], currency)
        super()._post_clean()


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
        from stores.services import resume_at_for_preset

        cleaned = super().clean()
        preset = cleaned.get("preset")
        if preset and not self.errors:
            try:
                cleaned["resume_at"] = resume_at_for_preset(
                    store=self.store, preset=preset, at=cleaned.get("resume_at")
                )
            except ValueError as exc:
                self.add_error("resume_at" if preset == "at" else "preset", str(exc))
        return cleaned
