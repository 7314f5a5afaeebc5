"""Catalog notification (POST /v1/commerce/catalogset-notification) and the asynchronous pull."""

import json
import socket
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from gett.sandbox import services
from gett.sandbox.models import SandboxCatalogIngestion, SandboxOnboarding
from gett.sandbox.tasks import sandbox_catalog_pull_task
from tests.sandbox.conftest import STORE_ID, load_payload
from tests.sandbox.openapi import assert_valid_request, assert_valid_response

pytestmark = pytest.mark.django_db

NOTIFY = "/v1/commerce/catalogset-notification"
CALLBACK = "https://menus.pos.example.com/gett/stores/pos-store-0042/catalogset.json"


def notify(client, auth, *, store_id="pos-store-0042", body=None):
    url = reverse("sandbox:catalogset-notification")
    if store_id is not None:
        url += f"?storeId={store_id}"
    body = {"callbackUrl": CALLBACK} if body is None else body
    return client.post(url, body, content_type="application/json", headers=auth)


def pull(callback_url, partner_store_id="pos-store-0042"):
    ingestion = services.ingestion_create(
        partner_store_id=partner_store_id, callback_url=callback_url
    )
    sandbox_catalog_pull_task.run(ingestion.pk)
    ingestion.refresh_from_db()
    return ingestion


# --- the notification --------------------------------------------------------------------------


def test_notification_is_202_without_body_and_enqueues_the_pull_on_commit(
    client, auth, store, enqueued, django_capture_on_commit_callbacks
):
    body = load_payload("catalogset-notification.request.json")
    assert_valid_request(body, NOTIFY, "post")

    with django_capture_on_commit_callbacks(execute=True):
        response = notify(client, auth, body=body)

    assert response.status_code == 202
    assert_valid_response(response, NOTIFY, "post")
    assert response.content == b""
    ingestion = SandboxCatalogIngestion.objects.get()
    assert (ingestion.partner_store_id, ingestion.callback_url, ingestion.status) == (
        "pos-store-0042",
        body["callbackUrl"],
        "queued",
    )
    assert [(e.task, e.args, e.countdown) for e in enqueued] == [
        ("sandbox_catalog_pull_task", (ingestion.pk,), None)
    ]


def test_notification_enqueues_nothing_before_commit(
    client, auth, store, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(client, auth)

    assert len(callbacks) == 1
    assert enqueued == []


@pytest.mark.parametrize("query", [None, "", "%20%20"])
def test_notification_without_store_id_is_400(client, auth, store, query):
    response = notify(client, auth, store_id=query)

    assert response.status_code == 400
    body = assert_valid_response(response, NOTIFY, "post")
    assert body["errorCode"] == "INVALID_REQUEST"
    assert "storeId" in body["detail"]
    assert not SandboxCatalogIngestion.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"callbackUrl": None},
        {"callbackUrl": 42},
        {"callbackUrl": ""},
        {"callbackUrl": "/relative/catalog.json"},
        {"callbackUrl": "ftp://menus.example.com/catalog.json"},
        {"callbackUrl": "https://menus.example.com/a catalog.json"},
        {"url": CALLBACK},
    ],
)
def test_notification_with_a_bad_or_missing_callback_url_is_422(client, auth, store, body):
    response = notify(client, auth, body=body)

    assert response.status_code == 422
    problem = assert_valid_response(response, NOTIFY, "post")
    assert problem["errorCode"] == "VALIDATION_FAILED"
    assert [e["jsonPath"] for e in problem["errors"]] == ["$.callbackUrl"]
    assert not SandboxCatalogIngestion.objects.exists()


def test_notification_with_a_body_that_is_not_an_object_is_422(client, auth, store):
    response = notify(client, auth, body=[CALLBACK])

    assert response.status_code == 422
    assert assert_valid_response(response, NOTIFY, "post")["errors"][0]["jsonPath"] == "$"


def test_notification_with_malformed_json_is_400(client, auth, store):
    url = reverse("sandbox:catalogset-notification") + "?storeId=pos-store-0042"

    response = client.post(url, '{"callbackUrl": ', content_type="application/json", headers=auth)

    assert response.status_code == 400
    assert assert_valid_response(response, NOTIFY, "post")["errorCode"] == "INVALID_REQUEST"


def test_notification_for_an_unknown_partner_store_is_404(client, auth, db):
    response = notify(client, auth, store_id="pos-store-9999")

    assert response.status_code == 404
    assert assert_valid_response(response, NOTIFY, "post")["errorCode"] == "STORE_NOT_FOUND"
    assert not SandboxCatalogIngestion.objects.exists()


def test_notification_with_the_gett_store_id_instead_of_ours_says_so(client, auth, store):
    response = notify(client, auth, store_id=str(STORE_ID))

    assert response.status_code == 404
    assert "your own store id" in assert_valid_response(response, NOTIFY, "post")["detail"]


def test_notification_for_a_store_still_in_onboarding_is_accepted(client, auth, db):
    SandboxOnboarding.objects.create(
        partner_store_id="pos-store-0077",
        name="Deli",
        catalog_callback_url=CALLBACK,
        webhook_url="https://api.pos.example.com/gett/webhooks",
    )

    response = notify(client, auth, store_id="pos-store-0077")

    assert response.status_code == 202
    ingestion = SandboxCatalogIngestion.objects.get()
    assert ingestion.onboarding is None  # the onboarding pulls its own catalog


def test_notification_needs_a_bearer_key(client, store):
    response = notify(client, {})

    assert response.status_code == 401
    assert assert_valid_response(response, NOTIFY, "post")["errorCode"] == "UNAUTHENTICATED"


# --- the pull, against a real HTTP server ------------------------------------------------------


def test_pull_of_a_valid_catalogset_is_accepted_with_counts(partner_files, store, catalogset):
    url = partner_files.serve_json("/catalogsets/pos-store-0042/v1.json", catalogset)

    ingestion = pull(url)

    assert ingestion.status == "accepted"
    assert ingestion.problems == []
    assert ingestion.counts == {"catalogs": 2, "sections": 5, "items": 18, "modifierGroups": 5}
    assert ingestion.catalog_set_id == catalogset["catalogSetId"]
    assert ingestion.document == catalogset
    assert ingestion.http_status == 200
    assert ingestion.size_bytes == len(json.dumps(catalogset).encode())
    assert ingestion.fetch_ms is not None and ingestion.validate_ms is not None
    assert ingestion.started_at is not None and ingestion.finished_at is not None
    assert services.accepted_catalogset("pos-store-0042") == catalogset


def test_pull_follows_the_latest_json_redirect(partner_files, store, catalogset):
    partner_files.serve_json("/catalogsets/pos-store-0042/abc123.json", catalogset)
    url = partner_files.redirect(
        "/catalogsets/pos-store-0042/latest.json", "/catalogsets/pos-store-0042/abc123.json"
    )

    ingestion = pull(url)

    assert ingestion.status == "accepted"
    assert partner_files.hits == [
        "/catalogsets/pos-store-0042/latest.json",
        "/catalogsets/pos-store-0042/abc123.json",
    ]


def test_pull_of_a_catalogset_with_a_dangling_reference_fails_with_problems(
    partner_files, store, broken_catalogset
):
    url = partner_files.serve_json("/broken.json", broken_catalogset)

    ingestion = pull(url)

    assert ingestion.status == "failed"
    assert ingestion.document is None
    assert ingestion.http_status == 200
    assert ingestion.counts["items"] == 18
    [problem] = ingestion.problems
    assert problem["code"] == "DANGLING_REFERENCE"
    assert problem["entityId"] == "333d0d90-1ea2-5ed0-b5b7-ab89e2af8e43"
    assert problem["jsonPath"] == (
        "$.modifierGroups['333d0d90-1ea2-5ed0-b5b7-ab89e2af8e43'].itemIds[3]"
    )
    assert "00000000-0000-4000-8000-00000000dead" in problem["message"]
    assert services.accepted_catalogset("pos-store-0042") is None


def test_pull_checks_the_store_fulfillment_flags_when_the_store_exists(
    partner_files, store, catalogset
):
    store.delivery_allowed = False
    store.pickup_allowed = False
    store.save()
    url = partner_files.serve_json("/catalogset.json", catalogset)

    ingestion = pull(url)

    assert ingestion.status == "failed"
    assert [p["code"] for p in ingestion.problems] == ["NO_FULFILLMENT_METHOD"]


def test_pull_of_a_file_that_is_not_json_fails(partner_files, store):
    url = partner_files.serve("/catalog.html", b"<html>menu</html>", content_type="text/html")

    ingestion = pull(url)

    assert ingestion.status == "failed"
    assert ingestion.http_status == 200
    [problem] = ingestion.problems
    assert problem["code"] == "fetch_not_json"
    assert "text/html" in problem["message"]
    assert problem["jsonPath"] == "$"


def test_pull_of_json_that_is_not_a_catalogset_fails_with_schema_problems(partner_files, store):
    url = partner_files.serve_json("/list.json", [1, 2, 3])

    ingestion = pull(url)

    assert ingestion.status == "failed"
    assert ingestion.problems[0]["code"] == "SCHEMA"


def test_pull_of_a_missing_file_fails_with_the_http_status(partner_files, store):
    ingestion = pull(partner_files.url("/nothing-here.json"))

    assert ingestion.status == "failed"
    assert ingestion.http_status == 404
    [problem] = ingestion.problems
    assert problem["code"] == "fetch_http_status"
    assert "404" in problem["message"]


def test_pull_that_times_out_fails(partner_files, store, catalogset, settings):
    settings.GETT_SANDBOX_FETCH_READ_TIMEOUT = 0.2
    url = partner_files.serve_json("/slow.json", catalogset, delay=1.0)

    ingestion = pull(url)

    assert ingestion.status == "failed"
    assert [p["code"] for p in ingestion.problems] == ["fetch_timeout"]
    assert ingestion.http_status is None


def test_pull_of_a_file_over_the_size_cap_fails(partner_files, store, catalogset, settings):
    settings.GETT_SANDBOX_FETCH_MAX_BYTES = 1000
    url = partner_files.serve_json("/big.json", catalogset)

    ingestion = pull(url)

    assert ingestion.status == "failed"
    assert [p["code"] for p in ingestion.problems] == ["fetch_too_large"]
    assert ingestion.document is None


def test_pull_from_a_server_that_refuses_connections_fails(store):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    ingestion = pull(f"http://127.0.0.1:{port}/catalog.json")

    assert ingestion.status == "failed"
    assert [p["code"] for p in ingestion.problems] == ["fetch_connection_error"]


def test_pull_with_a_redirect_loop_fails(partner_files, store):
    url = partner_files.redirect("/loop.json", "/loop.json")

    ingestion = pull(url)

    assert ingestion.status == "failed"
    assert [p["code"] for p in ingestion.problems] == ["fetch_too_many_redirects"]


def test_pull_runs_once_even_if_the_task_runs_twice(partner_files, store, catalogset):
    url = partner_files.serve_json("/catalogset.json", catalogset)
    ingestion = pull(url)

    sandbox_catalog_pull_task.run(ingestion.pk)

    assert partner_files.hits == ["/catalogset.json"]
    ingestion.refresh_from_db()
    assert ingestion.status == "accepted"


def test_pull_of_a_deleted_ingestion_does_nothing(db):
    assert services.ingestion_run(ingestion_id=123456) is None


def test_pull_stuck_in_fetching_is_claimed_again_once_stale(
    partner_files, store, catalogset, settings
):
    settings.GETT_SANDBOX_STALE_SECONDS = 60
    url = partner_files.serve_json("/catalogset.json", catalogset)
    ingestion = services.ingestion_create(partner_store_id="pos-store-0042", callback_url=url)
    SandboxCatalogIngestion.objects.filter(pk=ingestion.pk).update(
        status="fetching", started_at=timezone.now() - timedelta(seconds=30)
    )

    sandbox_catalog_pull_task.run(ingestion.pk)
    assert partner_files.hits == []

    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        sandbox_catalog_pull_task.run(ingestion.pk)

    ingestion.refresh_from_db()
    assert ingestion.status == "accepted"
    assert partner_files.hits == ["/catalogset.json"]


def test_the_newest_accepted_notification_is_what_the_sandbox_sells(
    partner_files, store, catalogset, broken_catalogset
):
    first = dict(catalogset, catalogSetId="11111111-1111-4111-8111-111111111111")
    second = dict(catalogset, catalogSetId="22222222-2222-4222-8222-222222222222")
    older = services.ingestion_create(
        partner_store_id="pos-store-0042", callback_url=partner_files.serve_json("/1.json", first)
    )
    newer = services.ingestion_create(
        partner_store_id="pos-store-0042", callback_url=partner_files.serve_json("/2.json", second)
    )

    # The newer file is pulled first; the older pull finishing later must not replace it.
    sandbox_catalog_pull_task.run(newer.pk)
    sandbox_catalog_pull_task.run(older.pk)
    assert services.accepted_catalogset("pos-store-0042")["catalogSetId"] == second["catalogSetId"]

    # A newest notification whose file is broken leaves the last good menu on sale.
    pull(partner_files.serve_json("/3.json", broken_catalogset))
    assert services.accepted_catalogset("pos-store-0042")["catalogSetId"] == second["catalogSetId"]
    assert services.accepted_catalogset("pos-store-unknown") is None


def test_end_to_end_notification_then_pull(
    client, auth, store, partner_files, catalogset, enqueued, django_capture_on_commit_callbacks
):
    url = partner_files.serve_json("/catalogsets/pos-store-0042/v7.json", catalogset)

    with django_capture_on_commit_callbacks(execute=True):
        response = notify(client, auth, body={"callbackUrl": url})
    assert response.status_code == 202
    [job] = enqueued
    sandbox_catalog_pull_task.run(*job.args)

    ingestion = SandboxCatalogIngestion.objects.get()
    assert ingestion.status == "accepted"
    assert services.accepted_catalogset("pos-store-0042") == catalogset
