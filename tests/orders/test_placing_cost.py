"""What placing an order costs the database (bench/webhooks.py measures the time).

A new order is a fixed number of statements whatever the cart's size; the merchant's order
number is taken in one statement before the placing transaction, so the counter row is not
locked while the order is written. A repeat takes no number.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order
from tests.orders.conftest import cart_body, post_signed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("lunchtime")]

PLACE = "/webhooks/gett/placeOrder"


def _statements(queries: CaptureQueriesContext) -> list[str]:
    """Each statement as its verb and table: "INSERT orders_order", "COMMIT"."""
    found = []
    for query in queries.captured_queries:
        words = query["sql"].replace('"', "").split()
        verb = words[0].upper()
        table = ""
        if verb == "SELECT":
            table = words[words.index("FROM") + 1]
        elif verb == "INSERT":
            table = words[2]
        elif verb == "UPDATE":
            table = words[1]
        found.append(f"{verb} {table}".strip())
    return found


def test_a_new_order_is_one_transaction_of_a_fixed_number_of_statements(client, shop, menu):
    # The first order reads the menu (kept between requests) and creates the merchant's counter.
    assert post_signed(client, PLACE, cart_body(shop, menu, order_id="g-first")).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        reply = post_signed(client, PLACE, cart_body(shop, menu, order_id="g-second"))

    assert reply.status_code == 200, reply.content
    assert _statements(queries) == [
        "SELECT orders_order",  # a repeat?
        "SELECT stores_store",
        "UPDATE orders_ordercounter",  # the number, in one statement (RETURNING), committed
        "BEGIN",
        "INSERT orders_order",
        "INSERT orders_orderline",  # one INSERT per nesting level: burger and cola,
        "INSERT orders_orderline",  # size and toppings,
        "INSERT orders_orderline",  # the bacon's style
        "INSERT orders_orderevent",
        "COMMIT",
        "INSERT gett_inboundwebhook",  # the call's log
    ]


def test_a_repeat_takes_no_number(client, shop, menu):
    first = post_signed(client, PLACE, cart_body(shop, menu, order_id="g-1"))
    repeat = post_signed(client, PLACE, cart_body(shop, menu, order_id="g-1"))
    second = post_signed(client, PLACE, cart_body(shop, menu, order_id="g-2"))

    assert repeat.json() == first.json()
    assert first.json()["partnerOrderId"].endswith("-1001")
    assert second.json()["partnerOrderId"].endswith("-1002")
    assert sorted(Order.objects.values_list("number", flat=True)) == [1001, 1002]
