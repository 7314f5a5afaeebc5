"""Pricing keeps a store's menu rows between requests, and never prices from an old menu: every
menu write gives the store a new version on commit, and snoozes run out by the clock."""

from datetime import timedelta

import pytest

from catalogs.services import item_price_set
from catalogs.snoozes.services import item_snooze, item_unsnooze
from tests.orders.conftest import LUNCHTIME, cart_body, post_signed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lunchtime")]

VALIDATE = "/webhooks/gett/validateOrder"


def _subtotal(client, shop, menu):
    reply = post_signed(client, VALIDATE, cart_body(shop, menu))
    return reply.status_code, reply.json().get("amounts", {}).get("subTotal")


def test_the_second_cart_reads_no_menu_rows(client, shop, menu, django_assert_max_num_queries):
    post_signed(client, VALIDATE, cart_body(shop, menu))

    # The store, then the inbound log: the menu rows are kept.
    with django_assert_max_num_queries(2):
        assert post_signed(client, VALIDATE, cart_body(shop, menu)).status_code == 200


def test_a_price_change_is_priced_from_the_next_cart_on(
    client, shop, menu, django_capture_on_commit_callbacks
):
    assert _subtotal(client, shop, menu) == (200, 39.0)

    with django_capture_on_commit_callbacks(execute=True):
        item_price_set(item=menu.cola, price=500)

    assert _subtotal(client, shop, menu) == (200, 41.0)


def test_a_snooze_and_its_end_are_seen_at_once(
    client, shop, menu, django_capture_on_commit_callbacks
):
    assert _subtotal(client, shop, menu)[0] == 200
    with django_capture_on_commit_callbacks(execute=True):
        item_snooze(store=shop, item=menu.cola, until=LUNCHTIME + timedelta(minutes=10))
    assert _subtotal(client, shop, menu)[0] == 400

    with django_capture_on_commit_callbacks(execute=True):
        item_unsnooze(store=shop, item=menu.cola)
    assert _subtotal(client, shop, menu)[0] == 200


def test_a_snooze_that_runs_out_needs_no_write(
    client, shop, menu, time_machine, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        item_snooze(store=shop, item=menu.cola, until=LUNCHTIME + timedelta(minutes=10))
    assert _subtotal(client, shop, menu)[0] == 400

    time_machine.move_to(LUNCHTIME + timedelta(minutes=11), tick=False)

    assert _subtotal(client, shop, menu) == (200, 39.0)
