"""Order Booster onboarding: register, poll, activate, cancel (REFERENCE §8)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from gett.sandbox import services
from gett.sandbox.models import SandboxCatalogIngestion, SandboxOnboarding, SandboxStore
from gett.sandbox.tasks import sandbox_catalog_pull_task, sandbox_onboarding_advance_task
from gett.sandbox.views import onboarding_json
from tests.sandbox.conftest import load_payload
from tests.sandbox.openapi import (
    assert_valid,
    assert_valid_request,
    assert_valid_response,
    spec,
)

pytestmark = pytest.mark.django_db

REGISTER = "/v1/commerce/onboarding/stores"
DETAIL = "/v1/commerce/onboarding/stores/{onboardingId}"
ACTIVATE = "/v1/commerce/onboarding/stores/{onboardingId}/activate"
NOTIFY = "/v1/commerce/catalogset-notification"
NOW = datetime(2026, 5, 8, 16, 2, 44, tzinfo=UTC)
WEBHOOK_URL = "https://api.pos.example.com/gett/webhooks"


def registration(callback_url: str, partner_store_id: str = "pos-store-0042") -> dict:
    body = load_payload("onboarding-register.request.json")
    body.update(partnerStoreId=partner_store_id, catalogCallbackUrl=callback_url)
    return body


def register(client, auth, body):
    return client.post(
        reverse("sandbox:onboarding-register"), body, content_type="application/json", headers=auth
    )


def get(client, auth, onboarding_id):
    url = reverse("sandbox:onboarding-detail", kwargs={"onboarding_id": onboarding_id})
    return client.get(url, headers=auth)


def cancel(client, auth, onboarding_id):
    url = reverse("sandbox:onboarding-detail", kwargs={"onboarding_id": onboarding_id})
    return client.delete(url, headers=auth)


def activate(client, auth, onboarding_id):
    url = reverse("sandbox:onboarding-activate", kwargs={"onboarding_id": onboarding_id})
    return client.post(url, headers=auth)


def run_enqueued(enqueued):
    """Play Celery: run what was enqueued, in order, including what those tasks enqueue."""
    tasks = {
        "sandbox_catalog_pull_task": sandbox_catalog_pull_task,
        "sandbox_onboarding_advance_task": sandbox_onboarding_advance_task,
    }
    while enqueued:
        job = enqueued.pop(0)
        tasks[job.task].run(*job.args)


@pytest.fixture
def callback_url(partner_files, catalogset):
    return partner_files.serve_json("/catalogsets/pos-store-0042/latest.json", catalogset)


@pytest.fixture
def broken_url(partner_files, broken_catalogset):
    return partner_files.serve_json("/catalogsets/pos-store-0042/broken.json", broken_catalogset)


@pytest.fixture
def registered(client, auth, callback_url, enqueued) -> SandboxOnboarding:
    response = register(client, auth, registration(callback_url))
    assert response.status_code == 201
    return SandboxOnboarding.objects.get()


def onboard_until(client, auth, callback_url, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, auth, registration(callback_url))
    onboarding_id = response.json()["onboardingId"]
    with django_capture_on_commit_callbacks(execute=True):
        run_enqueued(enqueued)
    with django_capture_on_commit_callbacks(execute=True):
        run_enqueued(enqueued)
    return onboarding_id


# --- register ----------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_register_returns_the_pending_record_and_schedules_the_next_step(
    client, auth, callback_url, enqueued, django_capture_on_commit_callbacks, settings
):
    settings.GETT_SANDBOX_ONBOARDING_DELAY_SECONDS = 3
    body = registration(callback_url)
    assert_valid_request(body, REGISTER, "post")

    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, auth, body)

    assert response.status_code == 201
    record = assert_valid_response(response, REGISTER, "post")
    onboarding = SandboxOnboarding.objects.get()
    example = load_payload("onboarding-register.response.json")
    assert record == {**example, "onboardingId": str(onboarding.onboarding_id)}
    assert (onboarding.name, onboarding.webhook_url) == ("Harbor Street Burgers", WEBHOOK_URL)
    assert onboarding.next_step_at == NOW + timedelta(seconds=3)
    assert [(e.task, e.args, e.countdown) for e in enqueued] == [
        ("sandbox_onboarding_advance_task", (onboarding.pk,), 3)
    ]


def test_register_without_any_member_is_422_listing_every_member(client, auth, db):
    response = register(client, auth, {})

    assert response.status_code == 422
    problem = assert_valid_response(response, REGISTER, "post")
    assert sorted(e["jsonPath"] for e in problem["errors"]) == [
        "$.catalogCallbackUrl",
        "$.name",
        "$.partnerStoreId",
        "$.webhookUrl",
    ]
    assert not SandboxOnboarding.objects.exists()


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("partnerStoreId", 42),
        ("partnerStoreId", "  "),
        ("partnerStoreId", "x" * 201),
        ("name", None),
        ("name", ""),
        ("catalogCallbackUrl", "catalogset.json"),
        ("catalogCallbackUrl", "s3://bucket/catalogset.json"),
        ("webhookUrl", ["https://api.pos.example.com"]),
        ("webhookUrl", "https://"),
    ],
)
def test_register_with_an_invalid_member_is_422_pointing_at_it(
    client, auth, callback_url, member, value
):
    body = {**registration(callback_url), member: value}

    response = register(client, auth, body)

    assert response.status_code == 422
    problem = assert_valid_response(response, REGISTER, "post")
    assert [e["jsonPath"] for e in problem["errors"]] == [f"$.{member}"]


def test_register_with_a_body_that_is_not_an_object_is_422(client, auth, db):
    response = client.post(
        reverse("sandbox:onboarding-register"), "[]", content_type="application/json", headers=auth
    )

    assert response.status_code == 422
    assert assert_valid_response(response, REGISTER, "post")["errors"][0]["jsonPath"] == "$"


def test_register_twice_for_the_same_partner_store_is_409(client, auth, registered, callback_url):
    response = register(client, auth, registration(callback_url))

    assert response.status_code == 409
    problem = assert_valid_response(response, REGISTER, "post")
    assert problem["errorCode"] == "CONFLICT"
    assert str(registered.onboarding_id) in problem["detail"]
    assert SandboxOnboarding.objects.count() == 1


def test_register_for_a_store_already_active_is_409(client, auth, store, callback_url):
    response = register(client, auth, registration(callback_url, store.partner_store_id))

    assert response.status_code == 409
    assert "already active" in assert_valid_response(response, REGISTER, "post")["detail"]


def test_register_again_after_catalog_failed_is_allowed(
    client, auth, broken_url, callback_url, enqueued, django_capture_on_commit_callbacks
):
    failed_id = onboard_until(
        client, auth, broken_url, enqueued, django_capture_on_commit_callbacks
    )
    assert get(client, auth, failed_id).json()["status"] == "catalog_failed"

    response = register(client, auth, registration(callback_url))

    assert response.status_code == 201
    assert response.json()["onboardingId"] != failed_id


# --- the pipeline ------------------------------------------------------------------------------


def test_pipeline_goes_from_pending_catalog_to_ready_to_activate(
    client, auth, callback_url, partner_files, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, auth, registration(callback_url))
    onboarding_id = response.json()["onboardingId"]
    assert response.json()["status"] == "pending_catalog"

    assert [job.task for job in enqueued] == ["sandbox_onboarding_advance_task"]
    with django_capture_on_commit_callbacks(execute=True):
        run_enqueued(enqueued)
    ingesting = get(client, auth, onboarding_id)
    assert assert_valid_response(ingesting, DETAIL, "get")["status"] == "catalog_ingesting"
    [job] = enqueued
    assert job.task == "sandbox_catalog_pull_task"

    run_enqueued(enqueued)

    ready = get(client, auth, onboarding_id)
    record = assert_valid_response(ready, DETAIL, "get")
    assert (record["status"], record["storeId"], record["error"]) == (
        "ready_to_activate",
        None,
        None,
    )
    assert partner_files.hits == ["/catalogsets/pos-store-0042/latest.json"]
    ingestion = SandboxCatalogIngestion.objects.get()
    assert (ingestion.status, ingestion.onboarding.onboarding_id) == (
        "accepted",
        SandboxOnboarding.objects.get().onboarding_id,
    )
    assert services.accepted_catalogset("pos-store-0042")["catalogSetId"]


def test_pipeline_ends_in_catalog_failed_with_a_readable_error(
    client, auth, broken_url, enqueued, django_capture_on_commit_callbacks
):
    onboarding_id = onboard_until(
        client, auth, broken_url, enqueued, django_capture_on_commit_callbacks
    )

    response = get(client, auth, onboarding_id)

    record = assert_valid_response(response, DETAIL, "get")
    assert record["status"] == "catalog_failed"
    assert record["storeId"] is None
    assert "Choose your side" in record["error"]
    assert "00000000-0000-4000-8000-00000000dead" in record["error"]
    # Same shape as the shared example.
    assert set(record) == set(load_payload("onboarding-status.catalog-failed.response.json"))


def test_pipeline_error_for_a_missing_file_names_the_http_status(
    client, auth, partner_files, enqueued, django_capture_on_commit_callbacks
):
    onboarding_id = onboard_until(
        client, auth, partner_files.url("/gone.json"), enqueued, django_capture_on_commit_callbacks
    )

    record = get(client, auth, onboarding_id).json()

    assert record["status"] == "catalog_failed"
    assert "HTTP 404" in record["error"]


def test_catalog_failed_error_summarises_many_problems(db):
    problems = [{"message": f"problem {n}"} for n in range(5)]

    assert services.catalog.error_summary(problems) == (
        "problem 0; problem 1; problem 2 (and 2 more problems)"
    )


def test_notification_after_catalog_failed_reruns_ingestion_and_can_make_it_ready(
    client,
    auth,
    broken_url,
    callback_url,
    enqueued,
    django_capture_on_commit_callbacks,
):
    onboarding_id = onboard_until(
        client, auth, broken_url, enqueued, django_capture_on_commit_callbacks
    )
    url = reverse("sandbox:catalogset-notification") + "?storeId=pos-store-0042"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"callbackUrl": callback_url}, content_type="application/json", headers=auth
        )
    assert response.status_code == 202
    assert_valid_response(response, NOTIFY, "post")
    during = get(client, auth, onboarding_id).json()
    assert (during["status"], during["error"]) == ("catalog_ingesting", None)

    run_enqueued(enqueued)

    assert get(client, auth, onboarding_id).json()["status"] == "ready_to_activate"


def test_notification_for_a_ready_onboarding_leaves_its_status_alone(
    client, auth, callback_url, broken_url, enqueued, django_capture_on_commit_callbacks
):
    onboarding_id = onboard_until(
        client, auth, callback_url, enqueued, django_capture_on_commit_callbacks
    )
    url = reverse("sandbox:catalogset-notification") + "?storeId=pos-store-0042"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"callbackUrl": broken_url}, content_type="application/json", headers=auth)
    run_enqueued(enqueued)

    assert get(client, auth, onboarding_id).json()["status"] == "ready_to_activate"


def test_advance_task_running_twice_starts_one_pull(registered, enqueued):
    sandbox_onboarding_advance_task.run(registered.pk)
    sandbox_onboarding_advance_task.run(registered.pk)

    assert SandboxCatalogIngestion.objects.count() == 1
    registered.refresh_from_db()
    assert registered.status == "catalog_ingesting"
    assert registered.ingestion is not None


def test_advance_task_woken_early_schedules_itself_again(
    client, auth, callback_url, enqueued, settings
):
    settings.GETT_SANDBOX_ONBOARDING_DELAY_SECONDS = 3
    with time_machine.travel(NOW, tick=False):
        register(client, auth, registration(callback_url))
    onboarding = SandboxOnboarding.objects.get()

    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        sandbox_onboarding_advance_task.run(onboarding.pk)

    onboarding.refresh_from_db()
    assert onboarding.status == "pending_catalog"
    assert [(e.task, e.countdown) for e in enqueued] == [("sandbox_onboarding_advance_task", 2)]


def test_advance_task_for_a_cancelled_onboarding_does_nothing(db):
    assert services.onboarding_advance(onboarding_pk=987654) is None


# --- polling catches up on lost tasks ---------------------------------------------------------


def test_get_advances_an_overdue_record_even_when_its_tasks_were_lost(
    client, auth, callback_url, partner_files, enqueued, settings
):
    settings.GETT_SANDBOX_ONBOARDING_DELAY_SECONDS = 3
    settings.GETT_SANDBOX_STALE_SECONDS = 30
    with time_machine.travel(NOW, tick=False):
        onboarding_id = register(client, auth, registration(callback_url)).json()["onboardingId"]
    enqueued.clear()  # every task is lost from here on

    with time_machine.travel(NOW + timedelta(seconds=2), tick=False):
        assert get(client, auth, onboarding_id).json()["status"] == "pending_catalog"
    with time_machine.travel(NOW + timedelta(seconds=3), tick=False):
        response = get(client, auth, onboarding_id)
        assert assert_valid_response(response, DETAIL, "get")["status"] == "catalog_ingesting"
    # The pull is due 3 s later; a reader runs it itself once it is 30 s overdue.
    with time_machine.travel(NOW + timedelta(seconds=35), tick=False):
        assert get(client, auth, onboarding_id).json()["status"] == "catalog_ingesting"
    assert partner_files.hits == []
    with time_machine.travel(NOW + timedelta(seconds=36), tick=False):
        response = get(client, auth, onboarding_id)

    assert assert_valid_response(response, DETAIL, "get")["status"] == "ready_to_activate"
    assert partner_files.hits == ["/catalogsets/pos-store-0042/latest.json"]


def test_get_of_an_unknown_onboarding_is_404(client, auth, db):
    response = get(client, auth, "c41d9e07-6a2f-4b8d-93e1-7f05a2c6b3d8")

    assert response.status_code == 404
    assert assert_valid_response(response, DETAIL, "get")["errorCode"] == "NOT_FOUND"


def test_get_with_an_id_that_is_not_a_uuid_is_404(client, auth, db):
    response = get(client, auth, "pos-store-0042")

    assert response.status_code == 404
    assert assert_valid_response(response, DETAIL, "get")["errorCode"] == "NOT_FOUND"


# --- activate ----------------------------------------------------------------------------------


def test_activate_from_ready_to_activate_creates_the_store(
    client, auth, callback_url, enqueued, django_capture_on_commit_callbacks
):
    onboarding_id = onboard_until(
        client, auth, callback_url, enqueued, django_capture_on_commit_callbacks
    )

    response = activate(client, auth, onboarding_id)

    assert response.status_code == 200
    record = assert_valid_response(response, ACTIVATE, "post")
    assert record["status"] == "active"
    assert record["error"] is None
    store = SandboxStore.objects.get()
    assert record["storeId"] == str(store.store_id)
    assert (store.partner_store_id, store.name, store.webhook_url, store.status) == (
        "pos-store-0042",
        "Harbor Street Burgers",
        WEBHOOK_URL,
        "online",
    )
    polled = assert_valid_response(get(client, auth, onboarding_id), DETAIL, "get")
    assert polled == record
    assert set(polled) == set(load_payload("onboarding-status.active.response.json"))
    # The activated store is served by the store endpoints at its new Gett id.
    store_response = client.get(
        reverse("sandbox:store-detail", kwargs={"store_id": store.store_id}), headers=auth
    )
    assert store_response.json()["name"] == "Harbor Street Burgers"


@pytest.mark.parametrize("status", ["pending_catalog", "catalog_ingesting", "catalog_failed"])
def test_activate_from_any_other_state_is_409(client, auth, registered, status):
    SandboxOnboarding.objects.filter(pk=registered.pk).update(status=status, next_step_at=None)

    response = activate(client, auth, registered.onboarding_id)

    assert response.status_code == 409
    problem = assert_valid_response(response, ACTIVATE, "post")
    assert problem["errorCode"] == "CONFLICT"
    assert status in problem["detail"]
    assert not SandboxStore.objects.exists()


def test_activate_twice_is_409_and_keeps_the_first_store_id(
    client, auth, callback_url, enqueued, django_capture_on_commit_callbacks
):
    onboarding_id = onboard_until(
        client, auth, callback_url, enqueued, django_capture_on_commit_callbacks
    )
    first = activate(client, auth, onboarding_id).json()

    again = activate(client, auth, onboarding_id)

    assert again.status_code == 409
    assert assert_valid_response(again, ACTIVATE, "post")["errorCode"] == "CONFLICT"
    assert get(client, auth, onboarding_id).json()["storeId"] == first["storeId"]
    assert SandboxStore.objects.count() == 1


def test_activate_unknown_onboarding_is_404(client, auth, db):
    response = activate(client, auth, "c41d9e07-6a2f-4b8d-93e1-7f05a2c6b3d8")

    assert response.status_code == 404
    assert assert_valid_response(response, ACTIVATE, "post")["errorCode"] == "NOT_FOUND"


# --- cancel ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", ["pending_catalog", "catalog_ingesting", "catalog_failed", "ready_to_activate"]
)
def test_cancel_before_active_removes_the_onboarding(client, auth, registered, status):
    # The schema's status enum has no `cancelled`: a cancelled onboarding is gone.
    assert "cancelled" not in spec()["components"]["schemas"]["OnboardingStatusValue"]["enum"]
    SandboxOnboarding.objects.filter(pk=registered.pk).update(status=status)

    response = cancel(client, auth, registered.onboarding_id)

    assert response.status_code == 204
    assert_valid_response(response, DETAIL, "delete")
    assert response.content == b""
    assert get(client, auth, registered.onboarding_id).status_code == 404
    assert not SandboxOnboarding.objects.exists()


def test_cancel_frees_the_partner_store_for_a_new_registration(
    client, auth, registered, callback_url
):
    cancel(client, auth, registered.onboarding_id)

    assert register(client, auth, registration(callback_url)).status_code == 201


def test_cancel_after_active_is_409(
    client, auth, callback_url, enqueued, django_capture_on_commit_callbacks
):
    onboarding_id = onboard_until(
        client, auth, callback_url, enqueued, django_capture_on_commit_callbacks
    )
    activate(client, auth, onboarding_id)

    response = cancel(client, auth, onboarding_id)

    assert response.status_code == 409
    assert assert_valid_response(response, DETAIL, "delete")["errorCode"] == "CONFLICT"
    assert get(client, auth, onboarding_id).json()["status"] == "active"


def test_cancel_unknown_onboarding_is_404(client, auth, db):
    response = cancel(client, auth, "c41d9e07-6a2f-4b8d-93e1-7f05a2c6b3d8")

    assert response.status_code == 404
    assert assert_valid_response(response, DETAIL, "delete")["errorCode"] == "NOT_FOUND"


def test_pull_finishing_after_cancel_changes_nothing(registered, enqueued, partner_files):
    sandbox_onboarding_advance_task.run(registered.pk)
    ingestion = SandboxCatalogIngestion.objects.get()
    services.onboarding_cancel(onboarding_id=str(registered.onboarding_id))

    sandbox_catalog_pull_task.run(ingestion.pk)

    ingestion.refresh_from_db()
    assert (ingestion.status, ingestion.onboarding) == ("accepted", None)
    assert not SandboxOnboarding.objects.exists()


def test_onboarding_records_validate_against_the_schema(registered):
    assert_valid(onboarding_json(registered), "OnboardingRecord")
