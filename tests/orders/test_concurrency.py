"""placeOrder under concurrency: one Gett orderId gives one order, and nothing is answered 2xx
before it is committed. Real threads, each with its own database connection."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client

from orders.models import Order
from tests.orders.conftest import cart_body, post_signed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("lunchtime")]

PLACE = "/webhooks/gett/placeOrder"


def _concurrent(n, body):
    start = threading.Barrier(n)

    def call(_):
        try:
            start.wait()
            return post_signed(Client(), PLACE, body)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(call, range(n)))


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (CI runs it)"
)
def test_concurrent_places_of_one_order_id_make_one_order(shop, menu):
    replies = _concurrent(8, cart_body(shop, menu, order_id="g-concurrent"))

    assert [r.status_code for r in replies] == [200] * 8
    assert len({r.json()["partnerOrderId"] for r in replies}) == 1
    assert Order.objects.filter(gett_order_id="g-concurrent").count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (CI runs it)"
)
def test_concurrent_places_of_different_orders_get_distinct_numbers(shop, menu):
    bodies = [cart_body(shop, menu, order_id=f"g-{i}") for i in range(6)]
    start = threading.Barrier(len(bodies))

    def call(body):
        try:
            start.wait()
            return post_signed(Client(), PLACE, body)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        replies = list(pool.map(call, bodies))

    assert [r.status_code for r in replies] == [200] * 6
    numbers = sorted(Order.objects.values_list("number", flat=True))
    assert numbers == list(range(1001, 1007))


def test_nothing_is_answered_2xx_before_it_is_committed(client, shop, menu, monkeypatch):
    """A failure inside the placing transaction rolls it all back, and Gett gets an error, not
    a partnerOrderId for an order that does not exist."""
    from orders import services

    def lines_fail(order, quote):
        assert Order.objects.filter(pk=order.pk).exists()  # written, not yet committed
        raise RuntimeError("the database went away mid-transaction")

    monkeypatch.setattr(services, "_lines_create", lines_fail)

    reply = post_signed(client, PLACE, cart_body(shop, menu, order_id="g-rollback"))

    assert reply.status_code == 500
    assert reply["Content-Type"] == "application/problem+json"
    assert "partnerOrderId" not in json.loads(reply.content)
    assert not Order.objects.exists()
