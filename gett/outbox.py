"""The outbox: reliable, ordered, paced delivery of changes to Gett.

A service that changes something Gett must hear about calls `enqueue()` inside its
transaction. The row is the source of truth; Celery only carries "look at row N now":

- the delivery task is enqueued on commit, so a rolled-back change sends nothing;
- `deliver()` claims a row with a conditional update, so running a task twice sends once;
- ordering is per *lane*, the pair (key, kind): one store's status changes go out in the order
  they were written, one order's statuses too, but a store's status, its details and its menu
  notifications never wait for each other (a details update Gett keeps refusing must not hold
  back a pause). Only what must be ordered is ordered;
- only kinds that put Gett's store id in the URL (store status, store details) may be held
  (HELD) until onboarding gives the store that id; nothing waits behind a held message, and
  `release()` sends them once the id is known;
- kinds where only the latest matters (store status, store details, catalog notification)
  are coalesced: a newer message supersedes older ones that have not gone out yet;
- retryable failures (429, 5xx, network) back off 1, 2, 4 … s capped at
  `OUTBOX_BACKOFF_MAX_SECONDS` (30) with jitter, or as long as Gett's `retryAfter` says, and are
  dead-lettered (FAILED) only when `OUTBOX_RETRY_BUDGET_SECONDS` have passed since the first
  failure; non-retryable ones (other 4xx) fail at once. Gett's `detail` and `errors[]` are kept on
  the row until a person retries it;
- a circuit breaker shared by all workers through the cache opens after
  `OUTBOX_BREAKER_THRESHOLD` consecutive 5xx/network failures; while open, one probe per
  `OUTBOX_BREAKER_PROBE_SECONDS` goes to Gett and the other deliveries wait without calling it
  (and without counting as failures); a success closes it;
- writes are paced under Gett's per-minute write limit in every rolling minute, shared by all
  workers through the cache;
- `sweep()` (beat) re-enqueues rows whose task was lost (Redis restart, killed worker).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from gett.client import GettClient, get_client
from gett.errors import GettError
from gett.models import OutboundMessage

logger = logging.getLogger(__name__)

State = OutboundMessage.State


@dataclass(frozen=True)
class Kind:
    send: Callable[[GettClient, OutboundMessage], object]
    coalesce: bool
    label: str
    # Strict order: a dead-lettered message holds back the later ones with its key until a
    # person retries it (an order must not be "ready" at Gett before it is "confirmed").
    strict: bool = False
    # Gett answers 409 to a change it already has (a repeated close): that is delivered.
    conflict_is_delivered: bool = False
    # The URL carries Gett's store id: the message may be held until onboarding gives it.
    needs_gett_store_id: bool = False


KINDS: dict[str, Kind] = {
    "store.status": Kind(
        send=lambda client, m: client.update_store_status(store_id=m.target_id, payload=m.payload),
        coalesce=True,
        label="Store status",
        needs_gett_store_id=True,
    ),
    "store.update": Kind(
        send=lambda client, m: client.update_store(store_id=m.target_id, payload=m.payload),
        coalesce=True,
        label="Store details",
        needs_gett_store_id=True,
    ),
    "catalog.notify": Kind(
        send=lambda client, m: client.notify_catalog(
            partner_store_id=m.target_id, callback_url=m.payload["callbackUrl"]
        ),
        coalesce=True,
        label="Menu notification",
    ),
    "order.status": Kind(
        send=lambda client, m: client.update_order_status(order_id=m.target_id, payload=m.payload),
        coalesce=False,
        label="Order status",
        strict=True,
        conflict_is_delivered=True,
    ),
}


class RetryLater(Exception):
    """The message could not go out now; look at it again in `countdown` seconds."""

    def __init__(self, countdown: float) -> None:
        super().__init__(f"retry in {countdown:.1f}s")
        self.countdown = countdown


# --- writing --------------------------------------------------------------------------------


def enqueue(*, kind: str, key: str, payload: dict, target_id: str = "") -> OutboundMessage:
    """Write a message in the caller's transaction; its delivery is scheduled on commit."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    if not target_id and not KINDS[kind].needs_gett_store_id:
        # Only a missing Gett store id is worth waiting for; anything else would wait forever.
        raise ValueError(f"outbox kind {kind!r} needs a target id")
    with transaction.atomic():
        if KINDS[kind].coalesce:
            OutboundMessage.objects.filter(
                key=key, kind=kind, state__in=[State.HELD, State.PENDING]
            ).update(state=State.SUPERSEDED, updated_at=timezone.now())
        message = OutboundMessage.objects.create(
            kind=kind,
            key=key,
            target_id=target_id,
            payload=payload,
            state=State.PENDING if target_id else State.HELD,
        )
        if message.state == State.PENDING:
            _schedule_on_commit(message.pk)
    return message


def release(*, key: str, target_id: str) -> int:
    """Gett gave us the id these held messages were waiting for: send them now."""
    with transaction.atomic():
        count = OutboundMessage.objects.filter(key=key, state=State.HELD).update(
            target_id=target_id,
            state=State.PENDING,
            next_attempt_at=timezone.now(),
            updated_at=timezone.now(),
        )
        for kind in KINDS:
            first = _next_in_line(key, kind)
            if first is not None:
                _schedule_on_commit(first.pk)
    return count


def retry(*, message: OutboundMessage) -> OutboundMessage:
    """A person asked to try a dead-lettered message again."""
    with transaction.atomic():
        updated = OutboundMessage.objects.filter(pk=message.pk, state=State.FAILED).update(
            state=State.PENDING if message.target_id else State.HELD,
            attempts=0,
            first_failed_at=None,
            next_attempt_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if updated and message.target_id:
            _schedule_on_commit(message.pk)
    message.refresh_from_db()
    return message


# --- delivering -------------------------------------------------------------------------------


def deliver(*, message_id: int, client: GettClient | None = None) -> OutboundMessage | None:
    """Send one message if it is its turn. Raises RetryLater when it must wait or back off."""
    now = timezone.now()
    message = OutboundMessage.objects.filter(pk=message_id).first()
    if message is None or message.state != State.PENDING:
        return message  # delivered, superseded, held, dead, or another worker has it
    # A little slack for a task that arrives a moment before its countdown ends.
    if message.next_attempt_at > now + timedelta(seconds=0.2):
        raise RetryLater((message.next_attempt_at - now).total_seconds())
    if _has_older_open(message):
        # Not its turn: the message ahead of it kicks it when done (and the sweep is a backstop).
        logger.info(
            "outbox %s waits for an older %s with key %s", message.pk, message.kind, message.key
        )
        return message

    # Gett is down: only the probe of this interval may call it; the others wait, uncounted.
    wait = _breaker_wait() or _reserve_write_slot()
    if wait:
        OutboundMessage.objects.filter(pk=message.pk, state=State.PENDING).update(
            next_attempt_at=now + timedelta(seconds=wait)
        )
        raise RetryLater(wait)

    claimed = OutboundMessage.objects.filter(pk=message.pk, state=State.PENDING).update(
        state=State.SENDING,
        claimed_at=now,
        last_attempt_at=now,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    message.refresh_from_db()

    client = client or get_client()
    try:
        response = KINDS[message.kind].send(client, message)
    except GettError as exc:
        _note_rate_limit(client)
        if exc.status == 409 and KINDS[message.kind].conflict_is_delivered:
            logger.info("outbox %s %s: Gett already has it (409)", message.pk, message.kind)
            return _record_success(message, {"alreadyApplied": True, "detail": exc.detail})
        _breaker_note_failure(exc)
        return _record_failure(message, exc)
    except Exception as exc:
        # A bug on our side (bad payload, missing field): retrying the same row will not help.
        # Dead-letter it with the error shown, rather than leave it "sending" for the sweep.
        logger.exception("outbox %s %s could not be sent", message.pk, message.kind)
        error = GettError(f"{type(exc).__name__}: {exc}", error_code="PORTAL_ERROR")
        return _record_failure(message, error)
    _note_rate_limit(client)
    _breaker_close()
    return _record_success(message, response)


def _record_success(message: OutboundMessage, response: object) -> OutboundMessage:
    now = timezone.now()
    with transaction.atomic():
        OutboundMessage.objects.filter(pk=message.pk, state=State.SENDING).update(
            state=State.DELIVERED,
            delivered_at=now,
            claimed_at=None,
            response=response if isinstance(response, dict | list) else None,
            last_status_code=None,
            last_error="",
            last_error_detail="",
            last_errors=[],
            last_error_code="",
            last_request_id="",
            first_failed_at=None,
        )
        if KINDS[message.kind].coalesce:
            # An older failure of the same kind no longer matters: the latest state got through.
            OutboundMessage.objects.filter(
                key=message.key, kind=message.kind, state=State.FAILED, id__lt=message.pk
            ).update(state=State.SUPERSEDED)
        _kick_next(message.key, message.kind)
    logger.info("outbox %s %s delivered (attempt %s)", message.pk, message.kind, message.attempts)
    message.refresh_from_db()
    return message


def _record_failure(message: OutboundMessage, exc: GettError) -> OutboundMessage:
    now = timezone.now()
    first_failed_at = message.first_failed_at or now
    budget = timedelta(seconds=settings.OUTBOX_RETRY_BUDGET_SECONDS)
    gives_up = not exc.retryable or now - first_failed_at >= budget
    errors = exc.errors if isinstance(exc.errors, list) else []
    fields: dict[str, Any] = {
        "claimed_at": None,
        "first_failed_at": first_failed_at,
        "last_error": str(exc)[:4000],
        "last_error_detail": (exc.detail or "")[:4000],
        "last_errors": errors[:50],
        "last_error_code": exc.error_code[:60],
        "last_status_code": exc.status,
        "last_request_id": (exc.request_id or "")[:100],
    }
    delay = 0.0
    with transaction.atomic():
        if gives_up:
            fields["state"] = State.FAILED
            if not KINDS[message.kind].strict:
                _kick_next(message.key, message.kind, after=message.pk)
        else:
            delay = backoff(message, exc)
            fields["state"] = State.PENDING
            fields["next_attempt_at"] = now + timedelta(seconds=delay)
        OutboundMessage.objects.filter(pk=message.pk, state=State.SENDING).update(**fields)
    message.refresh_from_db()
    if gives_up:
        logger.warning(
            "outbox %s %s dead-lettered after %s attempt(s): %s",
            message.pk,
            message.kind,
            message.attempts,
            exc.error_code,
        )
        return message
    logger.info("outbox %s %s failed (%s), retry in %.1fs", message.pk, message.kind, exc, delay)
    raise RetryLater(delay)


def backoff(message: OutboundMessage, exc: GettError | None = None) -> float:
    """Gett's `retryAfter` when it gives one (plus up to a second of jitter, so the waiting
    workers do not all come back at once); else 1, 2, 4 … s up to the cap, jittered between half
    the step and the step (REFERENCE §13-14)."""
    if exc is not None and exc.retry_after:
        return float(exc.retry_after) + random.uniform(0, 1)
    attempt = max(message.attempts, 1)
    ceiling = min(
        settings.OUTBOX_BACKOFF_MAX_SECONDS,
        settings.OUTBOX_BACKOFF_BASE_SECONDS * 2 ** min(attempt - 1, 30),
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)


# --- ordering and scheduling ------------------------------------------------------------------


def _has_older_open(message: OutboundMessage) -> bool:
    """Is an older message of the same lane (key and kind) still to go out?"""
    blocking = list(OutboundMessage.OPEN_STATES)
    if KINDS[message.kind].strict:
        blocking.append(State.FAILED)
    return OutboundMessage.objects.filter(
        key=message.key, kind=message.kind, id__lt=message.pk, state__in=blocking
    ).exists()


def _next_in_line(key: str, kind: str, after: int | None = None) -> OutboundMessage | None:
    qs = OutboundMessage.objects.filter(key=key, kind=kind, state=State.PENDING)
    if after is not None:
        qs = qs.filter(id__gt=after)
    return qs.order_by("id").first()


def _kick_next(key: str, kind: str, after: int | None = None) -> None:
    following = _next_in_line(key, kind, after)
    if following is not None:
        _schedule_on_commit(following.pk)


def _schedule_on_commit(message_id: int, countdown: float | None = None) -> None:
    transaction.on_commit(lambda: schedule(message_id, countdown=countdown))


def schedule(message_id: int, *, countdown: float | None = None) -> None:
    from gett.tasks import outbox_deliver_task

    outbox_deliver_task.apply_async((message_id,), countdown=countdown)


def sweep(*, now=None, limit: int = 500) -> int:
    """Re-enqueue messages whose task was lost. Safe to run any time, from any process."""
    now = now or timezone.now()
    # A worker died mid-send: the claim is older than any task may run. Its task is gone too
    # (a redelivered copy finds the row SENDING and leaves it), so re-enqueue it now.
    stale_claim = now - timedelta(seconds=settings.OUTBOX_DELIVERY_TIME_LIMIT * 2)
    stale = OutboundMessage.objects.filter(state=State.SENDING, claimed_at__lt=stale_claim)
    reclaimed = list(stale.order_by("id").values_list("id", flat=True)[:limit])
    stale.filter(id__in=reclaimed).update(state=State.PENDING, claimed_at=None, next_attempt_at=now)
    lost_before = now - timedelta(seconds=settings.OUTBOX_LOST_AFTER_SECONDS)
    # Only the head of each lane: a message behind an older open one (or, in a strict lane, a
    # dead letter) is kicked when that one is done. Re-enqueueing it would do nothing, and a
    # pile of them would fill the batch every run while a lost message elsewhere waits.
    ahead = OutboundMessage.objects.filter(
        key=OuterRef("key"), kind=OuterRef("kind"), id__lt=OuterRef("id")
    ).filter(
        Q(state__in=OutboundMessage.OPEN_STATES)
        | Q(state=State.FAILED, kind__in=[name for name, kind in KINDS.items() if kind.strict])
    )
    ids = reclaimed + list(
        OutboundMessage.objects.filter(state=State.PENDING, next_attempt_at__lt=lost_before)
        .exclude(id__in=reclaimed)
        .exclude(Exists(ahead))
        .order_by("id")
        .values_list("id", flat=True)[: limit - len(reclaimed)]
    )
    for message_id in ids:
        schedule(message_id)
    if ids:
        logger.info("outbox sweep re-enqueued %s message(s)", len(ids))
    return len(ids)


# --- pacing under Gett's write limit --------------------------------------------------------

_PAUSED_UNTIL_KEY = "gett:writes:paused-until"


# Gett allows 100 writes a minute (REFERENCE §14), counted in windows whose alignment with our
# clock is not documented (inferred: X-RateLimit-Reset says when Gett's window ends, nothing
# more). A budget per clock minute of ours can put twice the budget into 60 seconds that straddle
# a minute boundary, so the budget (GETT_WRITES_PER_MINUTE, below Gett's limit) holds in every
# rolling window: writes are counted per second, and a write goes only if the last
# WRITE_WINDOW_SECONDS + 1 seconds' counts, its own included, stay within the budget. Any 60
# seconds then see at most the budget, wherever Gett's windows begin.
WRITE_WINDOW_SECONDS = 60


def _reserve_write_slot() -> float:
    """Take one write from the rolling budget; return seconds to wait if none is left."""
    now = time.time()
    paused_until = cache.get(_PAUSED_UNTIL_KEY)
    if paused_until and paused_until > now:
        return paused_until - now + random.uniform(0, 1)
    second = int(now)
    key = f"gett:writes:second:{second}"
    cache.add(key, 0, timeout=WRITE_WINDOW_SECONDS * 2 + 2)
    try:
        cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=WRITE_WINDOW_SECONDS * 2 + 2)
    # Counted first, then read: concurrent writers can only see too many (and wait for nothing),
    # never too few, so together they never exceed the budget.
    seconds = range(second - WRITE_WINDOW_SECONDS, second + 1)
    counts = cache.get_many([f"gett:writes:second:{s}" for s in seconds])
    per_second = [int(counts.get(f"gett:writes:second:{s}", 0) or 0) for s in seconds]
    budget = settings.GETT_WRITES_PER_MINUTE
    over = sum(per_second) - budget
    if over <= 0:
        return 0.0
    try:
        cache.decr(key)  # not sent: give the count back
    except ValueError:
        pass
    # Wait for a write to leave the window. Writers turned away in the same few seconds take
    # turns (the n-th waits for the n-th write to leave), so they do not all come back at once.
    turn_key = f"gett:writes:turns:{second // 5}"
    cache.add(turn_key, 0, timeout=30)
    try:
        turn = cache.incr(turn_key)
    except ValueError:
        turn = 1
    needed = over + turn - 1
    leaving = 0
    for offset, count in enumerate(per_second):
        leaving += count
        if leaving >= needed:
            # The oldest second in `per_second` leaves the window one second after `second`.
            return second + offset + 1 - now + random.uniform(0, 0.5)
    return second + WRITE_WINDOW_SECONDS + 1 - now + (needed - leaving) * 60 / budget


def _note_rate_limit(client: GettClient) -> None:
    """Gett said the budget is spent: hold every worker's writes until its window resets."""
    rate_limit = getattr(client, "rate_limit", None)
    if rate_limit is not None and rate_limit.remaining <= 0 and rate_limit.reset_at > time.time():
        timeout = int(rate_limit.reset_at - time.time()) + 5
        cache.set(_PAUSED_UNTIL_KEY, rate_limit.reset_at, timeout=timeout)


# --- circuit breaker, shared by all workers through the cache --------------------------------
#
# Timestamps live in the values (not only in key expiry), so every worker and every clock
# reading agrees; expiries only clean up.

_BREAKER_FAILURES_KEY = "gett:breaker:failures"
_BREAKER_OPENED_KEY = "gett:breaker:opened-at"
_BREAKER_LAST_PROBE_KEY = "gett:breaker:last-probe"


@dataclass(frozen=True)
class BreakerState:
    is_open: bool
    since: datetime | None = None
    waiting: int = 0


def breaker_state() -> BreakerState:
    """Whether Gett is considered unavailable, since when, and how many messages wait for it."""
    opened_at = cache.get(_BREAKER_OPENED_KEY)
    if not opened_at:
        return BreakerState(is_open=False)
    waiting = OutboundMessage.objects.filter(state__in=[State.PENDING, State.SENDING]).count()
    return BreakerState(
        is_open=True, since=datetime.fromtimestamp(opened_at, tz=UTC), waiting=waiting
    )


def _breaker_wait() -> float:
    """0 when this delivery may call Gett; else seconds until the next probe may go."""
    if not cache.get(_BREAKER_OPENED_KEY):
        return 0.0
    interval = settings.OUTBOX_BREAKER_PROBE_SECONDS
    now = time.time()
    last_probe = cache.get(_BREAKER_LAST_PROBE_KEY) or 0.0
    next_probe = max(last_probe + interval, (now // interval + 1) * interval)
    if now - last_probe >= interval and cache.add(
        f"gett:breaker:probe:{int(now // interval)}", 1, timeout=int(interval) * 2 + 1
    ):
        # This worker holds the probe for the interval: the one call to Gett in it.
        cache.set(_BREAKER_LAST_PROBE_KEY, now, timeout=_breaker_ttl())
        return 0.0
    return next_probe - now + random.uniform(0, 1)


def _breaker_note_failure(exc: GettError) -> None:
    # Gett being down (5xx, network) opens the breaker. A 429 is Gett up and counting: the
    # write pacing handles it. A refusal (4xx) says nothing about availability.
    if not exc.retryable or exc.status == 429:
        return
    cache.add(_BREAKER_FAILURES_KEY, 0, timeout=_breaker_ttl())
    try:
        failures = cache.incr(_BREAKER_FAILURES_KEY)
    except ValueError:  # evicted between add and incr
        cache.set(_BREAKER_FAILURES_KEY, 1, timeout=_breaker_ttl())
        failures = 1
    if failures >= settings.OUTBOX_BREAKER_THRESHOLD and cache.add(
        _BREAKER_OPENED_KEY, time.time(), timeout=_breaker_ttl()
    ):
        # The failure that opened it counts as the first probe of the interval.
        cache.set(_BREAKER_LAST_PROBE_KEY, time.time(), timeout=_breaker_ttl())
        logger.warning("Gett unavailable: circuit breaker open after %s failures", failures)


def _breaker_close() -> None:
    if cache.get(_BREAKER_OPENED_KEY):
        logger.warning("Gett available again: circuit breaker closed")
    cache.delete_many([_BREAKER_OPENED_KEY, _BREAKER_FAILURES_KEY, _BREAKER_LAST_PROBE_KEY])


def _breaker_ttl() -> int:
    return int(settings.OUTBOX_RETRY_BUDGET_SECONDS) + 3600


# --- reading ----------------------------------------------------------------------------------


def kind_label(kind: str) -> str:
    return KINDS[kind].label if kind in KINDS else kind


# How bad a message's state is for the headline: the worst current state wins, so a failed or
# retrying change is never hidden behind a newer "Delivered" of another kind.
_SEVERITY: dict[str, int] = {
    State.DELIVERED: 0,
    State.HELD: 1,
    State.PENDING: 2,
    State.SENDING: 2,
    State.FAILED: 4,
}


def _severity(message: OutboundMessage) -> int:
    return 3 if message.is_retrying else _SEVERITY.get(message.state, 0)


@dataclass(frozen=True)
class SyncSummary:
    """Where one key's messages stand: the newest message of each kind (its lanes)."""

    current: list[OutboundMessage]

    @property
    def headline(self) -> OutboundMessage | None:
        """The worst current message (the newest among equally bad ones)."""
        return max(self.current, key=lambda m: (_severity(m), m.pk), default=None)

    @property
    def status(self) -> OutboundMessage | None:
        return next((m for m in self.current if m.kind == "store.status"), None)

    @property
    def failed(self) -> list[OutboundMessage]:
        return [m for m in self.current if m.state == State.FAILED]

    @property
    def in_flight(self) -> bool:
        return any(m.state in (State.PENDING, State.SENDING) for m in self.current)


def sync_summaries(keys: list[str]) -> dict[str, SyncSummary]:
    """A `SyncSummary` per key, in two queries whatever the number of keys."""
    from django.db.models import Max

    last_ids = (
        OutboundMessage.objects.filter(key__in=keys)
        .exclude(state=State.SUPERSEDED)
        .values("key", "kind")
        .annotate(last_id=Max("id"))
        .values_list("last_id", flat=True)
    )
    current: dict[str, list[OutboundMessage]] = {key: [] for key in keys}
    for message in OutboundMessage.objects.filter(id__in=list(last_ids)).order_by("-id"):
        current[message.key].append(message)
    return {key: SyncSummary(current=messages) for key, messages in current.items()}


def recent_changes(key: str, *, limit: int = 6) -> list[tuple[OutboundMessage, int]]:
    """The key's recent messages, one row per change: consecutive messages of the same kind,
    state and payload (the same change sent again) are collapsed into one, with their count."""
    rows: list[tuple[OutboundMessage, int]] = []
    for message in OutboundMessage.objects.filter(key=key).exclude(state=State.SUPERSEDED)[
        : limit * 5
    ]:
        if rows:
            last, repeats = rows[-1]
            same = (last.kind, last.state, last.payload) == (
                message.kind,
                message.state,
                message.payload,
            )
            if same:
                rows[-1] = (last, repeats + 1)
                continue
        if len(rows) == limit:
            break
        rows.append((message, 1))
    return rows
