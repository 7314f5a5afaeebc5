import json
import logging
import re
import time
from email.utils import formatdate
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

from gett.client import GettClient, RateLimit, get_client
from gett.errors import GettError

BASE = "https://gett.test"
PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"
PROJECT_ROOT = Path(__file__).resolve().parents[2]

STORE_ID = "bb2f4c7e-8a1d-4e3b-9f6c-5d0a7e2b1c94"
ORDER_ID = "9d3e7a52-1c4b-4f0e-8b6a-2e71c5d0f8a3"
ONBOARDING_ID = "c41d9e07-6a2f-4b8d-93e1-7f05a2c6b3d8"


def load(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text())


@pytest.fixture
def wire():
    with responses.RequestsMock() as rsps:
        yield rsps


@pytest.fixture
def client():
    return GettClient(BASE, "test-key", connect_timeout=3.05, read_timeout=10.0)


def problem(status: int, error_code: str, **extra) -> dict:
    return {
        "type": f"https://developer.gett-tech.com/errors/{error_code}",
        "title": "Problem",
        "status": status,
        "detail": f"{error_code} detail",
        "instance": f"/v1/commerce/stores/{STORE_ID}",
        "requestId": "req_abc123",
        "errorCode": error_code,
        **extra,
    }


def assert_common_headers(request: requests.PreparedRequest) -> None:
    assert request.headers["Authorization"] == "Bearer test-key"
    assert request.headers["Accept"] == "application/problem+json, application/json"
    assert request.req_kwargs["timeout"] == (3.05, 10.0)


# Endpoints


def test_notify_catalog_posts_callback_url_with_partner_store_id_query(wire, client):
    body = load("catalogset-notification.request.json")
    wire.post(
        f"{BASE}/v1/commerce/catalogset-notification",
        status=202,
        match=[
            matchers.query_param_matcher({"storeId": "pos-store-0042"}),
            matchers.json_params_matcher(body),
        ],
    )

    result = client.notify_catalog(
        partner_store_id="pos-store-0042", callback_url=body["callbackUrl"]
    )

    assert result is None
    request = wire.calls[0].request
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"
    assert_common_headers(request)


def test_notify_catalog_accepts_any_2xx(wire, client):
    wire.post(f"{BASE}/v1/commerce/catalogset-notification", status=200, json={"ok": True})

    assert (
        client.notify_catalog(partner_store_id="s1", callback_url="https://x.test/c.json") is None
    )


def test_list_stores_gets_stores(wire, client):
    stores = [{"storeId": STORE_ID, "name": "Harbor Street Burgers"}]
    wire.get(f"{BASE}/v1/commerce/stores", json=stores)

    assert client.list_stores() == stores
    assert wire.calls[0].request.method == "GET"
    assert_common_headers(wire.calls[0].request)


def test_get_store_gets_store_by_gett_id(wire, client):
    store = {"storeId": STORE_ID, "name": "Harbor Street Burgers", "status": "online"}
    wire.get(f"{BASE}/v1/commerce/stores/{STORE_ID}", json=store)

    assert client.get_store(store_id=STORE_ID) == store
    assert_common_headers(wire.calls[0].request)


def test_update_store_puts_payload(wire, client):
    payload = {"name": "Harbor Street Burgers", "phone": "+15550100", "description": "Burgers"}
    wire.put(
        f"{BASE}/v1/commerce/stores/{STORE_ID}",
        json={"storeId": STORE_ID, **payload},
        match=[matchers.json_params_matcher(payload)],
    )

    assert client.update_store(store_id=STORE_ID, payload=payload) == {
        "storeId": STORE_ID,
        **payload,
    }
    assert_common_headers(wire.calls[0].request)


def test_update_store_returns_none_on_empty_reply(wire, client):
    wire.put(f"{BASE}/v1/commerce/stores/{STORE_ID}", status=204)

    assert client.update_store(store_id=STORE_ID, payload={"name": "X"}) is None


def test_get_store_status_gets_status(wire, client):
    reply = load("store-status.get.response.json")
    wire.get(f"{BASE}/v1/commerce/stores/{STORE_ID}/status", json=reply)

    assert client.get_store_status(store_id=STORE_ID) == reply
    assert wire.calls[0].request.method == "GET"
    assert_common_headers(wire.calls[0].request)


def test_update_store_status_posts_payload(wire, client):
    payload = load("store-status.pause.request.json")
    wire.post(
        f"{BASE}/v1/commerce/stores/{STORE_ID}/status",
        status=200,
        json={"status": "paused"},
        match=[matchers.json_params_matcher(payload)],
    )

    assert client.update_store_status(store_id=STORE_ID, payload=payload) == {"status": "paused"}
    assert_common_headers(wire.calls[0].request)


def test_update_order_status_posts_payload_to_gett_order_id(wire, client):
    payload = load("order-status-update.confirmed.json")
    wire.post(
        f"{BASE}/v1/commerce/orders/{ORDER_ID}/status",
        status=202,
        match=[matchers.json_params_matcher(payload)],
    )

    assert client.update_order_status(order_id=ORDER_ID, payload=payload) is None
    assert_common_headers(wire.calls[0].request)


def test_register_store_posts_registration_and_returns_record(wire, client):
    payload = load("onboarding-register.request.json")
    reply = load("onboarding-register.response.json")
    wire.post(
        f"{BASE}/v1/commerce/onboarding/stores",
        status=201,
        json=reply,
        match=[matchers.json_params_matcher(payload)],
    )

    assert client.register_store(payload=payload) == reply
    assert_common_headers(wire.calls[0].request)


def test_get_onboarding_gets_record(wire, client):
    reply = load("onboarding-status.active.response.json")
    wire.get(f"{BASE}/v1/commerce/onboarding/stores/{ONBOARDING_ID}", json=reply)

    assert client.get_onboarding(onboarding_id=ONBOARDING_ID) == reply
    assert_common_headers(wire.calls[0].request)


def test_cancel_onboarding_deletes_record(wire, client):
    wire.delete(f"{BASE}/v1/commerce/onboarding/stores/{ONBOARDING_ID}", status=204)

    assert client.cancel_onboarding(onboarding_id=ONBOARDING_ID) is None
    assert wire.calls[0].request.method == "DELETE"
    assert_common_headers(wire.calls[0].request)


def test_activate_store_posts_without_body(wire, client):
    reply = load("onboarding-status.active.response.json")
    wire.post(f"{BASE}/v1/commerce/onboarding/stores/{ONBOARDING_ID}/activate", json=reply)

    assert client.activate_store(onboarding_id=ONBOARDING_ID) == reply
    request = wire.calls[0].request
    assert request.body is None
    assert_common_headers(request)


def test_path_segments_are_url_quoted(wire, client):
    wire.get(f"{BASE}/v1/commerce/stores/a%2Fb%20c%3F/status", json={"status": "online"})

    assert client.get_store_status(store_id="a/b c?") == {"status": "online"}
    assert wire.calls[0].request.url == f"{BASE}/v1/commerce/stores/a%2Fb%20c%3F/status"


def test_base_url_trailing_slash_is_ignored(wire):
    client = GettClient(BASE + "/", "test-key", connect_timeout=1, read_timeout=2)
    wire.get(f"{BASE}/v1/commerce/stores", json=[])

    client.list_stores()

    assert wire.calls[0].request.url == f"{BASE}/v1/commerce/stores"
    assert wire.calls[0].request.req_kwargs["timeout"] == (1, 2)


def test_success_with_non_json_body_returns_none(wire, client):
    wire.get(
        f"{BASE}/v1/commerce/stores/{STORE_ID}",
        body="<html>ok</html>",
        content_type="text/html",
    )

    assert client.get_store(store_id=STORE_ID) is None


def test_passed_session_is_used(wire):
    session = requests.Session()
    session.headers["X-Trace"] = "yes"
    client = GettClient(BASE, "test-key", connect_timeout=3.05, read_timeout=10.0, session=session)
    wire.get(f"{BASE}/v1/commerce/stores", json=[])

    client.list_stores()

    request = wire.calls[0].request
    assert request.headers["X-Trace"] == "yes"
    assert_common_headers(request)


# Rate-limit headers


def test_rate_limit_headers_are_parsed_on_success(wire, client):
    wire.get(
        f"{BASE}/v1/commerce/stores",
        json=[],
        headers={"X-RateLimit-Remaining": "97", "X-RateLimit-Reset": "1778264460"},
    )

    client.list_stores()

    assert client.rate_limit == RateLimit(remaining=97, reset_at=1778264460.0)


def test_rate_limit_is_none_without_headers(wire, client):
    wire.get(f"{BASE}/v1/commerce/stores", json=[])

    client.list_stores()

    assert client.rate_limit is None


def test_rate_limit_headers_are_parsed_on_error(wire, client):
    wire.get(
        f"{BASE}/v1/commerce/stores/{STORE_ID}",
        status=404,
        json=problem(404, "NOT_FOUND"),
        headers={"X-RateLimit-Remaining": "12", "X-RateLimit-Reset": "1778264460"},
    )

    with pytest.raises(GettError):
        client.get_store(store_id=STORE_ID)

    assert client.rate_limit == RateLimit(remaining=12, reset_at=1778264460.0)


# Errors


def test_400_carries_field_errors_with_json_path(wire, client):
    errors = [
        {
            "code": "INVALID_FIELD",
            "message": "callbackUrl must be an absolute URI",
            "jsonPath": "$.callbackUrl",
        }
    ]
    wire.post(
        f"{BASE}/v1/commerce/catalogset-notification",
        status=400,
        json=problem(400, "INVALID_REQUEST", retryable=False, errors=errors),
        content_type="application/problem+json",
    )

    with pytest.raises(GettError) as excinfo:
        client.notify_catalog(partner_store_id="pos-store-0042", callback_url="menu.json")

    error = excinfo.value
    assert error.status == 400
    assert error.error_code == "INVALID_REQUEST"
    assert error.detail == "INVALID_REQUEST detail"
    assert error.retryable is False
    assert error.retry_after is None
    assert error.request_id == "req_abc123"
    assert error.errors == errors
    assert "$.callbackUrl callbackUrl must be an absolute URI" in str(error)


@pytest.mark.parametrize(
    ("status", "error_code"),
    [
        (401, "UNAUTHENTICATED"),
        (403, "FORBIDDEN"),
        (404, "NOT_FOUND"),
        (409, "CONFLICT"),
        (422, "VALIDATION_FAILED"),
    ],
)
def test_client_errors_are_not_retryable(wire, client, status, error_code):
    wire.get(
        f"{BASE}/v1/commerce/stores/{STORE_ID}",
        status=status,
        json=problem(status, error_code, retryable=False),
        content_type="application/problem+json",
    )

    with pytest.raises(GettError) as excinfo:
        client.get_store(store_id=STORE_ID)

    error = excinfo.value
    assert error.status == status
    assert error.error_code == error_code
    assert error.retryable is False
    assert error.request_id == "req_abc123"


def test_422_carries_validation_errors(wire, client):
    errors = [{"code": "INVALID_TRANSITION", "message": "cannot go back", "jsonPath": "$.status"}]
    wire.post(
        f"{BASE}/v1/commerce/orders/{ORDER_ID}/status",
        status=422,
        json=problem(422, "VALIDATION_FAILED", errors=errors),
        content_type="application/problem+json",
    )

    with pytest.raises(GettError) as excinfo:
        client.update_order_status(order_id=ORDER_ID, payload={"status": "confirmed"})

    assert excinfo.value.errors == errors
    assert excinfo.value.retryable is False


@pytest.mark.parametrize(
    ("status", "error_code", "retryable"),
    [
        (400, "INVALID_REQUEST", False),
        (401, "UNAUTHENTICATED", False),
        (403, "FORBIDDEN", False),
        (404, "NOT_FOUND", False),
        (409, "CONFLICT", False),
        (422, "VALIDATION_FAILED", False),
        (429, "RATE_LIMITED", True),
        (500, "INTERNAL_ERROR", True),
        (502, "BAD_GATEWAY", True),
        (503, "SERVICE_UNAVAILABLE", True),
        (504, "HTTP_504", True),
        (418, "HTTP_418", False),
    ],
)
def test_error_without_body_derives_code_and_retryable_from_status(
    wire, client, status, error_code, retryable
):
    wire.get(f"{BASE}/v1/commerce/stores", status=status, body="")

    with pytest.raises(GettError) as excinfo:
        client.list_stores()

    error = excinfo.value
    assert error.status == status
    assert error.error_code == error_code
    assert error.retryable is retryable
    assert error.detail  # the reason phrase or a fallback, never empty


def test_error_detail_falls_back_to_title(wire, client):
    body = problem(409, "CONFLICT")
    del body["detail"]
    body["title"] = "Conflict"
    wire.post(
        f"{BASE}/v1/commerce/onboarding/stores/{ONBOARDING_ID}/activate", status=409, json=body
    )

    with pytest.raises(GettError) as excinfo:
        client.activate_store(onboarding_id=ONBOARDING_ID)

    assert excinfo.value.detail == "Conflict"


def test_429_uses_retry_after_from_body(wire, client):
    body = load("problem-details.rate-limited.json")
    wire.post(
        f"{BASE}/v1/commerce/orders/{ORDER_ID}/status",
        status=429,
        json=body,
        content_type="application/problem+json",
        headers={"Retry-After": "99", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"},
    )

    with pytest.raises(GettError) as excinfo:
        client.update_order_status(order_id=ORDER_ID, payload={"status": "confirmed"})

    error = excinfo.value
    assert error.status == 429
    assert error.error_code == "RATE_LIMITED"
    assert error.retryable is True
    assert error.retry_after == 20
    assert error.request_id == "req_4k2m9x"
    assert error.detail == "Rate limit exceeded for this partner organization."
    assert client.rate_limit == RateLimit(remaining=0, reset_at=1.0)


def test_429_uses_retry_after_header_in_seconds(wire, client):
    wire.get(f"{BASE}/v1/commerce/stores", status=429, headers={"Retry-After": "7"})

    with pytest.raises(GettError) as excinfo:
        client.list_stores()

    assert excinfo.value.error_code == "RATE_LIMITED"
    assert excinfo.value.retryable is True
    assert excinfo.value.retry_after == 7


def test_429_uses_retry_after_header_as_http_date(wire, client):
    wire.get(
        f"{BASE}/v1/commerce/stores",
        status=429,
        headers={"Retry-After": formatdate(time.time() + 60, usegmt=True)},
    )

    with pytest.raises(GettError) as excinfo:
        client.list_stores()

    assert 55 <= excinfo.value.retry_after <= 61


def test_429_with_only_reset_header_waits_until_reset(wire, client):
    reset_at = int(time.time()) + 30
    wire.get(
        f"{BASE}/v1/commerce/stores",
        status=429,
        json={"errorCode": "RATE_LIMITED", "status": 429, "title": "Too Many Requests"},
        headers={"X-RateLimit-Reset": str(reset_at)},
    )

    with pytest.raises(GettError) as excinfo:
        client.list_stores()

    assert 25 <= excinfo.value.retry_after <= 30
    assert client.rate_limit == RateLimit(remaining=0, reset_at=float(reset_at))


def test_429_with_reset_in_the_past_waits_at_least_one_second(wire, client):
    wire.get(
        f"{BASE}/v1/commerce/stores",
        status=429,
        headers={"X-RateLimit-Reset": str(int(time.time()) - 10)},
    )

    with pytest.raises(GettError) as excinfo:
        client.list_stores()

    assert excinfo.value.retry_after == 1


def test_429_without_any_hint_has_no_retry_after(wire, client):
    wire.get(f"{BASE}/v1/commerce/stores", status=429)

    with pytest.raises(GettError) as excinfo:
        client.list_stores()

    assert excinfo.value.retryable is True
    assert excinfo.value.retry_after is None


def test_500_is_retryable(wire, client):
    wire.get(
        f"{BASE}/v1/commerce/stores/{STORE_ID}/status",
        status=500,
        json=problem(500, "INTERNAL_ERROR", retryable=True),
        content_type="application/problem+json",
    )

    with pytest.raises(GettError) as excinfo:
        client.get_store_status(store_id=STORE_ID)

    assert excinfo.value.error_code == "INTERNAL_ERROR"
    assert excinfo.value.retryable is True
    assert excinfo.value.retry_after is None


def test_retryable_flag_in_body_wins_over_status(wire, client):
    wire.get(
        f"{BASE}/v1/commerce/stores/{STORE_ID}/status",
        status=500,
        json=problem(500, "INTERNAL_ERROR", retryable=False),
    )

    with pytest.raises(GettError) as excinfo:
        client.get_store_status(store_id=STORE_ID)

    assert excinfo.value.retryable is False


def test_502_with_html_body_is_retryable_bad_gateway(wire, client):
    wire.post(
        f"{BASE}/v1/commerce/onboarding/stores",
        status=502,
        body="<html><body><h1>502 Bad Gateway</h1></body></html>",
        content_type="text/html",
    )

    with pytest.raises(GettError) as excinfo:
        client.register_store(payload={"partnerStoreId": "pos-store-0042"})

    error = excinfo.value
    assert error.status == 502
    assert error.error_code == "BAD_GATEWAY"
    assert error.retryable is True
    assert error.detail == "Bad Gateway"
    assert error.errors == []
    assert error.request_id is None


def test_503_uses_retry_after_from_body(wire, client):
    wire.get(
        f"{BASE}/v1/commerce/onboarding/stores/{ONBOARDING_ID}",
        status=503,
        json=problem(503, "SERVICE_UNAVAILABLE", retryable=True, retryAfter=30),
        content_type="application/problem+json",
    )

    with pytest.raises(GettError) as excinfo:
        client.get_onboarding(onboarding_id=ONBOARDING_ID)

    error = excinfo.value
    assert error.error_code == "SERVICE_UNAVAILABLE"
    assert error.retryable is True
    assert error.retry_after == 30


def test_timeout_becomes_retryable_timeout_error(wire, client):
    wire.get(f"{BASE}/v1/commerce/stores", body=requests.Timeout("read timed out"))

    with pytest.raises(GettError) as excinfo:
        client.list_stores()

    error = excinfo.value
    assert error.error_code == "TIMEOUT"
    assert error.retryable is True
    assert error.status is None
    assert isinstance(error.__cause__, requests.Timeout)


def test_connect_timeout_is_reported_as_timeout(wire, client):
    wire.get(f"{BASE}/v1/commerce/stores", body=requests.ConnectTimeout("connect timed out"))

    with pytest.raises(GettError) as excinfo:
        client.list_stores()

    assert excinfo.value.error_code == "TIMEOUT"


def test_connection_error_becomes_retryable_network_error(wire, client):
    wire.delete(
        f"{BASE}/v1/commerce/onboarding/stores/{ONBOARDING_ID}",
        body=requests.ConnectionError("connection refused"),
    )

    with pytest.raises(GettError) as excinfo:
        client.cancel_onboarding(onboarding_id=ONBOARDING_ID)

    error = excinfo.value
    assert error.error_code == "NETWORK_ERROR"
    assert error.retryable is True
    assert error.status is None


def test_other_request_exception_becomes_network_error(wire, client):
    wire.get(f"{BASE}/v1/commerce/stores", body=requests.exceptions.ChunkedEncodingError("cut"))

    with pytest.raises(GettError) as excinfo:
        client.list_stores()

    assert excinfo.value.error_code == "NETWORK_ERROR"
    assert excinfo.value.retryable is True


# Logging


def test_logs_carry_request_id_but_not_key_or_body(wire, client, caplog):
    wire.post(
        f"{BASE}/v1/commerce/orders/{ORDER_ID}/status",
        status=429,
        json=load("problem-details.rate-limited.json"),
    )
    caplog.set_level(logging.DEBUG, logger="gett.client")

    with pytest.raises(GettError):
        client.update_order_status(order_id=ORDER_ID, payload={"cancelReason": "secret-reason"})

    assert "req_4k2m9x" in caplog.text
    assert f"/v1/commerce/orders/{ORDER_ID}/status" in caplog.text
    assert "test-key" not in caplog.text
    assert "secret-reason" not in caplog.text
    assert "Rate limit exceeded" not in caplog.text
    assert "test-key" not in repr(client)


# Settings


def test_get_client_reads_settings(settings):
    settings.GETT_API_BASE_URL = "https://api-sandbox.gett-tech.com/"
    settings.GETT_API_KEY = "zpka_from_settings"
    settings.GETT_CONNECT_TIMEOUT = 2.5
    settings.GETT_READ_TIMEOUT = 7.0

    client = get_client()

    assert client.base_url == "https://api-sandbox.gett-tech.com"
    assert client.api_key == "zpka_from_settings"
    assert client.timeout == (2.5, 7.0)


def test_get_client_calls_configured_gett_with_configured_key(wire, settings):
    wire.get(f"{BASE}/v1/commerce/stores", json=[])

    get_client().list_stores()

    request = wire.calls[0].request
    assert request.headers["Authorization"] == "Bearer test-key"
    assert request.req_kwargs["timeout"] == (
        settings.GETT_CONNECT_TIMEOUT,
        settings.GETT_READ_TIMEOUT,
    )


# Architecture


def test_only_gett_client_imports_requests():
    pattern = re.compile(r"^\s*(import\s+requests\b|from\s+requests(\.|\s))", re.MULTILINE)
    client_module = PROJECT_ROOT / "gett" / "client.py"
    # The sandbox is Gett's side of the wire; its outbound calls to partners live in one module.
    sandbox_module = PROJECT_ROOT / "gett" / "sandbox" / "partner_http.py"
    allowed = {client_module, sandbox_module}
    offenders = []
    for package in ["portal", "stores", "catalogs", "orders", "onboarding", "gett"]:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            if path in allowed:
                continue
            if pattern.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(PROJECT_ROOT)))

    assert offenders == []
    for path in allowed:
        assert pattern.search(path.read_text(encoding="utf-8")), path
