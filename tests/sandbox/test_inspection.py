"""Staff inspection pages under /sandbox/gett/inspect/."""

import uuid

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gett.sandbox import services, tasks
from gett.sandbox.models import (
    SandboxCall,
    SandboxCatalogIngestion,
    SandboxFault,
    SandboxOnboarding,
    SandboxTestOrder,
    SandboxWebhookCall,
)
from tests.sandbox.conftest import NEW_YORK_LUNCHTIME

pytestmark = pytest.mark.django_db

OVERVIEW = "/sandbox/gett/inspect/"


def populate(catalogset, start: int, count: int) -> None:
    """`count` of everything the overview lists, without any network."""
    for n in range(start, start + count):
        store = services.store_provision(
            store_id=uuid.uuid4(),
            partner_store_id=f"pos-{n}",
            name=f"Store {n}",
            webhook_url="https://partner.example.com/webhooks/gett",
        )
        services.catalogset_seed(partner_store_id=store.partner_store_id, document=catalogset)
        SandboxOnboarding.objects.create(
            partner_store_id=f"pos-{n}",
            name=f"Store {n}",
            catalog_callback_url="https://partner.example.com/latest.json",
            webhook_url="https://partner.example.com/webhooks/gett",
            status="active",
            store=store,
        )
        SandboxCatalogIngestion.objects.create(
            partner_store_id=f"pos-{n}",
            callback_url="https://partner.example.com/latest.json",
            status="failed",
            problems=[
                {"code": "DANGLING", "message": "Gone", "jsonPath": "$.items", "entityId": 1}
            ],
        )
        test_order = services.test_order_start(store=store, seed=n)
        SandboxWebhookCall.objects.create(
            test_order=test_order,
            operation="validate",
            url="https://partner.example.com/webhooks/gett/validateOrder",
            response_status=200,
            latency_ms=12,
        )
        order = services.order_create(
            store=store,
            order_id=uuid.uuid4(),
            partner_order_id=f"PO-{n}",
            cart={},
            amounts={},
            fulfillment_type="pickup",
        )
        services.order_status_update(order=order, data={"status": "confirmed"})
        SandboxCall.objects.create(
            request_id=f"req_{n}", method="GET", path="/v1/commerce/stores", response_status=200
        )
        services.fault_arm(endpoint="store-status", mode="status_503", count=n + 1)


def query_count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def placed(live_store, django_capture_on_commit_callbacks) -> SandboxTestOrder:
    test_order = services.test_order_start(store=live_store, scenario="repeated_place", seed=3)
    tasks.sandbox_test_order_task(test_order.pk)
    test_order.refresh_from_db()
    return test_order


# --- access -----------------------------------------------------------------------------


def inspection_urls(test_order: SandboxTestOrder) -> list[str]:
    call = test_order.calls.first()
    ingestion = SandboxCatalogIngestion.objects.first()
    api_call = SandboxCall.objects.first()
    return [
        OVERVIEW,
        reverse("sandbox:inspect-test-order", args=[test_order.pk]),
        reverse("sandbox:inspect-order", args=[test_order.order_id]),
        reverse("sandbox:inspect-ingestion", args=[ingestion.pk]),
        reverse("sandbox:inspect-call", args=[api_call.pk]),
        reverse("sandbox:inspect-webhook-call", args=[call.pk]),
    ]


def test_every_page_renders_for_staff(admin_client, client, auth, placed):
    client.get(reverse("sandbox:store-list"), headers=auth)  # one call in

    for url in inspection_urls(placed):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert b"Gett sandbox" in response.content


@pytest.mark.parametrize("who", ["anonymous", "merchant user"])
def test_pages_send_non_staff_to_the_admin_login(client, auth, placed, django_user_model, who):
    client.get(reverse("sandbox:store-list"), headers=auth)
    urls = inspection_urls(placed)
    if who != "anonymous":
        client.force_login(django_user_model.objects.create_user("cook", password="x"))

    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login") + "?next=")


# --- content ----------------------------------------------------------------------------


def test_overview_shows_stores_menus_test_orders_orders_and_calls(admin_client, placed):
    page = admin_client.get(OVERVIEW).content.decode()

    assert "Pizza Roma" in page
    assert placed.store.webhook_url in page
    assert "18 items" in page  # the accepted menu's summary
    assert "Send a test order" in page
    assert "placeOrder sent twice" in page  # the test order's scenario
    assert "As expected" in page
    assert "POS-0001" in page  # the partner order id
    assert "validateOrder" in page and "placeOrder" in page  # calls out


def test_overview_explains_what_to_do_when_empty(admin_client):
    page = admin_client.get(OVERVIEW).content.decode()

    assert "Gett knows no store yet" in page
    assert "No test order yet" in page
    assert "No fault armed" in page
    assert "The portal has not called the sandbox yet" in page


def test_overview_says_why_a_store_cannot_get_test_orders(admin_client, store):
    page = admin_client.get(OVERVIEW).content.decode()

    assert "No accepted menu yet: publish the menu from the portal." in page
    assert "Test orders need an accepted menu and a webhook URL." in page


def test_test_order_page_shows_calls_headers_bodies_and_amounts(admin_client, placed, catalogset):
    page = admin_client.get(reverse("sandbox:inspect-test-order", args=[placed.pk]))
    html = page.content.decode()

    assert "Partner behaved as expected" in html
    assert html.count("Signature") >= 3  # one per call
    assert placed.calls.first().request_headers["Signature"] in html
    assert "&quot;partnerOrderId&quot;: &quot;POS-0001&quot;" in html  # pretty-printed reply
    assert "ms ·" in html  # latency
    first_item = placed.validate_body["cart"]["lineItems"][0]["itemId"]
    assert catalogset["items"][first_item]["name"] in html  # the cart, by name
    assert "Gett expects" in html
    assert "idempotent" in html
    assert "hx-trigger" not in html  # finished: the page stops refreshing itself


def test_a_running_test_order_page_refreshes_itself(admin_client, live_store):
    test_order = services.test_order_start(store=live_store)

    html = admin_client.get(reverse("sandbox:inspect-test-order", args=[test_order.pk])).content

    assert b'hx-trigger="every 2s"' in html
    assert b"Waiting for a worker" in html


def test_order_page_shows_the_status_history(admin_client, placed):
    order = placed.placed_order
    services.order_status_update(order=order, data={"status": "preparing"})

    html = admin_client.get(reverse("sandbox:inspect-order", args=[order.order_id])).content

    assert b"open / pending" in html and b"open / preparing" in html
    assert f"#{placed.pk}".encode() in html


def test_ingestion_page_lists_problems_with_json_paths(admin_client, store):
    ingestion = SandboxCatalogIngestion.objects.create(
        partner_store_id=store.partner_store_id,
        callback_url="https://partner.example.com/latest.json",
        status="failed",
        problems=[
            {"code": "DANGLING", "message": f"Problem {n}", "jsonPath": f"$.items.x{n}"}
            for n in range(60)
        ],
    )
    url = reverse("sandbox:inspect-ingestion", args=[ingestion.pk])

    first = admin_client.get(url).content.decode()
    second = admin_client.get(url, {"page": 2}).content.decode()

    assert "$.items.x0" in first and "$.items.x49" in first and "$.items.x50" not in first
    assert "$.items.x59" in second
    assert "1–50 of 60" in first


# --- query counts ----------------------------------------------------------------------------


@time_machine.travel(NEW_YORK_LUNCHTIME, tick=True)  # test orders need an open catalog
def test_overview_query_count_does_not_grow_with_rows(admin_client, catalogset):
    populate(catalogset, 0, 1)
    few = query_count(admin_client, OVERVIEW)
    populate(catalogset, 1, 14)  # more than a page of each

    assert query_count(admin_client, OVERVIEW) == few


def test_detail_query_counts_do_not_grow_with_rows(admin_client, placed):
    order = placed.placed_order
    test_order_url = reverse("sandbox:inspect-test-order", args=[placed.pk])
    order_url = reverse("sandbox:inspect-order", args=[order.order_id])
    before = query_count(admin_client, test_order_url), query_count(admin_client, order_url)

    for _ in range(5):
        SandboxWebhookCall.objects.create(
            test_order=placed, operation="place", url=placed.webhook_url, response_status=503
        )
    for status in ("confirmed", "preparing", "ready", "ready", "ready"):
        services.order_status_update(order=order, data={"status": status})

    assert (query_count(admin_client, test_order_url), query_count(admin_client, order_url)) == (
        before
    )


# --- forms ------------------------------------------------------------------------------------


def test_the_send_form_starts_a_test_order_and_shows_it(
    admin_client, live_store, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("sandbox:inspect-test-order-send"),
            {"store": str(live_store.store_id), "scenario": "stale_timestamp"},
        )

    test_order = SandboxTestOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sandbox:inspect-test-order", args=[test_order.pk])
    assert test_order.scenario == "stale_timestamp"
    assert [e.args for e in enqueued] == [(test_order.pk,)]
    page = admin_client.get(response["Location"]).content.decode()
    assert f"Test order #{test_order.pk} (Stale timestamp) is on its way to Pizza Roma." in page


def test_the_send_form_says_why_it_cannot_send(admin_client, store):
    response = admin_client.post(
        reverse("sandbox:inspect-test-order-send"),
        {"store": str(store.store_id), "scenario": "valid"},
        follow=True,
    )

    assert response.redirect_chain == [(OVERVIEW + "#stores", 302)]
    assert "publish the menu first" in response.content.decode()
    assert not SandboxTestOrder.objects.exists()


def test_the_send_form_rejects_an_unknown_scenario(admin_client, live_store):
    response = admin_client.post(
        reverse("sandbox:inspect-test-order-send"),
        {"store": str(live_store.store_id), "scenario": "chaos"},
        follow=True,
    )

    assert "Could not send a test order" in response.content.decode()
    assert not SandboxTestOrder.objects.exists()


def test_the_fault_form_arms_and_clears_a_fault(admin_client):
    response = admin_client.post(
        reverse("sandbox:inspect-fault-arm"),
        {"endpoint": "store-status", "mode": "status_503", "count": 3},
        follow=True,
    )

    fault = SandboxFault.objects.get()
    assert (fault.endpoint, fault.mode, fault.remaining) == ("store-status", "status_503", 3)
    assert response.redirect_chain == [(OVERVIEW + "#faults", 302)]
    assert "Armed: the next 3 call(s) to store-status" in response.content.decode()

    admin_client.post(reverse("sandbox:inspect-fault-clear"))
    assert not SandboxFault.objects.exists()


def test_the_fault_form_reports_bad_input(admin_client):
    response = admin_client.post(
        reverse("sandbox:inspect-fault-arm"),
        {"endpoint": "store-status", "mode": "explode", "count": 0},
        follow=True,
    )

    assert "Could not arm the fault switch" in response.content.decode()
    assert not SandboxFault.objects.exists()


def test_forms_need_a_csrf_token_and_a_post(admin_user, live_store):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    send = client.post(
        reverse("sandbox:inspect-test-order-send"),
        {"store": str(live_store.store_id), "scenario": "valid"},
    )
    arm = client.post(
        reverse("sandbox:inspect-fault-arm"), {"endpoint": "*", "mode": "status_500", "count": 1}
    )

    assert (send.status_code, arm.status_code) == (403, 403)
    assert client.get(reverse("sandbox:inspect-fault-clear")).status_code == 405
    assert not SandboxTestOrder.objects.exists() and not SandboxFault.objects.exists()


def test_overview_offers_every_scenario(admin_client, live_store):
    page = admin_client.get(OVERVIEW).content.decode()

    for value, label in SandboxTestOrder.Scenario.choices:
        if value != "valid":
            assert f'name="scenario" value="{value}">{label}</button>' in page


def test_a_not_applicable_test_order_says_it_was_not_sent(admin_client, live_store, catalogset):
    for group in catalogset["modifierGroups"].values():
        group["minSelections"] = group["minimumAllowed"] = 0
    services.catalogset_seed(partner_store_id=live_store.partner_store_id, document=catalogset)
    test_order = services.test_order_start(store=live_store, scenario="missing_modifier")

    page = admin_client.get(
        reverse("sandbox:inspect-test-order", args=[test_order.pk])
    ).content.decode()
    overview = admin_client.get(OVERVIEW).content.decode()

    assert "Not sent: this menu cannot express the scenario" in page
    assert "Not applicable: the menu has no required group" in page
    assert "hx-trigger" not in page  # finished: the page does not refresh itself
    assert "Not applicable" in overview
