"""Test orders: signed validateOrder/placeOrder round trips against a live partner (§9-11)."""

import json
import socket
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from gett.sandbox import services, tasks
from gett.sandbox.models import SandboxOrder, SandboxTestOrder, SandboxWebhookCall
from gett.sandbox.problems import Problem
from gett.sandbox.services import testorders
from gett.signing import API_VERSION, verify

pytestmark = pytest.mark.django_db

Outcome = SandboxTestOrder.Outcome


def start(store, scenario="valid", seed=42) -> SandboxTestOrder:
    return services.test_order_start(store=store, scenario=scenario, seed=seed)


def run(test_order, django_capture_on_commit_callbacks) -> SandboxTestOrder:
    """Run the task as a function, committing what it schedules (retries) into `enqueued`."""
    with django_capture_on_commit_callbacks(execute=True):
        tasks.sandbox_test_order_task(test_order.pk)
    test_order.refresh_from_db()
    return test_order


def calls_of(test_order) -> list[SandboxWebhookCall]:
    return list(test_order.calls.order_by("created_at", "pk"))


def signature_ok(call: SandboxWebhookCall) -> bool:
    return verify(
        call.request_body.encode(),
        signature=call.request_headers.get("Signature"),
        timestamp=call.request_headers.get("Timestamp"),
        secrets=settings.GETT_WEBHOOK_SECRETS,
    )


# --- start ---------------------------------------------------------------------------------


def test_start_records_a_priced_cart_and_enqueues_the_run_on_commit(
    live_store, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        test_order = start(live_store)

    assert len(callbacks) == 1
    assert [(e.task, e.args, e.countdown) for e in enqueued] == [
        ("sandbox_test_order_task", (test_order.pk,), None)
    ]
    assert test_order.outcome == Outcome.QUEUED
    assert test_order.seed == 42
    body = test_order.validate_body
    assert body["cart"]["storeId"] == str(live_store.store_id)
    assert body["cart"]["catalogSetId"] == test_order.catalog_set_id
    assert test_order.expected_amounts["tip"] == body["amounts"]["tip"]
    assert Decimal(str(test_order.expected_amounts["subTotal"])) > 0


def test_start_draws_a_seed_when_none_is_given(live_store):
    first = services.test_order_start(store=live_store)
    second = services.test_order_start(store=live_store)

    assert 0 <= first.seed < testorders.MAX_SEED
    assert first.order_id != second.order_id


def test_start_needs_an_accepted_menu(store):
    with pytest.raises(Problem) as caught:
        start(store)

    assert caught.value.error_code == "CONFLICT"
    assert "no accepted menu for this store yet: publish the menu first" in caught.value.detail
    assert not SandboxTestOrder.objects.exists()


def test_start_needs_a_webhook_url(store, catalogset):
    services.catalogset_seed(partner_store_id=store.partner_store_id, document=catalogset)
    store.webhook_url = ""
    store.save()

    with pytest.raises(Problem) as caught:
        start(store)

    assert caught.value.error_code == "CONFLICT"
    assert "no webhook URL" in caught.value.detail


def test_start_refuses_a_paused_store(live_store):
    live_store.status = "paused"
    live_store.save()

    with pytest.raises(Problem, match="paused"):
        start(live_store)


@pytest.mark.parametrize(
    ("scenario", "seed", "path"),
    [("nope", 1, "$.scenario"), ("valid", -1, "$.seed"), ("valid", "7", "$.seed")],
)
def test_start_rejects_a_bad_scenario_or_seed(live_store, scenario, seed, path):
    with pytest.raises(Problem) as caught:
        start(live_store, scenario=scenario, seed=seed)

    assert caught.value.error_code == "VALIDATION_FAILED"
    assert [error["jsonPath"] for error in caught.value.errors] == [path]


def test_catalogset_seed_refuses_a_menu_gett_would_reject(store, broken_catalogset):
    with pytest.raises(ValueError, match="Gett would reject this CatalogSet"):
        services.catalogset_seed(
            partner_store_id=store.partner_store_id, document=broken_catalogset
        )


# --- the valid round trip -----------------------------------------------------------------


def test_valid_order_is_validated_then_placed_with_signed_bodies(
    live_store, partner_webhooks, django_capture_on_commit_callbacks
):
    test_order = run(start(live_store), django_capture_on_commit_callbacks)

    assert test_order.outcome == Outcome.PLACED
    assert test_order.as_expected is True, test_order.detail
    assert partner_webhooks.paths() == ["/webhooks/gett/validateOrder", "/webhooks/gett/placeOrder"]
    validate, place = calls_of(test_order)
    for call, operation in ((validate, "validate"), (place, "place")):
        assert (call.operation, call.attempt, call.response_status) == (operation, 1, 200)
        assert set(call.request_headers) >= {"Signature", "Timestamp", "API-Version"}
        assert call.request_headers["API-Version"] == API_VERSION
        assert abs(int(call.request_headers["Timestamp"]) - time.time()) < 60
        assert signature_ok(call)
        assert call.latency_ms >= 0 and call.error == ""
    # The partner received exactly the recorded (and signed) bytes.
    assert [r.body.decode() for r in partner_webhooks.received] == [
        validate.request_body,
        place.request_body,
    ]
    assert (
        partner_webhooks.received[0].headers["Signature"] == validate.request_headers["Signature"]
    )

    sent = json.loads(place.request_body)
    validated = json.loads(validate.response_body)["amounts"]
    assert sent["orderId"] == str(test_order.order_id)
    assert sent["paymentToken"].startswith("pay_tok_")
    assert sent["amounts"] == validated == test_order.validated_amounts
    assert sent["cart"] == test_order.validate_body["cart"]
    assert test_order.expected_amounts["subTotal"] == validated["subTotal"]
    assert test_order.subtotal_matches is True

    assert test_order.partner_order_id == "POS-0001"
    order = test_order.placed_order
    assert (order.order_id, order.partner_order_id) == (test_order.order_id, "POS-0001")
    assert (order.state, order.status, order.store) == ("open", "pending", live_store)
    assert test_order.finished_at is not None


def test_a_placed_test_order_takes_status_updates_from_the_partner(
    live_store, client, auth, django_capture_on_commit_callbacks
):
    test_order = run(start(live_store), django_capture_on_commit_callbacks)
    url = reverse("sandbox:order-status", kwargs={"order_id": str(test_order.order_id)})

    response = client.post(
        url, {"status": "confirmed"}, content_type="application/json", headers=auth
    )

    assert response.status_code == 200, response.content
    assert SandboxOrder.objects.get().status == "confirmed"


def test_running_the_task_twice_sends_once(
    live_store, partner_webhooks, django_capture_on_commit_callbacks
):
    test_order = start(live_store)
    run(test_order, django_capture_on_commit_callbacks)
    run(test_order, django_capture_on_commit_callbacks)

    assert len(partner_webhooks.received) == 2
    assert SandboxWebhookCall.objects.count() == 2


# --- scenarios that break a rule --------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["bad_signature", "stale_timestamp"])
def test_bad_signatures_are_refused_with_401_at_validate(
    live_store, partner_webhooks, django_capture_on_commit_callbacks, scenario
):
    test_order = run(start(live_store, scenario), django_capture_on_commit_callbacks)

    assert (test_order.outcome, test_order.as_expected) == (Outcome.REJECTED, True)
    [call] = calls_of(test_order)
    assert (call.operation, call.response_status) == ("validate", 401)
    assert not signature_ok(call)
    timestamp_age = time.time() - int(call.request_headers["Timestamp"])
    if scenario == "stale_timestamp":
        assert 590 < timestamp_age < 660
        # Only the time is wrong: the signature itself is right.
        assert verify(
            call.request_body.encode(),
            signature=call.request_headers["Signature"],
            timestamp=call.request_headers["Timestamp"],
            secrets=settings.GETT_WEBHOOK_SECRETS,
            tolerance=3600,
        )
    else:
        assert timestamp_age < 60
    assert partner_webhooks.paths() == ["/webhooks/gett/validateOrder"]
    assert not SandboxOrder.objects.exists()


def test_unknown_item_is_refused_with_400_at_validate(
    live_store, catalogset, django_capture_on_commit_callbacks
):
    test_order = run(start(live_store, "unknown_item"), django_capture_on_commit_callbacks)

    assert (test_order.outcome, test_order.as_expected) == (Outcome.REJECTED, True)
    [call] = calls_of(test_order)
    assert call.response_status == 400
    unknown = [
        line["itemId"]
        for line in json.loads(call.request_body)["cart"]["lineItems"]
        if line["itemId"] not in catalogset["items"]
    ]
    assert len(unknown) == 1
    reply = json.loads(call.response_body)
    assert reply["errorCode"] == "ITEM_UNAVAILABLE"
    assert reply["errors"][0]["itemId"] == unknown[0]
    assert "ITEM_UNAVAILABLE" in test_order.detail


def test_wrong_total_is_refused_with_400_at_place(live_store, django_capture_on_commit_callbacks):
    test_order = run(start(live_store, "wrong_total"), django_capture_on_commit_callbacks)

    assert (test_order.outcome, test_order.as_expected) == (Outcome.REJECTED, True)
    validate, place = calls_of(test_order)
    assert (validate.response_status, place.response_status) == (200, 400)
    sent_total = Decimal(str(json.loads(place.request_body)["amounts"]["total"]))
    validated_total = Decimal(str(test_order.validated_amounts["total"]))
    assert sent_total - validated_total == Decimal("1.00")
    assert place.attempt == 1 and test_order.place_attempts == 1  # a 4xx is never retried
    assert not SandboxOrder.objects.exists()


def test_repeated_place_gets_the_same_partner_order_id(
    live_store, partner_webhooks, django_capture_on_commit_callbacks
):
    test_order = run(start(live_store, "repeated_place"), django_capture_on_commit_callbacks)

    assert (test_order.outcome, test_order.as_expected) == (Outcome.PLACED, True)
    _, first, second = calls_of(test_order)
    assert (first.attempt, second.attempt) == (1, 2)
    assert first.request_body == second.request_body
    assert test_order.repeat_matched is True
    assert test_order.repeat_partner_order_id == test_order.partner_order_id == "POS-0001"
    assert SandboxOrder.objects.count() == 1


def test_a_partner_that_is_not_idempotent_is_reported(
    live_store, partner_webhooks, django_capture_on_commit_callbacks
):
    partner_webhooks.idempotent = False

    test_order = run(start(live_store, "repeated_place"), django_capture_on_commit_callbacks)

    assert (test_order.outcome, test_order.as_expected) == (Outcome.PLACED, False)
    assert test_order.repeat_matched is False
    assert "idempotent" in test_order.detail


def test_a_partner_that_accepts_a_bad_signature_is_reported_and_nothing_is_placed(
    live_store, partner_webhooks, django_capture_on_commit_callbacks
):
    partner_webhooks.check_signatures = False

    test_order = run(start(live_store, "bad_signature"), django_capture_on_commit_callbacks)

    assert (test_order.outcome, test_order.as_expected) == (Outcome.VALIDATED, False)
    assert test_order.detail == (
        "validateOrder answered 200 to a signature made with another secret; expected 401 "
        "UNAUTHENTICATED. Nothing was placed."
    )
    assert partner_webhooks.paths() == ["/webhooks/gett/validateOrder"]


def test_a_valid_order_refused_by_the_partner_is_not_as_expected(
    live_store, partner_webhooks, django_capture_on_commit_callbacks, settings
):
    settings.GETT_SANDBOX_WEBHOOK_SECRET = "whsec_the_partner_does_not_know"

    test_order = run(start(live_store), django_capture_on_commit_callbacks)

    assert (test_order.outcome, test_order.as_expected) == (Outcome.REJECTED, False)
    assert "this order is valid" in test_order.detail


# --- failures and retries (REFERENCE §11) ----------------------------------------------------


def test_place_is_retried_after_5xx_until_it_succeeds(
    live_store, partner_webhooks, enqueued, django_capture_on_commit_callbacks
):
    partner_webhooks.place_failures = 2
    test_order = start(live_store)

    test_order = run(test_order, django_capture_on_commit_callbacks)
    assert test_order.outcome == Outcome.PENDING_RETRY
    assert test_order.place_attempts == 1
    assert test_order.as_expected is None
    assert [(e.task, e.args, e.countdown) for e in enqueued] == [
        ("sandbox_test_order_task", (test_order.pk,), None)  # scale 0: right away
    ]

    test_order = run(test_order, django_capture_on_commit_callbacks)
    assert test_order.outcome == Outcome.PENDING_RETRY
    test_order = run(test_order, django_capture_on_commit_callbacks)

    assert (test_order.outcome, test_order.as_expected) == (Outcome.PLACED, True)
    assert test_order.place_attempts == 3
    places = [call for call in calls_of(test_order) if call.operation == "place"]
    assert [(c.attempt, c.response_status) for c in places] == [(1, 503), (2, 503), (3, 200)]
    # Every attempt sends the same bytes with a fresh, valid signature.
    assert len({call.request_body for call in places}) == 1
    assert all(signature_ok(call) for call in places)
    assert SandboxOrder.objects.count() == 1
    assert "on attempt 3" in test_order.detail


def test_place_gives_up_after_gett_s_retry_schedule(
    live_store, partner_webhooks, enqueued, django_capture_on_commit_callbacks, settings
):
    settings.GETT_SANDBOX_RETRY_SCALE = 0.1
    partner_webhooks.place_failures = 100
    test_order = start(live_store)

    for _ in range(10):
        test_order = run(test_order, django_capture_on_commit_callbacks)

    # 30 s, 2 min, 10 min, 1 h, scaled by 0.1; then no more.
    assert [e.countdown for e in enqueued] == [3.0, 12.0, 60.0, 360.0]
    assert (test_order.outcome, test_order.as_expected) == (Outcome.FAILED, False)
    assert test_order.place_attempts == 5
    assert "after 5 attempts" in test_order.detail
    assert partner_webhooks.paths().count("/webhooks/gett/placeOrder") == 5
    assert not SandboxOrder.objects.exists()


def test_a_pending_retry_records_when_the_next_attempt_is_due(
    live_store, partner_webhooks, django_capture_on_commit_callbacks, settings
):
    settings.GETT_SANDBOX_RETRY_SCALE = 1
    partner_webhooks.place_failures = 1
    before = time.time()

    test_order = run(start(live_store), django_capture_on_commit_callbacks)

    assert test_order.outcome == Outcome.PENDING_RETRY
    assert 29 <= test_order.next_attempt_at.timestamp() - before <= 35
    assert "retries in 30 s" in test_order.detail


def test_a_place_timeout_is_recorded_and_retried(
    live_store, partner_webhooks, enqueued, django_capture_on_commit_callbacks, settings
):
    settings.GETT_SANDBOX_WEBHOOK_TIMEOUT = 0.3
    partner_webhooks.place_delay = 1.0

    test_order = run(start(live_store), django_capture_on_commit_callbacks)

    assert test_order.outcome == Outcome.PENDING_RETRY
    _, place = calls_of(test_order)
    assert place.response_status is None
    assert place.error == "Timed out after 0.3 s."
    assert 250 <= place.latency_ms < 1000
    assert len(enqueued) == 1


def test_a_place_4xx_is_not_retried(
    live_store, partner_webhooks, enqueued, django_capture_on_commit_callbacks
):
    partner_webhooks.place_failures = 1
    partner_webhooks.place_failure_status = 409

    test_order = run(start(live_store), django_capture_on_commit_callbacks)

    assert (test_order.outcome, test_order.as_expected) == (Outcome.REJECTED, False)
    assert enqueued == []


def test_validate_is_never_retried(
    live_store, partner_webhooks, enqueued, django_capture_on_commit_callbacks
):
    partner_webhooks.validate_status = 500

    test_order = run(start(live_store), django_capture_on_commit_callbacks)

    assert (test_order.outcome, test_order.as_expected) == (Outcome.FAILED, False)
    assert "does not retry validation" in test_order.detail
    assert [call.response_status for call in calls_of(test_order)] == [500]
    assert enqueued == []


def test_connection_refused_is_recorded(live_store, enqueued, django_capture_on_commit_callbacks):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    live_store.webhook_url = f"http://127.0.0.1:{port}/webhooks/gett"
    live_store.save()

    test_order = run(start(live_store), django_capture_on_commit_callbacks)

    assert test_order.outcome == Outcome.FAILED
    [call] = calls_of(test_order)
    assert (call.response_status, call.error) == (None, "Connection refused.")
    assert call.url == f"http://127.0.0.1:{port}/webhooks/gett/validateOrder"
    assert enqueued == []


def test_start_refuses_while_every_catalog_is_closed(live_store):
    # Tuesday 23:00 in New York: the example's Lunch & Dinner closed at 22:00, Late Night is for
    # Friday and Saturday. Gett shows the store as closed, so it sends no order (REFERENCE §17.4).
    with time_machine.travel(datetime(2026, 11, 25, 4, 0, tzinfo=UTC), tick=False):
        with pytest.raises(Problem) as caught:
            start(live_store)

    assert caught.value.error_code == "CONFLICT"
    assert "No catalog on the accepted menu is open now (Tuesday 23:00" in caught.value.detail
    assert not SandboxTestOrder.objects.exists()
