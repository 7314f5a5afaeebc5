"""The "Put this store on Gett" wizard and the new-store page, as people use them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from gett.models import OutboundMessage
from onboarding.models import Onboarding
from stores.models import Membership, Store
from tests.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db

Status = Onboarding.Status
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def owner_client(client, owner_membership):
    client.force_login(owner_membership.user)
    return client


def _url(store, name="wizard", onboarding=None):
    kwargs = {"store_id": store.public_id}
    if onboarding is not None:
        kwargs["onboarding_id"] = onboarding.public_id
    return reverse(f"onboarding:{name}", kwargs=kwargs)


def _onboarding(store, status, **fields):
    registered = status != Status.REGISTERING
    fields.setdefault("gett_onboarding_id", "g-1" if registered else None)
    if registered:  # as onboarding_register leaves it: Gett knows the store
        store.gett_registered_at = timezone.now()
        store.save(update_fields=["gett_registered_at"])
    return Onboarding.objects.create(store=store, status=status, **fields)


def _messages(response):
    return [str(m) for m in response.wsgi_request._messages]


# --- who may see it ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Membership.Role.OWNER, Membership.Role.MANAGER])
def test_owners_and_managers_see_the_wizard(client, new_store, role):
    member = MembershipFactory(merchant=new_store.merchant, role=role)
    client.force_login(member.user)
    response = client.get(_url(new_store))
    assert response.status_code == 200
    assert b"Register with Gett" in response.content


def test_staff_get_403(client, new_store):
    member = MembershipFactory(merchant=new_store.merchant, role=Membership.Role.STAFF)
    client.force_login(member.user)
    assert client.get(_url(new_store)).status_code == 403
    assert client.post(_url(new_store, "start")).status_code == 403
    assert not Onboarding.objects.exists()


def test_another_merchants_store_is_404(client, new_store):
    stranger = MembershipFactory(role=Membership.Role.OWNER)
    client.force_login(stranger.user)
    assert client.get(_url(new_store)).status_code == 404
    assert client.post(_url(new_store, "start")).status_code == 404


def test_another_stores_onboarding_is_404(owner_client, new_store, owner_membership):
    other = StoreFactory(merchant=owner_membership.merchant, gett_store_id=None)
    onboarding = _onboarding(other, Status.READY_TO_ACTIVATE)
    response = owner_client.post(
        reverse(
            "onboarding:activate",
            kwargs={"store_id": new_store.public_id, "onboarding_id": onboarding.public_id},
        )
    )
    assert response.status_code == 404


def test_anonymous_is_sent_to_log_in(client, new_store):
    response = client.get(_url(new_store))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- checks and registering -------------------------------------------------------------------


def test_register_form_waits_for_the_required_checks(owner_client, owner_membership):
    store = StoreFactory(merchant=owner_membership.merchant, gett_store_id=None, phone="")
    response = owner_client.get(_url(store))
    content = response.content.decode()
    assert "To do" in content
    assert "Add a phone number" in content
    assert "Publish the menu now" not in content  # no menu at all yet: "Add a menu"
    assert 'name="auto_activate"' not in content


def test_start_is_refused_while_checks_fail(owner_client, owner_membership, queue):
    store = StoreFactory(merchant=owner_membership.merchant, gett_store_id=None, phone="")
    response = owner_client.post(_url(store, "start"))
    assert response.status_code == 302
    assert not Onboarding.objects.exists()
    assert queue.calls == []


def test_publish_fix_publishes_the_menu(owner_client, owner_membership):
    from tests.catalogs.menus import build_menu

    store = StoreFactory(merchant=owner_membership.merchant, gett_store_id=None)
    build_menu(store.merchant)
    assert b"Publish the menu now" in owner_client.get(_url(store)).content
    response = owner_client.post(_url(store, "publish"))
    assert response.status_code == 302
    assert store.catalog_versions.exists()
    assert b"Publish the menu now" not in owner_client.get(_url(store)).content


def test_register_starts_an_onboarding_and_redirects(
    owner_client, new_store, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(_url(new_store, "start"), {"auto_activate": "on"})
    assert response.status_code == 302
    assert response["Location"] == _url(new_store)
    onboarding = Onboarding.objects.get(store=new_store)
    assert onboarding.status == Status.REGISTERING
    assert onboarding.auto_activate
    assert queue.names() == ["onboarding_register"]


def test_a_second_registration_gets_a_clear_error(owner_client, new_store, queue):
    _onboarding(new_store, Status.PENDING_CATALOG)
    response = owner_client.post(_url(new_store, "start"), follow=True)
    assert response.status_code == 200
    assert "already being put on Gett" in response.content.decode()
    assert Onboarding.objects.count() == 1


def test_register_without_a_published_menu_is_refused(owner_client, owner_membership, queue):
    store = StoreFactory(merchant=owner_membership.merchant, gett_store_id=None)
    response = owner_client.post(_url(store, "start"), follow=True)
    assert response.status_code == 200
    assert not Onboarding.objects.exists()


# --- each state -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected", "polls"),
    [
        (Status.REGISTERING, "We are telling Gett about your store.", True),
        (Status.PENDING_CATALOG, "Gett has your store and is about to download", True),
        (Status.CATALOG_INGESTING, "Gett reads every item", True),
        (Status.READY_TO_ACTIVATE, "Go live on Gett", False),
        (Status.CATALOG_FAILED, "I fixed it — check again", False),
        (Status.FAILED, "Gett refused the registration", False),
        (Status.CANCELLED, "This attempt was cancelled", False),
    ],
)
def test_each_state_renders(owner_client, new_store, status, expected, polls):
    _onboarding(new_store, status, error="$.catalogs[0].name: Name is required")
    response = owner_client.get(_url(new_store))
    content = response.content.decode()
    assert response.status_code == 200
    assert expected in content
    assert ('hx-trigger="every 2s"' in content) is polls


def test_active_state_renders_live(owner_client, new_store):
    _onboarding(new_store, Status.ACTIVE)
    Store.objects.filter(pk=new_store.pk).update(
        gett_store_id="7b0c3c1e-4a56-4f0e-9d8f-1f0a7c2b9e11"
    )
    content = owner_client.get(_url(new_store)).content.decode()
    assert "Live on Gett" in content
    assert "Register with Gett" not in content


def test_catalog_failed_explains_gett_error_without_json_paths(owner_client, new_store):
    _onboarding(
        new_store,
        Status.CATALOG_FAILED,
        error=(
            "$.catalogs[0].items[2].price: Item “Ramen” ('i-3') price must be positive; "
            "$.catalogs[1]: No sections"
        ),
    )
    content = owner_client.get(_url(new_store)).content.decode()
    assert "Gett found problems in your menu" in content
    assert "<li>Item “Ramen” price must be positive</li>" in content
    assert "i-3" not in content
    assert "$.catalogs" not in content
    assert _url(new_store).replace("gett/", "menu/versions/") in content
    assert "Start over" in content


def test_ready_with_auto_activate_keeps_polling(owner_client, new_store):
    _onboarding(new_store, Status.READY_TO_ACTIVATE, auto_activate=True)
    content = owner_client.get(_url(new_store)).content.decode()
    assert 'hx-trigger="every 2s"' in content


def test_progress_partial_for_htmx_and_redirect_without(owner_client, new_store):
    _onboarding(new_store, Status.PENDING_CATALOG)
    response = owner_client.get(_url(new_store, "progress"), **HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="progress"')
    assert "<html" not in content
    response = owner_client.get(_url(new_store, "progress"))
    assert response.status_code == 302


def test_history_lists_every_attempt(owner_client, new_store):
    _onboarding(new_store, Status.CANCELLED, gett_onboarding_id="g-0")
    _onboarding(new_store, Status.PENDING_CATALOG)
    content = owner_client.get(_url(new_store)).content.decode()
    assert "All attempts" in content
    assert content.count("<tr>") == 3  # header + two attempts


# --- actions ----------------------------------------------------------------------------------


def test_activate_before_ready_is_a_clear_error(owner_client, new_store):
    onboarding = _onboarding(new_store, Status.PENDING_CATALOG)
    response = owner_client.post(_url(new_store, "activate", onboarding))
    assert response.status_code == 302
    assert any("once Gett has accepted its menu" in m for m in _messages(response))
    onboarding.refresh_from_db()
    assert onboarding.status == Status.PENDING_CATALOG


def test_cancel_before_registration_cancels_and_redirects(owner_client, new_store):
    onboarding = _onboarding(new_store, Status.REGISTERING)
    response = owner_client.post(_url(new_store, "cancel", onboarding))
    assert response.status_code == 302
    onboarding.refresh_from_db()
    assert onboarding.status == Status.CANCELLED
    content = owner_client.get(_url(new_store)).content.decode()
    assert "Register with Gett" in content


def test_cancel_after_active_is_refused(owner_client, new_store):
    onboarding = _onboarding(new_store, Status.ACTIVE)
    response = owner_client.post(_url(new_store, "cancel", onboarding))
    assert response.status_code == 302
    onboarding.refresh_from_db()
    assert onboarding.status == Status.ACTIVE


def test_recheck_outside_catalog_failed_is_refused(owner_client, new_store):
    onboarding = _onboarding(new_store, Status.PENDING_CATALOG)
    response = owner_client.post(_url(new_store, "recheck", onboarding))
    assert response.status_code == 302
    assert any("checked again" in m for m in _messages(response))


def test_recheck_republishes_and_redirects(owner_client, new_store, scheduled):
    onboarding = _onboarding(new_store, Status.CATALOG_FAILED, error="Bad menu")
    response = owner_client.post(_url(new_store, "recheck", onboarding))
    assert response.status_code == 302
    assert any("checking your menu again" in m for m in _messages(response))
    onboarding.refresh_from_db()
    assert onboarding.next_poll_at is not None


def test_start_over_before_registration_starts_a_new_attempt(owner_client, new_store, queue):
    onboarding = _onboarding(new_store, Status.REGISTERING, auto_activate=True)
    response = owner_client.post(_url(new_store, "start-over", onboarding))
    assert response.status_code == 302
    onboarding.refresh_from_db()
    assert onboarding.status == Status.CANCELLED
    fresh = Onboarding.objects.exclude(pk=onboarding.pk).get()
    assert fresh.status == Status.REGISTERING and fresh.auto_activate


def test_actions_only_take_post(owner_client, new_store):
    onboarding = _onboarding(new_store, Status.READY_TO_ACTIVATE)
    for name in ("activate", "recheck", "cancel", "start-over"):
        assert owner_client.get(_url(new_store, name, onboarding)).status_code == 405
    assert owner_client.get(_url(new_store, "start")).status_code == 405


def test_a_malformed_onboarding_id_is_404(owner_client, new_store):
    url = _url(new_store) + "not-a-uuid/activate/"
    assert owner_client.post(url).status_code == 404


# --- a new store ------------------------------------------------------------------------------

NEW_STORE = {
    "name": "Dockside Deli",
    "phone": "+44 20 7946 0101",
    "street": "4 Dock Road",
    "city": "London",
    "postal_code": "E1 2AA",
    "country": "GB",
    "timezone": "Europe/London",
    "currency": "GBP",
    "delivery_allowed": "on",
    "pickup_allowed": "on",
    "default_prep_minutes": "20",
    "tax_rate": "20",
    "delivery_fee_amount": "2.50",
    "minimum_order_amount": "10",
}


@pytest.mark.parametrize("role", [Membership.Role.OWNER, Membership.Role.MANAGER])
def test_owners_and_managers_add_a_store_that_starts_off_gett(client, role, scheduled):
    member = MembershipFactory(role=role)
    client.force_login(member.user)
    assert b"Add a store" in client.get(reverse("stores:dashboard")).content
    response = client.post(reverse("stores:create"), NEW_STORE)
    store = Store.objects.get(name="Dockside Deli")
    assert response.status_code == 302
    assert response["Location"] == reverse("stores:detail", kwargs={"public_id": store.public_id})
    assert store.merchant == member.merchant
    assert store.gett_store_id is None
    assert (store.delivery_fee, store.minimum_order, store.tax_rate_bp) == (250, 1000, 2000)
    assert scheduled == []  # nothing goes to Gett for a store it does not know


def test_staff_cannot_add_a_store(client):
    member = MembershipFactory(role=Membership.Role.STAFF)
    client.force_login(member.user)
    assert b"Add a store" not in client.get(reverse("stores:dashboard")).content
    assert client.get(reverse("stores:create")).status_code == 403
    assert client.post(reverse("stores:create"), NEW_STORE).status_code == 403
    assert not Store.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"city": ""}, "city"),  # delivery needs the whole address
        ({"country": "XX"}, "country"),
        ({"delivery_fee_amount": "2.505"}, "delivery_fee_amount"),
        ({"delivery_fee_amount": "lots"}, "delivery_fee_amount"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"phone": "call me"}, "phone"),
        ({"tax_rate": "150"}, "tax_rate"),
    ],
)
def test_bad_new_store_input_is_a_form_error(owner_client, changes, field):
    response = owner_client.post(reverse("stores:create"), {**NEW_STORE, **changes})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Store.objects.filter(name="Dockside Deli").exists()


def test_a_store_needs_delivery_or_pickup(owner_client):
    data = {k: v for k, v in NEW_STORE.items() if k not in ("delivery_allowed", "pickup_allowed")}
    response = owner_client.post(reverse("stores:create"), data)
    assert response.status_code == 200
    assert b"Tick delivery, pickup or both." in response.content
    assert not Store.objects.exists()


def test_pickup_only_store_needs_no_full_address(owner_client):
    data = {**NEW_STORE, "street": "", "postal_code": ""}
    del data["delivery_allowed"]
    response = owner_client.post(reverse("stores:create"), data)
    assert response.status_code == 302
    assert Store.objects.get(name="Dockside Deli").pickup_allowed


def test_not_on_gett_yet_shows_on_dashboard_and_store_page(owner_client, owner_membership):
    store = StoreFactory(merchant=owner_membership.merchant, gett_store_id=None)
    StoreFactory(merchant=owner_membership.merchant, name="Live One")
    dashboard = owner_client.get(reverse("stores:dashboard")).content.decode()
    assert dashboard.count("Not on Gett yet") == 1
    assert _url(store) in dashboard
    page = owner_client.get(reverse("stores:detail", kwargs={"public_id": store.public_id}))
    content = page.content.decode()
    assert "Not on Gett yet" in content
    assert "Put this store on Gett" in content


def test_a_paused_store_off_gett_says_the_pause_waits(owner_client, owner_membership, scheduled):
    store = StoreFactory(merchant=owner_membership.merchant, gett_store_id=None)
    response = owner_client.post(
        reverse("stores:pause", kwargs={"public_id": store.public_id}),
        {"reason": "too_busy", "preset": "manual"},
        follow=True,
    )
    content = response.content.decode()
    assert "this pause is kept here and reaches Gett when the store goes live" in content
    store.refresh_from_db()
    assert store.is_paused
    message = OutboundMessage.objects.get(key=store.outbox_key)
    assert message.state == OutboundMessage.State.HELD
    assert scheduled == []  # waits for the Gett store id


def test_staff_see_the_badge_but_no_wizard_link(client, owner_membership):
    store = StoreFactory(merchant=owner_membership.merchant, gett_store_id=None)
    member = MembershipFactory(merchant=store.merchant, role=Membership.Role.STAFF)
    client.force_login(member.user)
    content = client.get(reverse("stores:detail", kwargs={"public_id": store.public_id}))
    text = content.content.decode()
    assert "Not on Gett yet" in text
    assert _url(store) not in text
    assert "An owner or manager can put it on Gett." in text


def test_the_store_page_says_the_store_is_on_its_way_once_registered(owner_client, new_store):
    _onboarding(new_store, Status.CATALOG_INGESTING)

    content = owner_client.get(f"/stores/{new_store.public_id}/").content.decode()

    assert "On its way to Gett" in content and "See the progress" in content
    assert "Put this store on Gett" not in content
