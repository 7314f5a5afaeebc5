import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from gett.models import OutboundMessage
from orders.models import Order
from tests.factories import MembershipFactory, StoreFactory
from tests.orders.placing import place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lunchtime")]

ORDERS = "/api/v1/orders/"
PROBLEM = "application/problem+json"


@pytest.fixture
def api(owner) -> APIClient:
    client = APIClient()
    client.force_authenticate(owner.user)
    return client


@pytest.fixture
def order(client, shop, menu):
    return place(client, shop, menu, fulfillment="delivery", tip=1)


def status_url(order):
    return f"{ORDERS}{order.public_id}/status/"


def cancel_url(order):
    return f"{ORDERS}{order.public_id}/cancel/"


def assert_problem(response, status: int, error_code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["detail"]
    if error_code:
        assert body["errorCode"] == error_code
    return body


def test_detail_has_nested_lines_money_objects_and_events(api, order):
    response = api.get(f"{ORDERS}{order.public_id}/")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(order.public_id)
    assert body["partner_order_id"] == order.partner_order_id
    assert body["store"] == str(order.store.public_id)
    assert (body["state"], body["status"], body["fulfillment_type"]) == (
        "open",
        "pending",
        "delivery",
    )
    assert body["customer"] == {"name": "Dana Reyes", "phone": "+12175550148", "email": ""}
    assert body["amounts"]["subtotal"] == {
        "amount": "39.00",
        "amount_minor": 3900,
        "currency": "GBP",
    }
    assert body["amounts"]["total"]["amount_minor"] == order.total
    burger, cola = body["lines"]
    assert (burger["name"], burger["quantity"], burger["special_instructions"]) == (
        "Burger",
        2,
        "No onions",
    )
    assert burger["total"] == {"amount": "36.00", "amount_minor": 3600, "currency": "GBP"}
    assert [(m["group_name"], m["name"]) for m in burger["modifiers"]] == [
        ("Size", "Large"),
        ("Toppings", "Bacon"),
    ]
    assert burger["modifiers"][1]["modifiers"][0]["name"] == "Crispy"
    assert cola["modifiers"] == []
    assert body["events"] == [
        {
            "kind": "placed",
            "at": "2026-11-25T12:00:00Z",
            "by": "Gett",
            "message": body["events"][0]["message"],
        }
    ]


def test_accept_with_prep_minutes_then_complete(api, order):
    response = api.post(
        status_url(order), {"status": "confirmed", "prep_minutes": 20}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    assert response.json()["estimated_ready_at"] == "2026-11-25T12:20:00Z"
    for status in ("preparing", "inTransit"):
        assert api.post(status_url(order), {"status": status}, format="json").status_code == 200
    response = api.post(status_url(order), {"status": "completed"}, format="json")

    assert response.json()["state"] == "completed"
    sent = OutboundMessage.objects.filter(key=order.outbox_key).order_by("id")
    assert [m.payload.get("status") or m.payload["state"] for m in sent] == [
        "confirmed",
        "preparing",
        "inTransit",
        "completed",
    ]


def test_a_backwards_step_is_a_409_problem(api, order):
    api.post(status_url(order), {"status": "ready"}, format="json")

    response = api.post(status_url(order), {"status": "preparing"}, format="json")

    body = assert_problem(response, 409, "CONFLICT")
    assert body["detail"] == f"Order {order} is already ready; it cannot go back a step."
    assert Order.objects.get().status == "ready"


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"status": "pending"}, "$.status"),
        ({"status": "done"}, "$.status"),
        ({}, "$.status"),
        ({"status": "preparing", "prep_minutes": "soon"}, "$.prep_minutes"),
        ({"status": "preparing", "prep_minutes": 0}, "$.prep_minutes"),
    ],
)
def test_bad_status_input_is_a_400_problem_with_json_path(api, order, data, path):
    body = assert_problem(api.post(status_url(order), data, format="json"), 400)

    assert [e["jsonPath"] for e in body["errors"]] == [path]


def test_cancel_with_reason_and_note(api, order):
    response = api.post(cancel_url(order), {"reason": "too_busy", "note": "Rush"}, format="json")

    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"
    assert response.json()["cancel_reason"] == "Kitchen too busy: Rush"
    assert response.json()["events"][-1]["kind"] == "cancelled"


def test_cancel_refusals_are_problems(api, order):
    assert_problem(api.post(cancel_url(order), {"reason": "bored"}, format="json"), 400)
    body = assert_problem(api.post(cancel_url(order), {"reason": "other"}, format="json"), 400)
    assert body["errors"][0]["jsonPath"] == "$.note"
    api.post(cancel_url(order), {"reason": "closing"}, format="json")
    assert_problem(api.post(cancel_url(order), {"reason": "closing"}, format="json"), 409)
    assert_problem(api.post(status_url(order), {"status": "completed"}, format="json"), 409)


def test_list_filters_and_search(api, client, owner, shop, menu):
    first = place(client, shop, menu)
    second = place(client, shop, menu, fulfillment="delivery")
    other_store = StoreFactory(merchant=owner.merchant)
    api.post(status_url(second), {"status": "confirmed"}, format="json")

    def ids(**params):
        response = api.get(ORDERS, params)
        assert response.status_code == 200, response.content
        return [o["partner_order_id"] for o in response.json()["results"]]

    assert ids() == [second.partner_order_id, first.partner_order_id]
    assert ids(status="pending") == [first.partner_order_id]
    assert ids(state="open", status="confirmed") == [second.partner_order_id]
    assert ids(state="cancelled") == []
    assert ids(store=str(other_store.public_id)) == []
    assert len(ids(store=str(shop.public_id))) == 2
    assert ids(search=first.partner_order_id) == [first.partner_order_id]
    assert len(ids(search="reyes")) == 2
    assert len(ids(placed_after="2026-11-25T11:59:00Z", placed_before="2026-11-25T12:01:00Z")) == 2
    assert ids(placed_after="2026-11-25T12:01:00Z") == []


def test_list_refuses_bad_filters_and_unknown_stores(api, order):
    assert_problem(api.get(ORDERS, {"state": "lost"}), 400)
    assert_problem(api.get(ORDERS, {"placed_after": "yesterday"}), 400)
    assert_problem(api.get(ORDERS, {"store": str(uuid.uuid4())}), 404)


def test_list_is_paginated_with_a_fixed_number_of_queries(api, client, shop, menu):
    place(client, shop, menu)
    with CaptureQueriesContext(connection) as one:
        api.get(ORDERS)
    with_one = len(one)
    for _ in range(11):
        place(client, shop, menu)

    with CaptureQueriesContext(connection) as twelve:
        response = api.get(ORDERS)

    assert response.json()["count"] == 12
    assert len(twelve) == with_one


def test_staff_can_work_orders_through_the_api(client, shop, menu):
    order = place(client, shop, menu)
    staff = MembershipFactory(merchant=shop.merchant, role="staff")
    api = APIClient()
    api.force_authenticate(staff.user)

    response = api.post(status_url(order), {"status": "confirmed"}, format="json")

    assert response.status_code == 200
    assert order.events.get(kind="status").user == staff.user


def test_another_merchants_order_is_a_404_on_every_endpoint(order):
    stranger = MembershipFactory()
    api = APIClient()
    api.force_authenticate(stranger.user)

    assert api.get(ORDERS).json()["count"] == 0
    assert_problem(api.get(f"{ORDERS}{order.public_id}/"), 404)
    assert_problem(api.post(status_url(order), {"status": "confirmed"}, format="json"), 404)
    assert_problem(api.post(cancel_url(order), {"reason": "too_busy"}, format="json"), 404)
    assert_problem(api.get(ORDERS, {"store": str(order.store.public_id)}), 404)
    assert Order.objects.get().status == "pending"


def test_anonymous_is_refused(order):
    response = APIClient().get(ORDERS)

    assert response.status_code in (401, 403)


def test_the_order_endpoints_are_in_the_openapi_schema(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    paths = schema["paths"]
    assert "/api/v1/orders/" in paths
    assert {"store", "state", "status", "placed_after", "placed_before", "search", "page"} <= {
        p["name"] for p in paths["/api/v1/orders/"]["get"]["parameters"]
    }
    assert "post" in paths["/api/v1/orders/{public_id}/status/"]
    assert "post" in paths["/api/v1/orders/{public_id}/cancel/"]
    assert "Order" in schema["components"]["schemas"]


@pytest.mark.parametrize("note", ["\x00", "Oven\x00broke"])
def test_a_cancel_note_with_a_nul_is_refused_and_the_order_stays_open(api, order, note):
    body = assert_problem(
        api.post(cancel_url(order), {"reason": "other", "note": note}, format="json"), 400
    )

    assert body["errors"][0]["jsonPath"] == "$.note"
    order.refresh_from_db()
    assert order.state == "open"
