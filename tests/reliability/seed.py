"""Seeding the production stack for the ledger test, run inside its environment:

    python -m tests.reliability.seed portal            -> JSON on stdout
    python -m tests.reliability.seed sandbox <file>    (the portal's JSON, plus the order plan)

`portal`: a merchant with a store on Gett (a Gett store id, open all day) and a small menu, an
owner with an API token for the kitchen, and the store's CatalogSet document.
`sandbox`: Gett's side: the store as Gett knows it, a validateOrder body per planned order, and
Gett's record of each order (Gett creates an order before it calls placeOrder; status updates
for an order Gett does not know would be refused).
"""

from __future__ import annotations

import json
import random
import sys
import uuid


def seed_portal() -> dict:
    from datetime import time as dtime

    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from bench.menu import menu_generate
    from catalogs.models import AvailabilityWindow
    from catalogs.publishing.builder import catalog_build
    from stores.models import Membership, Merchant, Store

    merchant = Merchant.objects.create(name="Ledger Kitchen")
    store = Store.objects.create(
        merchant=merchant,
        name="Ledger Kitchen",
        timezone="Europe/London",
        currency="GBP",
        gett_store_id=uuid.uuid4(),
    )
    menu_generate(merchant=merchant, items=12, profile="shared")
    AvailabilityWindow.objects.filter(catalog__merchant=merchant).update(
        start=dtime(0), end=dtime(0)
    )
    user = get_user_model().objects.create_user(username="ledger-kitchen")
    Membership.objects.create(user=user, merchant=merchant, role=Membership.Role.OWNER)
    token = Token.objects.create(user=user)
    return {
        "gett_store_id": str(store.gett_store_id),
        "partner_store_id": str(store.public_id),
        "token": token.key,
        "document": catalog_build(store=store),
    }


def seed_sandbox(portal: dict, orders: int, seed: int) -> dict:
    from gett.sandbox.services import carts, order_create, store_provision

    store = store_provision(
        store_id=portal["gett_store_id"],
        partner_store_id=portal["partner_store_id"],
        name="Ledger Kitchen",
        timezone="Europe/London",
    )
    rng = random.Random(seed)
    bodies = []
    for _ in range(orders):
        body = carts.order_body_build(
            portal["document"],
            store_id=portal["gett_store_id"],
            fulfillment_types=["delivery", "pickup"],
            rng=rng,
        )
        body["orderId"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        order_create(
            store=store,
            order_id=body["orderId"],
            partner_order_id="",
            cart=body["cart"],
            amounts={},
            fulfillment_type=body["fulfillmentType"],
        )
        bodies.append(body)
    return {"bodies": bodies}


def main(argv: list[str]) -> None:
    import django

    django.setup()
    if argv[0] == "portal":
        result = seed_portal()
    else:
        with open(argv[1]) as file:
            portal = json.load(file)
        result = seed_sandbox(portal, orders=int(argv[2]), seed=int(argv[3]))
    json.dump(result, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv[1:])
