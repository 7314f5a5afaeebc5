"""Order status updates: POST /v1/commerce/orders/{orderId}/status (REFERENCE §7)."""

import uuid
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from gett.sandbox import services
from gett.sandbox.models import SandboxOrder, SandboxOrderEvent
from tests.sandbox.conftest import load_payload
from tests.sandbox.openapi import assert_valid_request, assert_valid_response

pytestmark = pytest.mark.django_db

STATUS = "/v1/commerce/orders/{orderId}/status"
ORDER_ID = uuid.UUID("9d3e7a52-1c4b-4f0e-8b6a-2e71c5d0f8a3")
CART = {"storeId": "pos-store-0042", "lineItems": [{"itemId": "burger", "quantity": 2}]}
AMOUNTS = {"subTotal": 25.5, "taxes": 2.1, "fees": 0, "tip": 3, "total": 30.6}


def make_order(store, *, fulfillment_type="delivery", order_id=ORDER_ID) -> SandboxOrder:
    return services.order_create(
        store=store,
        order_id=order_id,
        partner_order_id="PO-1001",
        cart=CART,
        amounts=AMOUNTS,
        fulfillment_type=fulfillment_type,
    )


@pytest.fixture
def order(store) -> SandboxOrder:
    return make_order(store)


@pytest.fixture
def pickup_order(store) -> SandboxOrder:
    return make_order(store, fulfillment_type="pickup", order_id=uuid.uuid4())


def post(client, auth, order, body):
    url = reverse("sandbox:order-status", kwargs={"order_id": str(order.order_id)})
    return client.post(url, body, content_type="application/json", headers=auth)


def advance(client, auth, order, *statuses):
    for status in statuses:
        response = post(client, auth, order, {"status": status})
        assert response.status_code == 200, response.content


def state_of(order) -> tuple[str, str]:
    order.refresh_from_db()
    return order.state, order.status


# --- creation ----------------------------------------------------------------------------------


def test_order_create_opens_a_pending_order_with_a_creation_event(store):
    order = make_order(store)

    assert (order.state, order.status, order.fulfillment_type) == ("open", "pending", "delivery")
    assert (order.partner_order_id, order.cart, order.amounts) == ("PO-1001", CART, AMOUNTS)
    [event] = order.events.all()
    assert (event.from_state, event.from_status, event.to_state, event.to_status) == (
        "",
        "",
        "open",
        "pending",
    )


def test_order_create_is_idempotent_on_the_gett_order_id(order, store):
    again = make_order(store)

    assert again.pk == order.pk
    assert SandboxOrder.objects.count() == 1
    assert SandboxOrderEvent.objects.count() == 1


def test_order_create_rejects_an_unknown_fulfillment_type(store):
    with pytest.raises(ValueError, match="fulfillment_type"):
        make_order(store, fulfillment_type="drone")


# --- the shared examples -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "before", "after"),
    [
        ("order-status-update.confirmed.json", [], ("open", "confirmed")),
        ("order-status-update.in-transit.json", ["confirmed", "ready"], ("open", "inTransit")),
        ("order-status-update.completed.json", ["confirmed", "ready"], ("completed", "ready")),
        ("order-status-update.cancelled.json", ["confirmed"], ("cancelled", "confirmed")),
    ],
)
def test_each_example_update_is_accepted_with_an_empty_200(
    client, auth, order, payload, before, after
):
    body = load_payload(payload)
    assert_valid_request(body, STATUS, "post")
    advance(client, auth, order, *before)

    response = post(client, auth, order, body)

    assert response.status_code == 200
    assert_valid_response(response, STATUS, "post")
    assert response.content == b""
    assert state_of(order) == after


def test_confirmed_with_estimated_ready_at_stores_it(client, auth, order):
    post(client, auth, order, load_payload("order-status-update.confirmed.json"))

    order.refresh_from_db()
    assert order.estimated_ready_at == datetime(2026, 5, 8, 18, 40, tzinfo=UTC)


def test_cancel_keeps_the_reason(client, auth, order):
    post(client, auth, order, load_payload("order-status-update.cancelled.json"))

    order.refresh_from_db()
    assert order.cancel_reason == "Kitchen closed early due to a power outage"


# --- forward, skips, repeats, backwards ---------------------------------------------------------


def test_status_moves_forward_one_step_at_a_time(client, auth, order):
    for status in ["confirmed", "preparing", "ready", "inTransit"]:
        advance(client, auth, order, status)
        assert state_of(order) == ("open", status)


def test_forward_skips_are_allowed(client, auth, order):
    advance(client, auth, order, "ready")

    assert state_of(order) == ("open", "ready")


def test_repeating_the_current_status_is_a_harmless_200(client, auth, order):
    advance(client, auth, order, "preparing")

    response = post(client, auth, order, {"status": "preparing"})

    assert response.status_code == 200
    assert_valid_response(response, STATUS, "post")
    assert state_of(order) == ("open", "preparing")


def test_repeating_a_status_may_update_the_estimate(client, auth, order):
    advance(client, auth, order, "preparing")

    post(client, auth, order, {"status": "preparing", "estimatedReadyAt": "2026-05-08T19:05:00Z"})

    order.refresh_from_db()
    assert order.estimated_ready_at == datetime(2026, 5, 8, 19, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("current", "back"),
    [("ready", "confirmed"), ("preparing", "confirmed"), ("inTransit", "ready")],
)
def test_going_backwards_is_409_conflict(client, auth, order, current, back):
    advance(client, auth, order, current)

    response = post(client, auth, order, {"status": back})

    assert response.status_code == 409
    problem = assert_valid_response(response, STATUS, "post")
    assert problem["errorCode"] == "CONFLICT"
    assert problem["retryable"] is False
    assert state_of(order) == ("open", current)


def test_in_transit_for_a_pickup_order_is_422(client, auth, pickup_order):
    advance(client, auth, pickup_order, "ready")

    response = post(client, auth, pickup_order, {"status": "inTransit"})

    assert response.status_code == 422
    problem = assert_valid_response(response, STATUS, "post")
    assert problem["errors"][0]["jsonPath"] == "$.status"
    assert problem["errors"][0]["code"] == "not_delivery"
    assert state_of(pickup_order) == ("open", "ready")


def test_pickup_order_can_be_completed_from_ready(client, auth, pickup_order):
    advance(client, auth, pickup_order, "confirmed", "ready")

    response = post(client, auth, pickup_order, {"state": "completed"})

    assert response.status_code == 200
    assert state_of(pickup_order) == ("completed", "ready")


# --- bodies Gett rejects -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"state": "completed", "status": "ready"},
        {},
        {"estimatedReadyAt": "2026-05-08T18:40:00Z"},
        {"cancelReason": "oops"},
    ],
    ids=["both", "empty", "only-estimate", "only-reason"],
)
def test_body_must_carry_exactly_one_of_state_and_status(client, auth, order, body):
    response = post(client, auth, order, body)

    assert response.status_code == 422
    problem = assert_valid_response(response, STATUS, "post")
    assert [e["jsonPath"] for e in problem["errors"]] == ["$"]
    assert state_of(order) == ("open", "pending")


def test_sending_pending_is_422(client, auth, order):
    response = post(client, auth, order, {"status": "pending"})

    assert response.status_code == 422
    problem = assert_valid_response(response, STATUS, "post")
    assert problem["errors"][0]["jsonPath"] == "$.status"
    assert "never send it" in problem["errors"][0]["message"]


@pytest.mark.parametrize("status", ["picked_up", "completed", "READY", "", None, 3, ["ready"]])
def test_unknown_status_is_422(client, auth, order, status):
    response = post(client, auth, order, {"status": status})

    assert response.status_code == 422
    assert assert_valid_response(response, STATUS, "post")["errors"][0]["jsonPath"] == "$.status"


@pytest.mark.parametrize("state", ["open", "closed", "canceled", None, {}])
def test_state_other_than_completed_or_cancelled_is_422(client, auth, order, state):
    response = post(client, auth, order, {"state": state})

    assert response.status_code == 422
    assert assert_valid_response(response, STATUS, "post")["errors"][0]["jsonPath"] == "$.state"


@pytest.mark.parametrize(
    "body",
    [
        {"state": "cancelled"},
        {"state": "cancelled", "cancelReason": ""},
        {"state": "cancelled", "cancelReason": "   "},
        {"state": "cancelled", "cancelReason": None},
        {"state": "cancelled", "cancelReason": 7},
        {"state": "cancelled", "cancelReason": "x" * 1001},
    ],
)
def test_cancel_without_a_usable_reason_is_422(client, auth, order, body):
    response = post(client, auth, order, body)

    assert response.status_code == 422
    problem = assert_valid_response(response, STATUS, "post")
    assert problem["errors"][0]["jsonPath"] == "$.cancelReason"
    assert state_of(order) == ("open", "pending")


@pytest.mark.parametrize(
    "value", ["2026-05-08T18:40:00", "2026-05-08", "18:40", "tomorrow", "", 1715193600, None]
)
def test_estimated_ready_at_must_be_iso_8601_with_an_offset(client, auth, order, value):
    response = post(client, auth, order, {"status": "confirmed", "estimatedReadyAt": value})

    assert response.status_code == 422
    problem = assert_valid_response(response, STATUS, "post")
    assert [e["jsonPath"] for e in problem["errors"]] == ["$.estimatedReadyAt"]
    assert state_of(order) == ("open", "pending")


def test_estimated_ready_at_with_a_numeric_offset_is_accepted(client, auth, order):
    response = post(
        client,
        auth,
        order,
        {"status": "confirmed", "estimatedReadyAt": "2026-05-08T20:40:00+02:00"},
    )

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.estimated_ready_at == datetime(2026, 5, 8, 18, 40, tzinfo=UTC)


def test_every_invalid_member_is_reported_at_once(client, auth, order):
    response = post(client, auth, order, {"status": "pending", "estimatedReadyAt": "soon"})

    problem = assert_valid_response(response, STATUS, "post")
    assert sorted(e["jsonPath"] for e in problem["errors"]) == ["$.estimatedReadyAt", "$.status"]


def test_body_that_is_not_an_object_is_422(client, auth, order):
    response = post(client, auth, order, ["confirmed"])

    assert response.status_code == 422
    assert assert_valid_response(response, STATUS, "post")["errors"][0]["jsonPath"] == "$"


def test_malformed_json_is_400(client, auth, order):
    url = reverse("sandbox:order-status", kwargs={"order_id": str(order.order_id)})

    response = client.post(url, "{status", content_type="application/json", headers=auth)

    assert response.status_code == 400
    assert assert_valid_response(response, STATUS, "post")["errorCode"] == "INVALID_REQUEST"


# --- closed orders -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "closing", [{"state": "completed"}, {"state": "cancelled", "cancelReason": "No courier"}]
)
@pytest.mark.parametrize(
    "later",
    [
        {"status": "ready"},
        {"status": "inTransit"},
        {"state": "completed"},
        {"state": "cancelled", "cancelReason": "Again"},
    ],
)
def test_anything_after_the_order_is_closed_is_409(client, auth, order, closing, later):
    assert post(client, auth, order, closing).status_code == 200
    closed = state_of(order)

    response = post(client, auth, order, later)

    assert response.status_code == 409
    problem = assert_valid_response(response, STATUS, "post")
    assert problem["errorCode"] == "CONFLICT"
    assert state_of(order) == closed


def test_cancel_is_allowed_from_any_open_status(client, auth, order):
    advance(client, auth, order, "confirmed", "preparing", "ready", "inTransit")

    response = post(client, auth, order, {"state": "cancelled", "cancelReason": "Courier crash"})

    assert response.status_code == 200
    assert state_of(order) == ("cancelled", "inTransit")


# --- unknown orders, history -------------------------------------------------------------------


@pytest.mark.parametrize("order_id", [str(uuid.uuid4()), "PO-1001"])
def test_unknown_order_is_404_not_found(client, auth, db, order_id):
    url = reverse("sandbox:order-status", kwargs={"order_id": order_id})

    response = client.post(
        url, {"status": "confirmed"}, content_type="application/json", headers=auth
    )

    assert response.status_code == 404
    problem = assert_valid_response(response, STATUS, "post")
    assert problem["errorCode"] == "NOT_FOUND"
    assert problem["instance"] == f"/v1/commerce/orders/{order_id}/status"


def test_every_accepted_update_is_kept_in_the_history(client, auth, order):
    advance(client, auth, order, "confirmed", "confirmed", "ready")
    post(client, auth, order, {"state": "completed"})
    post(client, auth, order, {"status": "preparing"})  # rejected: not in the history

    events = list(order.events.values_list("from_status", "to_state", "to_status", "body"))
    assert events == [
        ("", "open", "pending", None),
        ("pending", "open", "confirmed", {"status": "confirmed"}),
        ("confirmed", "open", "confirmed", {"status": "confirmed"}),
        ("confirmed", "open", "ready", {"status": "ready"}),
        ("ready", "completed", "ready", {"state": "completed"}),
    ]
