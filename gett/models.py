import uuid

from django.db import models
from django.utils import timezone


class OutboundMessageQuerySet(models.QuerySet):
    def open(self) -> "OutboundMessageQuerySet":
        """Messages that still have to go out (or are going out right now)."""
        return self.filter(state__in=OutboundMessage.OPEN_STATES)


class OutboundMessage(models.Model):
    """One change Gett must hear about, written in the same transaction as the change.

    Delivered by `gett.tasks.outbox_deliver`; see `gett.outbox` for the rules
    (ordering lanes, coalescing, backoff, time budget, circuit breaker, dead letter).
    """

    class State(models.TextChoices):
        HELD = "held", "Waiting for Gett store id"
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        SUPERSEDED = "superseded", "Superseded by a newer change"
        FAILED = "failed", "Failed"

    OPEN_STATES = (State.HELD, State.PENDING, State.SENDING)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=40, db_index=True)
    # Messages with the same key and kind go out in the order they were written.
    key = models.CharField(max_length=100, db_index=True)
    # The id that goes into the Gett URL (Gett store id, Gett order id, partner store id).
    # Empty while Gett has not given us the store id yet (only kinds that need it may be held).
    target_id = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        max_length=12, choices=State.choices, default=State.PENDING, db_index=True
    )
    # Information only: retryable failures are given up after a time budget, not a count.
    attempts = models.PositiveIntegerField(default=0)
    # When the current run of failures began; the retry budget counts from here.
    first_failed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # What Gett answered, as a person reads it: its `detail` and its field-level `errors[]`.
    last_error_detail = models.TextField(blank=True)
    last_errors = models.JSONField(default=list, blank=True)
    last_error_code = models.CharField(max_length=60, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_request_id = models.CharField(max_length=100, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OutboundMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["key", "state", "id"], name="outbox_key_state_idx"),
            models.Index(fields=["key", "kind", "state", "id"], name="outbox_lane_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.state})"

    @property
    def is_retrying(self) -> bool:
        return self.state == self.State.PENDING and self.attempts > 0

    @property
    def can_retry(self) -> bool:
        return self.state == self.State.FAILED

    @property
    def error_lines(self) -> list[str]:
        """Gett's field-level errors, one readable line each ("$.reason: must be …")."""
        lines = []
        for error in self.last_errors or []:
            if not isinstance(error, dict):
                continue
            where = error.get("jsonPath") or error.get("itemId") or error.get("code") or ""
            text = str(error.get("message") or "")
            lines.append(f"{where}: {text}" if where and text else (text or str(where)))
        return lines


class InboundWebhook(models.Model):
    """One call Gett made to our webhooks, with our reply: what staff search when an order is
    missing, and what a merchant sees on the order ("Gett called at 12:01, we answered 200").

    Kept whatever happened: a bad signature, a malformed body, a refusal, a success.
    """

    class Operation(models.TextChoices):
        VALIDATE = "validate", "validateOrder"
        PLACE = "place", "placeOrder"

    operation = models.CharField(max_length=10, choices=Operation.choices)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    path = models.CharField(max_length=200)
    # The headers that matter: Signature (shortened), Timestamp, API-Version, Content-Type,
    # User-Agent, Content-Length.
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True, help_text="The raw body, cut at 64 KiB.")
    body_size = models.PositiveIntegerField(default=0)
    signature_ok = models.BooleanField(null=True)
    # What the body said, when it said it (for search and for the order page).
    gett_order_id = models.CharField(max_length=100, blank=True, db_index=True)
    store_ref = models.CharField("cart.storeId", max_length=100, blank=True, db_index=True)
    status = models.PositiveSmallIntegerField(null=True)
    error_code = models.CharField(max_length=40, blank=True)
    detail = models.TextField(blank=True)
    response = models.JSONField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_operation_display()} {self.status or '…'} at {self.received_at:%H:%M:%S}"

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300
