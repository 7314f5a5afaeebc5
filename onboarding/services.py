"""Putting a store on Gett: register, poll, activate, cancel (REFERENCE §8).

Every call to Gett happens in a task or a person's explicit action, never inside the request
that starts an onboarding. The record is the source of truth (polling survives worker restarts);
a registration, poll or activation first claims the row with a conditional update, so two
workers (or two clicks) never call Gett twice for the same step. A claim older than
ONBOARDING_CLAIM_STALE_SECONDS belongs to a worker that died and is taken over.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.timesince import timesince

from catalogs.models import PublishState
from catalogs.publishing.services import (
    catalog_republish,
    catalog_version_latest,
    catalogset_latest_url,
)
from gett.client import GettClient, get_client
from gett.errors import GettError
from onboarding.models import Onboarding
from portal.exceptions import InvalidStateError, PortalError
from stores.models import Store
from stores.services import store_connect, store_registration_set

logger = logging.getLogger(__name__)

Status = Onboarding.Status

# Seconds between polls after a status change; then ONBOARDING_POLL_MAX_SECONDS.
POLL_STEPS = (5.0, 10.0, 30.0)
# After a re-check Gett may still say catalog_failed until our notification reaches it.
RECHECK_POLLS = 4


# --- reading -----------------------------------------------------------------------------------


def onboarding_current(*, store: Store) -> Onboarding | None:
    """The store's open onboarding, else its latest one (None if it never had one)."""
    onboardings = Onboarding.objects.filter(store=store)
    return onboardings.open().first() or onboardings.order_by("-created_at", "-id").first()


# --- starting -----------------------------------------------------------------------------------


def onboarding_register_payload(*, store: Store) -> dict[str, Any]:
    return {
        "partnerStoreId": store.partner_store_id,
        "name": store.name,
        "catalogCallbackUrl": catalogset_latest_url(store=store),
        "webhookUrl": f"{settings.PUBLIC_BASE_URL}/webhooks/gett",
    }


def onboarding_start(
    *, store: Store, user: AbstractBaseUser | None, auto_activate: bool = False
) -> Onboarding:
    """Start putting `store` on Gett: write the record and schedule registration on commit.

    Refuses (InvalidStateError) a store already on Gett or with an onboarding under way, and
    (PortalError) a store without a valid published menu.
    """
    if store.gett_store_id is not None:
        raise InvalidStateError("This store is already live on Gett.")
    if Onboarding.objects.filter(store=store).open().exists():
        raise InvalidStateError(
            "This store is already being put on Gett. Cancel that first to start over."
        )
    state = PublishState.objects.filter(store=store).first()
    if state is None or state.is_valid is None or catalog_version_latest(store=store) is None:
        raise PortalError("Publish this store's menu first: Gett needs it to list the store.")
    if not state.is_valid:
        raise PortalError(
            "This store's menu has problems that stop it from being published. "
            "Fix them on the menu page first."
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            onboarding = Onboarding.objects.create(
                store=store,
                status=Status.REGISTERING,
                request=onboarding_register_payload(store=store),
                status_times={Status.REGISTERING: now.isoformat()},
                status_changed_at=now,
                auto_activate=auto_activate,
                started_by_id=user.pk if user is not None and user.is_authenticated else None,
                next_poll_at=now,
                created_at=now,
            )
            pk = onboarding.pk
            transaction.on_commit(lambda: _schedule_register(pk))
    except IntegrityError:
        # Two starts at once: the partial unique constraint let only one in.
        raise InvalidStateError(
            "This store is already being put on Gett. Cancel that first to start over."
        ) from None
    logger.info("onboarding %s of store %s started", onboarding.public_id, store.public_id)
    return onboarding


def _schedule_register(onboarding_id: int, countdown: float | None = None) -> None:
    from onboarding.tasks import onboarding_register_task

    onboarding_register_task.apply_async((onboarding_id,), countdown=countdown)


# --- claims and backoff ---------------------------------------------------------------------------


def _claim(onboarding: Onboarding, *, statuses: tuple[str, ...], now: datetime) -> bool:
    stale = now - timedelta(seconds=settings.ONBOARDING_CLAIM_STALE_SECONDS)
    return bool(
        Onboarding.objects.filter(pk=onboarding.pk, status__in=statuses)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .update(claimed_at=now)
    )


def retry_delay(*, attempts: int, exc: GettError | None = None) -> float:
    """The outbox's rule: Gett's retryAfter (plus jitter), else 1, 2, 4 … s up to the cap."""
    if exc is not None and exc.retry_after:
        return float(exc.retry_after) + random.uniform(0, 1)
    ceiling = min(
        settings.OUTBOX_BACKOFF_MAX_SECONDS,
        settings.OUTBOX_BACKOFF_BASE_SECONDS * 2 ** min(max(attempts, 1) - 1, 30),
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def poll_delay(quiet_polls: int) -> float:
    if quiet_polls < len(POLL_STEPS):
        return POLL_STEPS[quiet_polls]
    return float(settings.ONBOARDING_POLL_MAX_SECONDS)


def _error_text(exc: GettError) -> str:
    """Gett's words: its detail, the first field errors, the HTTP status and error code."""
    text = exc.detail or str(exc)
    messages = [str(e.get("message")) for e in exc.errors[:3] if e.get("message")]
    if messages:
        text = f"{text} {' '.join(messages)}"
    if exc.status:
        text = f"{text} (HTTP {exc.status}, {exc.error_code})"
    return text


def _record_failure(onboarding: Onboarding, exc: GettError, *, now: datetime) -> float:
    """Note a failure to reach Gett, free the claim, and set the next attempt. Returns the delay."""
    attempts = onboarding.failed_attempts + 1
    delay = retry_delay(attempts=attempts, exc=exc)
    Onboarding.objects.filter(pk=onboarding.pk).update(
        failed_attempts=attempts,
        last_error=_error_text(exc),
        last_error_at=now,
        next_poll_at=now + timedelta(seconds=delay),
        claimed_at=None,
        updated_at=now,
    )
    onboarding.refresh_from_db()
    return delay


def _registration_failed(onboarding: Onboarding, error: str, *, now: datetime) -> Onboarding:
    Onboarding.objects.filter(pk=onboarding.pk, status=Status.REGISTERING).update(
        status=Status.FAILED,
        status_times=_times_with(onboarding, Status.FAILED, now),
        status_changed_at=now,
        failed_attempts=onboarding.failed_attempts + 1,
        last_error=error,
        last_error_at=now,
        next_poll_at=None,
        claimed_at=None,
    )
    logger.warning("onboarding %s: registration failed: %s", onboarding.public_id, error)
    onboarding.refresh_from_db()
    return onboarding


def _times_with(onboarding: Onboarding, status: str, now: datetime) -> dict[str, str]:
    times = dict(onboarding.status_times or {})
    times.setdefault(status, now.isoformat())
    return times


# --- registering ----------------------------------------------------------------------------------


def onboarding_register(*, onboarding: Onboarding, client: GettClient | None = None) -> Onboarding:
    """Send the registration to Gett (the task's work). Safe to run twice: claims the row.

    Success records Gett's onboardingId and status and schedules the first poll. A retryable
    failure (network, 5xx, 429) is recorded, the next attempt is set 1, 2, 4 … s later (capped
    like the outbox, or Gett's retryAfter), and the GettError is raised for the task to retry.
    A non-retryable one, or a retryable one once OUTBOX_RETRY_BUDGET_SECONDS have passed since
    the start (the outbox's budget), marks the onboarding `failed` with Gett's words in
    `last_error`; the merchant can start again.
    """
    now = timezone.now()
    if not _claim(onboarding, statuses=(Status.REGISTERING,), now=now):
        onboarding.refresh_from_db()
        return onboarding  # registered, cancelled, or another worker is at it
    onboarding.refresh_from_db()
    client = client or get_client()
    try:
        reply = client.register_store(payload=onboarding.request)
    except GettError as exc:
        budget = timedelta(seconds=settings.OUTBOX_RETRY_BUDGET_SECONDS)
        if exc.retryable and now - onboarding.created_at >= budget:
            # Retried like the outbox and, like it, not forever: say so and let them start again.
            return _registration_failed(
                onboarding,
                f"Gett could not take the registration for {timesince(now - budget, now)}, so we "
                f"stopped trying. Start again when Gett is back. Its last answer: "
                f"{_error_text(exc)}",
                now=now,
            )
        if exc.retryable:
            delay = _record_failure(onboarding, exc, now=now)
            logger.warning(
                "onboarding %s: registering failed (%s), again in %.1f s",
                onboarding.public_id,
                exc.error_code,
                delay,
            )
            raise
        return _registration_failed(
            onboarding, f"Gett refused the registration: {_error_text(exc)}", now=now
        )

    gett_id = str(reply.get("onboardingId") or "") if isinstance(reply, dict) else ""
    if not gett_id:
        error = GettError("Gett's reply to the registration had no onboardingId.")
        _record_failure(onboarding, error, now=now)
        raise error
    status = _gett_status(reply) or Status.PENDING_CATALOG
    with transaction.atomic():
        updated = Onboarding.objects.filter(pk=onboarding.pk, status=Status.REGISTERING).update(
            gett_onboarding_id=gett_id,
            status=status,
            error=str(reply.get("error") or ""),
            status_times=_times_with(onboarding, status, now),
            status_changed_at=now,
            failed_attempts=0,
            last_error="",
            quiet_polls=0,
            next_poll_at=now + timedelta(seconds=poll_delay(0)),
            claimed_at=None,
            updated_at=now,
        )
    if not updated:
        # Cancelled while we were registering: withdraw the registration Gett just made.
        logger.info("onboarding %s cancelled while registering", onboarding.public_id)
        try:
            client.cancel_onboarding(onboarding_id=gett_id)
        except GettError:
            logger.warning(
                "onboarding %s: could not cancel %s at Gett", onboarding.public_id, gett_id
            )
        onboarding.refresh_from_db()
        return onboarding
    onboarding.refresh_from_db()
    store_registration_set(store=onboarding.store, registered=True)
    logger.info(
        "onboarding %s registered at Gett as %s (%s)", onboarding.public_id, gett_id, status
    )
    return onboarding


def _gett_status(reply: Any) -> str | None:
    status = reply.get("status") if isinstance(reply, dict) else None
    return status if status in Onboarding.GETT_STATUSES else None


# --- polling ---------------------------------------------------------------------------------

POLLED_STATUSES = (
    Status.PENDING_CATALOG,
    Status.CATALOG_INGESTING,
    Status.CATALOG_FAILED,
    Status.READY_TO_ACTIVATE,
)


def onboarding_poll(
    *, onboarding: Onboarding, client: GettClient | None = None, force: bool = False
) -> Onboarding:
    """Ask Gett for the onboarding's status if a poll is due (or `force`), and record it.

    Backoff after each change: 5 s, 10 s, 30 s, then every ONBOARDING_POLL_MAX_SECONDS. Stops
    on catalog_failed (until a re-check) and on ready_to_activate unless `auto_activate`, which
    activates instead. `active` calls `onboarding_went_live`. Failures to reach Gett are
    recorded in `last_error` and retried with backoff; they never raise.
    """
    now = timezone.now()
    onboarding.refresh_from_db()
    if onboarding.status not in POLLED_STATUSES or not onboarding.gett_onboarding_id:
        return onboarding
    if not force and (onboarding.next_poll_at is None or onboarding.next_poll_at > now):
        return onboarding  # not due: someone polled it a moment ago
    if not _claim(onboarding, statuses=POLLED_STATUSES, now=now):
        onboarding.refresh_from_db()
        return onboarding
    onboarding.refresh_from_db()
    client = client or get_client()
    Onboarding.objects.filter(pk=onboarding.pk).update(poll_count=F("poll_count") + 1)
    try:
        reply = client.get_onboarding(onboarding_id=onboarding.gett_onboarding_id)
    except GettError as exc:
        if exc.status == 404:
            return _gett_forgot(onboarding, exc, now=now)
        delay = _record_failure(onboarding, exc, now=now)
        logger.warning(
            "onboarding %s: poll failed (%s), again in %.1f s",
            onboarding.public_id,
            exc.error_code,
            delay,
        )
        return onboarding

    status = _gett_status(reply)
    if status is None:
        error = GettError(f"Gett answered an unknown onboarding status {reply!r:.100}.")
        _record_failure(onboarding, error, now=now)
        return onboarding

    changed = status != onboarding.status
    quiet = 0 if changed else onboarding.quiet_polls + 1
    next_poll_at: datetime | None = now + timedelta(seconds=poll_delay(quiet))
    # catalog_failed stops polling, except for a few polls after a re-check (set next_poll_at)
    # while Gett may not have had our new notification yet.
    rechecking = onboarding.next_poll_at is not None and quiet < RECHECK_POLLS
    if status == Status.CATALOG_FAILED and (changed or not rechecking):
        next_poll_at = None  # the merchant has to fix the menu first
    if status == Status.READY_TO_ACTIVATE and not onboarding.auto_activate:
        next_poll_at = None  # waits for the merchant's click
    fields: dict[str, Any] = {
        "status": status,
        "error": str(reply.get("error") or ""),
        "failed_attempts": 0,
        "last_error": "",
        "quiet_polls": quiet,
        "next_poll_at": next_poll_at,
        "updated_at": now,
    }
    if changed:
        fields["status_times"] = _times_with(onboarding, status, now)
        fields["status_changed_at"] = now
        logger.info("onboarding %s: %s -> %s", onboarding.public_id, onboarding.status, status)
    if status == Status.ACTIVE:
        # Recorded by went_live below, together with the store's id.
        Onboarding.objects.filter(pk=onboarding.pk).update(claimed_at=None)
        onboarding.refresh_from_db()
        return onboarding_went_live(
            onboarding=onboarding, gett_store_id=str(reply.get("storeId") or "")
        )
    updated = Onboarding.objects.filter(pk=onboarding.pk, status__in=POLLED_STATUSES).update(
        claimed_at=None
        if not (status == Status.READY_TO_ACTIVATE and onboarding.auto_activate)
        else now,
        **fields,
    )
    onboarding.refresh_from_db()
    if updated and status == Status.READY_TO_ACTIVATE and onboarding.auto_activate:
        # We still hold the claim: activate under it.
        return _activate_claimed(onboarding, client=client, now=now)
    return onboarding


def _gett_forgot(onboarding: Onboarding, exc: GettError, *, now: datetime) -> Onboarding:
    Onboarding.objects.filter(pk=onboarding.pk, status__in=POLLED_STATUSES).update(
        status=Status.FAILED,
        status_times=_times_with(onboarding, Status.FAILED, now),
        status_changed_at=now,
        last_error=f"Gett no longer knows this onboarding: {_error_text(exc)}",
        last_error_at=now,
        next_poll_at=None,
        claimed_at=None,
    )
    logger.warning("onboarding %s: Gett answered 404", onboarding.public_id)
    onboarding.refresh_from_db()
    return onboarding


def onboardings_poll_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Beat: register or poll every due open onboarding no live worker holds. Returns how many."""
    ids = list(
        Onboarding.objects.due(now).order_by("next_poll_at").values_list("pk", flat=True)[:limit]
    )
    done = 0
    for onboarding in Onboarding.objects.filter(pk__in=ids).select_related("store"):
        try:
            if onboarding.status == Status.REGISTERING:
                onboarding_register(onboarding=onboarding)
            else:
                onboarding_poll(onboarding=onboarding)
        except GettError:
            pass  # recorded on the row, with its next attempt
        done += 1
    return done


# --- activating -----------------------------------------------------------------------------------


def onboarding_activate(
    *,
    onboarding: Onboarding,
    user: AbstractBaseUser | None = None,
    client: GettClient | None = None,
) -> Onboarding:
    """Go live. Only from ready_to_activate (else InvalidStateError); two clicks call Gett once
    (the second gets InvalidStateError while the first is under way, or the live record after).
    A failure to reach Gett raises PortalError and leaves it ready to try again."""
    onboarding.refresh_from_db()
    if onboarding.status == Status.ACTIVE:
        return onboarding
    if onboarding.status != Status.READY_TO_ACTIVATE:
        raise InvalidStateError(
            f"The store can go live once Gett has accepted its menu; "
            f"this onboarding is {onboarding.get_status_display().lower()}."
        )
    now = timezone.now()
    if not _claim(onboarding, statuses=(Status.READY_TO_ACTIVATE,), now=now):
        onboarding.refresh_from_db()
        if onboarding.status == Status.ACTIVE:
            return onboarding
        raise InvalidStateError("This store is being activated right now; wait a moment.")
    onboarding.refresh_from_db()
    logger.info(
        "onboarding %s: activation asked by user %s", onboarding.public_id, user and user.pk
    )
    activated = _activate_claimed(onboarding, client=client or get_client(), now=now)
    if activated.status != Status.ACTIVE and activated.last_error_at == now:
        raise PortalError(f"Gett did not activate the store: {activated.last_error}")
    return activated


def _activate_claimed(onboarding: Onboarding, *, client: GettClient, now: datetime) -> Onboarding:
    """Call Activate for an onboarding whose claim we hold; record what Gett said."""
    try:
        reply = client.activate_store(onboarding_id=str(onboarding.gett_onboarding_id))
    except GettError as exc:
        if exc.status == 409:
            # Gett does not see it as ready (anymore): read its status again soon.
            Onboarding.objects.filter(pk=onboarding.pk).update(
                last_error=_error_text(exc),
                last_error_at=now,
                quiet_polls=0,
                next_poll_at=now,
                claimed_at=None,
            )
            onboarding.refresh_from_db()
            return onboarding
        _record_failure(onboarding, exc, now=now)
        if not onboarding.auto_activate:
            Onboarding.objects.filter(pk=onboarding.pk).update(next_poll_at=None)
            onboarding.refresh_from_db()
        return onboarding
    store_id = str(reply.get("storeId") or "") if isinstance(reply, dict) else ""
    if not store_id:
        # Activate answered without the id: the next poll reads it.
        Onboarding.objects.filter(pk=onboarding.pk).update(
            quiet_polls=0, next_poll_at=now, claimed_at=None
        )
        onboarding.refresh_from_db()
        return onboarding
    Onboarding.objects.filter(pk=onboarding.pk).update(claimed_at=None)
    onboarding.refresh_from_db()
    return onboarding_went_live(onboarding=onboarding, gett_store_id=store_id)


@transaction.atomic
def onboarding_went_live(*, onboarding: Onboarding, gett_store_id: str) -> Onboarding:
    """Gett says `active`: save its storeId on the store, release the store's held outbox
    messages (in order), mark the onboarding active."""
    onboarding = Onboarding.objects.select_for_update().get(pk=onboarding.pk)
    if onboarding.status == Status.ACTIVE:
        return onboarding
    if not gett_store_id:
        raise GettError("Gett says the store is active but gave no storeId.")
    now = timezone.now()
    store = Store.objects.select_for_update().get(pk=onboarding.store_id)
    store_connect(store=store, gett_store_id=gett_store_id)
    onboarding.status = Status.ACTIVE
    onboarding.gett_store_id = store.gett_store_id
    onboarding.error = ""
    onboarding.status_times = _times_with(onboarding, Status.ACTIVE, now)
    onboarding.status_changed_at = now
    onboarding.next_poll_at = None
    onboarding.claimed_at = None
    onboarding.last_error = ""
    onboarding.failed_attempts = 0
    onboarding.save()
    logger.info(
        "onboarding %s: store %s is live on Gett as %s",
        onboarding.public_id,
        store.public_id,
        gett_store_id,
    )
    return onboarding


# --- after catalog_failed, cancelling -------------------------------------------------------------


def onboarding_recheck(
    *, onboarding: Onboarding, user: AbstractBaseUser | None = None
) -> Onboarding:
    """After catalog_failed, once the merchant fixed the menu: publish it (or re-notify Gett of
    the current version) and poll again. PortalError if the menu still has problems."""
    onboarding.refresh_from_db()
    if onboarding.status != Status.CATALOG_FAILED:
        raise InvalidStateError("Only an onboarding whose menu Gett refused can be checked again.")
    version = catalog_republish(store=onboarding.store, user=user)
    if version is None:
        raise PortalError(
            "The menu still has problems that stop it from being published. Fix them first."
        )
    now = timezone.now()
    Onboarding.objects.filter(pk=onboarding.pk, status=Status.CATALOG_FAILED).update(
        quiet_polls=0, next_poll_at=now + timedelta(seconds=poll_delay(0)), updated_at=now
    )
    onboarding.refresh_from_db()
    logger.info("onboarding %s: menu re-sent for a new check", onboarding.public_id)
    return onboarding


def onboarding_cancel(
    *,
    onboarding: Onboarding,
    user: AbstractBaseUser | None = None,
    client: GettClient | None = None,
) -> Onboarding:
    """Cancel before `active` (InvalidStateError after); cancels at Gett too if registered.
    PortalError if Gett cannot be reached (nothing changes, try again)."""
    onboarding.refresh_from_db()
    if onboarding.status == Status.CANCELLED:
        return onboarding
    if not onboarding.is_open:
        raise InvalidStateError(
            f"This onboarding is {onboarding.get_status_display().lower()}; it cannot be cancelled."
        )
    if onboarding.gett_onboarding_id:
        try:
            (client or get_client()).cancel_onboarding(onboarding_id=onboarding.gett_onboarding_id)
        except GettError as exc:
            if exc.status == 409:
                raise InvalidStateError(
                    "Gett says the store is already live; it can no longer be cancelled."
                ) from exc
            if exc.status != 404:  # 404: Gett has no such onboarding any more, as we want
                raise PortalError(
                    f"Gett did not cancel the onboarding: {_error_text(exc)}. Try again."
                ) from exc
    now = timezone.now()
    updated = Onboarding.objects.filter(
        pk=onboarding.pk, status__in=Onboarding.OPEN_STATUSES
    ).update(
        status=Status.CANCELLED,
        status_times=_times_with(onboarding, Status.CANCELLED, now),
        status_changed_at=now,
        next_poll_at=None,
        claimed_at=None,
        updated_at=now,
    )
    onboarding.refresh_from_db()
    if updated and not onboarding.store.is_connected:
        store_registration_set(store=onboarding.store, registered=False)
    if not updated and onboarding.status != Status.CANCELLED:
        raise InvalidStateError(
            f"This onboarding became {onboarding.get_status_display().lower()} meanwhile."
        )
    logger.info(
        "onboarding %s cancelled by user %s", onboarding.public_id, user.pk if user else None
    )
    return onboarding


def onboarding_start_over(
    *,
    onboarding: Onboarding,
    user: AbstractBaseUser | None,
    auto_activate: bool | None = None,
    client: GettClient | None = None,
) -> Onboarding:
    """Cancel this onboarding (if still open) and start a new one for the same store.
    `auto_activate` None keeps the old choice. Returns the new onboarding."""
    onboarding_cancel(onboarding=onboarding, user=user, client=client)
    return onboarding_start(
        store=onboarding.store,
        user=user,
        auto_activate=onboarding.auto_activate if auto_activate is None else auto_activate,
    )
