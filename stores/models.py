import uuid
import zoneinfo
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_countries import countries

from portal.money import MAX_PRICE_MINOR

# Busy mode adds at most two hours to a store's usual prep time, for at most a day at a time.
MAX_BUSY_MINUTES = 120


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166-1 alpha-2 codes with their English names (django-countries' list).

    A callable, so migrations refer to it instead of copying some 250 countries.
    """
    return [(code, str(name)) for code, name in countries]


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not an IANA time zone, e.g. Europe/London.")


class Merchant(models.Model):
    """A business (restaurant group, shop) with one or more stores."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MANAGER = "manager", "Manager"
        STAFF = "staff", "Staff"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["merchant__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "merchant"], name="unique_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.merchant} ({self.role})"

    # Who may do what lives in `stores.access`; templates and menu pages still read this one.
    @property
    def can_edit_stores(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.MANAGER)


class PauseReason(models.TextChoices):
    # Gett's PauseReason enum (REFERENCE §6).
    OPERATIONAL_ISSUES = "operational_issues", "Operational issues"
    STAFF_SHORTAGE = "staff_shortage", "Staff shortage"
    TOO_BUSY = "too_busy", "Too busy"
    MAINTENANCE = "maintenance", "Maintenance"
    OTHER = "other", "Other"


CURRENCIES = [
    ("USD", "USD — US dollar"),
    ("EUR", "EUR — Euro"),
    ("GBP", "GBP — Pound sterling"),
    ("ILS", "ILS — Israeli new shekel"),
    ("CAD", "CAD — Canadian dollar"),
    ("AUD", "AUD — Australian dollar"),
    ("CHF", "CHF — Swiss franc"),
    ("SEK", "SEK — Swedish krona"),
    ("NOK", "NOK — Norwegian krone"),
    ("DKK", "DKK — Danish krone"),
    ("PLN", "PLN — Polish złoty"),
]


class StoreQuerySet(models.QuerySet):
    def for_merchant(self, merchant: Merchant) -> "StoreQuerySet":
        return self.filter(merchant=merchant)

    def onboarded(self) -> "StoreQuerySet":
        """Stores Gett knows (it gave them an id): the ones whose status can drift."""
        return self.filter(gett_store_id__isnull=False)

    def due_to_resume(self, now: datetime | None = None) -> "StoreQuerySet":
        now = now or timezone.now()
        return self.filter(status=Store.Status.PAUSED, resume_at__isnull=False, resume_at__lte=now)


class Store(models.Model):
    """A merchant's location, as Gett knows it (REFERENCE §5-6) plus what orders need."""

    class Status(models.TextChoices):
        ONLINE = "online", "Online"
        PAUSED = "paused", "Paused"

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="stores")
    # Our stable id, sent to Gett as partnerStoreId. Never the pk.
    public_id = models.UUIDField(
        "partner store id", default=uuid.uuid4, unique=True, editable=False
    )
    # Gett's id, assigned when onboarding activates the store.
    gett_store_id = models.UUIDField("Gett store id", null=True, blank=True, unique=True)
    # Registered with Gett's onboarding (not yet live, or live): Gett knows our partner store id,
    # so menu notifications make sense. Before that Gett answers them STORE_NOT_FOUND, and it
    # pulls the menu from the catalogCallbackUrl given at registration anyway.
    gett_registered_at = models.DateTimeField(null=True, blank=True)

    name = models.CharField(max_length=200)
    phone = models.CharField(
        max_length=32,
        blank=True,
        validators=[
            RegexValidator(
                r"^\+?[0-9 ()\-.]{5,31}$", "Enter a phone number, e.g. +44 20 7946 0000."
            )
        ],
    )
    description = models.TextField(blank=True, max_length=2000)
    logo = models.ImageField(upload_to="logos/", blank=True)

    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    # Stored as the ISO 3166-1 alpha-2 code ("GB"); chosen by name.
    country = models.CharField(max_length=2, blank=True, choices=country_choices)
    timezone = models.CharField(
        max_length=64, default="UTC", validators=[validate_timezone], help_text="e.g. Europe/London"
    )
    currency = models.CharField(max_length=3, choices=CURRENCIES, default="USD")

    delivery_allowed = models.BooleanField(default=True)
    pickup_allowed = models.BooleanField(default=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ONLINE)
    pause_reason = models.CharField(max_length=30, choices=PauseReason.choices, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    resume_at = models.DateTimeField(null=True, blank=True)

    # What Gett answered the last time the reconciler read the store's status (REFERENCE §6).
    gett_status = models.CharField(
        "status on Gett", max_length=10, choices=Status.choices, blank=True
    )
    gett_status_read_at = models.DateTimeField("status on Gett read at", null=True, blank=True)
    # Drift: Gett's status differs from ours. How often we sent ours again for the current drift,
    # and since when we stopped trying because it did not help (shown to the merchant and staff).
    drift_repairs = models.PositiveSmallIntegerField(default=0)
    drift_unrepaired_since = models.DateTimeField(null=True, blank=True)

    # What orders will need. Money in minor units of `currency`.
    tax_rate_bp = models.PositiveIntegerField(
        "tax rate (basis points)",
        default=0,
        validators=[MaxValueValidator(10_000)],
        help_text="1 basis point = 0.01 %; 20 % is 2000.",
    )
    delivery_fee = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(MAX_PRICE_MINOR)],
        help_text="In minor units (cents).",
    )
    minimum_order = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(MAX_PRICE_MINOR)],
        help_text="In minor units (cents).",
    )
    default_prep_minutes = models.PositiveSmallIntegerField(
        default=15, validators=[MinValueValidator(1), MaxValueValidator(240)]
    )
    auto_accept = models.BooleanField(default=False)
    # Busy mode: the kitchen is behind, so orders accepted now are promised this much later
    # (0: off). It ends by itself at `busy_until` (None: when turned off).
    busy_extra_minutes = models.PositiveSmallIntegerField(
        "busy: extra prep minutes", default=0, validators=[MaxValueValidator(MAX_BUSY_MINUTES)]
    )
    busy_until = models.DateTimeField("busy until", null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StoreQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(delivery_allowed=True) | Q(pickup_allowed=True),
                name="store_delivery_or_pickup",
                violation_error_message="A store must allow delivery, pickup or both.",
            ),
            models.CheckConstraint(
                condition=Q(status="online") | ~Q(pause_reason=""),
                name="store_paused_has_reason",
                violation_error_message="A paused store needs a reason.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    ADDRESS_FIELDS = {
        "street": "street",
        "city": "city",
        "postal_code": "postal code",
        "country": "country",
    }

    def clean(self) -> None:
        # Gett sends couriers here: a store that delivers needs the whole address. (Every door
        # runs this: the store page, the admin and `services.store_update` call full_clean.)
        if self.delivery_allowed:
            missing = {
                field: f"Enter the {label}: a store that delivers needs a full address."
                for field, label in self.ADDRESS_FIELDS.items()
                if not (getattr(self, field) or "").strip()
            }
            if missing:
                raise ValidationError(missing)

    @property
    def partner_store_id(self) -> str:
        return str(self.public_id)

    @property
    def is_paused(self) -> bool:
        return self.status == self.Status.PAUSED

    @property
    def gett_knows_store(self) -> bool:
        """Gett has this store: live, or registered and on its way (onboarding)."""
        return self.gett_store_id is not None or self.gett_registered_at is not None

    @property
    def is_connected(self) -> bool:
        """Gett knows this store (onboarding gave us its id)."""
        return self.gett_store_id is not None

    @property
    def outbox_key(self) -> str:
        """Messages about this store go out to Gett in order under this key."""
        return f"store:{self.public_id}"

    def busy_extra_at(self, now: datetime) -> int:
        """The extra prep minutes busy mode adds at `now` (0 when off or run out)."""
        if self.busy_until is not None and self.busy_until <= now:
            return 0
        return self.busy_extra_minutes

    @property
    def busy_extra_now(self) -> int:
        return self.busy_extra_at(timezone.now())

    def prep_minutes_at(self, now: datetime) -> int:
        """The prep time an order accepted at `now` is promised: the usual one, plus busy mode's."""
        return self.default_prep_minutes + self.busy_extra_at(now)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def local_now(self) -> datetime:
        return timezone.now().astimezone(self.tzinfo)

    @property
    def address_lines(self) -> list[str]:
        line2 = " ".join(p for p in (self.postal_code, self.city) if p)
        country = self.get_country_display() if self.country else ""
        return [p for p in (self.street, line2, self.state, country) if p]


class StoreEvent(models.Model):
    """Something that happened to a store between us and Gett, shown on the store page.

    A drift event is written when the reconciler finds Gett's status differs from ours and sends
    ours again; whether that repaired it is the state of the message it sent.
    """

    class Kind(models.TextChoices):
        DRIFT = "drift", "Drift repair"
        DRIFT_UNREPAIRED = "drift_unrepaired", "Drift not repaired"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    ours = models.CharField("status here", max_length=10, choices=Store.Status.choices)
    gett = models.CharField("status on Gett", max_length=10, choices=Store.Status.choices)
    detail = models.TextField(blank=True)
    # The store.status message sent to repair the drift (drift events).
    message = models.ForeignKey(
        "gett.OutboundMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.store} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def outcome(self) -> str:
        """ "repaired", "sending", "failed" or "unrepaired"."""
        if self.kind == self.Kind.DRIFT_UNREPAIRED:
            return "unrepaired"
        if self.message is None:
            return "sending"
        state = self.message.state
        if state == "delivered":
            return "repaired"
        if state == "failed":
            return "failed"
        return "sending"

    @property
    def title(self) -> str:
        return {
            "repaired": "Drift repaired",
            "sending": "Drift found: repairing",
            "failed": "Drift repair refused",
            "unrepaired": "Drift not repaired",
        }[self.outcome]

    @property
    def summary(self) -> str:
        gett = "paused" if self.gett == Store.Status.PAUSED else "online"
        ours = "paused" if self.ours == Store.Status.PAUSED else "online"
        said = f"Gett showed the store as {gett} while it is {ours} here."
        outcome = self.outcome
        if outcome == "repaired":
            return f"{said} We sent Gett the store's status again and Gett took it."
        if outcome == "sending":
            return f"{said} Sending Gett the store's status again…"
        if outcome == "failed":
            error = (
                self.message.last_error_detail or self.message.last_error if self.message else ""
            )
            return f"{said} Gett refused the status we sent again: {error or 'no reason given'}."
        reason = f": {self.detail}" if self.detail else ""
        return f"{said} We could not bring Gett back in line{reason}."
