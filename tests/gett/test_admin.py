import pytest
from django.urls import reverse

from gett.models import OutboundMessage

pytestmark = pytest.mark.django_db

State = OutboundMessage.State


def _message(**kwargs) -> OutboundMessage:
    fields = {
        "kind": "store.status",
        "key": "store:1d3c7a51-7d4e-4a44-9d3f-0c6f4c1e2b10",
        "target_id": "a6b2c9de-5a0b-4f5e-8a51-9f7e1c3d2b44",
        "payload": {"status": "paused", "reason": "too_busy"},
        **kwargs,
    }
    return OutboundMessage.objects.create(**fields)


@pytest.fixture
def published(monkeypatch):
    """Records deliveries instead of publishing them to the broker."""
    calls = []

    def apply_async(args=None, kwargs=None, **options):
        calls.append((args, options))

    monkeypatch.setattr("gett.tasks.outbox_deliver_task.apply_async", apply_async)
    return calls


def test_outbox_admin_pages_load(admin_client):
    message = _message(
        state=State.FAILED,
        last_error="503 Service Unavailable",
        last_request_id="req-42",
        response={"detail": "busy"},
    )
    _message(key="order:other", kind="order.status")

    changelist = reverse("admin:gett_outboundmessage_changelist")
    assert admin_client.get(changelist).status_code == 200
    response = admin_client.get(changelist, {"q": "req-42"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [message]
    response = admin_client.get(reverse("admin:gett_outboundmessage_change", args=[message.pk]))
    assert response.status_code == 200
    assert "&quot;reason&quot;: &quot;too_busy&quot;" in response.text  # pretty-printed payload
    assert "&quot;detail&quot;: &quot;busy&quot;" in response.text
    assert 'name="_save"' not in response.text


def test_outbox_changelist_filters_by_key(admin_client):
    message = _message()
    _message(key="store:someone-else")

    response = admin_client.get(
        reverse("admin:gett_outboundmessage_changelist"), {"key": message.key}
    )

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [message]


def test_outbox_admin_has_no_add_or_delete(admin_client):
    message = _message()

    assert admin_client.get(reverse("admin:gett_outboundmessage_add")).status_code == 403
    response = admin_client.get(reverse("admin:gett_outboundmessage_delete", args=[message.pk]))
    assert response.status_code == 403


def test_outbox_form_is_read_only(admin_client):
    message = _message()

    response = admin_client.get(reverse("admin:gett_outboundmessage_change", args=[message.pk]))

    assert response.context["adminform"].form.fields == {}


def test_retry_action_turns_failed_message_pending_and_schedules_delivery(
    admin_client, django_capture_on_commit_callbacks, published
):
    failed = _message(state=State.FAILED, attempts=10, last_error="boom")
    delivered = _message(key="store:other", state=State.DELIVERED)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:gett_outboundmessage_changelist"),
            {"action": "retry_failed", "_selected_action": [failed.pk, delivered.pk]},
            follow=True,
        )

    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.state == State.PENDING
    assert failed.attempts == 0
    delivered.refresh_from_db()
    assert delivered.state == State.DELIVERED
    assert published == [((failed.pk,), {"countdown": None})]
    assert "Queued 1 message(s) for delivery." in response.text
    assert "Skipped 1 message(s) that had not failed." in response.text


def test_retry_action_holds_message_without_gett_id(
    admin_client, django_capture_on_commit_callbacks, published
):
    failed = _message(state=State.FAILED, target_id="")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:gett_outboundmessage_changelist"),
            {"action": "retry_failed", "_selected_action": [failed.pk]},
            follow=True,
        )

    failed.refresh_from_db()
    assert failed.state == State.HELD
    assert published == []
    assert "waiting for a Gett store id" in response.text


def test_outbox_changelist_shows_health_counts(admin_client):
    _message(state=State.FAILED)
    _message(state=State.FAILED)
    _message(state=State.DELIVERED)
    _message(state=State.PENDING)

    response = admin_client.get(reverse("admin:gett_outboundmessage_changelist"))

    counts = {row["state"]: row["count"] for row in response.context["outbox_health"]}
    assert counts == {
        State.HELD: 0,
        State.PENDING: 1,
        State.SENDING: 0,
        State.DELIVERED: 1,
        State.SUPERSEDED: 0,
        State.FAILED: 2,
    }
    assert "Integration health" in response.text
    assert '<td data-state="failed">' in response.text
    assert "Oldest message still to go out" in response.text


def test_outbox_change_page_shows_gett_s_detail_and_errors(admin_client):
    message = _message(
        kind="store.update",
        state=State.FAILED,
        last_status_code=422,
        last_error_detail="The store is invalid.",
        last_errors=[{"jsonPath": "$.description", "message": "at most 1000 characters"}],
    )

    page = admin_client.get(
        reverse("admin:gett_outboundmessage_change", args=[message.pk])
    ).content.decode()

    assert "The store is invalid." in page
    assert "at most 1000 characters" in page
