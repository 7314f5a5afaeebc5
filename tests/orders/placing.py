"""Orders for the page and API tests, placed the way Gett places them: a signed placeOrder."""

import itertools

from orders.models import Order
from tests.orders.conftest import cart_body, post_signed

PLACE = "/webhooks/gett/placeOrder"
_ids = itertools.count(1)


def place(client, store, menu, *, fulfillment="pickup", **kwargs) -> Order:
    """One order through the webhook (the client keeps no login: the webhook needs none)."""
    order_id = kwargs.pop("order_id", None) or f"gett-{next(_ids)}"
    body = cart_body(store, menu, order_id=order_id, fulfillment=fulfillment, **kwargs)
    if fulfillment == "delivery":
        body["deliveryAddress"]["instructions"] = "Ring twice, second floor"
    reply = post_signed(client, PLACE, body)
    assert reply.status_code == 200, reply.content
    return Order.objects.get(gett_order_id=order_id)
