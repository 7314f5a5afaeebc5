"""Store status: GET/POST /v1/commerce/stores/{storeId}/status (pause and resume)."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from gett.sandbox.models import SandboxStore
from tests.sandbox.openapi import assert_valid_request, assert_valid_response

pytestmark = pytest.mark.django_db

STATUS = "/v1/commerce/stores/{storeId}/status"
DETAIL = "/v1/commerce/stores/{storeId}"
PAYLOADS = Path(settings.BASE_DIR) / "tests" / "payloads"
NOW = datetime(2026, 5, 8, 18, 55, 12, tzinfo=UTC)


def post_status(client, url, body, auth):
    return client.post(url, body, content_type="application/json", headers=auth)


def test_new_store_status_is_online_without_pause_members(client, auth, status_url):
    response = client.get(status_url, headers=auth)

    assert response.status_code == 200
    assert assert_valid_response(response, STATUS, "get") == {"status": "online"}


@time_machine.travel(NOW, tick=False)
def test_pause_with_reason_and_resume_at_shows_paused_on_get(client, auth, status_url):
    pause = json.loads((PAYLOADS / "store-status.pause.request.json").read_text())
    assert_valid_request(pause, STATUS, "post")

    response = post_status(client, status_url, pause, auth)

    assert response.status_code == 200
    expected = {
        "status": "paused",
        "reason": "too_busy",
        "pausedAt": "2026-05-08T18:55:12Z",
        "resumeAt": "2026-05-08T19:30:00Z",
    }
    assert assert_valid_response(response, STATUS, "post") == expected
    # The same document the shared example shows for GET.
    assert expected == json.loads((PAYLOADS / "store-status.get.response.json").read_text())

    response = client.get(status_url, headers=auth)

    assert assert_valid_response(response, STATUS, "get") == expected


@time_machine.travel(NOW, tick=False)
def test_paused_store_reads_paused_on_get_store(client, auth, store, store_url, status_url):
    post_status(client, status_url, {"status": "paused", "reason": "maintenance"}, auth)

    response = client.get(store_url, headers=auth)

    assert assert_valid_response(response, DETAIL, "get")["status"] == "paused"


def test_pause_without_resume_at_has_no_resume_at(client, auth, status_url):
    response = post_status(client, status_url, {"status": "paused", "reason": "other"}, auth)

    body = assert_valid_response(response, STATUS, "post")
    assert body["status"] == "paused"
    assert body["reason"] == "other"
    assert "pausedAt" in body
    assert "resumeAt" not in body


def test_pause_without_reason_is_422_pointing_at_reason(client, auth, store, status_url):
    response = post_status(client, status_url, {"status": "paused"}, auth)

    assert response.status_code == 422
    body = assert_valid_response(response, STATUS, "post")
    assert body["errorCode"] == "VALIDATION_FAILED"
    assert body["errors"] == [
        {"code": "required", "message": "reason is required when pausing.", "jsonPath": "$.reason"}
    ]
    store.refresh_from_db()
    assert store.status == "online"


@pytest.mark.parametrize("reason", ["lunch", "", None, 3])
def test_pause_with_a_reason_outside_the_enum_is_400(client, auth, status_url, reason):
    response = post_status(client, status_url, {"status": "paused", "reason": reason}, auth)

    assert response.status_code == 400
    body = assert_valid_response(response, STATUS, "post")
    assert [e["jsonPath"] for e in body["errors"]] == ["$.reason"]


@time_machine.travel(NOW, tick=False)
def test_pause_with_resume_at_in_the_past_is_422(client, auth, store, status_url):
    body = {"status": "paused", "reason": "too_busy", "resumeAt": "2026-05-08T18:00:00Z"}

    response = post_status(client, status_url, body, auth)

    assert response.status_code == 422
    problem = assert_valid_response(response, STATUS, "post")
    assert [e["jsonPath"] for e in problem["errors"]] == ["$.resumeAt"]
    store.refresh_from_db()
    assert store.status == "online"


@pytest.mark.parametrize(
    "resume_at", ["tomorrow", "2030-05-08", "2030-05-08T19:30:00", "2030-13-08T19:30:00Z", 1, None]
)
def test_pause_with_resume_at_that_is_not_a_date_time_is_400(client, auth, status_url, resume_at):
    body = {"status": "paused", "reason": "too_busy", "resumeAt": resume_at}

    response = post_status(client, status_url, body, auth)

    assert response.status_code == 400
    problem = assert_valid_response(response, STATUS, "post")
    assert [e["jsonPath"] for e in problem["errors"]] == ["$.resumeAt"]


def test_pause_reports_every_invalid_member_at_once(client, auth, status_url):
    body = {"status": "paused", "reason": "nap", "resumeAt": "soon"}

    response = post_status(client, status_url, body, auth)

    problem = assert_valid_response(response, STATUS, "post")
    assert sorted(e["jsonPath"] for e in problem["errors"]) == ["$.reason", "$.resumeAt"]


@pytest.mark.parametrize("body", [{}, {"reason": "too_busy"}, {"status": "closed"}, {"status": 1}])
def test_missing_or_unknown_status_is_400_pointing_at_status(client, auth, status_url, body):
    response = post_status(client, status_url, body, auth)

    assert response.status_code == 400
    problem = assert_valid_response(response, STATUS, "post")
    assert [e["jsonPath"] for e in problem["errors"]] == ["$.status"]


def test_resume_clears_reason_paused_at_and_resume_at(client, auth, store, status_url):
    post_status(
        client,
        status_url,
        {"status": "paused", "reason": "staff_shortage", "resumeAt": "2099-01-01T00:00:00Z"},
        auth,
    )
    resume = json.loads((PAYLOADS / "store-status.resume.request.json").read_text())
    assert_valid_request(resume, STATUS, "post")

    response = post_status(client, status_url, resume, auth)

    assert response.status_code == 200
    assert assert_valid_response(response, STATUS, "post") == {"status": "online"}
    store.refresh_from_db()
    assert (store.status, store.reason, store.paused_at, store.resume_at) == (
        "online",
        "",
        None,
        None,
    )


def test_pausing_again_keeps_paused_at_and_replaces_reason_and_resume_at(client, auth, status_url):
    with time_machine.travel(NOW, tick=False):
        post_status(
            client,
            status_url,
            {"status": "paused", "reason": "too_busy", "resumeAt": "2026-05-08T19:30:00Z"},
            auth,
        )
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        response = post_status(client, status_url, {"status": "paused", "reason": "other"}, auth)

    assert assert_valid_response(response, STATUS, "post") == {
        "status": "paused",
        "reason": "other",
        "pausedAt": "2026-05-08T18:55:12Z",
    }


def test_unknown_members_in_a_status_update_are_ignored(client, auth, status_url):
    body = {"status": "paused", "reason": "maintenance", "note": "new oven"}

    response = post_status(client, status_url, body, auth)

    assert response.status_code == 200


def test_paused_store_auto_resumes_once_resume_at_passes(client, auth, store, status_url):
    with time_machine.travel(NOW, tick=False):
        post_status(
            client,
            status_url,
            {"status": "paused", "reason": "too_busy", "resumeAt": "2026-05-08T19:30:00Z"},
            auth,
        )

    with time_machine.travel(datetime(2026, 5, 8, 19, 29, 59, tzinfo=UTC), tick=False):
        before = client.get(status_url, headers=auth)
    with time_machine.travel(datetime(2026, 5, 8, 19, 30, 0, tzinfo=UTC), tick=False):
        after = client.get(status_url, headers=auth)
        listed = client.get(reverse("sandbox:store-list"), headers=auth)

    assert assert_valid_response(before, STATUS, "get")["status"] == "paused"
    assert assert_valid_response(after, STATUS, "get") == {"status": "online"}
    assert assert_valid_response(listed, "/v1/commerce/stores", "get")[0]["status"] == "online"
    # The resumption is stored, not only reported.
    store.refresh_from_db()
    assert (store.status, store.reason, store.resume_at) == ("online", "", None)


def test_effective_status_is_online_when_resume_at_has_passed(store):
    with time_machine.travel(NOW, tick=False):
        store.status = "paused"
        store.reason = "too_busy"
        store.paused_at = NOW
        store.resume_at = NOW + timedelta(minutes=5)
        store.save()
        assert store.effective_status == "paused"
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        assert store.effective_status == "online"
        assert SandboxStore.objects.get(pk=store.pk).status == "paused"


def test_status_of_unknown_store_is_404(client, auth, db):
    url = reverse(
        "sandbox:store-status", kwargs={"store_id": "00000000-0000-4000-8000-000000000000"}
    )

    get = client.get(url, headers=auth)
    post = post_status(client, url, {"status": "online"}, auth)

    assert assert_valid_response(get, STATUS, "get")["errorCode"] == "STORE_NOT_FOUND"
    assert assert_valid_response(post, STATUS, "post")["errorCode"] == "STORE_NOT_FOUND"


def test_status_with_malformed_json_is_400(client, auth, status_url):
    response = client.post(
        status_url, "{status: paused}", content_type="application/json", headers=auth
    )

    assert response.status_code == 400
    assert assert_valid_response(response, STATUS, "post")["errorCode"] == "INVALID_REQUEST"
