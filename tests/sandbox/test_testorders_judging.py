"""How test orders judge a partner's replies, scenario by scenario (REFERENCE §9-15).

The partner is the fake at the wire (conftest `partner_webhooks`): it behaves, then misbehaves
one way at a time (`tamper` rewrites a reply), and the test order must say exactly what is wrong.
"""

import json

import pytest

from gett.sandbox import services
from gett.sandbox.models import SandboxOrder, SandboxTestOrder
from gett.sandbox.partner_http import WebhookReply
from gett.sandbox.services import judging

pytestmark = pytest.mark.django_db

Scenario = SandboxTestOrder.Scenario
Outcome = SandboxTestOrder.Outcome
PROBLEM = "application/problem+json"


def send(store, scenario: str, seed: int = 42) -> SandboxTestOrder:
    test_order = services.test_order_start(store=store, scenario=scenario, seed=seed)
    services.test_order_run(test_order_id=test_order.pk)
    test_order.refresh_from_db()
    return test_order


def calls(test_order) -> list[tuple[str, str, int | None]]:
    return [
        (call.operation, call.url.rsplit("/", 1)[-1], call.response_status)
        for call in test_order.calls.order_by("created_at", "pk")
    ]


def rewrite(operation: str, change):
    """A `tamper` that lets `change(status, reply)` rewrite the replies to one operation."""

    def tamper(name, status, reply):
        content_type = "application/json" if status < 400 else PROBLEM
        if name == operation:
            return change(status, reply, content_type)
        return status, reply, content_type

    return tamper


# --- a partner that behaves -------------------------------------------------------------------

BEHAVED = {
    Scenario.VALID: (
        Outcome.PLACED,
        [("validate", "validateOrder", 200), ("place", "placeOrder", 200)],
    ),
    Scenario.SHORT_PATHS: (
        Outcome.PLACED,
        [("validate", "validate", 200), ("place", "place", 200)],
    ),
    Scenario.BAD_SIGNATURE: (Outcome.REJECTED, [("validate", "validateOrder", 401)]),
    Scenario.TAMPERED_BODY: (Outcome.REJECTED, [("validate", "validateOrder", 401)]),
    Scenario.STALE_TIMESTAMP: (Outcome.REJECTED, [("validate", "validateOrder", 401)]),
    Scenario.MISSING_SIGNATURE: (Outcome.REJECTED, [("validate", "validateOrder", 401)]),
    Scenario.MALFORMED_JSON: (Outcome.REJECTED, [("validate", "validateOrder", 400)]),
    Scenario.UNKNOWN_STORE: (Outcome.REJECTED, [("validate", "validateOrder", 404)]),
    Scenario.MISSING_MODIFIER: (Outcome.REJECTED, [("validate", "validateOrder", 400)]),
    Scenario.UNKNOWN_ITEM: (Outcome.REJECTED, [("validate", "validateOrder", 400)]),
    Scenario.WRONG_TOTAL: (
        Outcome.REJECTED,
        [("validate", "validateOrder", 200), ("place", "placeOrder", 400)],
    ),
    Scenario.REPEATED_PLACE: (
        Outcome.PLACED,
        [("validate", "validateOrder", 200), ("place", "placeOrder", 200)]
        + [("place", "placeOrder", 200)],
    ),
    Scenario.CONCURRENT_PLACE: (
        Outcome.PLACED,
        [
            ("validate", "validateOrder", 200),
            ("place", "placeOrder", 200),
            ("place", "placeOrder", 200),
        ],
    ),
    Scenario.CONFLICTING_REPEAT: (
        Outcome.PLACED,
        [
            ("validate", "validateOrder", 200),
            ("place", "placeOrder", 200),
            ("validate", "validateOrder", 200),
            ("place", "placeOrder", 409),
        ],
    ),
}


def test_every_scenario_has_a_behaving_partner_case():
    assert set(BEHAVED) == set(Scenario.values)


@pytest.mark.parametrize("scenario", Scenario.values)
def test_a_partner_that_behaves_passes_every_scenario(live_store, scenario):
    outcome, expected_calls = BEHAVED[scenario]

    test_order = send(live_store, scenario)

    assert (test_order.outcome, test_order.as_expected) == (outcome, True), test_order.detail
    assert calls(test_order) == expected_calls
    assert "as expected" in test_order.detail


@pytest.mark.parametrize(
    ("scenario", "detail"),
    [
        ("bad_signature", "refused a signature made with another secret with HTTP 401"),
        ("tampered_body", "refused a body changed after it was signed with HTTP 401"),
        ("missing_signature", "refused no Signature header with HTTP 401 UNAUTHENTICATED"),
        ("malformed_json", "refused a body that is not valid JSON with HTTP 400 INVALID_REQUEST"),
        ("unknown_store", "refused a cart.storeId no store has with HTTP 404 STORE_NOT_FOUND"),
        ("missing_modifier", "with HTTP 400 MODIFIER_REQUIRED, as expected."),
        ("wrong_total", "placeOrder refused a total 1.00 off the validated one with HTTP 400"),
    ],
)
def test_a_right_refusal_is_named_in_the_verdict(live_store, scenario, detail):
    test_order = send(live_store, scenario)

    assert test_order.as_expected is True
    assert detail in test_order.detail


def test_the_broken_requests_are_what_the_scenario_says(live_store, catalogset):
    tampered = send(live_store, "tampered_body").calls.get()
    missing = send(live_store, "missing_signature").calls.get()
    malformed = send(live_store, "malformed_json").calls.get()
    unknown_store = send(live_store, "unknown_store").calls.get()
    missing_modifier = send(live_store, "missing_modifier").calls.get()

    assert json.loads(tampered.request_body)  # valid JSON, signed over other bytes
    assert "Signature" not in missing.request_headers and "Timestamp" in missing.request_headers
    with pytest.raises(ValueError):
        json.loads(malformed.request_body)
    assert json.loads(unknown_store.request_body)["cart"]["storeId"] != str(live_store.store_id)
    [line] = json.loads(missing_modifier.request_body)["cart"]["lineItems"]
    groups = catalogset["modifierGroups"]
    required = [
        group_id
        for group_id in catalogset["items"][line["itemId"]]["modifierGroupIds"]
        if groups[group_id]["minSelections"] > 0
    ]
    chosen = {group["modifierGroupId"] for group in line.get("modifierGroups", [])}
    assert set(required) - chosen


# --- 200 replies: amounts Gett can charge from --------------------------------------------------


def drop(*names):
    def change(status, reply, content_type):
        reply["amounts"] = {k: v for k, v in reply["amounts"].items() if k not in names}
        return status, reply, content_type

    return change


def set_amount(name, value):
    def change(status, reply, content_type):
        reply["amounts"][name] = value
        return status, reply, content_type

    return change


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (drop("promotions", "adjustments"), "amounts lacks promotions, adjustments"),
        (set_amount("taxes", "1.00"), "amounts.taxes is '1.00', not a number"),
        (set_amount("total", 1.0), "amounts.total is 1.00 but subTotal + fees − promotions +"),
        (set_amount("tip", 99.0), "Gett sent a tip of"),
        (set_amount("fees", -1.0), "amounts.fees is negative"),
    ],
)
def test_validate_amounts_that_gett_cannot_charge_from_stop_the_order(
    live_store, partner_webhooks, change, says
):
    partner = partner_webhooks
    partner.tamper = rewrite("validateOrder", change)

    test_order = send(live_store, "valid")

    assert (test_order.outcome, test_order.as_expected) == (Outcome.VALIDATED, False)
    assert test_order.detail.startswith("validateOrder answered 200, but ")
    assert says in test_order.detail
    assert "nothing was placed" in test_order.detail
    assert [c[0] for c in calls(test_order)] == ["validate"]
    assert not SandboxOrder.objects.exists()


def test_a_subtotal_other_than_gett_s_is_named(live_store, partner_webhooks):
    def change(status, reply, content_type):
        reply["amounts"]["subTotal"] += 1
        reply["amounts"]["total"] += 1
        return status, reply, content_type

    partner_webhooks.tamper = rewrite("validateOrder", change)

    test_order = send(live_store, "valid")

    assert test_order.as_expected is False
    expected = test_order.expected_amounts["subTotal"]
    assert f"Gett prices the cart at {expected:.2f}" in test_order.detail


def test_a_validate_reply_that_is_not_json_is_named(live_store, partner_webhooks):
    partner_webhooks.tamper = rewrite(
        "validateOrder", lambda status, reply, content_type: (200, b"OK", "text/plain")
    )

    test_order = send(live_store, "valid")

    assert test_order.as_expected is False
    assert "the reply body is not a JSON object" in test_order.detail


def test_place_reply_needs_our_order_id_and_a_partner_order_id(live_store, partner_webhooks):
    def change(status, reply, content_type):
        reply["orderId"] = "someone-else"
        del reply["partnerOrderId"]
        return status, reply, content_type

    partner_webhooks.tamper = rewrite("placeOrder", change)

    test_order = send(live_store, "valid")

    assert (test_order.outcome, test_order.as_expected) == (Outcome.PLACED, False)
    assert f"orderId is 'someone-else'; Gett's order is '{test_order.order_id}'" in (
        test_order.detail
    )
    assert "the reply has no partnerOrderId" in test_order.detail
    assert "does not match PlaceOrderResponse" in test_order.detail


def test_a_place_total_other_than_the_one_charged_is_named(live_store, partner_webhooks):
    def change(status, reply, content_type):
        reply["amounts"]["tip"] += 1
        reply["amounts"]["total"] += 1
        return status, reply, content_type

    partner_webhooks.tamper = rewrite("placeOrder", change)

    test_order = send(live_store, "valid")

    assert test_order.as_expected is False
    assert "Gett charged the consumer" in test_order.detail


# --- refusals: problem+json with the right errorCode and jsonPath ------------------------------


@pytest.mark.parametrize("scenario", ["tampered_body", "missing_signature", "stale_timestamp"])
def test_a_partner_that_takes_an_unverified_request_is_reported(
    live_store, partner_webhooks, scenario
):
    partner_webhooks.check_signatures = False

    test_order = send(live_store, scenario)

    assert (test_order.outcome, test_order.as_expected) == (Outcome.VALIDATED, False)
    assert test_order.detail.startswith("validateOrder answered 200 to ")
    assert test_order.detail.endswith("expected 401 UNAUTHENTICATED. Nothing was placed.")


def test_a_401_that_is_not_problem_json_is_reported(live_store, partner_webhooks):
    partner_webhooks.tamper = rewrite(
        "validateOrder", lambda status, reply, content_type: (status, reply, "application/json")
    )

    test_order = send(live_store, "missing_signature")

    assert (test_order.outcome, test_order.as_expected) == (Outcome.REJECTED, False)
    assert test_order.detail == (
        "validateOrder answered HTTP 401 UNAUTHENTICATED to no Signature header; expected 401 "
        "UNAUTHENTICATED as problem+json: the Content-Type is application/json, not "
        "application/problem+json."
    )


def test_a_refusal_with_the_wrong_status_and_code_is_reported(live_store, partner_webhooks):
    def change(status, reply, content_type):
        return 400, {"status": 400, "errorCode": "INVALID_REQUEST", "errors": []}, content_type

    partner_webhooks.tamper = rewrite("validateOrder", change)

    test_order = send(live_store, "unknown_store")

    assert test_order.as_expected is False
    assert "expected 404 STORE_NOT_FOUND as problem+json" in test_order.detail
    assert "the status is 400, not 404" in test_order.detail
    assert "errorCode is 'INVALID_REQUEST', not STORE_NOT_FOUND" in test_order.detail
    assert "errors[] is empty" in test_order.detail


def test_a_refusal_that_does_not_say_where_is_reported(live_store, partner_webhooks):
    def change(status, reply, content_type):
        for error in reply["errors"]:
            del error["jsonPath"]
        return status, reply, content_type

    partner_webhooks.tamper = rewrite("validateOrder", change)

    test_order = send(live_store, "missing_modifier")

    assert test_order.as_expected is False
    assert "errors[0] has no jsonPath ($...) saying where" in test_order.detail


def test_malformed_json_answered_with_a_500_is_a_failure(live_store, partner_webhooks):
    partner_webhooks.tamper = rewrite(
        "validateOrder", lambda status, reply, content_type: (500, {"oops": 1}, PROBLEM)
    )

    test_order = send(live_store, "malformed_json")

    assert (test_order.outcome, test_order.as_expected) == (Outcome.FAILED, False)
    assert test_order.detail == (
        "validateOrder failed (HTTP 500) on a body that is not valid JSON; expected 400 "
        "INVALID_REQUEST."
    )


def test_a_partner_that_places_a_wrong_total_is_reported(live_store, partner_webhooks):
    def change(status, reply, content_type):
        return 200, {"orderId": "x", "partnerOrderId": "POS-9"}, "application/json"

    partner_webhooks.tamper = rewrite("placeOrder", change)

    test_order = send(live_store, "wrong_total")

    assert (test_order.outcome, test_order.as_expected) == (Outcome.PLACED, False)
    assert (
        "placeOrder answered 200 to a total 1.00 off the validated one; expected 400 "
        "ORDER_TOTAL_DIFFERENT" in test_order.detail
    )


def test_missing_modifier_is_not_applicable_without_a_required_group(
    live_store, partner_webhooks, catalogset
):
    for group in catalogset["modifierGroups"].values():
        group["minSelections"] = group["minimumAllowed"] = 0
    services.catalogset_seed(partner_store_id=live_store.partner_store_id, document=catalogset)
    partner = partner_webhooks

    test_order = services.test_order_start(store=live_store, scenario="missing_modifier", seed=1)

    assert test_order.outcome == Outcome.NOT_APPLICABLE
    assert test_order.as_expected is None and test_order.finished_at is not None
    assert test_order.detail.startswith("Not applicable: the menu has no required group")
    assert services.test_order_run(test_order_id=test_order.pk).outcome == Outcome.NOT_APPLICABLE
    assert partner.received == []


# --- repeats of placeOrder -----------------------------------------------------------------------


def test_concurrent_places_are_sent_at_the_same_moment(live_store, partner_webhooks):
    partner = partner_webhooks
    partner.place_delay = 0.3

    test_order = send(live_store, "concurrent_place")

    places = [r for r in partner.received if r.path.endswith("/placeOrder")]
    assert len(places) == 2 and places[0].body == places[1].body
    first, second = test_order.calls.filter(operation="place").order_by("pk")
    # Sent together: each waited ~0.3 s, and both were over well before 0.6 s.
    assert abs(first.latency_ms - second.latency_ms) < 250
    assert test_order.repeat_matched is True
    assert test_order.as_expected is True, test_order.detail
    assert SandboxOrder.objects.count() == 1


def test_concurrent_places_with_two_partner_order_ids_are_reported(live_store, partner_webhooks):
    partner_webhooks.idempotent = False

    test_order = send(live_store, "concurrent_place")

    assert (test_order.outcome, test_order.as_expected) == (Outcome.PLACED, False)
    assert "the other of the two concurrent placeOrders gave partnerOrderId" in test_order.detail
    assert "placeOrder must be idempotent on orderId" in test_order.detail


def test_a_concurrent_place_that_fails_once_is_reported(live_store, partner_webhooks):
    partner = partner_webhooks
    partner.place_failures = 1
    partner.place_failure_status = 500

    test_order = send(live_store, "concurrent_place")

    assert (test_order.outcome, test_order.as_expected) == (Outcome.PLACED, False)
    assert (
        "the other of the two concurrent placeOrders answered HTTP 500 SERVICE_UNAVAILABLE; a "
        "repeat of one orderId must answer 200" in test_order.detail
    )


def test_a_conflicting_repeat_that_is_accepted_is_reported(live_store, partner_webhooks):
    partner_webhooks.idempotent = False

    test_order = send(live_store, "conflicting_repeat")

    assert (test_order.outcome, test_order.as_expected) == (Outcome.PLACED, False)
    assert "to the same orderId with another cart; expected 409 ORDER_ALREADY_PLACED" in (
        test_order.detail
    )
    assert "the first order must stand" in test_order.detail


def test_a_conflicting_repeat_sends_a_validated_cart_with_one_more_item(live_store):
    test_order = send(live_store, "conflicting_repeat")

    _, first_place, validate_again, second_place = test_order.calls.order_by("created_at", "pk")
    first = json.loads(first_place.request_body)
    second = json.loads(second_place.request_body)
    assert first["orderId"] == second["orderId"] == str(test_order.order_id)
    assert (
        second["cart"]["lineItems"][0]["quantity"] == first["cart"]["lineItems"][0]["quantity"] + 1
    )
    assert second["amounts"] == json.loads(validate_again.response_body)["amounts"]
    assert (
        test_order.expected_amounts["conflictingSubTotal"] > test_order.expected_amounts["subTotal"]
    )


# --- the judge on its own ----------------------------------------------------------------------


def reply(status, body, content_type="application/json") -> WebhookReply:
    return WebhookReply(status, json.dumps(body), {"Content-Type": content_type}, 1)


def test_amounts_consistent_to_the_cent_pass():
    amounts = {
        "subTotal": 10.1,
        "fees": 2.99,
        "promotions": 1.0,
        "taxes": 0.88,
        "adjustments": -0.5,
        "tip": 2.0,
        "total": 14.47,
    }

    assert judging.amounts_problems(amounts, tip=2.0, expected_subtotal=10.10) == []


def test_a_refusal_without_problem_members_is_reported():
    found = judging.refusal_problems(
        reply(400, ["not", "an", "object"]), status=400, error_code="ITEM_UNAVAILABLE"
    )

    assert found == [
        "the Content-Type is application/json, not application/problem+json",
        "the body is not a JSON problem object",
    ]


def test_a_problem_that_breaks_the_spec_is_reported():
    body = {"status": "400", "errorCode": "ITEM_UNAVAILABLE", "errors": [{"jsonPath": "$"}]}

    found = judging.refusal_problems(
        reply(400, body, PROBLEM), status=400, error_code="ITEM_UNAVAILABLE"
    )

    assert found[0].startswith("the reply does not match ProblemDetails ($.status: '400' is not")


def test_the_store_page_offers_every_scenario_the_sandbox_can_send():
    from stores.services import TEST_ORDER_SCENARIOS

    assert set(TEST_ORDER_SCENARIOS) == set(Scenario.values)
