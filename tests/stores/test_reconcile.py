"""The reconciler: Gett's store status read back and repaired when it drifted from ours."""

from datetime import UTC, timedelta

import pytest
import requests
import responses
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from requests.structures import CaseInsensitiveDict

from gett import outbox
from gett.client import GettClient
from gett.models import OutboundMessage
from stores import services, tasks
from stores.models import Store, StoreEvent
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

State = OutboundMessage.State
REFUSAL = {
    "title": "Validation failed",
    "status": 422,
    "detail": "Store is under review",
    "errorCode": "VALIDATION_FAILED",
    "retryable": False,
}


def _url(store: Store) -> str:
    return f"{settings.GETT_API_BASE_URL}/v1/commerce/stores/{store.gett_store_id}/status"


def _status_messages(store: Store) -> list[OutboundMessage]:
    return list(
        OutboundMessage.objects.filter(key=store.outbox_key, kind="store.status").order_by("id")
    )


def _paused(store: Store, **fields) -> Store:
    store.status = Store.Status.PAUSED
    store.pause_reason = fields.get("reason", "too_busy")
    store.paused_at = timezone.now()
    store.resume_at = fields.get("resume_at")
    store.save()
    return store


@responses.activate
def test_a_store_paused_on_gett_while_online_here_is_sent_online_again(store, scheduled):
    responses.get(_url(store), json={"status": "paused", "reason": "too_busy"})

    assert services.store_reconcile(store_id=store.pk) == "repairing"

    [message] = _status_messages(store)
    assert message.payload == {"status": "online"}
    assert message.target_id == str(store.gett_store_id)
    [event] = StoreEvent.objects.filter(store=store)
    assert (event.kind, event.ours, event.gett, event.message) == (
        "drift",
        "online",
        "paused",
        message,
    )
    assert event.title == "Drift found: repairing"
    store.refresh_from_db()
    assert (store.gett_status, store.drift_repairs) == ("paused", 1)
    assert store.gett_status_read_at is not None


@responses.activate
def test_a_repaired_drift_is_recorded_and_cleared_on_the_next_reading(store):
    responses.get(_url(store), json={"status": "paused", "reason": "too_busy"})
    services.store_reconcile(store_id=store.pk)
    responses.post(_url(store), json={"status": "online"})
    [message] = _status_messages(store)

    outbox.deliver(message_id=message.pk)

    event = StoreEvent.objects.get(store=store)
    assert event.outcome == "repaired"
    assert event.title == "Drift repaired"
    assert "Gett showed the store as paused while it is online here" in event.summary

    responses.replace(responses.GET, _url(store), json={"status": "online"})
    assert services.store_reconcile(store_id=store.pk) == "agrees"
    store.refresh_from_db()
    assert (store.gett_status, store.drift_repairs, store.drift_unrepaired_since) == (
        "online",
        0,
        None,
    )
    assert len(_status_messages(store)) == 1


@responses.activate
def test_a_store_gett_agrees_with_is_left_alone(store):
    _paused(store, resume_at=timezone.now() + timedelta(hours=1))
    resume_at = store.resume_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    responses.get(
        _url(store), json={"status": "paused", "reason": "too_busy", "resumeAt": resume_at}
    )

    assert services.store_reconcile(store_id=store.pk) == "agrees"

    assert _status_messages(store) == []
    assert not StoreEvent.objects.exists()


@responses.activate
def test_a_different_resume_time_on_gett_is_drift(store):
    _paused(store, resume_at=timezone.now() + timedelta(hours=1))
    responses.get(_url(store), json={"status": "paused", "reason": "too_busy"})

    assert services.store_reconcile(store_id=store.pk) == "repairing"

    [message] = _status_messages(store)
    assert message.payload["status"] == "paused"
    assert "resumeAt" in message.payload


@responses.activate
def test_a_store_with_a_status_change_on_its_way_is_not_read(store):
    services.store_pause(store=store, reason="too_busy", resume_at=None)

    assert services.store_reconcile(store_id=store.pk) == "in_flight"

    assert len(responses.calls) == 0
    assert len(_status_messages(store)) == 1


def test_a_store_gett_does_not_know_is_skipped(owner):
    store = StoreFactory(merchant=owner.merchant, gett_store_id=None)

    assert services.store_reconcile(store_id=store.pk) == "skipped"


@responses.activate
def test_an_unreadable_status_changes_nothing(store):
    responses.get(_url(store), status=503, json={"title": "Unavailable", "retryable": True})

    assert services.store_reconcile(store_id=store.pk) == "unreadable"

    store.refresh_from_db()
    assert store.gett_status == ""
    assert _status_messages(store) == []


@responses.activate
def test_a_repair_gett_refuses_is_shown_as_not_repaired_and_not_sent_again(owner_client, store):
    responses.get(_url(store), json={"status": "paused", "reason": "too_busy"})
    responses.post(_url(store), status=422, json=REFUSAL, content_type="application/problem+json")
    services.store_reconcile(store_id=store.pk)
    [message] = _status_messages(store)
    outbox.deliver(message_id=message.pk)

    assert services.store_reconcile(store_id=store.pk) == "unrepaired"
    assert services.store_reconcile(store_id=store.pk) == "unrepaired"

    assert len(_status_messages(store)) == 1
    store.refresh_from_db()
    assert store.drift_unrepaired_since is not None
    assert StoreEvent.objects.filter(store=store, kind="drift_unrepaired").count() == 1
    page = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()
    assert "Paused on Gett" in page
    assert "Gett refused the resume: Store is under review" in page
    assert "Drift not repaired" in page


@responses.activate
def test_gett_that_keeps_disagreeing_is_given_up_after_the_repair_limit(store, settings):
    settings.STORE_DRIFT_MAX_REPAIRS = 2
    responses.get(_url(store), json={"status": "paused", "reason": "too_busy"})
    responses.post(_url(store), json={"status": "online"})

    outcomes = []
    for _ in range(4):
        outcomes.append(services.store_reconcile(store_id=store.pk))
        for message in _status_messages(store):
            if message.state == State.PENDING:
                outbox.deliver(message_id=message.pk)

    assert outcomes == ["repairing", "repairing", "unrepaired", "unrepaired"]
    event = StoreEvent.objects.filter(store=store, kind="drift_unrepaired").get()
    assert "still disagrees after 2 repairs" in event.detail
    store.refresh_from_db()
    assert store.drift_unrepaired_since is not None

    responses.replace(responses.GET, _url(store), json={"status": "online"})
    assert services.store_reconcile(store_id=store.pk) == "agrees"
    store.refresh_from_db()
    assert store.drift_unrepaired_since is None


def test_a_run_reads_oldest_first_paced_under_gett_s_read_limit(owner, settings, monkeypatch):
    settings.STORE_RECONCILE_SECONDS = 60
    settings.STORE_RECONCILE_READS_PER_MINUTE = 3
    queued = []
    monkeypatch.setattr(
        tasks.store_reconcile_task,
        "apply_async",
        lambda args=None, countdown=None, **options: queued.append((args[0], countdown)),
    )
    now = timezone.now()
    stores = StoreFactory.create_batch(4, merchant=owner.merchant)
    for age, store in enumerate(stores):
        store.gett_status_read_at = now - timedelta(minutes=age)
        store.save()
    StoreFactory(merchant=owner.merchant, gett_store_id=None)

    assert tasks.stores_reconcile_task() == 3

    assert queued == [(stores[3].pk, 0), (stores[2].pk, 20.0), (stores[1].pk, 40.0)]


def test_the_reconciler_runs_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["stores-reconcile"]

    assert entry["task"] == tasks.stores_reconcile_task.name
    assert entry["schedule"] == settings.STORE_RECONCILE_SECONDS
    # A tenth of Gett's 1,000 reads a minute (REFERENCE §14).
    assert settings.STORE_RECONCILE_READS_PER_MINUTE <= 100


def test_the_store_page_lists_the_repair_under_recent(owner_client, store):
    message = OutboundMessage.objects.create(
        key=store.outbox_key, kind="store.status", payload={"status": "online"}, state="delivered"
    )
    StoreEvent.objects.create(
        store=store, kind="drift", ours="online", gett="paused", message=message
    )

    page = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert "Recent" in page
    assert "Drift repaired" in page


# --- against the sandbox ---------------------------------------------------------------------


class SandboxAdapter(requests.adapters.BaseAdapter):
    """Sends our Gett client's requests to the sandbox through Django's test client."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.client = Client()

    def send(self, request, **kwargs):
        reply = self.client.generic(
            request.method,
            request.url.removeprefix(self.base_url),
            data=request.body or b"",
            content_type=request.headers.get("Content-Type", "application/json"),
            headers={"Authorization": request.headers["Authorization"]},
        )
        response = requests.Response()
        response.status_code = reply.status_code
        response._content = reply.content
        response.headers = CaseInsensitiveDict(reply.headers)
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def sandbox_client(settings) -> GettClient:
    settings.GETT_SANDBOX_API_KEYS = [settings.GETT_API_KEY]
    session = requests.Session()
    session.mount("http://testserver/", SandboxAdapter("http://testserver"))
    return GettClient(
        "http://testserver/sandbox/gett",
        settings.GETT_API_KEY,
        connect_timeout=1,
        read_timeout=1,
        session=session,
    )


def test_a_drift_forced_on_the_sandbox_is_repaired_and_recorded(store, sandbox_client):
    from gett.sandbox import services as sandbox

    sandbox.store_provision(
        store_id=store.gett_store_id,
        partner_store_id=store.partner_store_id,
        name=store.name,
        timezone=store.timezone,
    )
    # Forced drift: Gett has the store paused, we have it online.
    sandbox_client.update_store_status(
        store_id=str(store.gett_store_id), payload={"status": "paused", "reason": "too_busy"}
    )
    status = sandbox_client.get_store_status(store_id=str(store.gett_store_id))
    assert status["status"] == "paused"

    assert services.store_reconcile(store_id=store.pk, client=sandbox_client) == "repairing"
    [message] = _status_messages(store)
    outbox.deliver(message_id=message.pk, client=sandbox_client)

    status = sandbox_client.get_store_status(store_id=str(store.gett_store_id))
    assert status["status"] == "online"
    assert StoreEvent.objects.get(store=store).title == "Drift repaired"
    assert services.store_reconcile(store_id=store.pk, client=sandbox_client) == "agrees"
