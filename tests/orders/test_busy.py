"""Busy mode: the kitchen is behind, so orders accepted now are promised later, and it ends by
itself. Set on the board or the API (one service), used wherever an order is accepted."""

from datetime import timedelta

import pytest
from django.urls import reverse

from gett.models import OutboundMessage
from portal.exceptions import PortalError
from stores import services
from stores.models import Membership, Store
from tests.factories import MembershipFactory, StoreFactory
from tests.orders.placing import place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lunchtime")]

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "board"}


def busy_url(store):
    return reverse("orders:busy", args=[store.public_id])


def board_url(store):
    return reverse("orders:board", args=[store.public_id])


@pytest.fixture
def kitchen(client, owner):
    client.force_login(owner.user)
    return client


# --- the rule ---------------------------------------------------------------------------------


def test_busy_mode_adds_minutes_until_its_end_then_stops_by_itself(shop, lunchtime):
    shop.default_prep_minutes = 15
    until = lunchtime + timedelta(hours=1)

    shop = services.store_busy_set(store=shop, extra_minutes=20, until=until)

    assert shop.prep_minutes_at(lunchtime) == 35
    assert shop.prep_minutes_at(until - timedelta(seconds=1)) == 35
    assert shop.prep_minutes_at(until) == 15
    assert shop.busy_extra_at(until) == 0


@pytest.mark.parametrize(
    ("extra", "until", "says"),
    [
        (-1, timedelta(hours=1), "Busy mode adds from 1 to 120 minutes"),
        (121, timedelta(hours=1), "Busy mode adds from 1 to 120 minutes"),
        (10**12, timedelta(hours=1), "Busy mode adds from 1 to 120 minutes"),
        (20, None, "Choose when busy mode ends."),
        (20, timedelta(0), "must be in the future"),
        (20, -timedelta(days=3650), "must be in the future"),
        (20, timedelta(days=1, seconds=1), "at most a day"),
        (20, timedelta(days=2_900_000), "at most a day"),  # around year 9999
    ],
)
def test_busy_mode_refuses_what_it_cannot_keep_and_changes_nothing(
    shop, lunchtime, extra, until, says
):
    with pytest.raises(PortalError, match=says):
        services.store_busy_set(
            store=shop, extra_minutes=extra, until=None if until is None else lunchtime + until
        )

    shop.refresh_from_db()
    assert (shop.busy_extra_minutes, shop.busy_until) == (0, None)


def test_turning_busy_mode_off_clears_its_end(shop, lunchtime):
    services.store_busy_set(store=shop, extra_minutes=10, until=lunchtime + timedelta(hours=2))

    shop = services.store_busy_set(store=shop, extra_minutes=0, until=lunchtime)

    assert (shop.busy_extra_minutes, shop.busy_until) == (0, None)


def test_rest_of_today_ends_at_the_stores_midnight(shop, lunchtime):
    shop.timezone = "America/New_York"  # 07:00 there at 12:00 UTC

    until = services.busy_until_for(store=shop, for_="today", now=lunchtime)

    assert until.isoformat() == "2026-11-26T00:00:00-05:00"


# --- where orders are accepted ------------------------------------------------------------------


def test_an_order_accepted_without_a_chosen_time_is_promised_later_and_gett_hears_it(
    client, shop, menu, lunchtime
):
    services.store_busy_set(store=shop, extra_minutes=20, until=lunchtime + timedelta(hours=1))
    Store.objects.filter(pk=shop.pk).update(auto_accept=True, default_prep_minutes=15)
    shop.refresh_from_db()

    order = place(client, shop, menu)

    order.refresh_from_db()
    assert order.estimated_ready_at == lunchtime + timedelta(minutes=35)
    sent = OutboundMessage.objects.get(key=order.outbox_key, kind="order.status")
    assert sent.payload["estimatedReadyAt"] == "2026-11-25T12:35:00Z"
    assert "(busy: +20 min)" in order.events.get(kind="status").message


def test_a_time_the_kitchen_chooses_is_kept_as_chosen(kitchen, shop, menu, client, lunchtime):
    services.store_busy_set(store=shop, extra_minutes=20, until=lunchtime + timedelta(hours=1))
    order = place(client, shop, menu)

    kitchen.post(
        reverse("orders:step", args=[shop.public_id, order.public_id]),
        {"status": "confirmed", "prep_minutes": "10"},
    )

    order.refresh_from_db()
    assert order.estimated_ready_at == lunchtime + timedelta(minutes=10)


# --- the board ----------------------------------------------------------------------------------


def test_the_board_turns_busy_mode_on_and_its_accept_buttons_follow(
    kitchen, shop, menu, client, lunchtime
):
    Store.objects.filter(pk=shop.pk).update(default_prep_minutes=15)
    place(client, shop, menu)
    before = kitchen.get(board_url(shop)).text
    assert "Kitchen behind? Promise new orders later" in before
    assert '<span class="preset-usual">usual</span>' in before

    response = kitchen.post(busy_url(shop), {"extra_minutes": "20", "for": "1h"}, **HTMX)

    assert response.status_code == 200
    text = response.text
    assert "Busy: new orders are promised 20 minutes later, until 13:00." in text
    assert "Busy: +20 min." in text and "in 35 minutes instead of 15, until 13:00" in text
    assert 'name="prep_minutes" value="35"' in text
    assert '<span class="preset-usual">busy</span>' in text
    shop.refresh_from_db()
    assert shop.busy_until == lunchtime + timedelta(hours=1)


def test_the_board_turns_busy_mode_off_without_javascript(kitchen, shop, lunchtime):
    services.store_busy_set(store=shop, extra_minutes=20, until=lunchtime + timedelta(hours=1))

    response = kitchen.post(busy_url(shop), {"extra_minutes": "0"}, follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "Busy mode is off: new orders get the usual prep time."
    ]
    shop.refresh_from_db()
    assert shop.busy_extra_minutes == 0


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"extra_minutes": "20", "for": "forever"}, "Choose how long the store is busy."),
        ({"extra_minutes": "20"}, "Choose how long the store is busy."),
        ({"extra_minutes": "lots", "for": "1h"}, "Choose how many minutes to add."),
        ({"extra_minutes": "9" * 5000, "for": "1h"}, "Choose how many minutes to add."),
        ({"extra_minutes": "\x00", "for": "1h"}, "Choose how many minutes to add."),
        ({"extra_minutes": "١٢", "for": "1h"}, "Choose how many minutes to add."),
        ({"extra_minutes": "999", "for": "1h"}, "Busy mode adds from 1 to 120 minutes"),
    ],
)
def test_the_board_refuses_bad_busy_input_in_words(kitchen, shop, data, says):
    response = kitchen.post(busy_url(shop), data, **HTMX)

    assert response.status_code == 200
    assert says in response.text
    shop.refresh_from_db()
    assert shop.busy_extra_minutes == 0


def test_another_merchants_board_cannot_be_made_busy(kitchen):
    other = StoreFactory()

    response = kitchen.post(busy_url(other), {"extra_minutes": "20", "for": "1h"})

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.busy_extra_minutes == 0


def test_the_store_page_says_the_store_is_busy(kitchen, shop, lunchtime):
    services.store_busy_set(store=shop, extra_minutes=20, until=lunchtime + timedelta(hours=1))

    text = kitchen.get(reverse("stores:detail", args=[shop.public_id])).text

    assert "busy: +20 min until 13:00" in text


# --- the API ------------------------------------------------------------------------------------


def test_the_api_sets_busy_mode_and_shows_it_while_it_lasts(client, shop, lunchtime, time_machine):
    staff = MembershipFactory(merchant=shop.merchant, role=Membership.Role.STAFF)
    client.force_login(staff.user)
    url = reverse("api:store-busy", args=[shop.public_id])
    detail = reverse("api:store-detail", args=[shop.public_id])

    response = client.post(
        url,
        {"extra_minutes": 15, "until": "2026-11-25T12:30:00Z"},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["busy"] == {"extra_minutes": 15, "until": "2026-11-25T12:30:00Z"}
    time_machine.move_to(lunchtime + timedelta(minutes=30))
    assert client.get(detail).json()["busy"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"extra_minutes": 15},
        {"extra_minutes": 15, "until": "9999-12-31T23:59:59Z"},
        {"extra_minutes": 10**12, "until": "2026-11-25T12:30:00Z"},
        {"extra_minutes": -5, "until": "2026-11-25T12:30:00Z"},
        {"extra_minutes": "\ud800", "until": "2026-11-25T12:30:00Z"},
    ],
)
def test_the_api_refuses_bad_busy_input_with_a_400(client, owner, shop, body):
    client.force_login(owner.user)

    response = client.post(
        reverse("api:store-busy", args=[shop.public_id]), body, content_type="application/json"
    )

    assert response.status_code == 400
    shop.refresh_from_db()
    assert shop.busy_extra_minutes == 0
