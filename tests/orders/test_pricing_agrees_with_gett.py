"""Our pricing agrees to the cent with the sandbox's (Gett's) for every cart it can build.

The sandbox builds random valid carts from the CatalogSet we publish; our validateOrder prices
them from the menu rows. Both follow REFERENCE §17.6; a disagreement means one side is wrong.
"""

import random
from decimal import Decimal

import pytest

from bench.menu import menu_generate
from catalogs.publishing.builder import catalog_build
from gett.sandbox.services import carts
from tests.catalogs.menus import build_menu
from tests.orders.conftest import post_signed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lunchtime")]

VALIDATE = "/webhooks/gett/validateOrder"


def _agree(client, shop, seeds):
    document = catalog_build(store=shop)
    checked = 0
    for seed in seeds:
        body = carts.order_body_build(
            document,
            store_id=str(shop.gett_store_id),
            fulfillment_types=["pickup", "delivery"],
            rng=random.Random(seed),
        )
        reply = post_signed(client, VALIDATE, body)
        assert reply.status_code == 200, (seed, reply.content)
        ours = Decimal(str(reply.json()["amounts"]["subTotal"]))
        assert ours == carts.cart_subtotal(document, body["cart"]["lineItems"]), seed
        checked += 1
    return checked


def test_nested_modifier_menu(client, shop):
    build_menu(shop.merchant)
    assert _agree(client, shop, range(80)) == 80


def test_generated_menu_with_many_groups(client, shop):
    menu_generate(merchant=shop.merchant, items=60, profile="shared")
    assert _agree(client, shop, range(40)) == 40
