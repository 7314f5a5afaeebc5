"""A page of orders from the API costs the same work whatever the lines on it: the line
serializer (a ModelSerializer, dear to build) is built once per response, not once per order
and line (the order list took half a second for 50 orders with 10,000 in the database)."""

from unittest import mock

import pytest
from rest_framework.test import APIClient

from orders import api as orders_api
from tests.orders.placing import place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lunchtime")]


@pytest.fixture
def api(owner) -> APIClient:
    client = APIClient()
    client.force_authenticate(owner.user)
    return client


def test_a_page_of_orders_builds_one_line_serializer(client, api, shop, menu):
    for _ in range(4):
        place(client, shop, menu)  # a burger with nested modifiers, and a cola
    built = mock.patch.object(
        orders_api.OrderLineSerializer,
        "__init__",
        side_effect=orders_api.OrderLineSerializer.__init__,
        autospec=True,
    )

    with built as init:
        body = api.get("/api/v1/orders/").json()

    assert body["count"] == 4
    assert init.call_count == 1
    for order in body["results"]:
        burger = order["lines"][0]
        assert burger["modifiers"][1]["modifiers"][0]["name"] == "Crispy"
        assert order["lines"][1]["modifiers"] == []
        assert burger["unit_price"]["currency"] == order["amounts"]["total"]["currency"]
