import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gett.models import InboundWebhook, OutboundMessage
from orders.models import Order
from tests.factories import MembershipFactory, StoreFactory
from tests.orders.placing import place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lunchtime")]

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "board"}


def board_url(store):
    return reverse("orders:board", args=[store.public_id])


def url(name, order, *args):
    return reverse(f"orders:{name}", args=[order.store.public_id, order.public_id, *args])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def order(client, shop, menu):
    return place(client, shop, menu)


@pytest.fixture
def kitchen(client, owner):
    client.force_login(owner.user)
    return client


# --- the board -------------------------------------------------------------------------------


def test_empty_board_says_how_to_see_an_order(kitchen, shop):
    response = kitchen.get(board_url(shop))

    assert response.status_code == 200
    assert "No orders yet. Send a test order from the" in response.text


def test_a_new_order_flashes_with_number_timers_customer_and_lines(kitchen, order, shop):
    response = kitchen.get(board_url(shop))

    text = response.text
    assert order.partner_order_id in text
    assert "is-unseen" in text and 'data-unseen="1"' in text
    assert "Dana" in text and "Reyes" not in text  # first name only on the board
    assert "Pickup" in text
    assert "2×</span> Burger" in text and "1×</span> Cola" in text
    assert "10\xa0minutes left" in text  # the accept deadline, from placement
    for minutes in (10, 15, 20, 30):
        assert f'name="prep_minutes" value="{minutes}"' in text
    assert "Tap to turn on sound" in text
    assert 'hx-trigger="every 5s"' in text


def test_polling_gets_only_the_board_partial(kitchen, order, shop):
    response = kitchen.get(board_url(shop), **HTMX)

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="board"')
    assert "<html" not in response.text
    assert order.partner_order_id in response.text


def test_seen_stops_the_alert(kitchen, order):
    response = kitchen.post(url("acknowledge", order))

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.acknowledged_at is not None
    page = kitchen.get(response["Location"])
    assert "is-unseen" not in page.text and 'data-unseen="0"' in page.text


def test_accept_preparing_ready_completed_without_javascript(kitchen, owner, order, shop):
    response = kitchen.post(url("step", order), {"status": "confirmed", "prep_minutes": "20"})
    assert response.status_code == 302
    assert response["Location"] == f"{board_url(shop)}#order-{order.public_id}"
    assert messages_of(kitchen.get(response["Location"])) == [
        f"Order {order} accepted: ready by 12:20."
    ]

    for status in ("preparing", "ready"):
        response = kitchen.post(url("step", order), {"status": status}, follow=True)
        assert messages_of(response) == [f"Order {order}: {status}."]
    response = kitchen.post(url("step", order), {"status": "completed"}, follow=True)

    assert messages_of(response) == [f"Order {order} completed."]
    order.refresh_from_db()
    assert order.state == "completed" and order.status == "ready"
    assert order.estimated_ready_at.isoformat() == "2026-11-25T12:20:00+00:00"
    sent = OutboundMessage.objects.filter(key=order.outbox_key).order_by("id")
    assert [m.payload.get("status") or m.payload.get("state") for m in sent] == [
        "confirmed",
        "preparing",
        "ready",
        "completed",
    ]
    assert [e.kind for e in order.events.all()] == [
        "placed",
        "status",
        "status",
        "status",
        "completed",
    ]
    assert {e.user for e in order.events.exclude(kind="placed")} == {owner.user}


def test_a_delivery_order_goes_out_for_delivery_then_completes(kitchen, client, shop, menu):
    order = place(client, shop, menu, fulfillment="delivery")
    kitchen.post(url("step", order), {"status": "confirmed", "prep_minutes": "10"})
    kitchen.post(url("step", order), {"status": "ready"})  # skipping "preparing" is allowed

    page = kitchen.get(board_url(shop))
    assert 'value="inTransit">Out for delivery' in page.text
    kitchen.post(url("step", order), {"status": "inTransit"})
    assert 'value="completed">Delivered: complete' in kitchen.get(board_url(shop)).text
    kitchen.post(url("step", order), {"status": "completed"})

    order.refresh_from_db()
    assert order.state == "completed" and order.in_transit_at is not None


def test_the_htmx_path_swaps_the_board_and_shows_the_result_inside_it(kitchen, order):
    response = kitchen.post(url("step", order), {"status": "confirmed", "prep_minutes": 15}, **HTMX)

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="board"')
    assert f"Order {order} accepted: ready by 12:15." in response.text
    assert 'value="preparing">Start preparing' in response.text


def test_a_backwards_step_is_refused_with_a_clear_message(kitchen, order):
    kitchen.post(url("step", order), {"status": "confirmed"}, follow=True)
    kitchen.post(url("step", order), {"status": "ready"}, follow=True)

    response = kitchen.post(url("step", order), {"status": "preparing"}, follow=True)

    assert response.status_code == 200
    assert messages_of(response) == [f"Order {order} is already ready; it cannot go back a step."]
    order.refresh_from_db()
    assert order.status == "ready"


def test_a_refusal_on_the_htmx_path_is_an_alert_in_the_board(kitchen, order):
    response = kitchen.post(url("step", order), {"status": "completed"}, **HTMX)

    assert response.status_code == 200
    assert 'role="alert">Accept order' in response.text
    assert Order.objects.get().state == "open"


@pytest.mark.parametrize(
    "data",
    [
        {"status": "pending"},
        {"status": "nonsense"},
        {},
        {"status": "confirmed", "prep_minutes": "x"},
    ],
)
def test_bad_input_is_a_message_never_a_500(kitchen, order, data):
    response = kitchen.post(url("step", order), data, follow=True)

    assert response.status_code == 200
    assert len(messages_of(response)) == 1
    assert Order.objects.get().status == "pending"


def test_cancel_with_a_reason_and_a_note(kitchen, order):
    response = kitchen.post(
        url("cancel", order), {"reason": "out_of_stock", "note": "No buns left"}, follow=True
    )

    assert messages_of(response) == [f"Order {order} cancelled: Item out of stock: No buns left."]
    order.refresh_from_db()
    assert order.state == "cancelled"
    message = OutboundMessage.objects.get(key=order.outbox_key)
    assert message.payload == {
        "state": "cancelled",
        "cancelReason": "Item out of stock: No buns left",
    }


def test_cancel_other_without_a_note_is_refused(kitchen, order):
    response = kitchen.post(url("cancel", order), {"reason": "other"}, follow=True)

    assert messages_of(response) == ["Say why the order is cancelled."]
    assert Order.objects.get().state == "open"


@pytest.mark.parametrize("note", ["\x00", "Oven\x00broke"])
def test_a_cancel_note_with_a_nul_is_refused_in_words(kitchen, order, note):
    """PostgreSQL cannot store a NUL, and Gett would get it as the cancelReason."""
    response = kitchen.post(url("cancel", order), {"reason": "other", "note": note}, follow=True)

    assert messages_of(response) == [
        "The note has an invisible character (NUL) in it: type it again."
    ]
    assert Order.objects.get().state == "open"
    assert not OutboundMessage.objects.filter(key=order.outbox_key).exists()


def test_cancelling_a_closed_order_is_refused(kitchen, order):
    kitchen.post(url("cancel", order), {"reason": "too_busy"})

    response = kitchen.post(url("cancel", order), {"reason": "too_busy"}, **HTMX)

    assert f"Order {order} is already cancelled." in response.text


def test_staff_can_work_orders(client, shop, menu):
    order = place(client, shop, menu)
    staff = MembershipFactory(merchant=shop.merchant, role="staff")
    client.force_login(staff.user)

    assert client.get(board_url(shop)).status_code == 200
    client.post(url("step", order), {"status": "confirmed", "prep_minutes": "10"})
    client.post(url("cancel", order), {"reason": "closing"})

    order.refresh_from_db()
    assert order.state == "cancelled"
    assert order.events.get(kind="cancelled").user == staff.user


def test_another_merchants_order_is_a_404_everywhere(client, shop, menu):
    order = place(client, shop, menu)
    stranger = MembershipFactory(role="owner")
    own_store = StoreFactory(merchant=stranger.merchant)
    message = OutboundMessage.objects.create(
        kind="order.status", key=order.outbox_key, target_id="x", state="failed"
    )
    client.force_login(stranger.user)

    for store in (order.store, own_store):
        args = [store.public_id, order.public_id]
        assert client.get(reverse("orders:board", args=[store.public_id])).status_code == (
            404 if store == order.store else 200
        )
        for name in ("detail", "ticket"):
            assert client.get(reverse(f"orders:{name}", args=args)).status_code == 404
        for name in ("acknowledge", "step", "cancel"):
            data = {"status": "confirmed", "reason": "too_busy"}
            assert client.post(reverse(f"orders:{name}", args=args), data).status_code == 404
        retry = reverse("orders:gett-retry", args=[*args, message.public_id])
        assert client.post(retry).status_code == 404
    order.refresh_from_db()
    assert order.status == "pending" and order.acknowledged_at is None


def test_board_queries_do_not_grow_with_orders(kitchen, client, shop, menu):
    place(client, shop, menu)
    with CaptureQueriesContext(connection) as one:
        kitchen.get(board_url(shop))
    # Counted now: the connection keeps only the last 9,000 queries, and placing orders is many.
    with_one = len(one)
    for i in range(29):
        order = place(client, shop, menu, fulfillment="delivery" if i % 2 else "pickup")
        if i % 3 == 0:
            kitchen.post(url("step", order), {"status": "confirmed"})
        if i % 7 == 0:
            kitchen.post(url("cancel", order), {"reason": "too_busy"})

    with CaptureQueriesContext(connection) as thirty:
        response = kitchen.get(board_url(shop))

    assert response.status_code == 200
    assert with_one > 5
    assert len(thirty) == with_one, [q["sql"] for q in thirty.captured_queries]


def test_board_with_30_orders_stays_under_a_fixed_number_of_queries(
    kitchen, client, shop, menu, django_assert_max_num_queries
):
    for _ in range(30):
        place(client, shop, menu)

    with django_assert_max_num_queries(12):
        response = kitchen.get(board_url(shop), **HTMX)

    assert response.text.count('<article class="order-card ') == 30


# --- the order page and the ticket -------------------------------------------------------------


def test_order_page_shows_what_the_kitchen_needs(kitchen, client, shop, menu):
    order = place(client, shop, menu, fulfillment="delivery", tip=2)

    response = kitchen.get(url("detail", order))

    text = response.text
    assert response.status_code == 200
    # Modifiers indented under their line, with their group; instructions highlighted.
    assert 'depth-1"' in text and 'group-name">Size:</span> Large' in text
    assert 'depth-2"' in text and 'group-name">Bacon style:</span> Crispy' in text
    assert '<p class="instructions"><strong>Note:</strong> No onions</p>' in text
    assert "Ring twice, second floor" in text and "250 Harbor Street" in text
    assert 'href="tel:+12175550148"' in text
    assert "Dana Reyes" in text
    # burger 18.00 × 2 + cola 3.00 = 39.00; fee 2.50; tax 7.80; tip 2.00
    for amount in ("39.00 GBP", "2.50 GBP", "7.80 GBP", "2.00 GBP", "51.30 GBP"):
        assert amount in text
    assert "Placed by Gett" in text
    assert "placeOrder" in text and "ms</td>" in text  # Gett's call, with its latency
    assert "Gett hears about the order once it is accepted" in text


def test_order_page_says_whether_gett_has_each_status_and_retries_a_failed_one(
    kitchen, order, scheduled, django_capture_on_commit_callbacks
):
    kitchen.post(url("step", order), {"status": "confirmed"})
    kitchen.post(url("step", order), {"status": "preparing"})
    confirmed, preparing = OutboundMessage.objects.filter(key=order.outbox_key).order_by("id")
    OutboundMessage.objects.filter(pk=confirmed.pk).update(
        state="delivered", delivered_at=order.placed_at
    )
    OutboundMessage.objects.filter(pk=preparing.pk).update(
        state="failed", attempts=8, last_error="Gett said no: ORDER_NOT_FOUND"
    )

    page = kitchen.get(url("detail", order))
    assert "Gett has it" in page.text
    assert "Gett said no: ORDER_NOT_FOUND" in page.text
    assert "later statuses wait until it goes through" in page.text

    with django_capture_on_commit_callbacks(execute=True):
        response = kitchen.post(url("gett-retry", order, preparing.public_id), follow=True)

    assert messages_of(response) == ["Sending to Gett again."]
    preparing.refresh_from_db()
    assert preparing.state == "pending" and preparing.attempts == 0
    assert preparing.pk in scheduled


def test_order_page_shows_a_retrying_status_with_its_reason(kitchen, order):
    kitchen.post(url("step", order), {"status": "confirmed"})
    OutboundMessage.objects.filter(key=order.outbox_key).update(
        attempts=2, last_error="Gett is busy (503)"
    )

    page = kitchen.get(url("detail", order))

    assert "Retrying" in page.text and "Attempt 2 failed: Gett is busy (503)" in page.text


def test_order_page_actions_come_back_to_the_order_page(kitchen, order):
    response = kitchen.post(url("step", order), {"status": "confirmed", "next": "detail"})

    assert response["Location"] == url("detail", order)


def test_the_order_page_lists_only_this_orders_webhook_calls(kitchen, client, shop, menu):
    order = place(client, shop, menu)
    place(client, shop, menu)

    page = kitchen.get(url("detail", order))

    assert page.text.count("<td>placeOrder</td>") == 1
    assert InboundWebhook.objects.count() == 2


def test_the_kitchen_ticket_has_big_items_and_no_navigation(kitchen, order):
    response = kitchen.get(url("ticket", order))

    text = response.text
    assert response.status_code == 200
    assert f'<h1 class="ticket-number">{order.partner_order_id}</h1>' in text
    assert 'class="ticket-item depth-0"' in text and "Burger" in text
    assert 'ticket-group">Size:</span> Large' in text
    assert "!! No onions" in text
    assert "topbar" not in text and "Log out" not in text
    assert "css/ticket.css" in text


def test_the_store_page_links_to_the_board_with_the_new_order_count(kitchen, order, shop):
    page = kitchen.get(reverse("stores:detail", args=[shop.public_id]))

    assert f'href="{board_url(shop)}">Orders: 1 new</a>' in page.text
    assert 'href="/orders/">Orders</a>' in page.text  # the top bar
