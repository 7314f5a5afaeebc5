import json
from datetime import UTC, datetime

import pytest
import time_machine

from gett.signing import signed_headers
from tests.catalogs.menus import build_menu, pid
from tests.factories import StoreFactory

SECRET = "whsec_test_current"
# A Wednesday, 12:00 in London (lunch is 11-22 every day): the store is open.
LUNCHTIME = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def lunchtime():
    with time_machine.travel(LUNCHTIME, tick=False):
        yield LUNCHTIME


@pytest.fixture
def shop(owner):
    """A store on Gett selling the test menu, 20 % tax, 2.50 delivery fee."""
    store = StoreFactory(merchant=owner.merchant, tax_rate_bp=2000, delivery_fee=250)
    return store


@pytest.fixture
def menu(shop):
    return build_menu(shop.merchant)


def cart_body(store, menu, *, order_id=None, fulfillment="pickup", tip=0, amounts=None, lines=None):
    """A cart: a burger (large, with bacon crispy) × 2 and a cola."""
    body = {
        "cart": {
            "storeId": str(store.gett_store_id),
            "catalogSetId": "cs-1",
            "lineItems": lines
            if lines is not None
            else [
                {
                    "lineItemId": "li-1",
                    "itemId": pid(menu.burger),
                    "quantity": 2,
                    "specialInstructions": "No onions",
                    "modifierGroups": [
                        {
                            "modifierGroupId": pid(menu.size),
                            "selectedModifiers": [{"itemId": pid(menu.large), "quantity": 1}],
                        },
                        {
                            "modifierGroupId": pid(menu.toppings),
                            "selectedModifiers": [
                                {
                                    "itemId": pid(menu.bacon),
                                    "quantity": 1,
                                    "modifierGroups": [
                                        {
                                            "modifierGroupId": pid(menu.bacon_style),
                                            "selectedModifiers": [
                                                {"itemId": pid(menu.crispy), "quantity": 1}
                                            ],
                                        }
                                    ],
                                }
                            ],
                        },
                    ],
                },
                {"lineItemId": "li-2", "itemId": pid(menu.cola), "quantity": 1},
            ],
        },
        "fulfillmentType": fulfillment,
        "customer": {"firstName": "Dana", "lastName": "Reyes", "phone": "+12175550148"},
        "amounts": amounts if amounts is not None else {"tip": tip},
    }
    if fulfillment == "delivery":
        body["deliveryAddress"] = {"address1": "250 Harbor Street", "city": "Springfield"}
    if order_id:
        body["orderId"] = order_id
    return body


def post_signed(client, path, body, *, secret=SECRET, timestamp=None, raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    headers = signed_headers(data, secret, timestamp=timestamp)
    return client.post(
        path,
        data=data,
        content_type="application/json",
        headers={k: v for k, v in headers.items() if k != "Content-Type"},
    )
