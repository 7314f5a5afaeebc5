from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.authtoken.models import Token

from gett import outbox
from gett.client import GettClient, get_client
from gett.errors import GettError
from gett.models import OutboundMessage
from gett.wire import datetime_from_wire, datetime_to_wire
from portal.exceptions import InvalidStateError, PortalError
from stores.models import MAX_BUSY_MINUTES, Merchant, PauseReason, Store, StoreEvent

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


def _tell_gett(*, store: Store, kind: str, payload: dict) -> OutboundMessage:
    return outbox.enqueue(
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


@transaction.atomic
def store_create(
    *, merchant: Merchant, store: Store, user: AbstractBaseUser | None = None
) -> Store:
    """A merchant's new store. It starts off Gett: no Gett store id until onboarding gives one,
    so its pauses and detail changes wait (held) until then."""
    store.merchant = merchant
    store.gett_store_id = None
    store.full_clean()
    store.save()
    logger.info("store %s created for merchant %s by %s", store.public_id, merchant.pk, user)
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


def end_of_today(*, store: Store, now: datetime) -> datetime:
    """Midnight at the end of today, in the store's own time zone."""
    local = now.astimezone(store.tzinfo)
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=store.tzinfo)


# "For how long" choices shared by pauses and busy mode: a length, or "today" (until midnight).
LENGTHS = {
    "15m": timedelta(minutes=15),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "2h": timedelta(hours=2),
}


def _end_for(*, store: Store, choice: str, now: datetime) -> datetime | None:
    """When a "for how long" choice made now ends; None for a choice that is not one."""
    if choice == "today":
        return end_of_today(store=store, now=now)
    length = LENGTHS.get(choice)
    return None if length is None else now + length


def resume_at_for_preset(
    *, store: Store, preset: str, at: datetime | None = None, now: datetime | None = None
) -> datetime | None:
    """Turn a pause preset into the time the store comes back online (None: by hand).

    Only turns the choice into a time; whether that time is allowed is `store_pause`'s rule.
    """
    now = now or timezone.now()
    if preset in RESUME_PRESETS and (end := _end_for(store=store, choice=preset, now=now)):
        return end
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


# --- busy mode --------------------------------------------------------------------------------

# How long busy mode lasts. It always ends by itself: a busy mode left on by mistake would promise
# every later customer a late order (merchants' complaint about busy modes that never switch back).
BUSY_FOR = {
    "30m": "30 minutes",
    "1h": "1 hour",
    "2h": "2 hours",
    "today": "Rest of today",
}
BUSY_EXTRA_PRESETS = (10, 20, 30)
MAX_BUSY = timedelta(days=1)


def busy_until_for(*, store: Store, for_: str, now: datetime | None = None) -> datetime:
    """When busy mode chosen now for `for_` (a BUSY_FOR key) ends."""
    end = _end_for(store=store, choice=for_, now=now or timezone.now())
    if for_ not in BUSY_FOR or end is None:
        raise PortalError("Choose how long the store is busy.", field="for")
    return end


@transaction.atomic
def store_busy_set(
    *,
    store: Store,
    extra_minutes: int,
    until: datetime | None,
    user: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> Store:
    """Busy mode: orders accepted from now until `until` are promised `extra_minutes` later
    (their estimatedReadyAt tells Gett). 0 turns it off. It needs an end, within a day."""
    now = now or timezone.now()
    if not 0 <= extra_minutes <= MAX_BUSY_MINUTES:
        raise PortalError(
            f"Busy mode adds from 1 to {MAX_BUSY_MINUTES} minutes (0 turns it off).",
            field="extra_minutes",
        )
    if extra_minutes == 0:
        until = None
    elif until is None:
        raise PortalError("Choose when busy mode ends.", field="until")
    elif timezone.is_naive(until):
        raise PortalError("The end of busy mode needs a time zone.", field="until")
    elif until <= now:
        raise PortalError("The end of busy mode must be in the future.", field="until")
    elif until > now + MAX_BUSY:
        raise PortalError(
            "Busy mode lasts at most a day: turn it on again tomorrow.", field="until"
        )
    store = Store.objects.select_for_update().get(pk=store.pk)
    store.busy_extra_minutes = extra_minutes
    store.busy_until = until
    store.save(update_fields=["busy_extra_minutes", "busy_until", "updated_at"])
    logger.info(
        "store %s busy: +%s min until %s, by %s", store.public_id, extra_minutes, until, user
    )
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


# --- drift: Gett's status against ours ---------------------------------------------------------
#
# We are the source of truth for a store's status. A beat task reads each onboarded store's status
# from Gett, paced well under Gett's read limit, and sends ours again when they differ. Each repair
# is a StoreEvent; when sending ours again does not help (Gett refuses it, or keeps disagreeing),
# the reconciler stops fighting and the drift is shown to the merchant and counted for staff.


def _status_in_flight(store: Store) -> bool:
    """A pause or resume still on its way to Gett: Gett may rightly disagree until it lands."""
    return OutboundMessage.objects.filter(
        key=store.outbox_key, kind="store.status", state__in=OutboundMessage.OPEN_STATES
    ).exists()


def _gett_agrees(store: Store, reading: dict) -> bool:
    if reading.get("status") != store.status:
        return False
    if not store.is_paused:
        return True
    reason = reading.get("reason")
    if reason and reason != store.pause_reason:
        return False
    resume_at = reading.get("resumeAt")
    try:
        theirs = datetime_from_wire(resume_at) if isinstance(resume_at, str) else None
    except ValueError:
        theirs = None
    if theirs is None or store.resume_at is None:
        # One resumes by itself and the other does not.
        return theirs is None and store.resume_at is None
    return abs((theirs - store.resume_at).total_seconds()) < 1


def store_reconcile(*, store_id: int, client: GettClient | None = None) -> str:
    """Compare one store's status on Gett with ours and repair drift. Safe to run twice.

    Returns what happened: "skipped", "in_flight", "unreadable", "agrees", "repairing" or
    "unrepaired".
    """
    store = Store.objects.onboarded().filter(pk=store_id).first()
    if store is None:
        return "skipped"
    now = timezone.now()
    if store.is_paused and store.resume_at and store.resume_at <= now:
        return "skipped"  # the auto-resume is due: Gett may have resumed it already
    if _status_in_flight(store):
        return "in_flight"
    client = client or get_client()
    try:
        reading = client.get_store_status(store_id=str(store.gett_store_id))
    except GettError as exc:
        logger.warning("store %s: could not read its status on Gett: %s", store.public_id, exc)
        return "unreadable"
    if not isinstance(reading, dict) or reading.get("status") not in Store.Status.values:
        logger.warning("store %s: Gett's status reading has no valid status", store.public_id)
        return "unreadable"
    return _store_reconcile_apply(store=store, reading=reading, now=now)


@transaction.atomic
def _store_reconcile_apply(*, store: Store, reading: dict, now: datetime) -> str:
    read = store
    store = Store.objects.select_for_update().get(pk=read.pk)
    if store.updated_at != read.updated_at or _status_in_flight(store):
        return "in_flight"  # paused or resumed while we read: that change is on its way
    gett_status = reading["status"]
    store.gett_status = gett_status
    store.gett_status_read_at = now
    fields = ["gett_status", "gett_status_read_at", "drift_repairs", "drift_unrepaired_since"]
    if _gett_agrees(store, reading):
        if store.drift_repairs or store.drift_unrepaired_since:
            logger.info("store %s: Gett agrees with us again", store.public_id)
        store.drift_repairs = 0
        store.drift_unrepaired_since = None
        store.save(update_fields=fields)
        return "agrees"

    last = (
        OutboundMessage.objects.filter(key=store.outbox_key, kind="store.status")
        .exclude(state=OutboundMessage.State.SUPERSEDED)
        .first()
    )
    refused = (
        last is not None
        and last.state == OutboundMessage.State.FAILED
        and last.last_status_code is not None
        and 400 <= last.last_status_code < 500
    )
    if (refused and store.drift_repairs) or store.drift_repairs >= settings.STORE_DRIFT_MAX_REPAIRS:
        if store.drift_unrepaired_since is None:
            store.drift_unrepaired_since = now
            if refused and last is not None:
                detail = f"Gett refused it: {(last.last_error_detail or last.last_error)[:500]}"
            else:
                detail = f"Gett still disagrees after {store.drift_repairs} repairs"
            StoreEvent.objects.create(
                store=store,
                kind=StoreEvent.Kind.DRIFT_UNREPAIRED,
                ours=store.status,
                gett=gett_status,
                detail=detail,
                message=last,
            )
            logger.warning("store %s: drift not repaired: %s", store.public_id, detail)
        store.save(update_fields=fields)
        return "unrepaired"

    message = _tell_gett(store=store, kind="store.status", payload=store_status_payload(store))
    store.drift_repairs += 1
    store.save(update_fields=fields)
    StoreEvent.objects.create(
        store=store,
        kind=StoreEvent.Kind.DRIFT,
        ours=store.status,
        gett=gett_status,
        message=message,
    )
    logger.info(
        "store %s: Gett has it %s, ours is %s: sent ours again (repair %s)",
        store.public_id,
        gett_status,
        store.status,
        store.drift_repairs,
    )
    return "repairing"


def stores_reconcile_schedule() -> int:
    """Queue this run's status checks, oldest-read first, spread at the reconcile read pace.

    At most STORE_RECONCILE_READS_PER_MINUTE reads a minute (a tenth of Gett's 1,000 by default)
    and as many as fit in one interval, so a run ends before the next begins.
    """
    from stores.tasks import store_reconcile_task

    per_minute = settings.STORE_RECONCILE_READS_PER_MINUTE
    per_run = int(per_minute * settings.STORE_RECONCILE_SECONDS / 60)
    ids = list(
        Store.objects.onboarded()
        .order_by(F("gett_status_read_at").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)[:per_run]
    )
    spacing = 60 / per_minute
    for position, store_id in enumerate(ids):
        store_reconcile_task.apply_async((store_id,), countdown=position * spacing)
    return len(ids)


# --- Gett store id -----------------------------------------------------------------------------


@transaction.atomic
def store_registration_set(*, store: Store, registered: bool) -> Store:
    """Onboarding registered the store with Gett (or the registration was withdrawn)."""
    store.gett_registered_at = timezone.now() if registered else None
    store.save(update_fields=["gett_registered_at", "updated_at"])
    return store


def store_connect(*, store: Store, gett_store_id) -> Store:
    """Gett gave this store its id (onboarding): send whatever was waiting for it."""
    store.gett_store_id = gett_store_id
    store.save(update_fields=["gett_store_id", "updated_at"])
    outbox.release(key=store.outbox_key, target_id=str(gett_store_id))
    return store


# --- API tokens ---------------------------------------------------------------------------------

API_TOKEN_PREFIX_LENGTH = 8


@transaction.atomic
def api_token_create(*, user: User) -> Token:
    """The user's API token (one per user), made now; its key is shown once, then only a prefix."""
    if Token.objects.filter(user=user).exists():
        raise InvalidStateError("You already have an API token. Revoke it first to make a new one.")
    token = Token.objects.create(user=user)
    logger.info("API token created for user %s", user.pk)
    return token


@transaction.atomic
def api_token_revoke(*, user: User) -> None:
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
