"""Fuzzing: hypothesis profiles, and a realistic merchant world for the schema-driven runs.

Profiles (`HYPOTHESIS_PROFILE` picks one explicitly):

* `ci` (when `CI=true`): derandomized, so a CI run is repeatable, with a bounded example count;
* `dev` (default): random, a little more;
* `deep`: for a long local hunt, `HYPOTHESIS_PROFILE=deep pytest tests/fuzz -p no:xdist`.

`FUZZ_EXAMPLES` overrides the examples per test of any profile.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from catalogs.models import Trigger
from catalogs.snoozes.services import item_snooze
from orders.models import Order
from orders.services import order_advance, order_cancel
from stores.models import Membership, PauseReason, Store
from tests.catalogs.menus import build_menu
from tests.factories import MembershipFactory, StoreFactory
from tests.orders.placing import place

_CHECKS_OFF = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
_PROFILES = {"ci": 25, "dev": 40, "deep": 500}

for _name, _examples in _PROFILES.items():
    settings.register_profile(
        f"fuzz-{_name}",
        max_examples=int(os.environ.get("FUZZ_EXAMPLES") or _examples),
        derandomize=_name == "ci",
        database=None if _name == "ci" else settings.default.database,
        deadline=None,
        suppress_health_check=_CHECKS_OFF,
        print_blob=True,
    )

_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
# A decorator (`@fuzz_settings`): the profile for these tests only, not for the whole session.
fuzz_settings = settings.get_profile(f"fuzz-{_PROFILE}")


@dataclass
class World:
    """What the fuzzed requests can hit: one merchant's stores, menu, orders and snoozes."""

    token: str
    stores: list[str]
    store_refs: list[str]  # what Gett puts in cart.storeId: Gett's store id, or ours
    items: list[str]
    groups: list[str]
    orders: list[str]
    merchants: list[str]
    other_store: str
    other_order: str


# A Wednesday lunchtime in London: the test menu is on sale, so carts get priced.
LUNCHTIME = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(db, client) -> Iterator[World]:
    with time_machine.travel(LUNCHTIME, tick=True):
        owner = MembershipFactory(role=Membership.Role.OWNER)
        merchant = owner.merchant
        menu = build_menu(merchant)
        live = StoreFactory(merchant=merchant, tax_rate_bp=2000, delivery_fee=250)
        paused = StoreFactory(
            merchant=merchant,
            gett_store_id=None,
            status=Store.Status.PAUSED,
            pause_reason=PauseReason.TOO_BUSY,
            paused_at=timezone.now(),
        )
        orders = [
            place(client, live, menu, fulfillment="delivery", tip=1),
            place(client, live, menu),
            place(client, live, menu),
        ]
        order_advance(order=orders[1], status=Order.Status.CONFIRMED, user=owner.user)
        order_cancel(order=orders[2], reason="other", note="Fuzz world", user=owner.user)
        item_snooze(store=live, item=menu.cola, until=None, user=owner.user, trigger=Trigger.SNOOZE)

        other = MembershipFactory(role=Membership.Role.OWNER)
        other_menu = build_menu(other.merchant)
        other_store = StoreFactory(merchant=other.merchant)
        other_order = place(client, other_store, other_menu)

        yield World(
            token=Token.objects.create(user=owner.user).key,
            stores=[str(live.public_id), str(paused.public_id)],
            store_refs=[str(live.gett_store_id), str(live.public_id), str(paused.public_id)],
            items=[
                str(i.public_id)
                for i in (menu.burger, menu.cola, menu.fries, menu.bacon, menu.large, menu.crispy)
            ],
            groups=[str(g.public_id) for g in (menu.size, menu.toppings, menu.bacon_style)],
            orders=[str(o.public_id) for o in orders],
            merchants=[str(merchant.public_id)],
            other_store=str(other_store.public_id),
            other_order=str(other_order.public_id),
        )


@pytest.fixture
def app() -> Iterator[WSGIHandler]:
    """The project's WSGI application, for schemathesis to call in process.

    As Django's test client does, the handler must not close the database connection when a
    request ends: the connection holds the test's transaction (on PostgreSQL it would be lost).
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
