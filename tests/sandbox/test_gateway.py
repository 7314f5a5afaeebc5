"""What every sandbox call goes through: bearer auth, rate limits, problem+json, the call log."""

import json
import re
import time

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from gett.sandbox.models import SandboxCall
from tests.sandbox.conftest import API_KEY, OTHER_API_KEY
from tests.sandbox.openapi import assert_valid, assert_valid_response

pytestmark = pytest.mark.django_db

DETAIL = "/v1/commerce/stores/{storeId}"
STATUS = "/v1/commerce/stores/{storeId}/status"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": API_KEY},
        {"Authorization": f"Token {API_KEY}"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer zpka_wrong"},
        {"Authorization": f"Bearer {API_KEY}x"},
    ],
    ids=["missing", "no-prefix", "other-scheme", "empty-key", "wrong-key", "longer-key"],
)
def test_call_without_a_valid_bearer_key_is_401_problem(client, store_url, headers):
    response = client.get(store_url, headers=headers)

    assert response.status_code == 401
    body = assert_valid_response(response, DETAIL, "get")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert body["type"] == "https://developer.gett-tech.com/errors/UNAUTHENTICATED"
    assert body["title"] == "Unauthorized"
    assert body["status"] == 401
    assert body["errorCode"] == "UNAUTHENTICATED"
    assert body["errorCategory"] == "authentication"
    assert body["retryable"] is False
    assert body["instance"] == store_url.removeprefix("/sandbox/gett")
    assert re.fullmatch(r"req_[0-9a-f]{16}", body["requestId"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["timestamp"])
    assert body["detail"]


def test_unauthenticated_write_changes_nothing(client, store, status_url):
    response = client.post(
        status_url, {"status": "paused", "reason": "other"}, content_type="application/json"
    )

    assert response.status_code == 401
    store.refresh_from_db()
    assert store.status == "online"


def test_every_configured_key_is_accepted(client, store_url):
    for key in (API_KEY, OTHER_API_KEY):
        assert client.get(store_url, headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_unknown_path_is_404_not_found_problem(client, auth, db):
    response = client.get("/sandbox/gett/v1/commerce/nothing-here", headers=auth)

    assert response.status_code == 404
    body = json.loads(response.content)
    assert_valid(body, "ProblemDetails")
    assert body["errorCode"] == "NOT_FOUND"
    assert body["instance"] == "/v1/commerce/nothing-here"


def test_problem_is_markdown_when_only_markdown_is_accepted(client, auth, db):
    response = client.get(
        reverse(
            "sandbox:store-detail", kwargs={"store_id": "00000000-0000-4000-8000-000000000000"}
        ),
        headers={**auth, "Accept": "text/markdown"},
    )

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/markdown")
    text = response.content.decode()
    assert text.startswith("---\n")
    assert 'errorCode: "STORE_NOT_FOUND"' in text


def test_replies_carry_rate_limit_headers(client, auth, store_url):
    response = client.get(store_url, headers=auth)

    assert int(response["X-RateLimit-Remaining"]) == 4999
    assert int(response["X-RateLimit-Reset"]) > time.time()


def test_reads_over_the_limit_get_429_with_retry_after(client, auth, store_url, settings):
    settings.GETT_SANDBOX_READS_PER_MINUTE = 3

    with time_machine.travel(1_800_000_010, tick=False):
        replies = [client.get(store_url, headers=auth) for _ in range(4)]

    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert [r["X-RateLimit-Remaining"] for r in replies] == ["2", "1", "0", "0"]
    limited = replies[-1]
    assert limited["X-RateLimit-Reset"] == "1800000060"
    body = assert_valid_response(limited, DETAIL, "get")
    assert body["errorCode"] == "RATE_LIMITED"
    assert body["errorCategory"] == "rate_limit"
    assert body["retryable"] is True
    assert body["retryAfter"] == 50


def test_rate_limit_window_resets_after_a_minute(client, auth, store_url, settings):
    settings.GETT_SANDBOX_READS_PER_MINUTE = 1

    with time_machine.travel(1_800_000_010, tick=False):
        client.get(store_url, headers=auth)
        assert client.get(store_url, headers=auth).status_code == 429
    with time_machine.travel(1_800_000_061, tick=False):
        assert client.get(store_url, headers=auth).status_code == 200


def test_writes_have_their_own_budget(client, auth, store_url, status_url, settings):
    settings.GETT_SANDBOX_WRITES_PER_MINUTE = 1

    with time_machine.travel(1_800_000_010, tick=False):
        first = client.post(
            status_url, {"status": "online"}, content_type="application/json", headers=auth
        )
        second = client.post(
            status_url, {"status": "online"}, content_type="application/json", headers=auth
        )
        read = client.get(store_url, headers=auth)

    assert (first.status_code, second.status_code, read.status_code) == (200, 429, 200)
    assert assert_valid_response(second, STATUS, "post")["errorCode"] == "RATE_LIMITED"


def test_every_call_is_logged_without_the_api_key(client, auth, store_url, status_url):
    client.get(store_url, headers=auth)
    client.post(
        status_url,
        {"status": "paused"},
        content_type="application/json",
        headers={**auth, "API-Version": "2026-01-30"},
    )
    client.get(store_url, headers={"Authorization": "Bearer zpka_wrong"})
    client.get(store_url)

    calls = list(SandboxCall.objects.order_by("pk"))
    assert [(c.method, c.response_status, c.error_code) for c in calls] == [
        ("GET", 200, ""),
        ("POST", 422, "VALIDATION_FAILED"),
        ("GET", 401, "UNAUTHENTICATED"),
        ("GET", 401, "UNAUTHENTICATED"),
    ]
    assert [c.authorization_present for c in calls] == [True, True, True, False]
    write = calls[1]
    assert write.path == status_url
    assert write.request_body == '{"status": "paused"}'
    assert write.request_headers["API-Version"] == "2026-01-30"
    assert write.request_headers["Content-Type"] == "application/json"
    assert json.loads(write.response_body)["requestId"] == write.request_id
    assert str(write.store_id) == store_url.rsplit("/", 1)[-1]
    for call in calls:
        stored = json.dumps(
            [call.request_headers, call.request_body, call.response_body, call.query_string]
        )
        assert API_KEY not in stored
        assert "zpka_wrong" not in stored
        assert "Authorization" not in call.request_headers


def test_large_request_bodies_are_logged_truncated(client, auth, store_url):
    description = "é" * 50_000  # 100,000 bytes of UTF-8

    client.put(
        store_url, {"description": description}, content_type="application/json", headers=auth
    )

    call = SandboxCall.objects.get()
    assert call.request_body_truncated is True
    assert len(call.request_body.encode()) <= 64 * 1024 + 3


def test_query_string_is_logged(client, auth, store_url):
    client.get(store_url + "?expand=all", headers=auth)

    assert SandboxCall.objects.get().query_string == "expand=all"


def test_writes_need_no_csrf_token(auth, status_url):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        status_url, {"status": "online"}, content_type="application/json", headers=auth
    )

    assert response.status_code == 200


def test_body_too_large_to_read_is_413_and_still_logged(client, auth, store_url):
    huge = '{"description": "' + "x" * (3 * 1024 * 1024) + '"}'

    response = client.put(store_url, huge, content_type="application/json", headers=auth)

    assert response.status_code == 413
    assert_valid(json.loads(response.content), "ProblemDetails")
    call = SandboxCall.objects.get()
    assert (call.response_status, call.request_body, call.request_body_truncated) == (413, "", True)
