from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.template.loader import get_template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gett.models import OutboundMessage
from stores.models import Membership, Store
from tests.factories import MembershipFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _paused(store: Store, *, reason: str = "too_busy", resume_at=None) -> Store:
    store.status = Store.Status.PAUSED
    store.pause_reason = reason
    store.paused_at = timezone.now()
    store.resume_at = resume_at
    store.save()
    return store


def _message(store: Store, **fields) -> OutboundMessage:
    fields.setdefault("kind", "store.status")
    fields.setdefault("target_id", str(store.gett_store_id))
    fields.setdefault("payload", {"status": "online"})
    return OutboundMessage.objects.create(key=store.outbox_key, **fields)


def _edit_data(store: Store, **changes) -> dict:
    """The edit form as the browser posts it: unticked boxes are left out."""
    data = {
        "name": store.name,
        "phone": store.phone,
        "description": store.description,
        "street": store.street,
        "city": store.city,
        "state": store.state,
        "postal_code": store.postal_code,
        "country": store.country,
        "timezone": store.timezone,
        "currency": store.currency,
        "delivery_allowed": store.delivery_allowed,
        "pickup_allowed": store.pickup_allowed,
        "default_prep_minutes": store.default_prep_minutes,
        "auto_accept": store.auto_accept,
        "tax_rate": Decimal(store.tax_rate_bp) / 100,
        "delivery_fee_amount": Decimal(store.delivery_fee) / 100,
        "minimum_order_amount": Decimal(store.minimum_order) / 100,
    }
    data.update(changes)
    return {
        key: ("on" if value is True else value) for key, value in data.items() if value is not False
    }


# --- login and top bar -----------------------------------------------------------------------


def test_login_page_renders_with_forgot_password_link(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="username"' in content
    assert 'name="password"' in content
    assert "Forgot password?" in content
    assert reverse("password_reset") in content


def test_dashboard_sends_anonymous_people_to_login(client):
    response = client.get(reverse("stores:dashboard"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_password_reset_pages_render(client):
    assert client.get(reverse("password_reset")).status_code == 200
    assert client.get(reverse("password_reset_done")).status_code == 200
    assert client.get(reverse("password_reset_complete")).status_code == 200


def test_top_bar_logs_out_with_a_post_form_and_links_admin_only_for_staff(owner_client, owner):
    content = owner_client.get(reverse("stores:dashboard")).content.decode()
    assert f'<form method="post" action="{reverse("logout")}">' in content
    assert reverse("password_change") in content
    assert reverse("api-docs") in content
    assert reverse("admin:index") not in content

    owner.user.is_staff = True
    owner.user.save()
    content = owner_client.get(reverse("stores:dashboard")).content.decode()
    assert reverse("admin:index") in content


def test_error_page_renders_without_any_context():
    html = get_template("500.html").render()

    assert "Something went wrong" in html


# --- dashboard -------------------------------------------------------------------------------


@time_machine.travel(datetime(2025, 6, 2, 12, 0, tzinfo=UTC), tick=False)
def test_dashboard_lists_the_merchants_stores_with_their_status(owner_client, owner):
    StoreFactory(merchant=owner.merchant, name="Camden Kitchen")
    paused = StoreFactory(
        merchant=owner.merchant, name="Brooklyn Diner", timezone="America/New_York"
    )
    # 13:30 UTC is 09:30 in New York (EDT): the card shows the store's own clock.
    _paused(paused, reason="too_busy", resume_at=datetime(2025, 6, 2, 13, 30, tzinfo=UTC))
    StoreFactory(name="Someone Else's Grill")

    response = owner_client.get(reverse("stores:dashboard"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Camden Kitchen" in content
    assert "Brooklyn Diner" in content
    assert "Someone Else&#x27;s Grill" not in content
    assert "Online" in content
    assert "Paused" in content
    assert "Too busy" in content
    assert "back at" in content
    assert ">09:30</time>" in content
    assert ">13:30</time>" not in content


def test_dashboard_shows_paused_until_resumed_by_hand(owner_client, store):
    _paused(store, resume_at=None)

    content = owner_client.get(reverse("stores:dashboard")).content.decode()

    assert "until resumed by hand" in content


def test_dashboard_shows_the_gett_sync_state_of_each_store(owner_client, owner):
    failed = StoreFactory(merchant=owner.merchant, name="Failing")
    message = _message(failed, state="failed", attempts=10, last_error="Gett said: store unknown")
    unconnected = StoreFactory(merchant=owner.merchant, name="New", gett_store_id=None)
    _message(unconnected, state="held", target_id="")

    content = owner_client.get(reverse("stores:dashboard")).content.decode()

    assert "Gett said: store unknown" in content
    assert reverse("stores:sync-retry", args=[failed.public_id, message.public_id]) in content
    assert "Waiting for Gett store id" in content


def test_dashboard_shows_an_empty_state_when_the_merchant_has_no_stores(owner_client):
    response = owner_client.get(reverse("stores:dashboard"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "No stores yet" in content
    assert reverse("stores:create") in content  # owners add their first store themselves


def test_user_without_a_merchant_sees_an_explanation(client):
    client.force_login(UserFactory())

    response = client.get(reverse("stores:dashboard"))

    assert response.status_code == 200
    assert "stores/no_merchant.html" in [t.name for t in response.templates]
    content = response.content.decode()
    assert "not part of a merchant" in content
    assert reverse("admin:index") not in content


def test_staff_user_without_a_merchant_is_pointed_to_the_admin(client):
    client.force_login(UserFactory(is_staff=True))

    content = client.get(reverse("stores:dashboard")).content.decode()

    assert f'href="{reverse("admin:index")}"' in content


def test_htmx_request_to_dashboard_returns_only_the_store_cards(owner_client, store):
    response = owner_client.get(reverse("stores:dashboard"), **HTMX)

    assert response.status_code == 200
    content = response.content.decode().strip()
    assert content.startswith('<div id="store-cards"')
    assert store.name in content
    assert "<html" not in content
    assert "<h1>" not in content


def test_merchant_switcher_changes_the_dashboard(client):
    user = UserFactory()
    alpha = MembershipFactory(user=user, merchant__name="Alpha Foods").merchant
    beta = MembershipFactory(user=user, merchant__name="Beta Burgers").merchant
    StoreFactory(merchant=alpha, name="Alpha Central")
    StoreFactory(merchant=beta, name="Beta Harbour")
    client.force_login(user)

    content = client.get(reverse("stores:dashboard")).content.decode()
    assert reverse("stores:merchant-switch") in content
    assert "Alpha Central" in content
    assert "Beta Harbour" not in content

    response = client.post(reverse("stores:merchant-switch"), {"merchant": str(beta.public_id)})
    assert response.status_code == 302

    content = client.get(reverse("stores:dashboard")).content.decode()
    assert "Beta Harbour" in content
    assert "Alpha Central" not in content


def test_merchant_switcher_is_hidden_with_a_single_membership(owner_client, store):
    content = owner_client.get(reverse("stores:dashboard")).content.decode()

    assert reverse("stores:merchant-switch") not in content


def test_dashboard_query_count_does_not_grow_with_the_number_of_stores(owner_client, owner):
    def dashboard_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = owner_client.get(reverse("stores:dashboard"))
        assert response.status_code == 200
        return len(queries)

    def add_stores(count: int) -> None:
        for store in StoreFactory.create_batch(count, merchant=owner.merchant):
            _message(store, state="delivered", delivered_at=timezone.now())

    add_stores(2)
    with_two = dashboard_queries()
    add_stores(8)
    with_ten = dashboard_queries()

    assert with_ten == with_two


# --- store page: pause and resume --------------------------------------------------------------


def test_store_detail_shows_the_pause_form_when_online(owner_client, store):
    response = owner_client.get(reverse("stores:detail", args=[store.public_id]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Taking orders" in content
    assert f'action="{reverse("stores:pause", args=[store.public_id])}"' in content
    assert 'name="reason"' in content
    assert 'name="preset"' in content
    assert 'type="datetime-local"' in content
    assert reverse("stores:resume", args=[store.public_id]) not in content


@time_machine.travel(datetime(2025, 1, 15, 12, 0, tzinfo=UTC), tick=False)
def test_store_detail_shows_resume_button_and_resume_time_when_paused(owner_client, store):
    store.timezone = "Asia/Jerusalem"  # UTC+2 in January
    store.save()
    _paused(store, reason="staff_shortage", resume_at=datetime(2025, 1, 15, 12, 30, tzinfo=UTC))

    content = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert "Staff shortage" in content
    assert "Paused since" in content
    assert "Resumes automatically at" in content
    assert ">14:30</time>" in content
    assert f'action="{reverse("stores:resume", args=[store.public_id])}"' in content


def test_store_detail_says_until_resumed_by_hand(owner_client, store):
    _paused(store, resume_at=None)

    content = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert "Until resumed by hand" in content


def test_pausing_for_30_minutes_pauses_the_store_and_tells_gett(
    owner_client, store, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = owner_client.post(
            reverse("stores:pause", args=[store.public_id]),
            {"reason": "too_busy", "preset": "30m"},
        )

    assert response.status_code == 302
    assert response.url == reverse("stores:detail", args=[store.public_id])
    store.refresh_from_db()
    assert store.is_paused
    assert store.pause_reason == "too_busy"
    assert abs(store.resume_at - (timezone.now() + timedelta(minutes=30))) < timedelta(minutes=1)
    message = OutboundMessage.objects.get(key=store.outbox_key)
    assert message.kind == "store.status"
    assert message.payload["status"] == "paused"
    assert len(callbacks) == 1  # the delivery task, enqueued on commit


def test_pausing_without_a_reason_shows_the_error_and_changes_nothing(owner_client, store):
    response = owner_client.post(
        reverse("stores:pause", args=[store.public_id]), {"reason": "", "preset": "30m"}
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert 'id="id_reason_error"' in content
    assert "Choose why the store is paused." in content
    store.refresh_from_db()
    assert not store.is_paused
    assert not OutboundMessage.objects.filter(key=store.outbox_key).exists()


def test_pausing_until_a_past_time_shows_the_error_next_to_the_time(owner_client, store):
    an_hour_ago = (store.local_now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    response = owner_client.post(
        reverse("stores:pause", args=[store.public_id]),
        {"reason": "maintenance", "preset": "at", "resume_at": an_hour_ago},
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert 'id="id_resume_at_error"' in content
    assert "The resume time must be in the future." in content
    store.refresh_from_db()
    assert not store.is_paused


def test_resume_brings_the_store_back_online(owner_client, store):
    _paused(store, resume_at=None)

    response = owner_client.post(reverse("stores:resume", args=[store.public_id]))

    assert response.status_code == 302
    store.refresh_from_db()
    assert not store.is_paused
    assert store.pause_reason == ""
    assert OutboundMessage.objects.get(key=store.outbox_key).payload == {"status": "online"}


# --- store page: edit ------------------------------------------------------------------------


def test_edit_page_shows_money_in_major_units(owner_client, store):
    store.delivery_fee = 250
    store.minimum_order = 1000
    store.tax_rate_bp = 2000
    store.save()

    response = owner_client.get(reverse("stores:edit", args=[store.public_id]))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'enctype="multipart/form-data"' in content
    assert 'name="delivery_fee_amount" value="2.50"' in content
    assert 'name="minimum_order_amount" value="10.00"' in content
    assert 'name="tax_rate" value="20.00"' in content
    for legend in ("Basics", "Address", "Fulfilment", "Orders &amp; money"):
        assert f"<legend>{legend}</legend>" in content


def test_edit_saves_and_stores_money_in_minor_units(owner_client, store):
    response = owner_client.post(
        reverse("stores:edit", args=[store.public_id]),
        _edit_data(
            store,
            name="Camden Kitchen",
            delivery_fee_amount="3.75",
            minimum_order_amount="12.50",
            tax_rate="20",
            pickup_allowed=False,
        ),
    )

    assert response.status_code == 302
    assert response.url == reverse("stores:detail", args=[store.public_id])
    store.refresh_from_db()
    assert store.name == "Camden Kitchen"
    assert store.delivery_fee == 375
    assert store.minimum_order == 1250
    assert store.tax_rate_bp == 2000
    assert store.delivery_allowed and not store.pickup_allowed
    detail = owner_client.get(response.url).content.decode()
    assert "3.75 GBP" in detail
    assert "Delivery only" in detail


@pytest.mark.parametrize(
    ("changes", "error_id", "error"),
    [
        (
            {"delivery_allowed": False, "pickup_allowed": False},
            None,
            "A store must allow delivery, pickup or both.",
        ),
        ({"timezone": "Mars/Olympus"}, "id_timezone_error", "Mars/Olympus is not one of"),
        ({"phone": "call me"}, "id_phone_error", "Enter a phone number"),
    ],
)
def test_edit_with_invalid_input_shows_errors_and_changes_nothing(
    owner_client, store, changes, error_id, error
):
    before = Store.objects.values().get(pk=store.pk)

    response = owner_client.post(
        reverse("stores:edit", args=[store.public_id]),
        _edit_data(store, name="Renamed", delivery_fee_amount="9.99", **changes),
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert error in content
    if error_id:
        assert f'id="{error_id}"' in content
    else:
        assert 'class="form-errors"' in content
    assert Store.objects.values().get(pk=store.pk) == before
    assert not OutboundMessage.objects.filter(key=store.outbox_key).exists()


def _staff_client(client, store):
    staff = MembershipFactory(merchant=store.merchant, role=Membership.Role.STAFF)
    client.force_login(staff.user)
    return client


def test_the_country_is_chosen_from_the_iso_list_by_name(owner_client, store):
    page = owner_client.get(reverse("stores:edit", args=[store.public_id])).content.decode()

    assert '<option value="GB" selected>United Kingdom</option>' in page
    assert '<option value="DE">Germany</option>' in page


@pytest.mark.parametrize("country", ["United Kingdom", "XX", "UN", "gb"])
def test_a_country_that_is_not_an_iso_code_is_refused(owner_client, store, country):
    response = owner_client.post(
        reverse("stores:edit", args=[store.public_id]), _edit_data(store, country=country)
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="id_country_error"' in content
    assert "Select a valid choice" in content
    store.refresh_from_db()
    assert store.country == "GB"


def test_another_iso_country_is_saved_as_its_code(owner_client, store):
    response = owner_client.post(
        reverse("stores:edit", args=[store.public_id]), _edit_data(store, country="IE")
    )

    assert response.status_code == 302
    store.refresh_from_db()
    assert store.country == "IE"
    page = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()
    assert "Ireland" in page


@pytest.mark.parametrize("field", ["street", "city", "postal_code", "country"])
def test_a_store_that_delivers_needs_a_full_address(owner_client, store, field):
    response = owner_client.post(
        reverse("stores:edit", args=[store.public_id]), _edit_data(store, **{field: ""})
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert f'id="id_{field}_error"' in content
    assert "a store that delivers needs a full address" in content
    store.refresh_from_db()
    assert getattr(store, field)


def test_a_pickup_only_store_may_leave_the_address_out(owner_client, store):
    response = owner_client.post(
        reverse("stores:edit", args=[store.public_id]),
        _edit_data(store, delivery_allowed=False, street="", city="", postal_code="", country=""),
    )

    assert response.status_code == 302
    store.refresh_from_db()
    assert (store.street, store.country, store.delivery_allowed) == ("", "", False)


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("1e5", "Write the price as a number"),
        ("2.505", "Use at most 2 decimal places."),
        ("-1", "cannot be negative"),
        ("10000000", "can be at most 9999999.99"),
        ("NaN", "Write the price as a number"),
        ("", "This field is required."),
    ],
)
@pytest.mark.parametrize("field", ["delivery_fee_amount", "minimum_order_amount"])
def test_store_amounts_are_parsed_by_the_money_rules(owner_client, store, field, amount, error):
    before = Store.objects.values().get(pk=store.pk)

    response = owner_client.post(
        reverse("stores:edit", args=[store.public_id]), _edit_data(store, **{field: amount})
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert f'id="id_{field}_error"' in content
    assert error in content
    assert Store.objects.values().get(pk=store.pk) == before


def test_amounts_follow_the_currency_chosen_in_the_same_form(owner_client, store):
    response = owner_client.post(
        reverse("stores:edit", args=[store.public_id]),
        _edit_data(store, currency="USD", delivery_fee_amount="3", minimum_order_amount="12.5"),
    )

    assert response.status_code == 302
    store.refresh_from_db()
    assert (store.delivery_fee, store.minimum_order) == (300, 1250)


def test_staff_member_cannot_edit_details_but_can_pause(client, store):
    client = _staff_client(client, store)

    detail = client.get(reverse("stores:detail", args=[store.public_id])).content.decode()
    assert reverse("stores:edit", args=[store.public_id]) not in detail

    response = client.post(
        reverse("stores:pause", args=[store.public_id]), {"reason": "too_busy", "preset": "15m"}
    )
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.is_paused

    assert client.post(reverse("stores:resume", args=[store.public_id])).status_code == 302
    store.refresh_from_db()
    assert not store.is_paused


@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_member_asking_to_edit_details_gets_a_403_saying_who_can(client, store, method):
    client = _staff_client(client, store)

    response = getattr(client, method)(
        reverse("stores:edit", args=[store.public_id]), _edit_data(store, name="Renamed")
    )

    assert response.status_code == 403
    assert "Only owners and managers can change store details." in response.content.decode()
    store.refresh_from_db()
    assert store.name != "Renamed"


def test_staff_member_cannot_resend_messages_to_gett(client, store):
    message = _message(store, state="failed", attempts=10, last_error="Gett refused: 422")
    client = _staff_client(client, store)

    retry = client.post(reverse("stores:sync-retry", args=[store.public_id, message.public_id]))
    panel = client.get(reverse("stores:sync", args=[store.public_id]))

    assert retry.status_code == 403
    assert "Only owners and managers can send test orders" in retry.content.decode()
    assert panel.status_code == 403
    message.refresh_from_db()
    assert message.state == "failed"


def test_staff_see_the_store_status_without_the_gett_sync_internals(client, store):
    store = _paused(store)
    message = _message(store, state="failed", attempts=10, last_error="Gett refused: 422")
    client = _staff_client(client, store)

    page = client.get(reverse("stores:detail", args=[store.public_id])).content.decode()
    dashboard = client.get(reverse("stores:dashboard")).content.decode()
    status_line = client.get(reverse("stores:sync", args=[store.public_id]) + "?part=status")

    retry_url = reverse("stores:sync-retry", args=[store.public_id, message.public_id])
    assert "Not taking orders" in page
    assert reverse("stores:resume", args=[store.public_id]) in page
    assert "Gett sync" in page
    assert "Gett did not get the last change. An owner or manager can send it again." in page
    assert "Gett refused: 422" not in page  # delivery internals are for owners and managers
    assert "Attempts" not in page
    assert retry_url not in page
    assert retry_url not in dashboard
    assert "Retry it in the Gett sync panel" not in page
    assert status_line.status_code == 200
    assert "Gett did not get this change." in status_line.content.decode()


def test_staff_sync_line_refreshes_until_gett_has_the_change(client, store):
    message = _message(store, state="pending")
    client = _staff_client(client, store)
    line_url = reverse("stores:sync", args=[store.public_id]) + "?part=line"

    page = client.get(reverse("stores:detail", args=[store.public_id])).content.decode()
    assert f'hx-get="{line_url}"' in page

    OutboundMessage.objects.filter(pk=message.pk).update(state="delivered")
    line = client.get(line_url).content.decode().strip()

    assert line.startswith('<section id="sync"')
    assert "Delivered" in line
    assert "hx-trigger" not in line


def test_a_manager_may_edit_details_and_retry(client, store):
    manager = MembershipFactory(merchant=store.merchant, role=Membership.Role.MANAGER)
    message = _message(store, state="failed", attempts=10)
    client.force_login(manager.user)

    assert client.get(reverse("stores:edit", args=[store.public_id])).status_code == 200
    retry = client.post(reverse("stores:sync-retry", args=[store.public_id, message.public_id]))
    assert retry.status_code == 302


def test_owner_sees_the_edit_link(owner_client, store):
    detail = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert reverse("stores:edit", args=[store.public_id]) in detail


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "stores:detail"),
        ("get", "stores:edit"),
        ("post", "stores:edit"),
        ("post", "stores:pause"),
        ("post", "stores:resume"),
        ("get", "stores:sync"),
        ("post", "stores:sync-retry"),
    ],
)
def test_another_merchants_store_is_not_found(owner_client, method, name):
    other = StoreFactory(name="Not yours")
    message = _message(other, state="failed", attempts=10)
    args = (
        [other.public_id, message.public_id] if name == "stores:sync-retry" else [other.public_id]
    )
    data = (
        {"reason": "too_busy", "preset": "manual", "name": "Hijacked"} if method == "post" else {}
    )

    response = getattr(owner_client, method)(reverse(name, args=args), data)

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.name == "Not yours"
    assert not other.is_paused
    message.refresh_from_db()
    assert message.state == "failed"


def test_not_found_page_helps_people_find_their_way_back(owner_client):
    response = owner_client.get(reverse("stores:detail", args=[StoreFactory().public_id]))

    assert response.status_code == 404
    content = response.content.decode()
    assert "find that page" in content
    assert f'href="{reverse("stores:dashboard")}"' in content


# --- Gett sync panel ---------------------------------------------------------------------------


def test_sync_panel_renders_alone_and_polls_while_pending(owner_client, store):
    _message(store, state="pending")

    response = owner_client.get(reverse("stores:sync", args=[store.public_id]))

    assert response.status_code == 200
    content = response.content.decode().strip()
    assert content.startswith('<section id="sync"')
    assert "<html" not in content
    assert "Store status" in content
    assert f'hx-get="{reverse("stores:sync", args=[store.public_id])}"' in content
    assert 'hx-trigger="every 2s"' in content


def test_sync_panel_stops_polling_once_delivered(owner_client, store):
    _message(store, state="delivered", attempts=1, delivered_at=timezone.now())

    content = owner_client.get(reverse("stores:sync", args=[store.public_id])).content.decode()

    assert "Delivered" in content
    assert "hx-trigger" not in content


def test_sync_panel_shows_retrying_with_next_attempt_and_error(owner_client, store):
    _message(
        store,
        state="pending",
        attempts=2,
        next_attempt_at=timezone.now() + timedelta(minutes=1),
        last_error="Gett is unavailable (503)",
    )

    content = owner_client.get(reverse("stores:sync", args=[store.public_id])).content.decode()

    assert "Retrying" in content
    assert "Next attempt" in content
    assert "Gett is unavailable (503)" in content


def test_sync_panel_explains_a_store_without_gett_id(owner_client, store):
    store.gett_store_id = None
    store.save()

    content = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert "Not connected to Gett yet" in content
    assert "once onboarding gives this store its Gett id" in content


def test_failed_message_can_be_retried_from_the_store_page(owner_client, store):
    message = _message(store, state="failed", attempts=10, last_error="Gett refused: 422")
    retry_url = reverse("stores:sync-retry", args=[store.public_id, message.public_id])

    detail = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()
    assert "Gett refused: 422" in detail
    assert f'action="{retry_url}"' in detail
    assert "hx-trigger" not in detail  # a failed message is not polled

    response = owner_client.post(retry_url)

    assert response.status_code == 302
    assert response.url == reverse("stores:detail", args=[store.public_id])
    message.refresh_from_db()
    assert message.state == "pending"
    assert message.attempts == 0


def test_retry_over_htmx_returns_the_sync_panel_polling_again(owner_client, store):
    message = _message(store, state="failed", attempts=10, last_error="Gett refused: 422")

    response = owner_client.post(
        reverse("stores:sync-retry", args=[store.public_id, message.public_id]), **HTMX
    )

    assert response.status_code == 200
    content = response.content.decode().strip()
    assert content.startswith('<section id="sync"')
    assert 'hx-trigger="every 2s"' in content


def test_an_htmx_request_with_an_expired_session_redirects_the_whole_page(client, store):
    response = client.get(reverse("stores:dashboard"), HTTP_HX_REQUEST="true")

    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("login"))


def test_money_and_rates_are_shown_the_way_people_read_them():
    from stores.templatetags.money import basis_points, money

    assert money(250, "GBP") == "2.50 GBP"
    assert money(1500, "JPY") == "1500 JPY"
    assert money(0, "USD") == "0.00 USD"
    assert basis_points(2000) == "20.00 %"
    assert basis_points(888) == "8.88 %"


def _png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_uploading_a_logo_sends_its_public_url_to_gett(owner_client, store, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.PUBLIC_BASE_URL = "https://portal.example.com"
    logo = SimpleUploadedFile("logo.png", _png_bytes(), content_type="image/png")

    response = owner_client.post(
        reverse("stores:edit", args=[store.public_id]), {**_edit_data(store), "logo": logo}
    )

    assert response.status_code == 302
    store.refresh_from_db()
    assert store.logo.name.startswith("logos/")
    message = OutboundMessage.objects.get(key=store.outbox_key, kind="store.update")
    assert message.payload["logoUrl"].startswith("https://portal.example.com/")


def test_a_logo_that_is_not_an_image_is_refused_with_a_clear_error(owner_client, store):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("logo.png", b"not an image at all", content_type="image/png")

    response = owner_client.post(
        reverse("stores:edit", args=[store.public_id]), {**_edit_data(store), "logo": fake}
    )

    assert response.status_code == 200
    assert "Upload a valid image" in response.content.decode()
    store.refresh_from_db()
    assert not store.logo


def test_password_reset_mails_a_link_that_lets_the_user_choose_a_new_password(client, owner):
    from django.core import mail

    response = client.post(reverse("password_reset"), {"email": owner.user.email})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reset/" in line).strip()
    path = link[link.index("/accounts/") :]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-pass-42", "new_password2": "a-brand-new-pass-42"},
    )
    assert done.status_code == 302
    owner.user.refresh_from_db()
    assert owner.user.check_password("a-brand-new-pass-42")


def test_a_pause_gett_has_not_confirmed_says_so_under_the_status(owner_client, store):
    store = _paused(store)
    _message(store, kind="store.status", state=OutboundMessage.State.PENDING, attempts=2)

    page = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()
    dashboard = owner_client.get(reverse("stores:dashboard")).content.decode()

    assert "Waiting for Gett to confirm" in page
    assert "Orders may still arrive until it does." in page
    assert "Waiting for Gett to confirm" in dashboard


def test_a_resume_gett_never_got_says_gett_may_still_show_the_store_paused(owner_client, store):
    _message(store, kind="store.status", state=OutboundMessage.State.FAILED)

    page = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert "Gett did not get this change." in page
    assert "Gett may still show the store as paused." in page


def test_the_status_notice_goes_away_once_gett_has_the_change(owner_client, store):
    store = _paused(store)
    message = _message(store, kind="store.status", state=OutboundMessage.State.SENDING)
    url = reverse("stores:sync", args=[store.public_id]) + "?part=status"
    assert "Waiting for Gett to confirm" in owner_client.get(url).content.decode()

    OutboundMessage.objects.filter(pk=message.pk).update(state=OutboundMessage.State.DELIVERED)

    assert "Waiting for Gett" not in owner_client.get(url).content.decode()
    page = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()
    assert "Waiting for Gett" not in page


def test_changing_a_pause_starts_from_the_current_reason_and_time(owner_client, store):
    resume_at = timezone.now() + timedelta(hours=2)
    store = _paused(store, reason="staff_shortage", resume_at=resume_at)

    page = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert '<option value="staff_shortage" selected>' in page
    local = resume_at.astimezone(store.tzinfo).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{local}"' in page


def test_the_timezone_list_offers_area_city_names_not_aliases(owner_client, store):
    page = owner_client.get(reverse("stores:edit", args=[store.public_id])).content.decode()

    assert '<option value="Europe/London" selected>' in page
    assert 'value="US/Eastern"' not in page
    assert 'value="Factory"' not in page
