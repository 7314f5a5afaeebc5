"""Sandbox-only API: POST /v1/sandbox/test-orders and GET /v1/sandbox/test-orders/{id}."""

import uuid

import pytest
from django.urls import reverse

from gett.sandbox import services, tasks
from gett.sandbox.models import SandboxCall, SandboxTestOrder

pytestmark = pytest.mark.django_db

URL = "/sandbox/gett/v1/sandbox/test-orders"


def post(client, auth, body):
    return client.post(URL, body, content_type="application/json", headers=auth)


def test_the_url_is_where_the_portal_expects_it():
    assert reverse("sandbox:test-orders") == URL


def test_post_starts_a_test_order_and_answers_202(
    client, auth, live_store, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client, auth, {"storeId": str(live_store.store_id), "scenario": "wrong_total"}
        )

    assert response.status_code == 202, response.content
    body = response.json()
    test_order = SandboxTestOrder.objects.get()
    assert body["testOrderId"] == test_order.pk
    assert body["inspectUrl"] == f"/sandbox/gett/inspect/test-orders/{test_order.pk}/"
    assert body["url"] == f"{URL}/{test_order.pk}"
    assert (body["scenario"], body["outcome"], body["calls"]) == ("wrong_total", "queued", [])
    assert [(e.task, e.args) for e in enqueued] == [("sandbox_test_order_task", (test_order.pk,))]
    assert SandboxCall.objects.get().response_status == 202


def test_post_defaults_to_a_valid_order(client, auth, live_store):
    response = post(client, auth, {"storeId": str(live_store.store_id)})

    assert response.status_code == 202
    assert SandboxTestOrder.objects.get().scenario == "valid"


def test_post_needs_the_api_key(client, live_store):
    response = post(client, {}, {"storeId": str(live_store.store_id)})

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert not SandboxTestOrder.objects.exists()


def test_post_for_an_unknown_store_is_404(client, auth, live_store):
    response = post(client, auth, {"storeId": str(uuid.uuid4())})

    assert response.status_code == 404
    assert response.json()["errorCode"] == "STORE_NOT_FOUND"


MISSING = object()


@pytest.mark.parametrize(
    ("members", "path"),
    [
        ({"storeId": MISSING}, "$.storeId"),
        ({"storeId": "pos-store-0042"}, "$.storeId"),
        ({"storeId": 42}, "$.storeId"),
        ({"scenario": "chaos"}, "$.scenario"),
        ({"seed": "abc"}, "$.seed"),
    ],
)
def test_post_with_bad_members_is_422_with_json_path(client, auth, live_store, members, path):
    body = {"storeId": str(live_store.store_id), "scenario": "valid", **members}
    body = {name: value for name, value in body.items() if value is not MISSING}

    response = post(client, auth, body)

    assert response.status_code == 422, response.content
    problem = response.json()
    assert problem["errorCode"] == "VALIDATION_FAILED"
    assert [error["jsonPath"] for error in problem["errors"]] == [path]


def test_post_without_an_accepted_menu_is_409_with_a_readable_detail(client, auth, store):
    response = post(client, auth, {"storeId": str(store.store_id)})

    assert response.status_code == 409
    problem = response.json()
    assert problem["errorCode"] == "CONFLICT"
    assert problem["detail"].startswith(
        "Gett has no accepted menu for this store yet: publish the menu first"
    )


def test_post_without_a_webhook_url_is_409(client, auth, store, catalogset):
    services.catalogset_seed(partner_store_id=store.partner_store_id, document=catalogset)
    store.webhook_url = ""
    store.save()

    response = post(client, auth, {"storeId": str(store.store_id)})

    assert response.status_code == 409
    assert "webhook URL" in response.json()["detail"]


def test_get_shows_the_outcome_and_every_call(
    client, auth, live_store, django_capture_on_commit_callbacks
):
    response = post(client, auth, {"storeId": str(live_store.store_id)})
    test_order_id = response.json()["testOrderId"]
    tasks.sandbox_test_order_task(test_order_id)

    response = client.get(f"{URL}/{test_order_id}", headers=auth)

    assert response.status_code == 200
    body = response.json()
    assert (body["outcome"], body["asExpected"]) == ("placed", True)
    assert body["partnerOrderId"] == "POS-0001"
    assert [(c["operation"], c["attempt"], c["responseStatus"]) for c in body["calls"]] == [
        ("validate", 1, 200),
        ("place", 1, 200),
    ]
    assert set(body["calls"][0]["requestHeaders"]) >= {"Signature", "Timestamp", "API-Version"}
    assert body["calls"][0]["latencyMs"] >= 0
    assert body["expectedAmounts"]["subTotal"] == body["validatedAmounts"]["subTotal"]


def test_get_unknown_test_order_is_404(client, auth):
    response = client.get(f"{URL}/999", headers=auth)

    assert response.status_code == 404
    assert response.json()["errorCode"] == "NOT_FOUND"


def test_get_needs_the_api_key(client, live_store):
    test_order = services.test_order_start(store=live_store)

    assert client.get(f"{URL}/{test_order.pk}").status_code == 401
