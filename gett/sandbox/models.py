"""State of the local Gett. Nothing here knows about the portal's own models."""

from __future__ import annotations

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

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.response_status}"
