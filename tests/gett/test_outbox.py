"""The outbox: on-commit enqueue, claims, order per key, coalescing, backoff, dead letters,
pacing and the sweep.

HTTP is faked at the wire with `responses`, so the real Gett client runs. Celery is not: the
delivery task's `apply_async` is replaced by a recorder, and tasks are called as functions.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import responses
from celery.exceptions import Retry
from django.core.cache import cache
from django.db import transaction
from responses import matchers

from gett import outbox
from gett.errors import GettError
from gett.models import OutboundMessage
from gett.outbox import RetryLater
from gett.tasks import outbox_deliver_task, outbox_sweep_task

pytestmark = pytest.mark.django_db

State = OutboundMessage.State

BASE = "https://gett.test"
PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"
STORE_ID = "bb2f4c7e-8a1d-4e3b-9f6c-5d0a7e2b1c94"
OTHER_STORE_ID = "0c5e2f1a-3b4d-4e6f-8a9b-1c2d3e4f5a6b"
ORDER_ID = "9d3e7a52-1c4b-4f0e-8b6a-2e71c5d0f8a3"
PARTNER_STORE_ID = "5f0b7c3e-2d1a-4e9b-8c7d-6a5b4c3d2e1f"

# 15 s into a minute, so the write-pacing window has 45 s left.
NOW = datetime(2026, 6, 1, 12, 0, 15, tzinfo=UTC)

STORE_KEY = f"store:{PARTNER_STORE_ID}"
ORDER_KEY = "order:7f3c2a10-0000-4000-8000-000000000001"

STATUS_URL = f"{BASE}/v1/commerce/stores/{STORE_ID}/status"
ORDER_STATUS_URL = f"{BASE}/v1/commerce/orders/{ORDER_ID}/status"


def load(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text())


def problem(status: int, error_code: str, **extra) -> dict:
    return {
        "type": f"https://developer.gett-tech.com/errors/{error_code}",
        "title": "Problem",
        "status": status,
        "detail": f"{error_code} detail",
        "requestId": f"req_{status}",
        "errorCode": error_code,
        **extra,
    }


@dataclass(frozen=True)
class Scheduled:
    message_id: int
    countdown: float | None


@pytest.fixture(autouse=True)
def scheduled(monkeypatch):
    """Delivery tasks handed to Celery, recorded instead of published."""
    calls: list[Scheduled] = []

    def apply_async(args=None, kwargs=None, **options):
        calls.append(Scheduled(message_id=args[0], countdown=options.get("countdown")))

    monkeypatch.setattr(outbox_deliver_task, "apply_async", apply_async)
    return calls


@pytest.fixture(autouse=True)
def _empty_cache():
    # The write budget and the rate-limit pause live in the cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def wire():
    with responses.RequestsMock() as rsps:
        yield rsps


def store_status(payload=None, *, key=STORE_KEY, target_id=STORE_ID) -> OutboundMessage:
    return outbox.enqueue(
        kind="store.status",
        key=key,
        target_id=target_id,
        payload=payload or {"status": "paused", "reason": "too_busy"},
    )


def order_status(status: str, *, key=ORDER_KEY, target_id=ORDER_ID) -> OutboundMessage:
    return outbox.enqueue(
        kind="order.status", key=key, target_id=target_id, payload={"status": status}
    )


def sent_bodies(wire) -> list[dict]:
    return [json.loads(call.request.body) for call in wire.calls]


def reload(message: OutboundMessage) -> OutboundMessage:
    message.refresh_from_db()
    return message


# --- enqueueing -------------------------------------------------------------------------------


def test_enqueue_in_a_rolled_back_transaction_leaves_no_row_and_schedules_nothing(
    django_capture_on_commit_callbacks, scheduled
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                store_status()
                raise RuntimeError("the change that caused it failed")

    assert not OutboundMessage.objects.exists()
    assert callbacks == []
    assert scheduled == []


def test_enqueue_schedules_delivery_only_on_commit(django_capture_on_commit_callbacks, scheduled):
    with django_capture_on_commit_callbacks() as callbacks:
        message = store_status()
        assert scheduled == []

    assert message.state == State.PENDING
    assert scheduled == []  # not committed yet
    assert len(callbacks) == 1

    callbacks[0]()

    assert scheduled == [Scheduled(message.pk, None)]


def test_enqueue_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown outbox kind"):
        outbox.enqueue(kind="store.delete", key=STORE_KEY, target_id=STORE_ID, payload={})

    assert not OutboundMessage.objects.exists()


def test_a_message_without_target_id_is_held_and_not_scheduled(
    django_capture_on_commit_callbacks, scheduled
):
    with django_capture_on_commit_callbacks(execute=True):
        message = store_status(target_id="")

    assert message.state == State.HELD
    assert message.target_id == ""
    assert scheduled == []


def test_release_makes_held_messages_pending_fills_the_id_and_schedules_each_lane(
    django_capture_on_commit_callbacks, scheduled
):
    status = store_status(target_id="")
    details = outbox.enqueue(kind="store.update", key=STORE_KEY, payload={"name": "Pizza"})
    other = store_status(key="store:other", target_id="")

    with django_capture_on_commit_callbacks(execute=True):
        released = outbox.release(key=STORE_KEY, target_id=STORE_ID)

    assert released == 2
    for message in (reload(status), reload(details)):
        assert message.state == State.PENDING
        assert message.target_id == STORE_ID
    # Status and details are separate lanes: neither waits for the other.
    assert scheduled == [Scheduled(status.pk, None), Scheduled(details.pk, None)]
    assert reload(other).state == State.HELD


@pytest.mark.parametrize("kind", ["catalog.notify", "order.status"])
def test_only_messages_that_need_the_gett_store_id_may_be_held(kind):
    with pytest.raises(ValueError, match="needs a target id"):
        outbox.enqueue(kind=kind, key=STORE_KEY, target_id="", payload={"callbackUrl": "x"})

    assert not OutboundMessage.objects.exists()


def test_held_messages_are_not_delivered(wire):
    message = store_status(target_id="")

    assert outbox.deliver(message_id=message.pk).state == State.HELD
    assert len(wire.calls) == 0


# --- delivering -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "target_id", "payload", "method", "url", "body", "params"),
    [
        pytest.param(
            "store.status",
            STORE_ID,
            load("store-status.pause.request.json"),
            "POST",
            f"{BASE}/v1/commerce/stores/{STORE_ID}/status",
            load("store-status.pause.request.json"),
            {},
            id="store.status",
        ),
        pytest.param(
            "store.update",
            STORE_ID,
            {"name": "Pizza Place", "phone": "+44 20 7946 0000", "deliveryAllowed": True},
            "PUT",
            f"{BASE}/v1/commerce/stores/{STORE_ID}",
            {"name": "Pizza Place", "phone": "+44 20 7946 0000", "deliveryAllowed": True},
            {},
            id="store.update",
        ),
        pytest.param(
            "catalog.notify",
            PARTNER_STORE_ID,
            load("catalogset-notification.request.json"),
            "POST",
            f"{BASE}/v1/commerce/catalogset-notification",
            load("catalogset-notification.request.json"),
            {"storeId": PARTNER_STORE_ID},
            id="catalog.notify",
        ),
        pytest.param(
            "order.status",
            ORDER_ID,
            load("order-status-update.confirmed.json"),
            "POST",
            f"{BASE}/v1/commerce/orders/{ORDER_ID}/status",
            load("order-status-update.confirmed.json"),
            {},
            id="order.status",
        ),
    ],
)
def test_deliver_sends_the_call_for_its_kind_and_marks_it_delivered(
    wire, now, kind, target_id, payload, method, url, body, params
):
    wire.add(
        method,
        url,
        json={"requestId": "req_ok"},
        match=[matchers.json_params_matcher(body), matchers.query_param_matcher(params)],
    )
    message = outbox.enqueue(kind=kind, key="key-1", target_id=target_id, payload=payload)

    delivered = outbox.deliver(message_id=message.pk)

    assert len(wire.calls) == 1
    assert wire.calls[0].request.headers["Authorization"] == "Bearer test-key"
    assert delivered.state == State.DELIVERED
    assert delivered.delivered_at == now
    assert delivered.attempts == 1
    assert delivered.last_attempt_at == now
    assert delivered.claimed_at is None


def test_deliver_keeps_gett_s_reply(wire, now):
    wire.post(STATUS_URL, json={"status": "paused", "requestId": "req_ok"})
    message = store_status()

    assert outbox.deliver(message_id=message.pk).response == {
        "status": "paused",
        "requestId": "req_ok",
    }


def test_deliver_twice_sends_once(wire, now):
    wire.post(STATUS_URL, status=204)
    message = store_status()

    outbox.deliver(message_id=message.pk)
    again = outbox.deliver(message_id=message.pk)

    assert len(wire.calls) == 1
    assert again.state == State.DELIVERED
    assert again.attempts == 1


def test_deliver_leaves_a_message_another_worker_is_sending_alone(wire, now):
    message = store_status()
    OutboundMessage.objects.filter(pk=message.pk).update(state=State.SENDING, claimed_at=now)

    assert outbox.deliver(message_id=message.pk).state == State.SENDING
    assert len(wire.calls) == 0


def test_deliver_of_a_message_that_no_longer_exists_does_nothing(wire):
    assert outbox.deliver(message_id=987654) is None
    assert len(wire.calls) == 0


def test_deliver_waits_for_a_message_that_is_backing_off(wire, now, time_machine):
    wire.post(STATUS_URL, status=500, json=problem(500, "INTERNAL_ERROR"))
    message = store_status()
    with pytest.raises(RetryLater):
        outbox.deliver(message_id=message.pk)
    due = reload(message).next_attempt_at

    # A duplicate task arrives early: it is told to come back when the message is due.
    with pytest.raises(RetryLater) as early:
        outbox.deliver(message_id=message.pk)

    assert len(wire.calls) == 1
    assert early.value.countdown == pytest.approx((due - now).total_seconds())


# --- failures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "error_code", "status", "request_id"),
    [
        pytest.param(
            {"status": 500, "json": problem(500, "INTERNAL_ERROR")},
            "INTERNAL_ERROR",
            500,
            "req_500",
            id="500",
        ),
        pytest.param(
            {"status": 503, "json": problem(503, "SERVICE_UNAVAILABLE")},
            "SERVICE_UNAVAILABLE",
            503,
            "req_503",
            id="503",
        ),
        pytest.param(
            {"body": requests.exceptions.ReadTimeout("read timed out")},
            "TIMEOUT",
            None,
            "",
            id="timeout",
        ),
        pytest.param(
            {"body": requests.exceptions.ConnectionError("connection refused")},
            "NETWORK_ERROR",
            None,
            "",
            id="network",
        ),
        pytest.param(
            {"status": 429, "json": load("problem-details.rate-limited.json")},
            "RATE_LIMITED",
            429,
            "req_4k2m9x",
            id="429",
        ),
    ],
)
def test_a_retryable_failure_puts_the_message_back_with_a_later_attempt(
    wire, now, reply, error_code, status, request_id
):
    wire.post(STATUS_URL, **reply)
    message = store_status()

    with pytest.raises(RetryLater) as retry:
        outbox.deliver(message_id=message.pk)

    message = reload(message)
    assert message.state == State.PENDING
    assert message.attempts == 1
    assert message.claimed_at is None
    assert retry.value.countdown > 0
    assert message.next_attempt_at == now + timedelta(seconds=retry.value.countdown)
    assert message.last_error_code == error_code
    assert message.last_status_code == status
    assert message.last_request_id == request_id
    assert error_code in message.last_error
    assert message.is_retrying


def test_a_429_is_retried_no_sooner_than_gett_asks(wire, now):
    wire.post(STATUS_URL, status=429, json=load("problem-details.rate-limited.json"))
    message = store_status()

    with pytest.raises(RetryLater) as retry:
        outbox.deliver(message_id=message.pk)

    assert retry.value.countdown >= 20  # retryAfter
    assert reload(message).next_attempt_at >= now + timedelta(seconds=20)


def test_a_non_retryable_failure_dead_letters_at_once_with_the_error_kept(wire, now, scheduled):
    errors = [{"jsonPath": "$.reason", "message": "must be one of the PauseReason values"}]
    wire.post(
        STATUS_URL,
        status=422,
        json=problem(422, "VALIDATION_FAILED", errors=errors),
        content_type="application/problem+json",
    )
    message = store_status()

    failed = outbox.deliver(message_id=message.pk)

    assert failed.state == State.FAILED
    assert failed.attempts == 1
    assert failed.can_retry
    assert failed.last_status_code == 422
    assert failed.last_error_code == "VALIDATION_FAILED"
    assert failed.last_request_id == "req_422"
    assert "$.reason must be one of the PauseReason values" in failed.last_error
    assert failed.delivered_at is None


def test_a_bug_while_sending_dead_letters_the_message_instead_of_leaving_it_sending(wire, now):
    # A catalog notification without its callbackUrl cannot be sent, however often we try.
    message = outbox.enqueue(
        kind="catalog.notify", key=STORE_KEY, target_id="partner-store-1", payload={}
    )

    failed = outbox.deliver(message_id=message.pk)

    assert failed.state == State.FAILED
    assert failed.last_error_code == "PORTAL_ERROR"
    assert "KeyError" in failed.last_error
    assert len(wire.calls) == 0


def test_a_retryable_failure_is_dead_lettered_only_once_the_time_budget_is_spent(
    wire, now, time_machine, settings
):
    settings.OUTBOX_RETRY_BUDGET_SECONDS = 3600
    wire.post(STATUS_URL, status=500, json=problem(500, "INTERNAL_ERROR"))
    message = store_status()

    # Far more attempts than the old count limit: the clock decides, not the count.
    for attempt in range(1, 21):
        with pytest.raises(RetryLater):
            outbox.deliver(message_id=message.pk)
        assert reload(message).state == State.PENDING
        assert message.attempts == attempt
        assert message.first_failed_at == now
        time_machine.shift(timedelta(minutes=2))

    time_machine.move_to(now + timedelta(seconds=3600), tick=False)
    failed = outbox.deliver(message_id=message.pk)

    assert failed.state == State.FAILED
    assert failed.attempts == 21
    assert failed.last_error_code == "INTERNAL_ERROR"
    assert len(wire.calls) == 21
    # Dead means dead: a stray task does not try again.
    time_machine.shift(timedelta(hours=1))
    assert outbox.deliver(message_id=message.pk).state == State.FAILED
    assert len(wire.calls) == 21


def test_a_long_rate_limit_spell_does_not_dead_letter_a_message(wire, now, time_machine):
    wire.post(STATUS_URL, status=429, json=problem(429, "RATE_LIMITED", retryAfter=30))
    message = store_status()

    for _ in range(40):  # 40 refusals over 20 minutes
        with pytest.raises(RetryLater) as retry:
            outbox.deliver(message_id=message.pk)
        assert 30 <= retry.value.countdown <= 31
        time_machine.move_to(reload(message).next_attempt_at, tick=False)

    assert message.state == State.PENDING
    assert message.attempts == 40
    wire.replace(responses.POST, STATUS_URL, status=204)
    assert outbox.deliver(message_id=message.pk).state == State.DELIVERED
    assert reload(message).first_failed_at is None


def test_the_retry_budget_counts_from_the_first_failure_not_from_the_change(
    wire, now, time_machine, settings
):
    settings.OUTBOX_RETRY_BUDGET_SECONDS = 600
    wire.post(STATUS_URL, status=503, json=problem(503, "SERVICE_UNAVAILABLE"))
    message = store_status()
    time_machine.shift(timedelta(hours=2))  # it waited its turn for two hours

    with pytest.raises(RetryLater):
        outbox.deliver(message_id=message.pk)

    assert reload(message).state == State.PENDING


def test_a_non_retryable_failure_keeps_gett_s_detail_and_errors_on_the_row(wire, now):
    errors = [
        {"code": "INVALID", "jsonPath": "$.description", "message": "too long"},
        {"code": "INVALID", "jsonPath": "$.phone", "message": "not a phone number"},
    ]
    wire.put(
        f"{BASE}/v1/commerce/stores/{STORE_ID}",
        status=422,
        json=problem(422, "VALIDATION_FAILED", detail="The store is invalid.", errors=errors),
        content_type="application/problem+json",
    )
    message = outbox.enqueue(
        kind="store.update", key=STORE_KEY, target_id=STORE_ID, payload={"name": "A"}
    )

    failed = outbox.deliver(message_id=message.pk)

    assert failed.state == State.FAILED
    assert failed.last_error_detail == "The store is invalid."
    assert failed.last_errors == errors
    assert failed.error_lines == ["$.description: too long", "$.phone: not a phone number"]


def test_retry_clears_the_failure_clock(wire, now, time_machine):
    wire.post(STATUS_URL, status=422, json=problem(422, "VALIDATION_FAILED"))
    message = store_status()
    outbox.deliver(message_id=message.pk)
    assert reload(message).first_failed_at == now

    assert outbox.retry(message=message).first_failed_at is None


def test_retry_brings_a_failed_message_back_and_schedules_it(
    wire, now, django_capture_on_commit_callbacks, scheduled
):
    wire.post(STATUS_URL, status=422, json=problem(422, "VALIDATION_FAILED"))
    message = store_status()
    failed = outbox.deliver(message_id=message.pk)
    assert failed.state == State.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        retried = outbox.retry(message=failed)

    assert retried.state == State.PENDING
    assert retried.attempts == 0
    assert retried.next_attempt_at == now
    assert scheduled == [Scheduled(message.pk, None)]

    wire.replace(responses.POST, STATUS_URL, status=204)
    assert outbox.deliver(message_id=message.pk).state == State.DELIVERED


def test_retry_leaves_a_message_that_has_not_failed_alone(
    django_capture_on_commit_callbacks, scheduled
):
    message = store_status()

    with django_capture_on_commit_callbacks(execute=True):
        outbox.retry(message=message)

    assert reload(message).state == State.PENDING
    assert scheduled == []


def test_a_later_success_supersedes_older_failures_of_the_same_coalescing_kind(wire, now):
    wire.post(STATUS_URL, status=422, json=problem(422, "VALIDATION_FAILED"))
    old_status = store_status({"status": "paused", "reason": "nope"})
    outbox.deliver(message_id=old_status.pk)
    wire.put(f"{BASE}/v1/commerce/stores/{STORE_ID}", status=422, json=problem(422, "X"))
    old_details = outbox.enqueue(
        kind="store.update", key=STORE_KEY, target_id=STORE_ID, payload={"name": ""}
    )
    outbox.deliver(message_id=old_details.pk)
    assert reload(old_status).state == State.FAILED
    assert reload(old_details).state == State.FAILED

    wire.replace(responses.POST, STATUS_URL, status=204)
    new_status = store_status({"status": "online"})
    outbox.deliver(message_id=new_status.pk)

    assert reload(new_status).state == State.DELIVERED
    assert reload(old_status).state == State.SUPERSEDED
    assert reload(old_details).state == State.FAILED  # another kind: still needs a person


def test_a_dead_lettered_order_status_holds_back_the_later_ones_until_retried(wire, now):
    wire.post(ORDER_STATUS_URL, status=422, json=problem(422, "INVALID_TRANSITION"))
    confirmed = order_status("confirmed")
    outbox.deliver(message_id=confirmed.pk)
    completed = order_status("completed")

    outbox.deliver(message_id=completed.pk)

    assert reload(confirmed).state == State.FAILED
    assert reload(completed).state == State.PENDING  # never "completed" before "confirmed"
    assert len(wire.calls) == 1

    wire.replace(responses.POST, ORDER_STATUS_URL, status=204)
    outbox.retry(message=reload(confirmed))
    outbox.deliver(message_id=confirmed.pk)
    outbox.deliver(message_id=completed.pk)

    assert reload(confirmed).state == State.DELIVERED
    assert reload(completed).state == State.DELIVERED
    sent = [json.loads(call.request.body) for call in wire.calls[1:]]
    assert sent == [{"status": "confirmed"}, {"status": "completed"}]


def test_an_order_status_gett_already_has_counts_as_delivered(wire, now):
    wire.post(ORDER_STATUS_URL, status=409, json=problem(409, "CONFLICT"))
    completed = order_status("completed")

    outbox.deliver(message_id=completed.pk)

    assert reload(completed).state == State.DELIVERED
    assert reload(completed).response["alreadyApplied"] is True


# --- backoff ----------------------------------------------------------------------------------


@pytest.fixture
def backoff_settings(settings):
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 2.0
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 600.0
    return settings


@pytest.mark.parametrize(
    ("attempts", "ceiling"),
    [(0, 2), (1, 2), (2, 4), (3, 8), (4, 16), (5, 32), (8, 256), (9, 512), (10, 600), (40, 600)],
)
def test_backoff_stays_between_half_the_ceiling_and_the_ceiling(
    backoff_settings, attempts, ceiling
):
    message = OutboundMessage(attempts=attempts)

    delays = [outbox.backoff(message) for _ in range(200)]

    assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
    assert len(set(delays)) > 1  # jittered


def test_backoff_grows_exponentially_until_the_cap(backoff_settings, monkeypatch):
    monkeypatch.setattr(outbox.random, "uniform", lambda low, high: high)  # no jitter

    delays = [outbox.backoff(OutboundMessage(attempts=n)) for n in range(1, 13)]

    assert delays == [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600, 600]


def test_backoff_is_capped_by_the_setting(settings):
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 5.0
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 30.0

    assert all(outbox.backoff(OutboundMessage(attempts=20)) <= 30 for _ in range(100))


def test_backoff_honours_retry_after(backoff_settings):
    slow_down = GettError("slow down", status=429, retryable=True, retry_after=120)

    assert 120 <= outbox.backoff(OutboundMessage(attempts=1), slow_down) <= 121
    # Gett's word wins over our schedule, in both directions (plus a second of jitter).
    soon = GettError("soon", status=503, retryable=True, retry_after=1)
    assert 1 <= outbox.backoff(OutboundMessage(attempts=6), soon) <= 2


def test_backoff_follows_gett_s_schedule_by_default(monkeypatch):
    monkeypatch.setattr(outbox.random, "uniform", lambda low, high: high)  # no jitter

    delays = [outbox.backoff(OutboundMessage(attempts=n)) for n in range(1, 9)]

    assert delays == [1, 2, 4, 8, 16, 30, 30, 30]


# --- ordering per key -------------------------------------------------------------------------


def test_a_message_waits_for_the_older_one_with_its_key(
    wire, now, django_capture_on_commit_callbacks, scheduled
):
    wire.post(ORDER_STATUS_URL, status=204)
    confirmed = order_status("confirmed")
    ready = order_status("ready_for_pickup")

    waiting = outbox.deliver(message_id=ready.pk)  # its task happened to run first

    assert waiting.state == State.PENDING
    assert waiting.attempts == 0
    assert len(wire.calls) == 0

    with django_capture_on_commit_callbacks(execute=True):
        outbox.deliver(message_id=confirmed.pk)

    assert scheduled == [Scheduled(ready.pk, None)]  # the first kicks the next one

    outbox.deliver(message_id=ready.pk)

    assert reload(ready).state == State.DELIVERED
    assert sent_bodies(wire) == [{"status": "confirmed"}, {"status": "ready_for_pickup"}]


def test_a_message_that_is_backing_off_holds_back_the_next_one(wire, now):
    wire.post(ORDER_STATUS_URL, status=503, json=problem(503, "SERVICE_UNAVAILABLE"))
    confirmed = order_status("confirmed")
    completed = order_status("completed")
    with pytest.raises(RetryLater):
        outbox.deliver(message_id=confirmed.pk)

    assert outbox.deliver(message_id=completed.pk).state == State.PENDING
    assert len(wire.calls) == 1


def test_a_dead_lettered_store_status_lets_the_next_one_with_its_key_go(
    wire, now, django_capture_on_commit_callbacks, scheduled
):
    wire.post(STATUS_URL, status=422, json=problem(422, "VALIDATION_FAILED"))
    paused = store_status()
    with django_capture_on_commit_callbacks(execute=True):
        outbox.deliver(message_id=paused.pk)
    wire.replace(responses.POST, STATUS_URL, status=204)
    with django_capture_on_commit_callbacks(execute=True):
        resumed = store_status({"status": "open"})
    scheduled.clear()

    assert reload(paused).state == State.FAILED
    assert outbox.deliver(message_id=resumed.pk).state == State.DELIVERED


def test_messages_with_different_keys_do_not_wait_for_each_other(wire, now):
    other_order_id = "11111111-2222-4333-8444-555555555555"
    wire.post(ORDER_STATUS_URL, status=503, json=problem(503, "SERVICE_UNAVAILABLE"))
    wire.post(f"{BASE}/v1/commerce/orders/{other_order_id}/status", status=204)
    stuck = order_status("confirmed")
    other = order_status("confirmed", key="order:other", target_id=other_order_id)
    with pytest.raises(RetryLater):
        outbox.deliver(message_id=stuck.pk)

    assert outbox.deliver(message_id=other.pk).state == State.DELIVERED
    assert reload(stuck).state == State.PENDING


NOTIFY_URL = f"{BASE}/v1/commerce/catalogset-notification"
DETAILS_URL = f"{BASE}/v1/commerce/stores/{STORE_ID}"


def catalog_notify(*, key=STORE_KEY) -> OutboundMessage:
    return outbox.enqueue(
        kind="catalog.notify",
        key=key,
        target_id=PARTNER_STORE_ID,
        payload={"callbackUrl": "https://partner.test/catalog/1.json"},
    )


def test_a_store_without_gett_id_gets_its_menu_notification_while_its_pause_is_held(
    wire, now, django_capture_on_commit_callbacks, scheduled
):
    wire.post(NOTIFY_URL, status=202)
    with django_capture_on_commit_callbacks(execute=True):
        paused = store_status(target_id="")
        notify = catalog_notify()

    assert scheduled == [Scheduled(notify.pk, None)]
    assert outbox.deliver(message_id=notify.pk).state == State.DELIVERED
    assert wire.calls[0].request.params == {"storeId": PARTNER_STORE_ID}
    assert reload(paused).state == State.HELD
    assert outbox.deliver(message_id=paused.pk).state == State.HELD
    assert len(wire.calls) == 1


def test_store_status_details_and_menu_notifications_do_not_wait_for_each_other(
    wire, now, django_capture_on_commit_callbacks, scheduled
):
    wire.put(DETAILS_URL, status=500, json=problem(500, "INTERNAL_ERROR"))
    wire.post(STATUS_URL, status=204)
    wire.post(NOTIFY_URL, status=202)
    details = outbox.enqueue(
        kind="store.update", key=STORE_KEY, target_id=STORE_ID, payload={"name": "A"}
    )
    with pytest.raises(RetryLater):
        outbox.deliver(message_id=details.pk)
    paused = store_status()
    notify = catalog_notify()

    assert outbox.deliver(message_id=paused.pk).state == State.DELIVERED
    assert outbox.deliver(message_id=notify.pk).state == State.DELIVERED
    assert reload(details).is_retrying


def test_a_store_s_status_changes_stay_in_order_among_themselves(wire, now):
    paused = store_status()
    OutboundMessage.objects.filter(pk=paused.pk).update(state=State.SENDING, claimed_at=now)
    resumed = store_status({"status": "online"})  # the one in flight is not coalesced away

    assert outbox.deliver(message_id=resumed.pk).state == State.PENDING
    assert len(wire.calls) == 0


def test_a_failed_details_update_does_not_hold_back_the_next_status_change(
    wire, now, django_capture_on_commit_callbacks, scheduled
):
    wire.put(DETAILS_URL, status=422, json=problem(422, "VALIDATION_FAILED"))
    wire.post(STATUS_URL, status=204)
    details = outbox.enqueue(
        kind="store.update", key=STORE_KEY, target_id=STORE_ID, payload={"name": "A"}
    )
    paused = store_status()
    with django_capture_on_commit_callbacks(execute=True):
        outbox.deliver(message_id=details.pk)

    assert reload(details).state == State.FAILED
    assert outbox.deliver(message_id=paused.pk).state == State.DELIVERED


# --- coalescing -------------------------------------------------------------------------------


def test_store_status_changes_in_quick_succession_go_out_once_with_the_latest(
    wire, now, django_capture_on_commit_callbacks, scheduled
):
    wire.post(STATUS_URL, status=204)
    with django_capture_on_commit_callbacks(execute=True):
        first = store_status({"status": "paused", "reason": "too_busy"})
    with django_capture_on_commit_callbacks(execute=True):
        second = store_status({"status": "online"})
    with django_capture_on_commit_callbacks(execute=True):
        third = store_status({"status": "paused", "reason": "staff_shortage"})

    assert [reload(m).state for m in (first, second, third)] == [
        State.SUPERSEDED,
        State.SUPERSEDED,
        State.PENDING,
    ]

    for call in list(scheduled):  # every task runs, in whatever order the worker takes them
        outbox.deliver(message_id=call.message_id)

    assert sent_bodies(wire) == [{"status": "paused", "reason": "staff_shortage"}]
    assert reload(third).state == State.DELIVERED
    assert reload(first).state == State.SUPERSEDED


def test_coalescing_only_replaces_messages_of_the_same_kind_and_key():
    status = store_status()
    details = outbox.enqueue(
        kind="store.update", key=STORE_KEY, target_id=STORE_ID, payload={"name": "A"}
    )
    other_store = store_status(key="store:other", target_id=OTHER_STORE_ID)

    store_status({"status": "online"})

    assert reload(status).state == State.SUPERSEDED
    assert reload(details).state == State.PENDING
    assert reload(other_store).state == State.PENDING


def test_coalescing_replaces_held_messages_too():
    first = store_status(target_id="")
    second = store_status({"status": "online"}, target_id="")

    assert reload(first).state == State.SUPERSEDED
    assert reload(second).state == State.HELD


def test_coalescing_does_not_touch_a_message_that_is_being_sent(now):
    sending = store_status()
    OutboundMessage.objects.filter(pk=sending.pk).update(state=State.SENDING, claimed_at=now)

    store_status({"status": "online"})

    assert reload(sending).state == State.SENDING


def test_order_status_messages_are_never_coalesced(wire, now):
    wire.post(ORDER_STATUS_URL, status=204)
    messages = [order_status(s) for s in ("confirmed", "ready_for_pickup", "completed")]

    assert all(reload(m).state == State.PENDING for m in messages)

    for message in messages:
        outbox.deliver(message_id=message.pk)

    assert sent_bodies(wire) == [
        {"status": "confirmed"},
        {"status": "ready_for_pickup"},
        {"status": "completed"},
    ]


# --- sweep ------------------------------------------------------------------------------------


def test_sweep_re_enqueues_a_pending_message_whose_task_was_lost(now, time_machine, scheduled):
    message = store_status()  # its on-commit task never reached the broker
    time_machine.shift(timedelta(seconds=61))

    assert outbox.sweep() == 1
    assert scheduled == [Scheduled(message.pk, None)]


def test_sweep_leaves_a_fresh_pending_message_alone(now, time_machine, scheduled):
    store_status()
    time_machine.shift(timedelta(seconds=30))

    assert outbox.sweep() == 0
    assert scheduled == []


def test_sweep_leaves_a_message_that_is_backing_off_alone_until_it_is_overdue(
    wire, now, time_machine, scheduled
):
    wire.post(STATUS_URL, status=429, json=problem(429, "RATE_LIMITED", retryAfter=300))
    message = store_status()
    with pytest.raises(RetryLater):
        outbox.deliver(message_id=message.pk)

    time_machine.shift(timedelta(seconds=300))
    assert outbox.sweep() == 0

    time_machine.shift(timedelta(seconds=65))
    assert outbox.sweep() == 1
    assert scheduled == [Scheduled(message.pk, None)]


def test_sweep_leaves_held_failed_and_delivered_messages_alone(now, time_machine, scheduled):
    store_status(target_id="")
    failed = order_status("confirmed")
    delivered = order_status("confirmed", key="order:2")
    OutboundMessage.objects.filter(pk=failed.pk).update(state=State.FAILED)
    OutboundMessage.objects.filter(pk=delivered.pk).update(state=State.DELIVERED)
    time_machine.shift(timedelta(hours=1))

    assert outbox.sweep() == 0
    assert scheduled == []


def test_sweep_recovers_a_message_whose_worker_died_mid_send(
    wire, now, time_machine, settings, scheduled
):
    wire.post(STATUS_URL, status=204)
    message = store_status()
    # A worker claimed it and was killed before it could record the outcome.
    OutboundMessage.objects.filter(pk=message.pk).update(
        state=State.SENDING, claimed_at=now, last_attempt_at=now, attempts=1
    )
    time_machine.shift(timedelta(seconds=settings.OUTBOX_DELIVERY_TIME_LIMIT * 2 + 1))

    outbox.sweep()

    message = reload(message)
    assert message.state == State.PENDING
    assert message.claimed_at is None
    assert scheduled == [Scheduled(message.pk, None)]

    assert outbox.deliver(message_id=message.pk).state == State.DELIVERED
    assert message.attempts == 1
    assert reload(message).attempts == 2


def test_a_killed_worker_holds_a_status_back_about_a_minute_not_the_longest_tasks_limit(
    now, time_machine, settings, scheduled
):
    """The delivery task has its own time limit, bounded by one call to Gett, so a claim goes
    stale after twice that, not after twice the limit of the slowest task (a menu publish)."""
    assert settings.OUTBOX_DELIVERY_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    assert settings.OUTBOX_DELIVERY_TIME_LIMIT * 2 <= 60
    message = store_status()
    OutboundMessage.objects.filter(pk=message.pk).update(state=State.SENDING, claimed_at=now)

    time_machine.shift(timedelta(seconds=settings.OUTBOX_DELIVERY_TIME_LIMIT * 2 - 1))
    assert outbox.sweep() == 0
    time_machine.shift(timedelta(seconds=2))
    assert outbox.sweep() == 1
    assert scheduled == [Scheduled(message.pk, None)]


def test_the_delivery_task_is_killed_before_its_claim_goes_stale(settings):
    from gett.tasks import outbox_deliver_task

    one_call = settings.GETT_CONNECT_TIMEOUT + settings.GETT_READ_TIMEOUT
    assert outbox_deliver_task.time_limit == settings.OUTBOX_DELIVERY_TIME_LIMIT
    assert one_call < outbox_deliver_task.soft_time_limit <= outbox_deliver_task.time_limit


def test_sweep_re_enqueues_at_most_its_limit_per_run(now, time_machine, settings, scheduled):
    dead_worker = store_status()
    lost = order_status("confirmed")
    OutboundMessage.objects.filter(pk=dead_worker.pk).update(state=State.SENDING, claimed_at=now)
    stale = max(settings.OUTBOX_DELIVERY_TIME_LIMIT * 2, settings.OUTBOX_LOST_AFTER_SECONDS)
    time_machine.shift(timedelta(seconds=stale + 1))

    assert outbox.sweep(limit=1) == 1
    assert scheduled == [Scheduled(dead_worker.pk, None)]
    assert outbox.sweep(limit=1) == 1
    assert scheduled[1:] == [Scheduled(lost.pk, None)]


def test_sweep_leaves_a_message_that_is_being_sent_right_now_alone(
    now, time_machine, settings, scheduled
):
    message = store_status()
    OutboundMessage.objects.filter(pk=message.pk).update(state=State.SENDING, claimed_at=now)
    time_machine.shift(timedelta(seconds=settings.OUTBOX_DELIVERY_TIME_LIMIT * 2 - 1))

    assert outbox.sweep() == 0
    assert reload(message).state == State.SENDING
    assert scheduled == []


def test_a_lost_task_is_recovered_by_the_sweep_and_the_message_goes_out(
    wire, now, time_machine, django_capture_on_commit_callbacks, scheduled
):
    wire.post(STATUS_URL, status=204, match=[matchers.json_params_matcher({"status": "online"})])
    with django_capture_on_commit_callbacks(execute=False):
        message = store_status({"status": "online"})  # committed, but Redis restarted
    assert scheduled == []

    time_machine.shift(timedelta(minutes=2))
    assert outbox_sweep_task() == 1

    for call in scheduled:
        outbox_deliver_task.run(call.message_id)

    message = reload(message)
    assert message.state == State.DELIVERED
    assert message.delivered_at == now + timedelta(minutes=2)
    assert len(wire.calls) == 1

    scheduled.clear()
    time_machine.shift(timedelta(minutes=2))
    assert outbox_sweep_task() == 0


# --- pacing under Gett's write limit ----------------------------------------------------------


def test_writes_beyond_the_budget_wait_until_the_oldest_leaves_the_rolling_minute(
    wire, now, time_machine, settings
):
    settings.GETT_WRITES_PER_MINUTE = 2
    wire.post(ORDER_STATUS_URL, status=204)
    messages = [order_status("confirmed", key=f"order:{n}") for n in range(3)]

    outbox.deliver(message_id=messages[0].pk)
    outbox.deliver(message_id=messages[1].pk)
    with pytest.raises(RetryLater) as wait:
        outbox.deliver(message_id=messages[2].pk)

    assert len(wire.calls) == 2
    assert 61 <= wait.value.countdown <= 61.5  # 12:00:15 leaves the window at 12:01:16
    third = reload(messages[2])
    assert third.state == State.PENDING
    assert third.attempts == 0
    assert third.next_attempt_at == now + timedelta(seconds=wait.value.countdown)

    # A new clock minute is no new budget: three writes within 60 s would be over it.
    time_machine.move_to(datetime(2026, 6, 1, 12, 1, 5, tzinfo=UTC), tick=False)
    with pytest.raises(RetryLater):
        outbox.deliver(message_id=messages[2].pk)

    time_machine.move_to(datetime(2026, 6, 1, 12, 1, 17, tzinfo=UTC), tick=False)
    assert outbox.deliver(message_id=messages[2].pk).state == State.DELIVERED
    assert len(wire.calls) == 3


def test_gett_saying_the_budget_is_spent_pauses_writes_until_its_reset(wire, now, time_machine):
    reset_at = int(now.timestamp()) + 30
    wire.post(
        ORDER_STATUS_URL,
        status=204,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset_at)},
    )
    first = order_status("confirmed", key="order:1")
    second = order_status("confirmed", key="order:2")

    outbox.deliver(message_id=first.pk)
    with pytest.raises(RetryLater) as wait:
        outbox.deliver(message_id=second.pk)

    assert len(wire.calls) == 1
    assert 30 <= wait.value.countdown <= 31
    assert reload(second).attempts == 0

    time_machine.shift(timedelta(seconds=32))

    assert outbox.deliver(message_id=second.pk).state == State.DELIVERED


def test_a_429_with_a_reset_pauses_every_write_not_just_its_own(wire, now):
    reset_at = int(now.timestamp()) + 40
    wire.post(
        ORDER_STATUS_URL,
        status=429,
        json=load("problem-details.rate-limited.json"),
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset_at)},
    )
    limited = order_status("confirmed", key="order:1")
    other = order_status("confirmed", key="order:2")
    with pytest.raises(RetryLater):
        outbox.deliver(message_id=limited.pk)

    with pytest.raises(RetryLater) as wait:
        outbox.deliver(message_id=other.pk)

    assert len(wire.calls) == 1
    assert 40 <= wait.value.countdown <= 41


# --- reading ----------------------------------------------------------------------------------


def make(key: str, state: str, kind: str = "store.status") -> OutboundMessage:
    return OutboundMessage.objects.create(kind=kind, key=key, target_id=STORE_ID, state=state)


def test_a_sync_summary_keeps_the_newest_message_of_each_kind_and_heads_with_the_worst(
    now, django_assert_num_queries
):
    make("store:a", State.DELIVERED)
    failed = make("store:a", State.FAILED)
    make("store:a", State.SUPERSEDED)
    details = make("store:a", State.DELIVERED, kind="store.update")
    make("store:b", State.PENDING)

    with django_assert_num_queries(2):
        summary = outbox.sync_summaries(["store:a"])["store:a"]

    assert summary.current == [details, failed]
    assert summary.headline == failed  # not the newer delivery of another kind
    assert summary.failed == [failed]
    assert outbox.sync_summaries(["store:nothing"])["store:nothing"].headline is None


def test_sync_summaries_take_two_queries_whatever_the_number_of_keys(
    now, django_assert_num_queries
):
    keys = [f"store:{n}" for n in range(10)]
    expected = {}
    for key in keys:
        make(key, State.DELIVERED)
        expected[key] = make(key, State.PENDING, kind="store.update")
        make(key, State.SUPERSEDED)
    only_superseded = make("store:gone", State.SUPERSEDED)

    with django_assert_num_queries(2):
        summaries = outbox.sync_summaries([*keys, only_superseded.key, "store:unknown"])

    assert {key: summaries[key].headline for key in keys} == expected
    assert summaries["store:gone"].headline is None
    assert summaries["store:unknown"].headline is None


def test_sync_summaries_of_nothing_are_empty(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert outbox.sync_summaries([]) == {}


# --- circuit breaker -------------------------------------------------------------------------


def open_breaker(wire, settings, *, failures=3):
    """Gett answers 503 to `failures` different messages in a row."""
    settings.OUTBOX_BREAKER_THRESHOLD = failures
    for n in range(failures):
        message = order_status("confirmed", key=f"order:broken-{n}", target_id=f"broken-{n}")
        wire.post(
            f"{BASE}/v1/commerce/orders/broken-{n}/status",
            status=503,
            json=problem(503, "SERVICE_UNAVAILABLE"),
        )
        with pytest.raises(RetryLater):
            outbox.deliver(message_id=message.pk)


def test_the_breaker_opens_after_consecutive_retryable_failures(wire, now, settings):
    settings.OUTBOX_BREAKER_THRESHOLD = 3
    assert outbox.breaker_state().is_open is False

    open_breaker(wire, settings, failures=3)

    state = outbox.breaker_state()
    assert state.is_open
    assert state.since == now
    assert state.waiting == 3


def test_failures_that_are_not_consecutive_do_not_open_the_breaker(wire, now, settings):
    settings.OUTBOX_BREAKER_THRESHOLD = 2
    wire.post(STATUS_URL, status=503, json=problem(503, "SERVICE_UNAVAILABLE"))
    wire.post(ORDER_STATUS_URL, status=204)
    with pytest.raises(RetryLater):
        outbox.deliver(message_id=store_status().pk)
    outbox.deliver(message_id=order_status("confirmed").pk)
    with pytest.raises(RetryLater):
        outbox.deliver(message_id=store_status({"status": "online"}, key="store:b").pk)

    assert outbox.breaker_state().is_open is False


def test_while_open_other_deliveries_wait_without_calling_gett_or_counting_a_failure(
    wire, now, settings, time_machine
):
    settings.OUTBOX_BREAKER_PROBE_SECONDS = 15
    open_breaker(wire, settings)
    wire.post(STATUS_URL, status=503, json=problem(503, "SERVICE_UNAVAILABLE"))
    probe, other = store_status(), store_status(key="store:other", target_id=STORE_ID)
    time_machine.shift(timedelta(seconds=15))
    now = now + timedelta(seconds=15)

    with pytest.raises(RetryLater):
        outbox.deliver(message_id=probe.pk)  # the one probe of this interval
    calls = len(wire.calls)
    with pytest.raises(RetryLater) as waiting:
        outbox.deliver(message_id=other.pk)

    assert len(wire.calls) == calls
    assert reload(other).attempts == 0
    assert other.first_failed_at is None
    assert other.last_error == ""
    assert 0 < waiting.value.countdown <= 16
    assert other.next_attempt_at == now + timedelta(seconds=waiting.value.countdown)


def test_a_successful_probe_closes_the_breaker(wire, now, settings, time_machine):
    open_breaker(wire, settings)
    wire.post(STATUS_URL, status=204)
    time_machine.shift(timedelta(seconds=settings.OUTBOX_BREAKER_PROBE_SECONDS))

    assert outbox.deliver(message_id=store_status().pk).state == State.DELIVERED

    assert outbox.breaker_state().is_open is False


def test_non_retryable_failures_and_429s_do_not_open_the_breaker(wire, now, settings):
    settings.OUTBOX_BREAKER_THRESHOLD = 2
    wire.post(STATUS_URL, status=422, json=problem(422, "VALIDATION_FAILED"))
    wire.post(ORDER_STATUS_URL, status=429, json=problem(429, "RATE_LIMITED", retryAfter=1))
    outbox.deliver(message_id=store_status().pk)
    outbox.deliver(message_id=store_status(key="store:b").pk)
    with pytest.raises(RetryLater):
        outbox.deliver(message_id=order_status("confirmed").pk)
    with pytest.raises(RetryLater):
        outbox.deliver(message_id=order_status("confirmed", key="order:b").pk)

    assert outbox.breaker_state().is_open is False


def test_a_30_minute_gett_outage_dead_letters_nothing_probes_gently_and_drains_in_order(
    now, time_machine, settings, scheduled, django_capture_on_commit_callbacks
):
    """Gett answers 503 to everything for 30 minutes, then recovers. Every delivery task runs
    when Celery would run it (countdowns honoured); nothing else is faked but the wire."""
    import heapq
    import re

    settings.OUTBOX_BREAKER_THRESHOLD = 5
    settings.OUTBOX_BREAKER_PROBE_SECONDS = 15
    outage_ends = now + timedelta(minutes=30)
    calls: list[tuple[datetime, str, dict]] = []

    def gett(request):
        at = datetime.now(tz=UTC)
        calls.append((at, request.url, json.loads(request.body)))
        if at < outage_ends:
            return 503, {}, json.dumps(problem(503, "SERVICE_UNAVAILABLE"))
        return 204, {}, ""

    with responses.RequestsMock() as wire:
        wire.add_callback(responses.POST, re.compile(f"{BASE}/v1/commerce/.*"), callback=gett)
        with django_capture_on_commit_callbacks(execute=True):
            for n in range(4):
                store_status(key=f"store:{n}", target_id=f"store-{n}")
            statuses = ["confirmed", "ready_for_pickup", "completed"]
            for status in statuses:
                order_status(status)

        due: list[tuple[datetime, int, int]] = []
        seq = 0

        def take_scheduled():
            nonlocal seq
            for call in scheduled:
                seq += 1
                at = datetime.now(tz=UTC) + timedelta(seconds=call.countdown or 0)
                heapq.heappush(due, (at, seq, call.message_id))
            scheduled.clear()

        take_scheduled()
        while due:
            at, _, message_id = heapq.heappop(due)
            assert at < now + timedelta(hours=1), "the outbox did not drain"
            time_machine.move_to(at, tick=False)
            try:
                with django_capture_on_commit_callbacks(execute=True):
                    outbox.deliver(message_id=message_id)
            except RetryLater as exc:
                scheduled.append(Scheduled(message_id, exc.countdown))
            take_scheduled()

    assert not OutboundMessage.objects.filter(state=State.FAILED).exists()
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {State.DELIVERED}
    opened = outbox.breaker_state()
    assert opened.is_open is False
    # Five failures open the breaker; after that, at most one call per 15-second interval.
    during = [at for at, _, _ in calls if at < outage_ends]
    after_opening = during[5:]
    assert len(during) <= 5 + 30 * 60 // 15 + 1
    gaps = [b - a for a, b in zip(after_opening, after_opening[1:], strict=False)]
    assert all(gap >= timedelta(seconds=15) for gap in gaps)
    # Everything went out soon after Gett came back, the order's statuses in order.
    delivered = [(at, body) for at, url, body in calls if at >= outage_ends]
    assert len(delivered) == 7
    assert delivered[-1][0] - outage_ends < timedelta(minutes=1)
    order_bodies = [
        body["status"] for at, url, body in calls if at >= outage_ends and "orders" in url
    ]
    assert order_bodies == statuses


# --- the Celery tasks -------------------------------------------------------------------------


def test_deliver_task_sends_the_message(wire, now):
    wire.post(STATUS_URL, status=204)
    message = store_status()

    assert outbox_deliver_task.run(message.pk) is None

    assert reload(message).state == State.DELIVERED


def test_deliver_task_asks_celery_to_retry_when_the_message_must_wait(wire, now):
    wire.post(STATUS_URL, status=503, json=problem(503, "SERVICE_UNAVAILABLE"))
    message = store_status()

    with pytest.raises(Retry):
        outbox_deliver_task.run(message.pk)

    assert reload(message).state == State.PENDING
    assert message.attempts == 1


def test_deliver_task_in_a_worker_re_sends_itself_with_the_outbox_countdown(wire, now, scheduled):
    wire.post(STATUS_URL, status=429, json=load("problem-details.rate-limited.json"))
    message = store_status()
    # What a worker sets up around a task it received from the broker.
    outbox_deliver_task.push_request(
        id="task-1", args=[message.pk], kwargs={}, retries=0, called_directly=False
    )
    try:
        with pytest.raises(Retry) as retry:
            outbox_deliver_task.run(message.pk)
    finally:
        outbox_deliver_task.pop_request()

    countdown = (reload(message).next_attempt_at - now).total_seconds()
    assert countdown >= 20
    assert retry.value.when == pytest.approx(countdown, abs=1e-3)
    assert scheduled == [Scheduled(message.pk, pytest.approx(countdown, abs=1e-3))]


def test_deliver_task_does_not_retry_a_dead_letter(wire, now):
    wire.post(STATUS_URL, status=422, json=problem(422, "VALIDATION_FAILED"))
    message = store_status()

    assert outbox_deliver_task.run(message.pk) is None

    assert reload(message).state == State.FAILED


def test_sweep_task_returns_how_many_messages_it_re_enqueued(now, time_machine, scheduled):
    store_status()
    order_status("confirmed")
    time_machine.shift(timedelta(minutes=5))

    assert outbox_sweep_task() == 2
    assert len(scheduled) == 2
