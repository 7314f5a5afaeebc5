"""State of the local Gett. Nothing here knows about the portal's own models."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

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
    # Things Gett lets pass but a developer would want to know (an unknown member, ...).
    warnings = models.JSONField(default=list, blank=True)

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
    # [{code, message, jsonPath, entityId}] from the checks (catalog_rules), or the fetch failure.
    problems = models.JSONField(default=list, blank=True)
    # Texts about a pull that worked here but would not at Gett (a loopback or http URL).
    warnings = models.JSONField(default=list, blank=True)
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
        # The connection is closed without a reply (a load balancer reset); nothing is applied.
        DROP = "drop", "Drop the connection"

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


class SandboxTestOrder(models.Model):
    """An order the sandbox sends to a partner's webhooks, as Gett would, to test them."""

    class Scenario(models.TextChoices):
        # What the test order checks on the partner's webhooks (REFERENCE §9-11).
        VALID = "valid", "Valid order"
        SHORT_PATHS = "short_paths", "Valid order to /validate and /place"
        BAD_SIGNATURE = "bad_signature", "Bad signature"
        TAMPERED_BODY = "tampered_body", "Body changed after signing"
        STALE_TIMESTAMP = "stale_timestamp", "Stale timestamp"
        MISSING_SIGNATURE = "missing_signature", "No Signature header"
        MALFORMED_JSON = "malformed_json", "Malformed JSON"
        UNKNOWN_STORE = "unknown_store", "Unknown store"
        MISSING_MODIFIER = "missing_modifier", "Required modifier left out"
        UNKNOWN_ITEM = "unknown_item", "Unavailable item"
        WRONG_TOTAL = "wrong_total", "Wrong total at place"
        REPEATED_PLACE = "repeated_place", "placeOrder sent twice"
        CONCURRENT_PLACE = "concurrent_place", "placeOrder sent twice at once"
        CONFLICTING_REPEAT = "conflicting_repeat", "Same orderId, another cart"

    class Outcome(models.TextChoices):
        QUEUED = "queued", "Queued"
        # validateOrder is on its way.
        SENT = "sent", "Sent"
        # validateOrder answered 2xx; placeOrder is on its way.
        VALIDATED = "validated", "Validated"
        PLACED = "placed", "Placed"
        # The partner answered 4xx: expected for the bad scenarios, never retried.
        REJECTED = "rejected", "Rejected"
        # 5xx, timeout or connection error, and no retry left (or validateOrder, never retried).
        FAILED = "failed", "Failed"
        PENDING_RETRY = "pending_retry", "Waiting to retry"
        # The scenario cannot be built from this menu (missing_modifier with no required group).
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    store = models.ForeignKey(SandboxStore, on_delete=models.PROTECT, related_name="test_orders")
    scenario = models.CharField(max_length=20, choices=Scenario.choices)
    seed = models.BigIntegerField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.QUEUED)
    # Whether the partner answered the way this scenario needs; None until the run is over.
    as_expected = models.BooleanField(null=True, blank=True)
    detail = models.TextField(blank=True)
    # Gett's order id for placeOrder: fixed at creation, so every retry carries the same one.
    order_id = models.UUIDField(unique=True, verbose_name="Gett order id")
    webhook_url = models.URLField(max_length=2000)
    catalog_set_id = models.CharField(max_length=200)
    fulfillment_type = models.CharField(max_length=10, choices=FulfillmentType.choices)
    validate_body = models.JSONField()
    # Built once validateOrder succeeded; every placeOrder attempt sends exactly this.
    place_body = models.JSONField(null=True, blank=True)
    # Gett's own pricing of the cart (REFERENCE §17.6): {"subTotal": ..., "tip": ...}.
    expected_amounts = models.JSONField(default=dict, blank=True)
    validated_amounts = models.JSONField(null=True, blank=True)
    placed_amounts = models.JSONField(null=True, blank=True)
    partner_order_id = models.CharField(max_length=200, blank=True)
    # repeated_place, concurrent_place: what the second placeOrder with the same orderId answered.
    repeat_partner_order_id = models.CharField(max_length=200, blank=True)
    repeat_matched = models.BooleanField(null=True, blank=True)
    place_attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The order recorded when the partner accepted placeOrder.
    placed_order = models.ForeignKey(
        SandboxOrder,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="test_orders",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Test order #{self.pk} {self.scenario} ({self.outcome})"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    @property
    def subtotal_matches(self) -> bool | None:
        """Whether the partner's subTotal equals Gett's own; None when either is missing."""
        expected = (self.expected_amounts or {}).get("subTotal")
        partner = (self.placed_amounts or self.validated_amounts or {}).get("subTotal")
        if expected is None or partner is None:
            return None
        try:
            return Decimal(str(expected)) == Decimal(str(partner))
        except (ArithmeticError, ValueError):
            return False


class SandboxWebhookCall(models.Model):
    """One request the sandbox sent to a partner's webhook, and what came back."""

    class Operation(models.TextChoices):
        VALIDATE = "validate", "validateOrder"
        PLACE = "place", "placeOrder"

    test_order = models.ForeignKey(SandboxTestOrder, on_delete=models.CASCADE, related_name="calls")
    operation = models.CharField(max_length=10, choices=Operation.choices)
    # 1 for the first delivery; retries (and repeated_place's second send) count up.
    attempt = models.PositiveSmallIntegerField(default=1)
    url = models.URLField(max_length=2000)
    # Signature, Timestamp, API-Version, Content-Type as sent. The secret itself is never kept.
    request_headers = models.JSONField(default=dict, blank=True)
    request_body = models.TextField(blank=True)
    # None when no HTTP reply came back (timeout, connection refused).
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.TextField(blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        outcome = self.response_status or self.error
        return f"{self.get_operation_display()} #{self.attempt} → {outcome}"

    @property
    def is_success(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300
