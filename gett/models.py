import uuid

from django.db import models
from django.utils import timezone


class OutboundMessageQuerySet(models.QuerySet):
    def for_key(self, key: str) -> "OutboundMessageQuerySet":
        return self.filter(key=key)

    def open(self) -> "OutboundMessageQuerySet":
        """Messages that still have to go out (or are going out right now)."""
        return self.filter(state__in=OutboundMessage.OPEN_STATES)

    def due(self, now=None) -> "OutboundMessageQuerySet":
        now = now or timezone.now()
        return self.filter(state=OutboundMessage.State.PENDING, next_attempt_at__lte=now)


class OutboundMessage(models.Model):
    """One change Gett must hear about, written in the same transaction as the change.

    Delivered by `gett.tasks.outbox_deliver`; see `gett.outbox` for the rules
    (ordering per key, coalescing, backoff, dead letter).
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
    # Messages with the same key go out in the order they were written.
    key = models.CharField(max_length=100, db_index=True)
    # The id that goes into the Gett URL (Gett store id, Gett order id, partner store id).
    # Empty while Gett has not given us the id yet: the message is held until it has one.
    target_id = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        max_length=12, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_code = models.CharField(max_length=60, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_request_id = models.CharField(max_length=100, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OutboundMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["key", "state", "id"], name="outbox_key_state_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.state})"

    @property
    def is_retrying(self) -> bool:
        return self.state == self.State.PENDING and self.attempts > 0

    @property
    def can_retry(self) -> bool:
        return self.state == self.State.FAILED
