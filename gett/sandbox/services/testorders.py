"""Test orders: the sandbox plays Gett's order flow against a partner's webhooks (REFERENCE §9-11).

`test_order_start` builds and prices a cart from the store's accepted CatalogSet, records it and
enqueues the run on commit. `test_order_run` (the Celery task's service) sends validateOrder,
then placeOrder with Gett's `orderId`, each body serialised once and signed like Gett
(REFERENCE §10), and records every call.

The sandbox judges every reply the way Gett would (`judging`): a 200 must carry amounts it can
charge from (every REFERENCE §15 member, the formula to the cent, its own subTotal) and, at
place, our orderId and a partnerOrderId; a refusal must be problem+json with the right
`errorCode` and `errors[]` saying where. A scenario other than `valid` breaks one rule on
purpose (`REFUSALS`) or repeats placeOrder; the test order ends "as expected" or says exactly
what the partner did wrong.

validateOrder is synchronous for the consumer, so it is never retried. A placeOrder that fails
to deliver (5xx, timeout, connection error; never 4xx) is retried on Gett's schedule
(REFERENCE §11), scaled by GETT_SANDBOX_RETRY_SCALE, then given up.
"""

from __future__ import annotations

import copy
import json
import logging
import random
import secrets
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gett.sandbox import partner_http
from gett.sandbox.models import SandboxStore, SandboxTestOrder, SandboxWebhookCall, StoreStatus
from gett.sandbox.problems import Problem, field_error, validation_failed
from gett.sandbox.services import carts, judging
from gett.sandbox.services.catalog import accepted_catalogset
from gett.sandbox.services.orders import order_create
from gett.signing import signed_headers

logger = logging.getLogger(__name__)

Scenario = SandboxTestOrder.Scenario
Outcome = SandboxTestOrder.Outcome
Operation = SandboxWebhookCall.Operation

# REFERENCE §11: the delay before each retry of a failed placeOrder; after the last, give up.
RETRY_DELAYS_SECONDS = (30, 120, 600, 3600)
DEFAULT_SECRET = "whsec_sandbox"
# Twice the 300 s replay window (REFERENCE §10): any partner must refuse it.
STALE_TIMESTAMP_AGE_SECONDS = 600
WRONG_TOTAL_DELTA = Decimal("1.00")
TAMPERED_TIP_DELTA = 1.0
LOG_BODY_CHARS = 64 * 1024
MAX_SEED = 2**31
# REFERENCE §9.1: the current names, and the old mirror's, which partners must answer too.
PATHS: dict[str, str] = {Operation.VALIDATE: "/validateOrder", Operation.PLACE: "/placeOrder"}
SHORT_PATHS: dict[str, str] = {Operation.VALIDATE: "/validate", Operation.PLACE: "/place"}
# How long the two threads of concurrent_place wait for each other before sending anyway.
CONCURRENT_START_TIMEOUT = 5.0


@dataclass(frozen=True)
class Refusal:
    """What a partner must answer to a request that breaks a rule on purpose."""

    operation: str
    status: int
    error_code: str
    phrase: str  # "a body changed after it was signed": what was wrong with the request

    @property
    def reply(self) -> str:
        return f"{self.status} {self.error_code}"


REFUSALS: dict[str, Refusal] = {
    Scenario.BAD_SIGNATURE: Refusal(
        Operation.VALIDATE, 401, "UNAUTHENTICATED", "a signature made with another secret"
    ),
    Scenario.TAMPERED_BODY: Refusal(
        Operation.VALIDATE, 401, "UNAUTHENTICATED", "a body changed after it was signed"
    ),
    Scenario.STALE_TIMESTAMP: Refusal(
        Operation.VALIDATE, 401, "UNAUTHENTICATED", "a 10-minute-old timestamp"
    ),
    Scenario.MISSING_SIGNATURE: Refusal(
        Operation.VALIDATE, 401, "UNAUTHENTICATED", "no Signature header"
    ),
    Scenario.MALFORMED_JSON: Refusal(
        Operation.VALIDATE, 400, "INVALID_REQUEST", "a body that is not valid JSON"
    ),
    Scenario.UNKNOWN_STORE: Refusal(
        Operation.VALIDATE, 404, "STORE_NOT_FOUND", "a cart.storeId no store has"
    ),
    Scenario.MISSING_MODIFIER: Refusal(
        Operation.VALIDATE, 400, "MODIFIER_REQUIRED", "a required modifier group left out"
    ),
    Scenario.UNKNOWN_ITEM: Refusal(
        Operation.VALIDATE, 400, "ITEM_UNAVAILABLE", "an item that is not on the menu"
    ),
    Scenario.WRONG_TOTAL: Refusal(
        Operation.PLACE, 400, "ORDER_TOTAL_DIFFERENT", "a total 1.00 off the validated one"
    ),
}
# Sent after a successful place: the same orderId with another cart (REFERENCE §13).
CONFLICT = Refusal(
    Operation.PLACE, 409, "ORDER_ALREADY_PLACED", "the same orderId with another cart"
)


# --- settings ------------------------------------------------------------------------------


def webhook_secret() -> str:
    """The secret the sandbox signs with: its own setting, else the portal's first secret."""
    configured = getattr(settings, "GETT_SANDBOX_WEBHOOK_SECRET", "")
    if configured:
        return configured
    portal_secrets = [s for s in getattr(settings, "GETT_WEBHOOK_SECRETS", []) if s]
    return portal_secrets[0] if portal_secrets else DEFAULT_SECRET


def retry_delay(failed_attempt: int) -> float | None:
    """Seconds to wait after placeOrder attempt `failed_attempt` failed; None: give up."""
    if failed_attempt > len(RETRY_DELAYS_SECONDS):
        return None
    scale = float(settings.GETT_SANDBOX_RETRY_SCALE)
    return RETRY_DELAYS_SECONDS[failed_attempt - 1] * max(scale, 0.0)


def serialise(body: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed. Sorted keys: every retry sends the same bytes, whatever
    order the database gives the stored JSON back in."""
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


# --- start -----------------------------------------------------------------------------------


@transaction.atomic
def test_order_start(
    *, store: SandboxStore, scenario: Any = Scenario.VALID, seed: Any = None
) -> SandboxTestOrder:
    """Record a test order for `store` and enqueue its run on commit.

    Raises Problem: VALIDATION_FAILED for an unknown scenario or a bad seed; CONFLICT when Gett
    could not send this store an order (no accepted menu, no webhook URL, store paused). A
    scenario this menu cannot express is recorded as finished, `not_applicable`, and not sent.
    """
    errors = []
    if scenario not in Scenario.values:
        message = f"scenario must be one of {', '.join(Scenario.values)}."
        errors.append(field_error("$.scenario", message, "invalid_enum"))
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < MAX_SEED
    ):
        message = f"seed must be an integer from 0 to {MAX_SEED - 1}."
        errors.append(field_error("$.seed", message, "invalid"))
    if errors:
        raise validation_failed(errors)

    document = accepted_catalogset(store.partner_store_id)
    if document is None:
        raise Problem(
            "CONFLICT",
            "Gett has no accepted menu for this store yet: publish the menu first "
            "(the portal notifies Gett, which pulls and checks it).",
        )
    if not store.webhook_url:
        raise Problem(
            "CONFLICT",
            "Gett has no webhook URL for this store: onboard the store with a webhookUrl first.",
        )
    if store.effective_status == StoreStatus.PAUSED:
        raise Problem(
            "CONFLICT", "The store is paused: Gett sends it no orders. Resume the store first."
        )

    if seed is None:
        seed = secrets.randbelow(MAX_SEED)
    rng = random.Random(seed)
    allowed = {"delivery": store.delivery_allowed, "pickup": store.pickup_allowed}
    fulfillment_types = [kind for kind, ok in allowed.items() if ok]
    local_now = timezone.now().astimezone(_store_zone(store))
    try:
        body = carts.order_body_build(
            document,
            store_id=str(store.store_id),
            fulfillment_types=fulfillment_types,
            rng=rng,
            at=local_now,
        )
    except carts.CartError as exc:
        raise Problem("CONFLICT", str(exc)) from None

    not_applicable = ""
    if scenario == Scenario.MISSING_MODIFIER:
        found = carts.line_missing_required_choice(document, rng=rng, at=local_now)
        if found is None:
            not_applicable = (
                "Not applicable: the menu has no required group (no item on sale has a modifier "
                "group with a minimum above 0), so there is no required choice to leave out."
            )
        else:
            body["cart"]["lineItems"] = [found[0]]
    sub_total = carts.cart_subtotal(document, body["cart"]["lineItems"])
    expected_amounts = {"subTotal": float(sub_total), "tip": body["amounts"]["tip"]}
    if scenario == Scenario.CONFLICTING_REPEAT:
        other = carts.cart_subtotal(document, conflicting_cart(body)["cart"]["lineItems"])
        expected_amounts["conflictingSubTotal"] = float(other)
    if scenario == Scenario.UNKNOWN_ITEM:
        line = rng.choice(body["cart"]["lineItems"])
        line["itemId"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if scenario == Scenario.UNKNOWN_STORE:
        body["cart"]["storeId"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))

    test_order = SandboxTestOrder.objects.create(
        store=store,
        scenario=scenario,
        seed=seed,
        order_id=uuid.uuid4(),
        webhook_url=store.webhook_url,
        catalog_set_id=str(document.get("catalogSetId") or "")[:200],
        fulfillment_type=body["fulfillmentType"],
        validate_body=body,
        expected_amounts=expected_amounts,
    )
    if not_applicable:
        _finish(test_order, Outcome.NOT_APPLICABLE, as_expected=None, detail=not_applicable)
        return test_order
    transaction.on_commit(lambda: _schedule(test_order.pk, countdown=0))
    logger.info("sandbox test order %s (%s) queued", test_order.pk, scenario)
    return test_order


def _store_zone(store: SandboxStore) -> ZoneInfo:
    try:
        return ZoneInfo(store.timezone)
    except (ValueError, ZoneInfoNotFoundError):
        return ZoneInfo("UTC")


def conflicting_cart(body: dict[str, Any]) -> dict[str, Any]:
    """conflicting_repeat's second cart: the first with one more of its first line."""
    other = copy.deepcopy(body)
    other["cart"]["lineItems"][0]["quantity"] += 1
    return other


def _schedule(test_order_pk: int, *, countdown: float) -> None:
    from gett.sandbox.tasks import sandbox_test_order_task

    sandbox_test_order_task.apply_async((test_order_pk,), countdown=countdown or None)


# --- run ---------------------------------------------------------------------------------


def test_order_run(*, test_order_id: int) -> SandboxTestOrder | None:
    """Run the test order's next step: the whole flow when queued, a placeOrder retry when due.

    Safe to run twice: each step is claimed with a conditional update, so only one run sends.
    Returns the row as it is afterwards, or None when it no longer exists.
    """
    started = SandboxTestOrder.objects.filter(pk=test_order_id, outcome=Outcome.QUEUED).update(
        outcome=Outcome.SENT, updated_at=timezone.now()
    )
    retrying = 0
    if not started:
        retrying = SandboxTestOrder.objects.filter(
            pk=test_order_id, outcome=Outcome.PENDING_RETRY
        ).update(outcome=Outcome.VALIDATED, next_attempt_at=None, updated_at=timezone.now())
    test_order = SandboxTestOrder.objects.select_related("store").filter(pk=test_order_id).first()
    if test_order is None or not (started or retrying):
        return test_order
    if started:
        _validate(test_order)
    else:
        _place(test_order)
    return test_order


def _validate(test_order: SandboxTestOrder) -> None:
    reply = _send(test_order, Operation.VALIDATE, test_order.validate_body, attempt=1)
    refusal = REFUSALS.get(test_order.scenario)
    if refusal is not None and refusal.operation == Operation.VALIDATE:
        if reply.is_success:
            test_order.validated_amounts = _amounts_of(reply)
            detail = f"validateOrder answered {reply.status} to {refusal.phrase}; expected "
            detail += f"{refusal.reply}. Nothing was placed."
            _finish(test_order, Outcome.VALIDATED, as_expected=False, detail=detail)
        else:
            _judge_refusal(test_order, Operation.VALIDATE, reply, refusal)
        return
    if not reply.is_success:
        _finish_unsuccessful(test_order, Operation.VALIDATE, reply)
        return

    amounts = _amounts_of(reply)
    test_order.validated_amounts = amounts
    problems = judging.validate_reply_problems(
        reply,
        tip=test_order.validate_body["amounts"]["tip"],
        expected_subtotal=test_order.expected_amounts.get("subTotal"),
    )
    if problems:
        detail = f"validateOrder answered {reply.status}, but {'; '.join(problems)}. Gett "
        detail += "cannot charge the consumer from that reply: nothing was placed."
        _finish(test_order, Outcome.VALIDATED, as_expected=False, detail=detail)
        return

    place_amounts = dict(amounts or {})
    if test_order.scenario == Scenario.WRONG_TOTAL:
        total = judging.decimal(place_amounts["total"])
        assert total is not None  # the reply's amounts were judged above: no problems
        place_amounts["total"] = float(total + WRONG_TOTAL_DELTA)
    test_order.place_body = _place_body(test_order, test_order.validate_body, place_amounts)
    test_order.outcome = Outcome.VALIDATED
    test_order.save(update_fields=["validated_amounts", "place_body", "outcome", "updated_at"])
    _place(test_order)


def _place_body(
    test_order: SandboxTestOrder, body: dict[str, Any], amounts: dict[str, Any]
) -> dict[str, Any]:
    return {
        **body,
        "orderId": str(test_order.order_id),
        "amounts": amounts,
        "paymentToken": "pay_tok_" + secrets.token_hex(6),
    }


def _place_body_of(test_order: SandboxTestOrder) -> dict[str, Any]:
    """The placeOrder body: made when validateOrder succeeded, before anything is placed."""
    body = test_order.place_body
    assert body is not None
    return body


def _place(test_order: SandboxTestOrder) -> None:
    attempt = test_order.place_attempts + 1
    if test_order.scenario == Scenario.CONCURRENT_PLACE:
        _place_concurrently(test_order)
        return
    reply = _send(test_order, Operation.PLACE, _place_body_of(test_order), attempt=attempt)
    test_order.place_attempts = attempt
    refusal = REFUSALS.get(test_order.scenario)

    if not reply.is_success:
        delay = retry_delay(attempt) if reply.is_retryable else None
        if delay is not None:
            _retry_later(test_order, reply, attempt, delay)
        elif refusal is not None and not reply.is_retryable:
            _judge_refusal(test_order, Operation.PLACE, reply, refusal)
        else:
            _finish_unsuccessful(test_order, Operation.PLACE, reply)
        return

    problems = []
    charged = _place_body_of(test_order)["amounts"].get("total")
    if refusal is not None:
        problems.append(
            f"placeOrder answered {reply.status} to {refusal.phrase}; expected {refusal.reply}"
        )
        charged = None  # the partner was right to price it its own way
    problems += judging.place_reply_problems(
        reply,
        order_id=str(test_order.order_id),
        tip=_place_body_of(test_order)["amounts"].get("tip"),
        expected_subtotal=test_order.expected_amounts.get("subTotal"),
        total=charged,
    )
    partner_order_id = judging.partner_order_id(reply)
    if test_order.scenario == Scenario.REPEATED_PLACE:
        problems += _repeat_place(test_order, partner_order_id, attempt=attempt + 1)
    if test_order.scenario == Scenario.CONFLICTING_REPEAT:
        problems += _conflicting_place(test_order, partner_order_id, attempt=attempt + 1)
    _placed(test_order, reply, partner_order_id, problems)


def _placed(
    test_order: SandboxTestOrder,
    reply: partner_http.WebhookReply,
    partner_order_id: str,
    problems: list[str],
) -> None:
    """The partner took the order (a 200 to placeOrder): Gett records it and gives its verdict."""
    test_order.partner_order_id = partner_order_id
    test_order.placed_amounts = _amounts_of(reply) or _place_body_of(test_order)["amounts"]
    with transaction.atomic():
        test_order.placed_order = order_create(
            store=test_order.store,
            order_id=test_order.order_id,
            partner_order_id=partner_order_id,
            cart=_place_body_of(test_order)["cart"],
            amounts=test_order.placed_amounts,
            fulfillment_type=test_order.fulfillment_type,
        )
        detail = f"Placed as partner order {partner_order_id or '(none)'}"
        if test_order.place_attempts > 1 and test_order.scenario == Scenario.VALID:
            detail += f" on attempt {test_order.place_attempts}"
        detail += "; " + "; ".join(problems) + "." if problems else ", as expected."
        _finish(test_order, Outcome.PLACED, as_expected=not problems, detail=detail)


def _retry_later(
    test_order: SandboxTestOrder, reply: partner_http.WebhookReply, attempt: int, delay: float
) -> None:
    test_order.outcome = Outcome.PENDING_RETRY
    test_order.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    test_order.detail = (
        f"placeOrder attempt {attempt} failed ({judging.reply_summary(reply)}); "
        f"Gett retries in {delay:g} s with the same orderId."
    )
    test_order.save(
        update_fields=["place_attempts", "outcome", "next_attempt_at", "detail", "updated_at"]
    )
    transaction.on_commit(lambda: _schedule(test_order.pk, countdown=delay))


def _repeat_place(
    test_order: SandboxTestOrder, partner_order_id: str, *, attempt: int
) -> list[str]:
    """repeated_place: the same bytes again, one after the other (a retry Gett could make)."""
    again = _send(test_order, Operation.PLACE, _place_body_of(test_order), attempt=attempt)
    test_order.place_attempts = attempt
    return _judge_repeat(test_order, partner_order_id, again, "the repeated placeOrder")


def _judge_repeat(
    test_order: SandboxTestOrder,
    partner_order_id: str,
    again: partner_http.WebhookReply,
    what: str,
) -> list[str]:
    repeat_id = judging.partner_order_id(again) if again.is_success else ""
    test_order.repeat_partner_order_id = repeat_id
    test_order.repeat_matched = bool(partner_order_id) and repeat_id == partner_order_id
    if not again.is_success:
        return [
            f"{what} answered {judging.reply_summary(again)}; a repeat of one orderId must "
            f"answer 200 with the same partnerOrderId"
        ]
    problems = [
        f"{what}: {problem}"
        for problem in judging.place_reply_problems(
            again,
            order_id=str(test_order.order_id),
            tip=_place_body_of(test_order)["amounts"].get("tip"),
            expected_subtotal=test_order.expected_amounts.get("subTotal"),
            total=_place_body_of(test_order)["amounts"].get("total"),
        )
    ]
    if not test_order.repeat_matched:
        problems.append(
            f"{what} gave partnerOrderId {repeat_id!r} instead of {partner_order_id!r}: "
            "placeOrder must be idempotent on orderId"
        )
    return problems


def _place_concurrently(test_order: SandboxTestOrder) -> None:
    """concurrent_place: the same placeOrder twice at the same moment (a retry racing the first).

    Only the HTTP calls run in threads; the calls are recorded here, on this thread's connection.
    """
    url, raw, headers = _request(test_order, Operation.PLACE, _place_body_of(test_order))
    barrier = threading.Barrier(2, timeout=CONCURRENT_START_TIMEOUT)

    def post(_: int) -> partner_http.WebhookReply:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # the other thread is late: send anyway
        return partner_http.post_webhook(url, raw, headers=headers)

    with ThreadPoolExecutor(max_workers=2) as pool:
        replies = list(pool.map(post, range(2)))
    for attempt, reply in enumerate(replies, start=1):
        _record(test_order, Operation.PLACE, attempt, url, raw, headers, reply)
    test_order.place_attempts = 2

    first = next((reply for reply in replies if reply.is_success), None)
    if first is None:
        summaries = " and ".join(judging.reply_summary(reply) for reply in replies)
        detail = f"placeOrder sent twice at once answered {summaries}; both must answer 200 "
        detail += "with one partnerOrderId."
        rejected = all(r.status is not None and 400 <= r.status < 500 for r in replies)
        outcome = Outcome.REJECTED if rejected else Outcome.FAILED
        _finish(test_order, outcome, as_expected=False, detail=detail)
        return
    other = replies[1] if first is replies[0] else replies[0]
    partner_order_id = judging.partner_order_id(first)
    problems = judging.place_reply_problems(
        first,
        order_id=str(test_order.order_id),
        tip=_place_body_of(test_order)["amounts"].get("tip"),
        expected_subtotal=test_order.expected_amounts.get("subTotal"),
        total=_place_body_of(test_order)["amounts"].get("total"),
    )
    problems += _judge_repeat(
        test_order, partner_order_id, other, "the other of the two concurrent placeOrders"
    )
    _placed(test_order, first, partner_order_id, problems)


def _conflicting_place(
    test_order: SandboxTestOrder, partner_order_id: str, *, attempt: int
) -> list[str]:
    """conflicting_repeat: validate another cart, then place it with the same orderId: 409."""
    other = conflicting_cart(test_order.validate_body)
    validated = _send(test_order, Operation.VALIDATE, other, attempt=2)
    if not validated.is_success:
        return [
            f"validateOrder of the second cart (one more of its first line) answered "
            f"{judging.reply_summary(validated)}; that cart is valid"
        ]
    amounts = _amounts_of(validated)
    problems = [
        f"validateOrder of the second cart: {problem}"
        for problem in judging.validate_reply_problems(
            validated,
            tip=other["amounts"]["tip"],
            expected_subtotal=test_order.expected_amounts.get("conflictingSubTotal"),
        )
    ]
    if problems or amounts is None:
        return problems
    body = _place_body(test_order, other, amounts)
    reply = _send(test_order, Operation.PLACE, body, attempt=attempt)
    test_order.place_attempts = attempt
    if reply.is_success:
        again = judging.partner_order_id(reply)
        made = "the same order back" if again == partner_order_id else f"order {again!r}"
        return [
            f"placeOrder answered {reply.status} ({made}) to {CONFLICT.phrase}; expected "
            f"{CONFLICT.reply}, and the first order must stand"
        ]
    wrong = judging.refusal_problems(reply, status=CONFLICT.status, error_code=CONFLICT.error_code)
    if wrong:
        return [
            f"placeOrder answered {judging.reply_summary(reply)} to {CONFLICT.phrase}; expected "
            f"{CONFLICT.reply} as problem+json: {', '.join(wrong)}"
        ]
    return []


def _judge_refusal(
    test_order: SandboxTestOrder,
    operation: str,
    reply: partner_http.WebhookReply,
    refusal: Refusal,
) -> None:
    """A non-2xx reply to a request that breaks a rule on purpose: the right refusal, or not."""
    name = Operation(operation).label
    summary = judging.reply_summary(reply)
    if reply.is_retryable:  # 5xx or no reply: the partner broke, it did not refuse
        detail = f"{name} failed ({summary}) on {refusal.phrase}; expected {refusal.reply}."
        _finish(test_order, Outcome.FAILED, as_expected=False, detail=detail)
        return
    problems = judging.refusal_problems(reply, status=refusal.status, error_code=refusal.error_code)
    if problems:
        detail = f"{name} answered {summary} to {refusal.phrase}; expected {refusal.reply} as "
        detail += f"problem+json: {'; '.join(problems)}."
        _finish(test_order, Outcome.REJECTED, as_expected=False, detail=detail)
        return
    detail = f"{name} refused {refusal.phrase} with {summary}, as expected."
    _finish(test_order, Outcome.REJECTED, as_expected=True, detail=detail)


def _finish_unsuccessful(
    test_order: SandboxTestOrder, operation: str, reply: partner_http.WebhookReply
) -> None:
    """A non-2xx reply to a valid request: `rejected` for 4xx, `failed` otherwise."""
    name = Operation(operation).label
    summary = judging.reply_summary(reply)
    if reply.status is not None and 400 <= reply.status < 500:
        said = judging.reply_object(reply).get("detail")
        detail = f"{name} was refused with {summary}, but this order is valid"
        detail += f" (the partner said: {said})." if isinstance(said, str) and said else "."
        _finish(test_order, Outcome.REJECTED, as_expected=False, detail=detail)
        return
    if operation == Operation.VALIDATE:
        detail = f"validateOrder failed ({summary}). Gett does not retry validation: the "
        detail += "consumer is waiting at checkout."
    else:
        detail = f"placeOrder failed ({summary})"
        if reply.is_retryable:
            detail += f" after {test_order.place_attempts} attempts; Gett gave up."
        else:
            detail += "; only 5xx, timeouts and connection errors are retried."
    _finish(test_order, Outcome.FAILED, as_expected=False, detail=detail)


def _finish(
    test_order: SandboxTestOrder, outcome: str, *, as_expected: bool | None, detail: str
) -> None:
    test_order.outcome = outcome
    test_order.as_expected = as_expected
    test_order.detail = detail
    test_order.next_attempt_at = None
    test_order.finished_at = timezone.now()
    test_order.save()
    logger.info("sandbox test order %s %s (as expected: %s)", test_order.pk, outcome, as_expected)


def _amounts_of(reply: partner_http.WebhookReply) -> dict[str, Any] | None:
    amounts = judging.reply_object(reply).get("amounts")
    return amounts if isinstance(amounts, dict) and amounts else None


# --- the wire -------------------------------------------------------------------------------


def _request(
    test_order: SandboxTestOrder, operation: str, body: dict[str, Any]
) -> tuple[str, bytes, dict[str, str]]:
    """The URL, bytes and headers of one call: serialised and signed as the scenario says."""
    scenario = test_order.scenario
    raw = serialise(body)
    signed = raw
    if scenario == Scenario.MALFORMED_JSON:
        raw = signed = raw[:-1]  # the closing brace is missing; the signature is right
    if scenario == Scenario.TAMPERED_BODY:
        tampered = copy.deepcopy(body)
        tampered["amounts"]["tip"] = body["amounts"]["tip"] + TAMPERED_TIP_DELTA
        raw = serialise(tampered)  # signed over the original bytes, sent with another tip
    secret = webhook_secret()
    if scenario == Scenario.BAD_SIGNATURE:
        secret += "-not-the-shared-secret"
    timestamp = None
    if scenario == Scenario.STALE_TIMESTAMP:
        timestamp = int(time.time()) - STALE_TIMESTAMP_AGE_SECONDS
    headers = signed_headers(signed, secret, timestamp=timestamp)
    if scenario == Scenario.MISSING_SIGNATURE:
        del headers["Signature"]
    paths = SHORT_PATHS if scenario == Scenario.SHORT_PATHS else PATHS
    return test_order.webhook_url.rstrip("/") + paths[operation], raw, headers


def _send(
    test_order: SandboxTestOrder, operation: str, body: dict[str, Any], *, attempt: int
) -> partner_http.WebhookReply:
    """Serialise, sign (as the scenario says), POST and record one webhook call."""
    url, raw, headers = _request(test_order, operation, body)
    reply = partner_http.post_webhook(url, raw, headers=headers)
    _record(test_order, operation, attempt, url, raw, headers, reply)
    return reply


def _record(
    test_order: SandboxTestOrder,
    operation: str,
    attempt: int,
    url: str,
    raw: bytes,
    headers: dict[str, str],
    reply: partner_http.WebhookReply,
) -> None:
    SandboxWebhookCall.objects.create(
        test_order=test_order,
        operation=operation,
        attempt=attempt,
        url=url,
        request_headers=headers,
        request_body=raw.decode()[:LOG_BODY_CHARS],
        response_status=reply.status,
        response_headers=reply.headers,
        response_body=reply.body[:LOG_BODY_CHARS],
        latency_ms=reply.elapsed_ms,
        error=reply.error[:500],
    )


# --- reads -----------------------------------------------------------------------------------


def test_order_get(*, test_order_id: int) -> SandboxTestOrder:
    test_orders = SandboxTestOrder.objects.select_related("store", "placed_order")
    test_order = test_orders.filter(pk=test_order_id).first()
    if test_order is None:
        raise Problem("NOT_FOUND", f"No test order {test_order_id}.")
    return test_order


# The names come from the domain ("test order"), not from pytest: keep pytest from collecting them
# when a test module imports them.
for _service in (test_order_start, test_order_run, test_order_get):
    _service.__test__ = False  # type: ignore[union-attr]  # functions take attributes
