"""One onboarding record per attempt to put a store on Gett (REFERENCE §8).

Statuses are Gett's, plus our own: `registering` (we have not had Gett's answer yet), `failed`
(Gett refused the registration, or forgot the onboarding) and `cancelled`. Records are never
deleted: a store's attempts are its history.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from stores.models import Store


class OnboardingQuerySet(models.QuerySet):
    def open(self) -> OnboardingQuerySet:
        return self.filter(status__in=Onboarding.OPEN_STATUSES)

    def due(self, now: datetime | None = None) -> OnboardingQuerySet:
        """Open onboardings whose next call to Gett is due and that no live worker holds."""
        now = now or timezone.now()
        stale = now - timedelta(seconds=settings.ONBOARDING_CLAIM_STALE_SECONDS)
        return (
            self.open()
            .filter(next_poll_at__isnull=False, next_poll_at__lte=now)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        )

    def stuck(self, now: datetime | None = None) -> OnboardingQuerySet:
        """Open onboardings whose status has not moved for an hour."""
        now = now or timezone.now()
        return self.open().filter(status_changed_at__lt=now - timedelta(hours=1))


class Onboarding(models.Model):
    class Status(models.TextChoices):
        REGISTERING = "registering", "Registering with Gett"
        PENDING_CATALOG = "pending_catalog", "Waiting for Gett to fetch the menu"
        CATALOG_INGESTING = "catalog_ingesting", "Gett is checking the menu"
        CATALOG_FAILED = "catalog_failed", "Gett could not accept the menu"
        READY_TO_ACTIVATE = "ready_to_activate", "Ready to go live"
        ACTIVE = "active", "Live on Gett"
        FAILED = "failed", "Registration refused"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = (
        Status.REGISTERING,
        Status.PENDING_CATALOG,
        Status.CATALOG_INGESTING,
        Status.CATALOG_FAILED,
        Status.READY_TO_ACTIVATE,
    )
    # The statuses Gett itself reports (anything else in a reply is not understood).
    GETT_STATUSES = (
        Status.PENDING_CATALOG,
        Status.CATALOG_INGESTING,
        Status.CATALOG_FAILED,
        Status.READY_TO_ACTIVATE,
        Status.ACTIVE,
    )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="onboardings")
    # Gett's onboardingId: empty until Gett answered the registration.
    gett_onboarding_id = models.CharField(
        "Gett onboarding id", max_length=100, null=True, blank=True, unique=True
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REGISTERING)
    # Gett's `error` (catalog_failed), in Gett's words.
    error = models.TextField("Gett's error", blank=True)
    # Gett's storeId once the store is active (also saved on the store).
    gett_store_id = models.UUIDField("Gett store id", null=True, blank=True)
    # The register request we sent (or will send).
    request = models.JSONField(default=dict, blank=True)
    # When each status was first seen, status -> ISO time.
    status_times = models.JSONField(default=dict, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)

    auto_activate = models.BooleanField(
        default=False, help_text="Go live as soon as Gett is ready."
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # Polling: when to ask Gett next (empty: nothing to ask), who is asking now.
    poll_count = models.PositiveIntegerField(default=0)
    quiet_polls = models.PositiveIntegerField(
        default=0, help_text="Polls since the status last changed (drives the backoff)."
    )
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Our failures to reach Gett (network, 5xx, 429, refusals), consecutive and last.
    failed_attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OnboardingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store"],
                condition=Q(
                    status__in=[
                        "registering",
                        "pending_catalog",
                        "catalog_ingesting",
                        "catalog_failed",
                        "ready_to_activate",
                    ]
                ),
                name="onboarding_one_open_per_store",
                violation_error_message="This store already has an onboarding under way.",
            ),
        ]

    def __str__(self) -> str:
        return f"Onboarding of {self.store} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_registered(self) -> bool:
        return bool(self.gett_onboarding_id)

    @property
    def can_activate(self) -> bool:
        return self.status == self.Status.READY_TO_ACTIVATE

    @property
    def can_cancel(self) -> bool:
        return self.is_open

    @property
    def can_recheck(self) -> bool:
        return self.status == self.Status.CATALOG_FAILED

    def is_stuck(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.is_open and self.status_changed_at < now - timedelta(hours=1)
