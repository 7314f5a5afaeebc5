from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order
from tests.factories import MembershipFactory, StoreFactory
from tests.orders.conftest import LUNCHTIME
from tests.orders.placing import place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lunchtime")]

HISTORY = "/orders/"


@pytest.fixture
def kitchen(client, owner):
    client.force_login(owner.user)
    return client


def numbers(response) -> list[str]:
    return [order.partner_order_id for order in response.context["page"].object_list]


def test_history_lists_the_merchants_orders_newest_first(kitchen, client, shop, menu):
    first = place(client, shop, menu)
    second = place(client, shop, menu)
    stranger_store = StoreFactory(merchant=MembershipFactory().merchant)
    Order.objects.filter(pk=first.pk).update(placed_at=LUNCHTIME - timedelta(minutes=5))

    response = kitchen.get(reverse("orders-history:list"))

    assert response.status_code == 200
    assert numbers(response) == [second.partner_order_id, first.partner_order_id]
    assert stranger_store.name not in response.text


def test_an_empty_history_says_where_orders_come_from(kitchen, shop):
    response = kitchen.get(HISTORY)

    assert "Orders from Gett show up here once they are placed" in response.text


def test_search_by_number_name_or_phone(kitchen, client, shop, menu):
    order = place(client, shop, menu)
    other = place(client, shop, menu)
    Order.objects.filter(pk=other.pk).update(customer_name="Sam Lee", customer_phone="+4479460001")

    assert numbers(kitchen.get(HISTORY, {"q": order.partner_order_id})) == [order.partner_order_id]
    assert numbers(kitchen.get(HISTORY, {"q": "reyes"})) == [order.partner_order_id]
    assert numbers(kitchen.get(HISTORY, {"q": "555-0148"})) == [order.partner_order_id]
    assert numbers(kitchen.get(HISTORY, {"q": "nobody"})) == []
    assert "No order matches" in kitchen.get(HISTORY, {"q": "nobody"}).text


def test_filters_by_state_store_and_dates(kitchen, client, owner, shop, menu):
    other_store = StoreFactory(merchant=owner.merchant, tax_rate_bp=2000)
    open_order = place(client, shop, menu)
    cancelled = place(client, shop, menu)
    kitchen.post(
        reverse("orders:cancel", args=[shop.public_id, cancelled.public_id]),
        {"reason": "too_busy"},
    )
    with time_machine.travel(LUNCHTIME - timedelta(days=3), tick=False):
        old = place(client, shop, menu)

    assert numbers(kitchen.get(HISTORY, {"state": "cancelled"})) == [cancelled.partner_order_id]
    assert numbers(kitchen.get(HISTORY, {"store": str(other_store.public_id)})) == []
    assert len(numbers(kitchen.get(HISTORY, {"store": str(shop.public_id)}))) == 3
    assert numbers(kitchen.get(HISTORY, {"date_to": "2026-11-23"})) == [old.partner_order_id]
    recent = numbers(kitchen.get(HISTORY, {"date_from": "2026-11-25", "date_to": "2026-11-25"}))
    assert set(recent) == {open_order.partner_order_id, cancelled.partner_order_id}


def test_a_wrong_filter_is_a_form_error_not_a_500(kitchen, client, shop, menu):
    place(client, shop, menu)

    response = kitchen.get(HISTORY, {"date_from": "2026-12-01", "date_to": "2026-11-01"})
    assert response.status_code == 200
    assert "Choose a day on or after" in response.text
    response = kitchen.get(HISTORY, {"store": "not-a-store", "date_from": "yesterday"})
    assert response.status_code == 200
    assert numbers(response) == []


def test_the_htmx_path_swaps_only_the_rows(kitchen, client, shop, menu):
    place(client, shop, menu)

    response = kitchen.get(HISTORY, {"q": "dana"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="rows")

    assert response.text.lstrip().startswith('<div id="rows">')
    assert "<form" not in response.text


def test_history_pages_and_keeps_the_filters(kitchen, client, shop, menu):
    for _ in range(27):
        place(client, shop, menu)

    first = kitchen.get(HISTORY, {"q": "dana"})
    second = kitchen.get(HISTORY, {"q": "dana", "page": 2})

    assert len(numbers(first)) == 25 and len(numbers(second)) == 2
    assert "?q=dana&amp;page=2" in first.text


def test_history_queries_do_not_grow_with_orders(
    kitchen, client, owner, shop, menu, django_assert_max_num_queries
):
    second_store = StoreFactory(merchant=owner.merchant, tax_rate_bp=2000)
    place(client, shop, menu)
    with CaptureQueriesContext(connection) as one:
        kitchen.get(HISTORY)
    # Counted now: the connection keeps only the last 9,000 queries, and placing orders is many.
    with_one = len(one)
    for i in range(29):
        place(client, second_store if i % 2 else shop, menu)

    with django_assert_max_num_queries(with_one):
        response = kitchen.get(HISTORY)

    assert len(numbers(response)) == 25


def test_the_last_day_there_is_and_the_first_are_whole_days_not_a_500(kitchen, client, shop, menu):
    order = place(client, shop, menu)

    for params in (
        {"date_to": "9999-12-31"},
        {"date_from": "0001-01-01", "date_to": "9999-12-31"},
        {"date_from": "0001-01-01"},
    ):
        response = kitchen.get(HISTORY, params)
        assert response.status_code == 200, params
        assert numbers(response) == [order.partner_order_id], params
