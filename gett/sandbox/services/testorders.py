"""Test orders: the sandbox plays Gett's order flow against a partner's webhooks (REFERENCE §9-11).

`test_order_start` builds and prices a cart from the store's accepted CatalogSet, records it and
enqueues the run on commit. `test_order_run` (the Celery task's service) sends validateOrder,
then placeOrder with Gett's `orderId`, each body serialised once and signed like Gett
(REFERENCE §10), and records every call. A scenario other than `valid` breaks one rule on
purpose; the test order records whether the partner answered the way that scenario needs.

validateOrder is synchronous for the consumer, so it is never retried. A placeOrder that fails
to deliver (5xx, timeout, connection error; never 4xx) is retried on Gett's schedule
(REFERENCE §11), scaled by GETT_SANDBOX_RETRY_SCALE, then given up.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import time
import uuid
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gett.sandbox import partner_http
from gett.sandbox.models import SandboxStore, SandboxTestOrder, SandboxWebhookCall, StoreStatus
from gett.sandbox.problems import Problem, field_error, validation_failed
from gett.sandbox.services import carts
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
LOG_BODY_CHARS = 64 * 1024
MAX_SEED = 2**31
PATHS = {Operation.VALIDATE: "/validateOrder", Operation.PLACE: "/placeOrder"}

# What a partner must answer to each scenario that breaks a rule: (operation, HTTP status).
EXPECTED_REJECTIONS = {
    Scenario.BAD_SIGNATURE: (Operation.VALIDATE, 401),
    Scenario.STALE_TIMESTAMP: (Operation.VALIDATE, 401),
    Scenario.UNKNOWN_ITEM: (Operation.VALIDATE, 400),
    Scenario.WRONG_TOTAL: (Operation.PLACE, 400),
}
# The scenarios that stop after validateOrder, whatever the partner answers to it.
VALIDATE_ONLY = (Scenario.BAD_SIGNATURE, Scenario.STALE_TIMESTAMP, Scenario.UNKNOWN_ITEM)


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
    could not send this store an order (no accepted menu, no webhook URL, store paused).
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
    try:
        body = carts.order_body_build(
            document, store_id=str(store.store_id), fulfillment_types=fulfillment_types, rng=rng
        )
    except carts.CartError as exc:
        raise Problem("CONFLICT", str(exc)) from None
    sub_total = carts.cart_subtotal(document, body["cart"]["lineItems"])
    if scenario == Scenario.UNKNOWN_ITEM:
        line = rng.choice(body["cart"]["lineItems"])
        line["itemId"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))

    test_order = SandboxTestOrder.objects.create(
        store=store,
        scenario=scenario,
        seed=seed,
        order_id=uuid.uuid4(),
        webhook_url=store.webhook_url,
        catalog_set_id=str(document.get("catalogSetId") or "")[:200],
        fulfillment_type=body["fulfillmentType"],
        validate_body=body,
        expected_amounts={"subTotal": float(sub_total), "tip": body["amounts"]["tip"]},
    )
    transaction.on_commit(lambda: _schedule(test_order.pk, countdown=0))
    logger.info("sandbox test order %s (%s) queued", test_order.pk, scenario)
    return test_order


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
    scenario = test_order.scenario

    if not reply.is_success:
        _finish_unsuccessful(test_order, Operation.VALIDATE, reply)
        return

    amounts = _reply_amounts(reply)
    test_order.validated_amounts = amounts
    if scenario in VALIDATE_ONLY:
        _, status = EXPECTED_REJECTIONS[scenario]
        _finish(
            test_order,
            Outcome.VALIDATED,
            as_expected=False,
            detail=f"validateOrder answered {reply.status}, but a request with "
            f"{_scenario_phrase(scenario)} must be refused with {status}. Nothing was placed.",
        )
        return

    place_amounts = dict(amounts) if amounts else dict(test_order.validate_body["amounts"])
    if scenario == Scenario.WRONG_TOTAL:
        place_amounts["total"] = float(_amounts_total(place_amounts) + WRONG_TOTAL_DELTA)
    test_order.place_body = {
        **test_order.validate_body,
        "orderId": str(test_order.order_id),
        "amounts": place_amounts,
        "paymentToken": "pay_tok_" + secrets.token_hex(6),
    }
    test_order.outcome = Outcome.VALIDATED
    test_order.save(update_fields=["validated_amounts", "place_body", "outcome", "updated_at"])
    _place(test_order)


def _place(test_order: SandboxTestOrder) -> None:
    attempt = test_order.place_attempts + 1
    reply = _send(test_order, Operation.PLACE, test_order.place_body, attempt=attempt)
    test_order.place_attempts = attempt

    if not reply.is_success:
        delay = retry_delay(attempt) if reply.is_retryable else None
        if delay is None:
            _finish_unsuccessful(test_order, Operation.PLACE, reply)
            return
        test_order.outcome = Outcome.PENDING_RETRY
        test_order.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        test_order.detail = (
            f"placeOrder attempt {attempt} failed ({_reply_summary(reply)}); "
            f"Gett retries in {delay:g} s with the same orderId."
        )
        test_order.save(
            update_fields=["place_attempts", "outcome", "next_attempt_at", "detail", "updated_at"]
        )
        transaction.on_commit(lambda: _schedule(test_order.pk, countdown=delay))
        return

    reply_body = _reply_json(reply)
    partner_order_id = reply_body.get("partnerOrderId")
    partner_order_id = str(partner_order_id)[:200] if partner_order_id not in (None, "") else ""
    test_order.placed_amounts = _reply_amounts(reply) or test_order.place_body["amounts"]
    test_order.partner_order_id = partner_order_id

    problems = []
    if not partner_order_id:
        problems.append("the placeOrder reply has no partnerOrderId")
    if test_order.scenario == Scenario.REPEATED_PLACE:
        again = _send(test_order, Operation.PLACE, test_order.place_body, attempt=attempt + 1)
        test_order.place_attempts = attempt + 1
        repeat_id = _reply_json(again).get("partnerOrderId") if again.is_success else None
        test_order.repeat_partner_order_id = str(repeat_id)[:200] if repeat_id else ""
        test_order.repeat_matched = bool(partner_order_id) and repeat_id == partner_order_id
        if not again.is_success:
            problems.append(f"the repeated placeOrder got {_reply_summary(again)}")
        elif not test_order.repeat_matched:
            problems.append(
                f"the repeated placeOrder gave partnerOrderId {repeat_id!r} instead of "
                f"{partner_order_id!r}: placeOrder must be idempotent on orderId"
            )
    if test_order.scenario == Scenario.WRONG_TOTAL:
        problems.append(
            "placeOrder accepted a total that is 1.00 off the validated one; it must answer 400 "
            "(ORDER_TOTAL_DIFFERENT)"
        )
    if test_order.subtotal_matches is False:
        expected = test_order.expected_amounts.get("subTotal")
        partner = (test_order.placed_amounts or {}).get("subTotal")
        problems.append(f"the partner's subTotal {partner} differs from Gett's {expected}")

    with transaction.atomic():
        test_order.placed_order = order_create(
            store=test_order.store,
            order_id=test_order.order_id,
            partner_order_id=partner_order_id,
            cart=test_order.place_body["cart"],
            amounts=test_order.placed_amounts,
            fulfillment_type=test_order.fulfillment_type,
        )
        detail = f"Placed as partner order {partner_order_id or '(none)'}"
        if test_order.place_attempts > 1 and test_order.scenario != Scenario.REPEATED_PLACE:
            detail += f" on attempt {attempt}"
        detail += "; " + "; ".join(problems) + "." if problems else "."
        _finish(test_order, Outcome.PLACED, as_expected=not problems, detail=detail)


def _finish_unsuccessful(
    test_order: SandboxTestOrder, operation: str, reply: partner_http.WebhookReply
) -> None:
    """A reply that ends the run: 4xx is `rejected`, anything else (5xx, no reply) `failed`."""
    name = Operation(operation).label
    summary = _reply_summary(reply)
    expected = EXPECTED_REJECTIONS.get(test_order.scenario)
    rejected = reply.status is not None and 400 <= reply.status < 500

    if not rejected:
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
        return

    if expected == (operation, reply.status):
        detail = f"{name} was refused with {summary}, as it must be for "
        detail += f"{_scenario_phrase(test_order.scenario)}."
        _finish(test_order, Outcome.REJECTED, as_expected=True, detail=detail)
    elif expected is not None and expected[0] == operation:
        detail = f"{name} was refused with {summary}; for {_scenario_phrase(test_order.scenario)} "
        detail += f"Gett expects {expected[1]}."
        _finish(test_order, Outcome.REJECTED, as_expected=False, detail=detail)
    else:
        detail = f"{name} was refused with {summary}, but this order is valid."
        _finish(test_order, Outcome.REJECTED, as_expected=False, detail=detail)


def _finish(test_order: SandboxTestOrder, outcome: str, *, as_expected: bool, detail: str) -> None:
    test_order.outcome = outcome
    test_order.as_expected = as_expected
    test_order.detail = detail
    test_order.next_attempt_at = None
    test_order.finished_at = timezone.now()
    test_order.save()
    logger.info("sandbox test order %s %s (as expected: %s)", test_order.pk, outcome, as_expected)


def _scenario_phrase(scenario: str) -> str:
    return {
        Scenario.BAD_SIGNATURE: "a bad signature",
        Scenario.STALE_TIMESTAMP: "a 10-minute-old timestamp",
        Scenario.UNKNOWN_ITEM: "an item that is not on the menu",
        Scenario.WRONG_TOTAL: "a total that differs from the validated one",
    }.get(scenario, "a valid order")


# --- the wire -------------------------------------------------------------------------------


def _send(
    test_order: SandboxTestOrder, operation: str, body: dict[str, Any], *, attempt: int
) -> partner_http.WebhookReply:
    """Serialise, sign (as the scenario says), POST and record one webhook call."""
    raw = serialise(body)
    secret = webhook_secret()
    if test_order.scenario == Scenario.BAD_SIGNATURE:
        secret += "-not-the-shared-secret"
    timestamp = None
    if test_order.scenario == Scenario.STALE_TIMESTAMP:
        timestamp = int(time.time()) - STALE_TIMESTAMP_AGE_SECONDS
    headers = signed_headers(raw, secret, timestamp=timestamp)
    url = test_order.webhook_url.rstrip("/") + PATHS[operation]

    reply = partner_http.post_webhook(url, raw, headers=headers)
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
    return reply


def _reply_json(reply: partner_http.WebhookReply) -> dict[str, Any]:
    try:
        body = json.loads(reply.body) if reply.body else None
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _reply_amounts(reply: partner_http.WebhookReply) -> dict[str, Any] | None:
    amounts = _reply_json(reply).get("amounts")
    return amounts if isinstance(amounts, dict) and amounts else None


def _reply_summary(reply: partner_http.WebhookReply) -> str:
    if reply.status is None:
        return reply.error or "no reply"
    text = f"HTTP {reply.status}"
    body = _reply_json(reply)
    code = body.get("errorCode")
    if isinstance(code, str) and code:
        text += f" {code}"
    return text


def _amounts_total(amounts: dict[str, Any]) -> Decimal:
    """`total` as given, else REFERENCE §15: subTotal + fees − promotions + taxes + adj. + tip."""

    def value(name: str) -> Decimal:
        try:
            return Decimal(str(amounts.get(name) or 0))
        except InvalidOperation:
            return Decimal(0)

    if amounts.get("total") is not None:
        return value("total")
    return (
        value("subTotal")
        + value("fees")
        - value("promotions")
        + value("taxes")
        + value("adjustments")
        + value("tip")
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
    _service.__test__ = False  # type: ignore[attr-defined]
