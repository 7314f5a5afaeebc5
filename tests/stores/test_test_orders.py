import pytest
import responses
from django.urls import reverse

from stores.models import Membership
from tests.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db

TEST_ORDERS_URL = "https://gett.test/v1/sandbox/test-orders"


@pytest.fixture
def sandbox(settings):
    settings.GETT_USES_SANDBOX = True


def test_store_page_offers_test_orders_when_connected_to_the_sandbox(owner_client, store, sandbox):
    page = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert "Send a test order" in page
    assert 'value="unknown_item"' in page


def test_store_page_has_no_test_orders_against_real_gett(owner_client, store, settings):
    settings.GETT_USES_SANDBOX = False

    page = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert "Send a test order" not in page


def test_store_page_has_no_test_orders_for_a_store_gett_does_not_know(owner_client, owner, sandbox):
    store = StoreFactory(merchant=owner.merchant, gett_store_id=None)

    page = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert "Send a test order" not in page


@responses.activate
def test_sending_a_test_order_asks_the_sandbox_for_it(owner_client, store, sandbox):
    responses.post(
        TEST_ORDERS_URL,
        status=202,
        json={"testOrderId": "to-1", "inspectUrl": "/sandbox/gett/inspect/test-orders/to-1/"},
    )

    response = owner_client.post(
        reverse("stores:test-order", args=[store.public_id]),
        {"scenario": "wrong_total"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Test order sent (a wrong total at placement)" in response.content.decode()
    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == "Bearer test-key"
    assert b'"scenario": "wrong_total"' in sent.body
    assert str(store.gett_store_id).encode() in sent.body


@responses.activate
def test_a_sandbox_refusal_is_shown_to_the_merchant(owner_client, store, sandbox):
    responses.post(
        TEST_ORDERS_URL,
        status=409,
        json={
            "errorCode": "CONFLICT",
            "detail": "Gett has no accepted menu for this store yet: publish the menu first.",
        },
        content_type="application/problem+json",
    )

    response = owner_client.post(
        reverse("stores:test-order", args=[store.public_id]), {"scenario": "valid"}, follow=True
    )

    assert "Gett has no accepted menu for this store yet" in response.content.decode()


def test_an_unknown_scenario_is_refused_without_calling_gett(owner_client, store, sandbox):
    with responses.RequestsMock():  # any call would fail the test
        response = owner_client.post(
            reverse("stores:test-order", args=[store.public_id]),
            {"scenario": "drop-table"},
            follow=True,
        )

    assert "Unknown test order" in response.content.decode()


def test_test_orders_for_another_merchants_store_are_not_found(owner_client, sandbox):
    other = StoreFactory()

    response = owner_client.post(reverse("stores:test-order", args=[other.public_id]))

    assert response.status_code == 404


TEST_ORDER_URL = "https://gett.test/v1/sandbox/test-orders/7"


def _sent(owner_client, store):
    session = owner_client.session
    session[f"test-order:{store.public_id}"] = 7
    session.save()


@responses.activate
def test_the_merchant_sees_what_their_last_test_order_did(owner_client, store, sandbox):
    _sent(owner_client, store)
    responses.get(
        TEST_ORDER_URL,
        json={
            "testOrderId": 7,
            "storeId": str(store.gett_store_id),
            "scenario": "valid",
            "outcome": "rejected",
            "asExpected": False,
            "detail": "validateOrder answered HTTP 404.",
            "calls": [
                {"operation": "validate", "attempt": 1, "responseStatus": 404, "latencyMs": 12}
            ],
        },
    )
    detail = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()
    assert reverse("stores:test-order-result", args=[store.public_id]) in detail

    page = owner_client.get(
        reverse("stores:test-order-result", args=[store.public_id]), HTTP_HX_REQUEST="true"
    ).content.decode()

    assert "Not what Gett expects" in page
    assert "validateOrder answered HTTP 404." in page
    assert "HTTP 404" in page
    assert "<html" not in page  # a fragment for htmx
    assert "hx-trigger" not in page  # finished: no more polling


@responses.activate
def test_a_running_test_order_keeps_refreshing(owner_client, store, sandbox):
    _sent(owner_client, store)
    responses.get(
        TEST_ORDER_URL,
        json={
            "testOrderId": 7,
            "storeId": str(store.gett_store_id),
            "outcome": "sent",
            "calls": [],
        },
    )

    page = owner_client.get(reverse("stores:test-order-result", args=[store.public_id]))

    assert page.status_code == 200
    assert 'hx-trigger="every 2s"' in page.content.decode()
    assert "<html" in page.content.decode()  # a whole page without htmx


@responses.activate
def test_another_stores_test_order_is_not_shown(owner_client, store, sandbox):
    _sent(owner_client, store)
    responses.get(TEST_ORDER_URL, json={"testOrderId": 7, "storeId": "someone-else"})

    page = owner_client.get(reverse("stores:test-order-result", args=[store.public_id]))

    assert "belongs to another store" in page.content.decode()


def test_no_test_order_yet_is_not_found(owner_client, store, sandbox):
    response = owner_client.get(reverse("stores:test-order-result", args=[store.public_id]))

    assert response.status_code == 404


def test_another_merchants_store_has_no_test_order_result(owner_client, sandbox):
    other = StoreFactory()

    response = owner_client.get(reverse("stores:test-order-result", args=[other.public_id]))

    assert response.status_code == 404


def _staff_client(client, store):
    staff = MembershipFactory(merchant=store.merchant, role=Membership.Role.STAFF)
    client.force_login(staff.user)
    return client


@responses.activate
def test_staff_get_a_403_on_test_orders_and_gett_is_not_called(client, store, sandbox):
    client = _staff_client(client, store)
    session = client.session
    session[f"test-order:{store.public_id}"] = 7
    session.save()

    sent = client.post(reverse("stores:test-order", args=[store.public_id]), {"scenario": "valid"})
    result = client.get(reverse("stores:test-order-result", args=[store.public_id]))

    assert sent.status_code == 403
    assert "Only owners and managers can send test orders" in sent.content.decode()
    assert result.status_code == 403
    assert len(responses.calls) == 0


def test_staff_do_not_see_the_test_order_panel(client, store, sandbox):
    client = _staff_client(client, store)

    page = client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert "Send a test order" not in page
    assert reverse("stores:test-order", args=[store.public_id]) not in page


def test_a_manager_may_send_test_orders(client, store, sandbox):
    manager = MembershipFactory(merchant=store.merchant, role=Membership.Role.MANAGER)
    client.force_login(manager.user)

    page = client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert "Send a test order" in page
