"""State of the local Gett. Nothing here knows about the portal's own models."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import models
from django.utils import timezone


class StoreStatus(models.TextChoices):
    # Gett's StoreStatusValue (REFERENCE §6).
    ONLINE = "online", "Online"
    PAUSED = "paused", "Paused"


class PauseReason(models.TextChoices):
    # Gett's PauseReason enum (REFERENCE §6).
    OPERATIONAL_ISSUES = "operational_issues", "Operational issues"
    STAFF_SHORTAGE = "staff_shortage", "Staff shortage"
    TOO_BUSY = "too_busy", "Too busy"
    MAINTENANCE = "maintenance", "Maintenance"
    OTHER = "other", "Other"


class SandboxStore(models.Model):
    """A store as Gett knows it: its Gett `store_id` plus the partner's own id."""

    store_id = models.UUIDField(unique=True, verbose_name="Gett store id")
    partner_store_id = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=40, blank=True)
    description = models.TextField(blank=True)
    logo_url = models.URLField(max_length=2000, blank=True)
    # Gett's Address object: street, city, state, postalCode, country (all strings).
    address = models.JSONField(default=dict, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    # Where Gett sends validateOrder/placeOrder for this store (given at onboarding).
    webhook_url = models.URLField(max_length=2000, blank=True)
    delivery_allowed = models.BooleanField(default=True)
    pickup_allowed = models.BooleanField(default=True)
    status = models.CharField(
        max_length=10, choices=StoreStatus.choices, default=StoreStatus.ONLINE
    )
    reason = models.CharField(max_length=32, choices=PauseReason.choices, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    resume_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.partner_store_id})"

    def is_resume_due(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return (
            self.status == StoreStatus.PAUSED
            and self.resume_at is not None
            and self.resume_at <= now
        )

    @property
    def effective_status(self) -> str:
        """What Gett reports: a pause whose resumeAt has passed has already ended."""
        return StoreStatus.ONLINE if self.is_resume_due() else self.status

    def resume_if_due(self, now: datetime | None = None) -> bool:
        """Persist Gett's automatic resumption once resumeAt has passed (done lazily, on read).

        The conditional update makes concurrent readers resume the store once.
        """
        now = now or timezone.now()
        if not self.is_resume_due(now):
            return False
        SandboxStore.objects.filter(
            pk=self.pk, status=StoreStatus.PAUSED, resume_at__lte=now
        ).update(
            status=StoreStatus.ONLINE, reason="", paused_at=None, resume_at=None, updated_at=now
        )
        self.status = StoreStatus.ONLINE
        self.reason = ""
        self.paused_at = None
        self.resume_at = None
        self.updated_at = now
        return True


class SandboxCall(models.Model):
    """One request to the sandbox API and the reply it got. The API key itself is never kept."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    request_id = models.CharField(max_length=40, db_index=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    query_string = models.TextField(blank=True)
    # Only the headers that matter (API-Version, Content-Type, ...); never Authorization.
    request_headers = models.JSONField(default=dict, blank=True)
    authorization_present = models.BooleanField(default=False)
    request_body = models.TextField(blank=True)
    request_body_truncated = models.BooleanField(default=False)
    store_id = models.UUIDField(null=True, blank=True, db_index=True)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.TextField(blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=64, blank=True)
    # The fault switch that answered this call instead of the endpoint (SandboxFault.Mode).
    fault = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.response_status}"


class FulfillmentType(models.TextChoices):
    DELIVERY = "delivery", "Delivery"
    PICKUP = "pickup", "Pickup"


class SandboxOnboarding(models.Model):
    """One Order Booster registration (REFERENCE §8) and where its pipeline stands."""

    class Status(models.TextChoices):
        PENDING_CATALOG = "pending_catalog", "Pending catalog"
        CATALOG_INGESTING = "catalog_ingesting", "Catalog ingesting"
        CATALOG_FAILED = "catalog_failed", "Catalog failed"
        READY_TO_ACTIVATE = "ready_to_activate", "Ready to activate"
        ACTIVE = "active", "Active"

    onboarding_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    partner_store_id = models.CharField(max_length=200, db_index=True)
    name = models.CharField(max_length=200)
    catalog_callback_url = models.URLField(max_length=2000)
    webhook_url = models.URLField(max_length=2000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING_CATALOG)
    error = models.TextField(blank=True)
    # When the pending_catalog step is due; a read after this moment advances it (lazy safety).
    next_step_at = models.DateTimeField(null=True, blank=True)
    # The ingestion whose outcome decides this record (the latest one started for it).
    ingestion = models.ForeignKey(
        "SandboxCatalogIngestion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    store = models.OneToOneField(
        SandboxStore, null=True, blank=True, on_delete=models.PROTECT, related_name="onboarding"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One open registration per partner store; a failed one may be followed by a new one.
            models.UniqueConstraint(
                fields=["partner_store_id"],
                condition=~models.Q(status="catalog_failed"),
                name="sandbox_onboarding_one_open_per_partner_store",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner_store_id} ({self.status})"


class SandboxCatalogIngestion(models.Model):
    """One catalog pull: a notification (or an onboarding step) and what came of it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        FETCHING = "fetching", "Fetching"
        ACCEPTED = "accepted", "Accepted"
        FAILED = "failed", "Failed"

    partner_store_id = models.CharField(max_length=200, db_index=True)
    callback_url = models.URLField(max_length=2000)
    onboarding = models.ForeignKey(
        SandboxOnboarding,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ingestions",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # [{code, message, jsonPath, entityId}] as CatalogProblem reports them, plus fetch failures.
    problems = models.JSONField(default=list, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    catalog_set_id = models.CharField(max_length=200, blank=True)
    # Kept only when accepted: it is what the sandbox sells from.
    document = models.JSONField(null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    size_bytes = models.PositiveIntegerField(null=True, blank=True)
    fetch_ms = models.PositiveIntegerField(null=True, blank=True)
    validate_ms = models.PositiveIntegerField(null=True, blank=True)
    # When the pull should run (onboarding pulls wait a little, like Gett's pipeline).
    due_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.partner_store_id} {self.status} #{self.pk}"


class SandboxOrder(models.Model):
    """An order Gett placed with the partner, and the progress the partner reported (§7)."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CONFIRMED = "confirmed", "Confirmed"
        PREPARING = "preparing", "Preparing"
        READY = "ready", "Ready"
        IN_TRANSIT = "inTransit", "In transit"

    order_id = models.UUIDField(unique=True, verbose_name="Gett order id")
    store = models.ForeignKey(SandboxStore, on_delete=models.PROTECT, related_name="orders")
    partner_order_id = models.CharField(max_length=200, blank=True, db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    estimated_ready_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    cart = models.JSONField(default=dict, blank=True)
    amounts = models.JSONField(default=dict, blank=True)
    fulfillment_type = models.CharField(max_length=10, choices=FulfillmentType.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.order_id} ({self.state}/{self.status})"

    @property
    def is_closed(self) -> bool:
        return self.state != self.State.OPEN


class SandboxOrderEvent(models.Model):
    """One accepted change to an order (creation, progress, closure, or a harmless repeat)."""

    order = models.ForeignKey(SandboxOrder, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=10, blank=True)
    from_status = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10)
    to_status = models.CharField(max_length=10)
    body = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state}/{self.from_status} → {self.to_state}/{self.to_status}"


class SandboxFault(models.Model):
    """A fault switch: the next `remaining` calls to `endpoint` fail the way `mode` says."""

    ANY_ENDPOINT = "*"
    # The Commerce API endpoints (URL names in gett/sandbox/urls.py) a fault can be armed on.
    # The fault switches themselves and the catch-all 404 are never faulted.
    ENDPOINTS = (
        "catalogset-notification",
        "store-list",
        "store-detail",
        "store-status",
        "order-status",
        "onboarding-register",
        "onboarding-detail",
        "onboarding-activate",
    )

    class Mode(models.TextChoices):
        STATUS_500 = "status_500", "500 INTERNAL_ERROR"
        STATUS_503 = "status_503", "503 SERVICE_UNAVAILABLE"
        STATUS_429 = "status_429", "429 RATE_LIMITED"
        HANG = "hang", "Hang, then 503"

    endpoint = models.CharField(
        max_length=100,
        choices=[(ANY_ENDPOINT, "* (every endpoint)"), *((name, name) for name in ENDPOINTS)],
    )
    mode = models.CharField(max_length=20, choices=Mode.choices)
    remaining = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.mode} ×{self.remaining}"
