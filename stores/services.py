from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from gett import outbox
from gett.wire import datetime_to_wire
from portal.exceptions import InvalidStateError, PortalError
from stores.models import PauseReason, Store

logger = logging.getLogger(__name__)


# --- what Gett hears -----------------------------------------------------------------------


def store_status_payload(store: Store) -> dict:
    """StoreStatusUpdate (REFERENCE §6)."""
    if not store.is_paused:
        return {"status": "online"}
    payload: dict[str, str | None] = {"status": "paused", "reason": store.pause_reason}
    if store.resume_at:
        payload["resumeAt"] = datetime_to_wire(store.resume_at)
    return payload


def store_details_payload(store: Store) -> dict:
    """StoreUpdate (REFERENCE §5.1). We send the full set we manage (PUT semantics unknown)."""
    payload = {
        "name": store.name,
        "phone": store.phone,
        "description": store.description,
        # (inferred) The fulfillment flags ride on Update Store; REFERENCE §5.2 leaves it open.
        "deliveryAllowed": store.delivery_allowed,
        "pickupAllowed": store.pickup_allowed,
    }
    if store.logo:
        url = store.logo.url
        payload["logoUrl"] = url if "://" in url else f"{settings.PUBLIC_BASE_URL}{url}"
    return payload


def _tell_gett(*, store: Store, kind: str, payload: dict) -> None:
    outbox.enqueue(
        kind=kind,
        key=store.outbox_key,
        target_id=str(store.gett_store_id) if store.gett_store_id else "",
        payload=payload,
    )


# --- store details ---------------------------------------------------------------------------

GETT_FIELDS = ("name", "phone", "description", "logo", "delivery_allowed", "pickup_allowed")


@transaction.atomic
def store_update(*, store: Store, changed_fields: list[str] | tuple[str, ...]) -> Store:
    """Save a store edited through a form or the API; Gett hears about fields it knows."""
    store.full_clean()
    store.save()
    if any(field in GETT_FIELDS for field in changed_fields):
        _tell_gett(store=store, kind="store.update", payload=store_details_payload(store))
    return store


# --- pause and resume ------------------------------------------------------------------------

MAX_PAUSE = timedelta(days=30)

RESUME_PRESETS = {
    "15m": "15 minutes",
    "30m": "30 minutes",
    "1h": "1 hour",
    "today": "End of today",
    "at": "Until a time I choose",
    "manual": "Until I resume it",
}


def resume_at_for_preset(
    *, store: Store, preset: str, at: datetime | None = None, now: datetime | None = None
) -> datetime | None:
    """Turn a pause preset into the time the store comes back online (None: by hand).

    Only turns the choice into a time; whether that time is allowed is `store_pause`'s rule.
    """
    now = now or timezone.now()
    if preset == "15m":
        return now + timedelta(minutes=15)
    if preset == "30m":
        return now + timedelta(minutes=30)
    if preset == "1h":
        return now + timedelta(hours=1)
    if preset == "today":
        # Midnight at the end of today, in the store's own time zone.
        local = now.astimezone(store.tzinfo)
        midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=store.tzinfo)
        return midnight
    if preset == "at":
        if at is None:
            raise PortalError("Choose the time the store should resume.", field="resume_at")
        if timezone.is_naive(at):
            # A wall-clock time typed by a person is read in the store's own time zone.
            at = at.replace(tzinfo=store.tzinfo)
        return at
    if preset == "manual":
        return None
    raise PortalError(f"Unknown resume choice “{preset}”.", field="preset")


def _pause_limits_check(*, resume_at: datetime | None, now: datetime) -> None:
    """The one place pause limits live: in the future, at most 30 days ahead."""
    if resume_at is None:
        return
    if timezone.is_naive(resume_at):
        raise PortalError("The resume time needs a time zone.", field="resume_at")
    if resume_at <= now:
        raise PortalError("The resume time must be in the future.", field="resume_at")
    if resume_at > now + MAX_PAUSE:
        raise PortalError(
            "Pauses longer than 30 days are not supported; resume by hand.", field="resume_at"
        )


@transaction.atomic
def store_pause(
    *, store: Store, reason: str, resume_at: datetime | None, user: AbstractBaseUser | None = None
) -> Store:
    if reason not in PauseReason.values:
        raise PortalError("Choose why the store is paused.", field="reason")
    now = timezone.now()
    _pause_limits_check(resume_at=resume_at, now=now)
    store = Store.objects.select_for_update().get(pk=store.pk)
    if not store.is_paused:
        store.paused_at = now
    store.status = Store.Status.PAUSED
    store.pause_reason = reason
    store.resume_at = resume_at
    store.save(update_fields=["status", "pause_reason", "paused_at", "resume_at", "updated_at"])
    _tell_gett(store=store, kind="store.status", payload=store_status_payload(store))
    logger.info("store %s paused (%s) until %s by %s", store.public_id, reason, resume_at, user)
    return store


@transaction.atomic
def store_resume(
    *, store: Store, user: AbstractBaseUser | None = None, automatic: bool = False
) -> Store:
    store = Store.objects.select_for_update().get(pk=store.pk)
    if not store.is_paused:
        if automatic:
            return store  # resumed by hand in the meantime
        raise InvalidStateError("The store is already online.")
    store.status = Store.Status.ONLINE
    store.pause_reason = ""
    store.paused_at = None
    store.resume_at = None
    store.save(update_fields=["status", "pause_reason", "paused_at", "resume_at", "updated_at"])
    _tell_gett(store=store, kind="store.status", payload=store_status_payload(store))
    logger.info("store %s resumed (%s)", store.public_id, "automatic" if automatic else user)
    return store


def stores_auto_resume(*, now: datetime | None = None) -> int:
    """Bring back every store whose pause has run out. Safe to run concurrently."""
    now = now or timezone.now()
    count = 0
    for pk in Store.objects.due_to_resume(now).values_list("pk", flat=True):
        with transaction.atomic():
            store = Store.objects.select_for_update().filter(pk=pk).due_to_resume(now).first()
            if store is None:
                continue  # resumed or re-paused in the meantime
            store_resume(store=store, automatic=True)
            count += 1
    return count


# --- Gett store id -----------------------------------------------------------------------------


@transaction.atomic
def store_connect(*, store: Store, gett_store_id) -> Store:
    """Gett gave this store its id (onboarding): send whatever was waiting for it."""
    store.gett_store_id = gett_store_id
    store.save(update_fields=["gett_store_id", "updated_at"])
    outbox.release(key=store.outbox_key, target_id=str(gett_store_id))
    return store


# --- API tokens ---------------------------------------------------------------------------------

API_TOKEN_PREFIX_LENGTH = 8


@transaction.atomic
def api_token_create(*, user: AbstractBaseUser) -> Token:
    """The user's API token (one per user), made now; its key is shown once, then only a prefix."""
    if Token.objects.filter(user=user).exists():
        raise InvalidStateError("You already have an API token. Revoke it first to make a new one.")
    token = Token.objects.create(user=user)
    logger.info("API token created for user %s", user.pk)
    return token


@transaction.atomic
def api_token_revoke(*, user: AbstractBaseUser) -> None:
    deleted, _ = Token.objects.filter(user=user).delete()
    if not deleted:
        raise InvalidStateError("You have no API token to revoke.")
    logger.info("API token revoked for user %s", user.pk)


# --- test orders (sandbox only) ----------------------------------------------------------------

# What the Gett sandbox can send (its SandboxTestOrder.Scenario), in the words merchants read.
TEST_ORDER_SCENARIOS = {
    "valid": "A valid order",
    "short_paths": "A valid order to /validate and /place",
    "unknown_item": "An item that is not on the menu",
    "missing_modifier": "A required choice left out",
    "unknown_store": "An order for another store",
    "wrong_total": "A wrong total at placement",
    "repeated_place": "The same order placed twice",
    "concurrent_place": "The same order placed twice at once",
    "conflicting_repeat": "The same order id with another cart",
    "bad_signature": "A bad signature",
    "tampered_body": "A body changed after signing",
    "missing_signature": "No signature",
    "stale_timestamp": "A stale timestamp",
    "malformed_json": "A body that is not JSON",
}


def store_send_test_order(*, store: Store, scenario: str = "valid") -> dict:
    """Ask the Gett sandbox to send this store a test order through its webhooks."""
    if not settings.GETT_USES_SANDBOX:
        raise InvalidStateError("Test orders are only available against the Gett sandbox.")
    if not store.is_connected:
        raise InvalidStateError("This store is not connected to Gett yet.")
    if scenario not in TEST_ORDER_SCENARIOS:
        raise PortalError(f"Unknown test order “{scenario}”.", field="scenario")
    from gett.client import get_client

    return get_client().sandbox_send_test_order(
        store_id=str(store.gett_store_id), scenario=scenario
    )


TEST_ORDER_RUNNING = ("queued", "sent", "validated", "pending_retry")


def store_test_order_result(*, store: Store, test_order_id: int) -> dict:
    """What the sandbox's test order did: its outcome and each webhook call it made."""
    if not settings.GETT_USES_SANDBOX:
        raise InvalidStateError("Test orders are only available against the Gett sandbox.")
    from gett.client import get_client

    result = get_client().sandbox_get_test_order(test_order_id=test_order_id)
    if result.get("storeId") != str(store.gett_store_id):
        raise InvalidStateError("That test order belongs to another store.")
    result["running"] = result.get("outcome") in TEST_ORDER_RUNNING
    return result
