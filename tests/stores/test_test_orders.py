import pytest
import responses
from django.urls import reverse

from tests.factories import StoreFactory

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
