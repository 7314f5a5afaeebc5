"""The sandbox checks requests as strictly as Gett: 400 problem+json, never a 500."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from gett.sandbox import tasks
from gett.sandbox.models import SandboxCall, SandboxCatalogIngestion
from tests.sandbox.openapi import assert_valid_response

pytestmark = pytest.mark.django_db

STATUS = "/v1/commerce/stores/{storeId}/status"
NOW = datetime(2026, 5, 8, 18, 55, 12, tzinfo=UTC)


def post_raw(client, url, raw: str, auth, method="post"):
    return getattr(client, method)(url, raw.encode(), content_type="application/json", headers=auth)


def assert_400_problem(response) -> dict:
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["errorCode"] == "INVALID_REQUEST"
    return body


def test_resume_with_a_reason_outside_the_enum_is_400(client, auth, status_url):
    response = post_raw(client, status_url, '{"status": "online", "reason": "bogus"}', auth)

    body = assert_400_problem(response)
    assert_valid_response(response, STATUS, "post")
    assert [e["jsonPath"] for e in body["errors"]] == ["$.reason"]


def test_resume_with_a_valid_reason_is_still_fine(client, auth, status_url):
    response = post_raw(client, status_url, '{"status": "online", "reason": "other"}', auth)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("name", "url", "raw", "method"),
    [
        ("status", "status", '{"status": "paused", "status": "online"}', "post"),
        ("nested", "status", '{"status": "online", "x": {"a": 1, "a": 2}}', "post"),
        ("details", "store", '{"name": "A", "name": "B"}', "put"),
        ("notify", "notify", '{"callbackUrl": "https://a.test/x", "callbackUrl": "x"}', "post"),
    ],
)
def test_duplicate_members_are_400_in_every_body(
    client, auth, store, status_url, store_url, name, url, raw, method
):
    target = {
        "status": status_url,
        "store": store_url,
        "notify": reverse("sandbox:catalogset-notification") + "?storeId=pos-store-0042",
    }[url]

    response = post_raw(client, target, raw, auth, method=method)

    body = assert_400_problem(response)
    assert "more than once" in body["detail"]


@pytest.mark.parametrize(
    ("url", "raw", "method"),
    [
        ("status", '{"status": "paused", "reason": "\\ud800"}', "post"),
        ("store", '{"name": "Pizza \\ud800"}', "put"),
        ("store", '{"name": "ok", "\\udfff": 1}', "put"),
        ("notify", '{"callbackUrl": "https://a.test/\\ud800"}', "post"),
    ],
)
def test_a_lone_surrogate_in_any_body_is_400(
    client, auth, store, status_url, store_url, url, raw, method
):
    target = {
        "status": status_url,
        "store": store_url,
        "notify": reverse("sandbox:catalogset-notification") + "?storeId=pos-store-0042",
    }[url]

    response = post_raw(client, target, raw, auth, method=method)

    body = assert_400_problem(response)
    assert "surrogate" in body["detail"]
    assert SandboxCall.objects.get().response_status == 400


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "resume_at", ["9999-12-31T23:59:59Z", "9999-12-31T23:00:00-05:00", "9999-01-01T00:00:00+14:00"]
)
def test_a_resume_at_in_year_9999_is_400(client, auth, store, status_url, resume_at):
    raw = f'{{"status": "paused", "reason": "too_busy", "resumeAt": "{resume_at}"}}'

    response = post_raw(client, status_url, raw, auth)

    body = assert_400_problem(response)
    assert [e["jsonPath"] for e in body["errors"]] == ["$.resumeAt"]
    store.refresh_from_db()
    assert store.status == "online"


@time_machine.travel(NOW, tick=False)
def test_a_misspelt_member_is_accepted_with_a_visible_warning(
    admin_client, client, auth, status_url
):
    raw = '{"status": "paused", "reason": "too_busy", "resume_at": "2026-05-08T19:30:00Z"}'

    response = post_raw(client, status_url, raw, auth)

    assert response.status_code == 200
    call = SandboxCall.objects.get()
    assert len(call.warnings) == 1
    assert "resume_at" in call.warnings[0] and "resumeAt" in call.warnings[0]
    page = admin_client.get(reverse("sandbox:inspect-call", args=[call.pk]))
    assert "did you mean" in page.content.decode()
    overview = admin_client.get(reverse("sandbox:inspect"))
    assert "1 warning" in overview.content.decode()


def test_known_members_give_no_warning(client, auth, status_url):
    post_raw(client, status_url, '{"status": "paused", "reason": "other"}', auth)

    assert SandboxCall.objects.get().warnings == []


def test_unauthenticated_calls_are_recorded_without_their_body(client, store, status_url):
    response = client.post(
        status_url,
        {"status": "paused", "reason": "other", "secret": "s3cr3t"},
        content_type="application/json",
    )

    assert response.status_code == 401
    call = SandboxCall.objects.get()
    assert call.response_status == 401
    assert call.request_body == ""
    assert "s3cr3t" not in str(call.request_headers)


def test_pulling_a_loopback_http_url_records_a_warning(
    admin_client, client, auth, store, partner_files, catalogset, enqueued
):
    url = partner_files.serve_json("/menu.json", catalogset)
    assert url.startswith("http://127.0.0.1")
    response = client.post(
        reverse("sandbox:catalogset-notification") + "?storeId=pos-store-0042",
        {"callbackUrl": url},
        content_type="application/json",
        headers=auth,
    )
    assert response.status_code == 202

    ingestion = SandboxCatalogIngestion.objects.get()
    tasks.sandbox_catalog_pull_task(ingestion.pk)
    ingestion.refresh_from_db()

    assert ingestion.status == "accepted"
    assert any(
        f"Gett cannot reach {url}" in warning and "from the internet" in warning
        for warning in ingestion.warnings
    ), ingestion.warnings
    page = admin_client.get(reverse("sandbox:inspect-ingestion", args=[ingestion.pk]))
    assert "Gett cannot reach" in page.content.decode()


def test_pulling_a_public_https_url_records_no_warning(db):
    from gett.sandbox.services.catalog import callback_url_warnings

    assert callback_url_warnings("https://menus.example.com/store/latest.json") == []
    assert callback_url_warnings("http://menus.example.com/store/latest.json") != []
    assert callback_url_warnings("https://10.0.0.5/latest.json") != []
    assert callback_url_warnings("https://localhost:8000/latest.json") != []
