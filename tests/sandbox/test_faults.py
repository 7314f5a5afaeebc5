"""Fault switches: injected 500, 503, 429 and hangs, consumed exactly as armed."""

import json
import threading
import time

import pytest
from django.db import connection
from django.urls import reverse

from gett.client import GettClient
from gett.errors import GettError
from gett.sandbox import services
from gett.sandbox.models import SandboxCall, SandboxFault
from gett.sandbox.problems import Problem
from gett.sandbox.urls import urlpatterns
from tests.sandbox.conftest import API_KEY
from tests.sandbox.openapi import assert_valid, assert_valid_response

pytestmark = pytest.mark.django_db

DETAIL = "/v1/commerce/stores/{storeId}"
STATUS = "/v1/commerce/stores/{storeId}/status"
LIST = "/v1/commerce/stores"


def faults_url() -> str:
    return reverse("sandbox:faults")


# --- each mode ---------------------------------------------------------------------------------


def test_status_500_fault_answers_internal_error(client, auth, store_url):
    services.fault_arm(endpoint="store-detail", mode="status_500", count=1)

    response = client.get(store_url, headers=auth)

    assert response.status_code == 500
    problem = assert_valid_response(response, DETAIL, "get")
    assert (problem["errorCode"], problem["errorCategory"], problem["retryable"]) == (
        "INTERNAL_ERROR",
        "server_error",
        True,
    )


def test_status_503_fault_answers_service_unavailable_with_retry_after(
    client, auth, store_url, settings
):
    settings.GETT_SANDBOX_FAULT_RETRY_AFTER_SECONDS = 7
    services.fault_arm(endpoint="store-detail", mode="status_503", count=1)

    response = client.get(store_url, headers=auth)

    assert response.status_code == 503
    problem = assert_valid_response(response, DETAIL, "get")
    assert (problem["errorCode"], problem["retryable"], problem["retryAfter"]) == (
        "SERVICE_UNAVAILABLE",
        True,
        7,
    )


def test_status_429_fault_answers_rate_limited_with_retry_after_and_headers(
    client, auth, store_url
):
    services.fault_arm(endpoint="store-detail", mode="status_429", count=1)

    before = time.time()
    response = client.get(store_url, headers=auth)

    assert response.status_code == 429
    problem = assert_valid_response(response, DETAIL, "get")
    assert (problem["errorCode"], problem["retryable"], problem["retryAfter"]) == (
        "RATE_LIMITED",
        True,
        1,
    )
    assert response["X-RateLimit-Remaining"] == "0"
    assert int(before) + 1 <= int(response["X-RateLimit-Reset"]) <= int(time.time()) + 1


def test_hang_fault_sleeps_then_answers_503(client, auth, store_url):
    services.fault_arm(endpoint="store-detail", mode="hang", count=1)

    started = time.monotonic()
    response = client.get(store_url, headers=auth)

    assert time.monotonic() - started >= 0.5
    assert response.status_code == 503
    assert assert_valid_response(response, DETAIL, "get")["errorCode"] == "SERVICE_UNAVAILABLE"


# --- counting and matching ---------------------------------------------------------------------


def test_fault_is_consumed_exactly_count_times(client, auth, store_url):
    services.fault_arm(endpoint="store-detail", mode="status_503", count=2)

    codes = [client.get(store_url, headers=auth).status_code for _ in range(4)]

    assert codes == [503, 503, 200, 200]
    assert SandboxFault.objects.get().remaining == 0


def test_fault_take_is_a_conditional_decrement(db):
    services.fault_arm(endpoint="store-list", mode="status_500", count=1)

    assert services.fault_take(endpoint="store-list") == "status_500"
    assert services.fault_take(endpoint="store-list") is None
    assert SandboxFault.objects.get().remaining == 0


def test_an_endpoint_fault_is_taken_before_a_wildcard_one(db):
    services.fault_arm(endpoint="*", mode="status_503", count=1)
    services.fault_arm(endpoint="store-list", mode="status_500", count=1)

    assert services.fault_take(endpoint="store-list") == "status_500"
    assert services.fault_take(endpoint="store-list") == "status_503"
    assert services.fault_take(endpoint="store-list") is None


def test_fault_on_one_endpoint_leaves_the_others_alone(client, auth, store_url, status_url):
    services.fault_arm(endpoint="store-status", mode="status_500", count=1)

    assert client.get(store_url, headers=auth).status_code == 200
    assert client.get(status_url, headers=auth).status_code == 500


def test_wildcard_fault_hits_any_commerce_endpoint(client, auth, store, status_url):
    services.fault_arm(endpoint="*", mode="status_503", count=2)

    listed = client.get(reverse("sandbox:store-list"), headers=auth)
    paused = client.post(
        status_url,
        {"status": "paused", "reason": "other"},
        content_type="application/json",
        headers=auth,
    )

    assert assert_valid_response(listed, LIST, "get")["errorCode"] == "SERVICE_UNAVAILABLE"
    assert assert_valid_response(paused, STATUS, "post")["errorCode"] == "SERVICE_UNAVAILABLE"
    # The faulted write did not happen.
    store.refresh_from_db()
    assert store.status == "online"


def test_unauthenticated_calls_do_not_consume_faults(client, auth, store_url):
    services.fault_arm(endpoint="store-detail", mode="status_500", count=1)

    assert client.get(store_url).status_code == 401
    assert client.get(store_url, headers=auth).status_code == 500


def test_faulted_calls_are_logged_with_the_fault(client, auth, store_url):
    services.fault_arm(endpoint="store-detail", mode="status_429", count=1)

    client.get(store_url, headers=auth)
    client.get(store_url, headers=auth)

    calls = list(SandboxCall.objects.order_by("pk").values_list("response_status", "fault"))
    assert calls == [(429, "status_429"), (200, "")]


def test_fault_clear_disarms_everything(client, auth, store_url):
    services.fault_arm(endpoint="*", mode="status_500", count=5)
    services.fault_arm(endpoint="store-detail", mode="hang", count=5)

    assert services.fault_clear() == 2
    assert client.get(store_url, headers=auth).status_code == 200


def test_faultable_endpoints_are_the_commerce_url_names():
    # Sandbox-only URLs (fault switches, test orders, inspection pages) are never faulted.
    names = {
        pattern.name for pattern in urlpatterns if str(pattern.pattern).startswith("v1/commerce/")
    }
    assert names == set(services.FAULTABLE_ENDPOINTS)


@pytest.mark.parametrize(
    ("kwargs", "paths"),
    [
        ({"endpoint": "stores", "mode": "status_500", "count": 1}, ["$.endpoint"]),
        ({"endpoint": "faults", "mode": "status_500", "count": 1}, ["$.endpoint"]),
        ({"endpoint": "*", "mode": "status_502", "count": 1}, ["$.mode"]),
        ({"endpoint": "*", "mode": "hang", "count": 0}, ["$.count"]),
        ({"endpoint": "*", "mode": "hang", "count": True}, ["$.count"]),
        ({"endpoint": "*", "mode": "hang", "count": "3"}, ["$.count"]),
        ({"endpoint": None, "mode": None, "count": None}, ["$.count", "$.endpoint", "$.mode"]),
    ],
)
def test_fault_arm_rejects_unknown_endpoints_modes_and_counts(db, kwargs, paths):
    with pytest.raises(Problem) as raised:
        services.fault_arm(**kwargs)

    assert sorted(e["jsonPath"] for e in raised.value.errors) == paths
    assert not SandboxFault.objects.exists()


# --- over HTTP ---------------------------------------------------------------------------------


def test_faults_can_be_armed_listed_and_cleared_over_http(client, auth, store_url):
    armed = client.post(
        faults_url(),
        {"endpoint": "store-detail", "mode": "status_503", "count": 1},
        content_type="application/json",
        headers=auth,
    )
    assert armed.status_code == 201
    assert armed.json() == {
        "endpoint": "store-detail",
        "mode": "status_503",
        "remaining": 1,
        "createdAt": armed.json()["createdAt"],
    }
    assert [f["mode"] for f in client.get(faults_url(), headers=auth).json()] == ["status_503"]

    cleared = client.delete(faults_url(), headers=auth)

    assert cleared.status_code == 204
    assert cleared.content == b""
    assert client.get(faults_url(), headers=auth).json() == []
    assert client.get(store_url, headers=auth).status_code == 200


def test_arming_a_fault_over_http_validates_the_body(client, auth, db):
    response = client.post(
        faults_url(),
        {"endpoint": "*", "mode": "explode"},
        content_type="application/json",
        headers=auth,
    )

    assert response.status_code == 422
    problem = json.loads(response.content)
    assert_valid(problem, "ProblemDetails")
    assert sorted(e["jsonPath"] for e in problem["errors"]) == ["$.count", "$.mode"]


def test_the_fault_switches_need_a_bearer_key_and_are_never_faulted(client, auth, db):
    assert client.post(faults_url(), {}, content_type="application/json").status_code == 401
    assert client.delete(faults_url()).status_code == 401
    services.fault_arm(endpoint="*", mode="status_500", count=3)

    assert client.get(faults_url(), headers=auth).status_code == 200
    assert client.delete(faults_url(), headers=auth).status_code == 204


# --- concurrency -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (CI runs it); in-memory SQLite locks whole tables",
)
def test_concurrent_calls_cannot_take_more_faults_than_armed():
    services.fault_arm(endpoint="store-list", mode="status_500", count=3)
    barrier = threading.Barrier(8)
    taken: list[str | None] = []

    def take() -> None:
        try:
            barrier.wait()
            taken.append(services.fault_take(endpoint="store-list"))
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(taken, key=str) == [None] * 5 + ["status_500"] * 3
    assert SandboxFault.objects.get().remaining == 0


# --- what the portal's real client sees --------------------------------------------------------


def wait_for_calls(count: int) -> None:
    # The live server answers on its own thread; let it finish before the database is flushed.
    deadline = time.monotonic() + 5
    while SandboxCall.objects.count() < count and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture
def gett_client(live_server) -> GettClient:
    return GettClient(
        live_server.url + "/sandbox/gett", API_KEY, connect_timeout=2.0, read_timeout=2.0
    )


@pytest.mark.parametrize(
    ("mode", "status", "error_code", "retry_after"),
    [
        ("status_500", 500, "INTERNAL_ERROR", None),
        ("status_503", 503, "SERVICE_UNAVAILABLE", 1),
        ("status_429", 429, "RATE_LIMITED", 1),
    ],
)
def test_gett_client_sees_a_retryable_error_for_each_status_fault(
    gett_client, mode, status, error_code, retry_after
):
    services.fault_arm(endpoint="store-list", mode=mode, count=1)

    with pytest.raises(GettError) as raised:
        gett_client.list_stores()

    error = raised.value
    assert (error.status, error.error_code, error.retryable) == (status, error_code, True)
    assert error.retry_after == retry_after
    assert error.request_id.startswith("req_")
    if mode == "status_429":
        assert gett_client.rate_limit is not None
        assert gett_client.rate_limit.remaining == 0
    assert gett_client.list_stores() == []


def test_gett_client_times_out_on_a_hang_fault(live_server):
    client = GettClient(
        live_server.url + "/sandbox/gett", API_KEY, connect_timeout=2.0, read_timeout=0.2
    )
    services.fault_arm(endpoint="store-list", mode="hang", count=1)

    with pytest.raises(GettError) as raised:
        client.list_stores()

    assert (raised.value.error_code, raised.value.retryable, raised.value.status) == (
        "TIMEOUT",
        True,
        None,
    )
    wait_for_calls(1)
    assert SandboxCall.objects.get().fault == "hang"


def test_drop_fault_closes_the_connection_without_a_reply(client, auth, store_url):
    import socket

    services.fault_arm(endpoint="store-detail", mode="drop", count=1)
    server_side, client_side = socket.socketpair()
    try:
        client.get(store_url, headers=auth, **{"gunicorn.socket": server_side})
        client_side.settimeout(1)
        # The caller's end sees the connection end (or reset) with no bytes of a reply.
        try:
            received = client_side.recv(1024)
        except ConnectionResetError:
            received = b""
        assert received == b""
    finally:
        server_side.close()
        client_side.close()
    call = SandboxCall.objects.get()
    assert call.fault == "drop"
    # The fault is spent: the next call is answered normally.
    assert client.get(store_url, headers=auth).status_code == 200


def test_drop_fault_without_a_socket_answers_503_saying_so(client, auth, store_url):
    services.fault_arm(endpoint="store-detail", mode="drop", count=1)

    response = client.get(store_url, headers=auth)

    assert response.status_code == 503
    assert "gunicorn" in response.json()["detail"]
