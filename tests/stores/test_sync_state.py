"""What the store page and the dashboard say about Gett sync when something goes wrong.

The outbox runs for real with Gett faked at the wire (`responses`); delivery tasks are called as
functions. One failing change must not hold back an urgent one, and must not hide.
"""

from decimal import Decimal

import pytest
import responses
from django.urls import reverse

from gett import outbox
from gett.errors import GettError
from gett.models import OutboundMessage
from stores.models import Membership, Store
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

State = OutboundMessage.State
BASE = "https://gett.test/v1/commerce"


def _edit_data(store: Store, **changes) -> dict:
    data = {
        "name": store.name,
        "phone": store.phone,
        "description": store.description,
        "street": store.street,
        "city": store.city,
        "state": store.state,
        "postal_code": store.postal_code,
        "country": store.country,
        "timezone": store.timezone,
        "currency": store.currency,
        "delivery_allowed": store.delivery_allowed,
        "pickup_allowed": store.pickup_allowed,
        "default_prep_minutes": store.default_prep_minutes,
        "auto_accept": store.auto_accept,
        "tax_rate": Decimal(store.tax_rate_bp) / 100,
        "delivery_fee_amount": Decimal(store.delivery_fee) / 100,
        "minimum_order_amount": Decimal(store.minimum_order) / 100,
        **changes,
    }
    return {
        key: ("on" if value is True else value) for key, value in data.items() if value is not False
    }


def _problem(status: int, code: str, detail: str, errors=None) -> dict:
    return {
        "type": f"https://developer.gett-tech.com/errors/{code}",
        "title": "Problem",
        "status": status,
        "detail": detail,
        "errorCode": code,
        "requestId": f"req_{status}",
        "errors": errors or [],
    }


def _deliver_scheduled(scheduled, django_capture_on_commit_callbacks) -> None:
    """Run every delivery task handed to Celery once, as a worker would."""
    while scheduled:
        message_id = scheduled.pop(0)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                outbox.deliver(message_id=message_id)
        except outbox.RetryLater:
            pass  # Celery would run it again later


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_a_pause_goes_out_at_once_while_a_failing_details_update_retries_and_shows(
    owner_client, store, scheduled, django_capture_on_commit_callbacks
):
    store_url = f"{BASE}/stores/{store.gett_store_id}"
    with responses.RequestsMock() as wire:
        wire.put(store_url, status=500, json=_problem(500, "INTERNAL_ERROR", "Gett broke."))
        wire.post(f"{store_url}/status", status=204)
        wire.post(f"{BASE}/catalogset-notification", status=202)

        with django_capture_on_commit_callbacks(execute=True):
            owner_client.post(
                reverse("stores:edit", args=[store.public_id]),
                _edit_data(store, description="Wood-fired since 1998"),
            )
            owner_client.post(
                reverse("stores:pause", args=[store.public_id]),
                {"reason": "too_busy", "preset": "manual"},
            )
            outbox.enqueue(
                kind="catalog.notify",
                key=store.outbox_key,
                target_id=store.partner_store_id,
                payload={"callbackUrl": "https://partner.test/menu.json"},
            )
        _deliver_scheduled(scheduled, django_capture_on_commit_callbacks)

        sent = [(call.request.method, call.request.url.split("?")[0]) for call in wire.calls]
    assert sent == [
        ("PUT", store_url),
        ("POST", f"{store_url}/status"),
        ("POST", f"{BASE}/catalogset-notification"),
    ]
    details = OutboundMessage.objects.get(kind="store.update")
    assert details.is_retrying
    assert OutboundMessage.objects.get(kind="store.status").state == State.DELIVERED
    assert OutboundMessage.objects.get(kind="catalog.notify").state == State.DELIVERED

    page = _text(owner_client.get(reverse("stores:detail", args=[store.public_id])))
    dashboard = _text(owner_client.get(reverse("stores:dashboard")))
    # The retrying details update is the headline, not the newer "Delivered" pause.
    assert '<h2 id="sync-heading">Gett sync</h2> <span class="badge badge-pending">Retrying' in page
    assert (
        '<span class="sync-title">Gett sync</span> <span class="badge badge-pending">Retrying'
        in (dashboard)
    )
    assert "Gett answered 500:</strong> Gett broke." in page
    assert "Store details: Gett broke." in dashboard


def test_a_refused_change_shows_gett_s_answer_and_a_retry_on_both_pages(
    owner_client, store, client
):
    failed = OutboundMessage.objects.create(
        kind="store.update",
        key=store.outbox_key,
        target_id="x",
        payload={"description": "x" * 2000},
        state=State.FAILED,
        attempts=1,
        last_status_code=422,
        last_error="VALIDATION_FAILED (422): The store is invalid.",
        last_error_detail="The store is invalid.",
        last_errors=[{"jsonPath": "$.description", "message": "at most 1000 characters"}],
    )
    # A later delivered status change does not hide the failure.
    OutboundMessage.objects.create(
        kind="store.status", key=store.outbox_key, target_id="x", payload={}, state=State.DELIVERED
    )
    retry_url = reverse("stores:sync-retry", args=[store.public_id, failed.public_id])

    page = _text(owner_client.get(reverse("stores:detail", args=[store.public_id])))
    dashboard = _text(owner_client.get(reverse("stores:dashboard")))

    for content in (page, dashboard):
        assert '<span class="badge badge-failed">Failed</span>' in content
        assert "The store is invalid." in content
        assert "$.description: at most 1000 characters" in content
        assert retry_url in content

    staff = MembershipFactory(merchant=store.merchant, role=Membership.Role.STAFF)
    client.force_login(staff.user)
    staff_page = _text(client.get(reverse("stores:detail", args=[store.public_id])))
    staff_dashboard = _text(client.get(reverse("stores:dashboard")))
    for content in (staff_page, staff_dashboard):
        assert '<span class="badge badge-failed">Failed</span>' in content
        assert retry_url not in content


def test_recent_changes_show_one_row_per_change(owner_client, store):
    for _ in range(5):
        OutboundMessage.objects.create(
            kind="catalog.notify",
            key=store.outbox_key,
            target_id=store.partner_store_id,
            payload={"callbackUrl": "https://partner.test/menu.json"},
            state=State.DELIVERED,
        )
    OutboundMessage.objects.create(
        kind="store.status",
        key=store.outbox_key,
        target_id="x",
        payload={"status": "online"},
        state=State.DELIVERED,
    )

    page = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()
    recent = page[page.index('<ol class="sync-recent">') : page.index("</ol>")]

    assert recent.count("<li>") == 2
    assert "×5" in recent


def test_both_pages_and_the_admin_say_when_gett_is_unavailable(owner_client, store, admin_client):
    OutboundMessage.objects.create(
        kind="store.status", key=store.outbox_key, target_id="x", payload={}, attempts=1
    )
    for _ in range(5):
        outbox._breaker_note_failure(GettError("down", status=503, retryable=True))
    since = outbox.breaker_state().since.astimezone(store.tzinfo).strftime("%H:%M")

    page = _text(owner_client.get(reverse("stores:detail", args=[store.public_id])))
    dashboard = _text(owner_client.get(reverse("stores:dashboard")))
    admin = _text(admin_client.get(reverse("admin:gett_outboundmessage_changelist")))

    assert "Gett unavailable since <time" in page
    assert f">{since}</time></strong>, 1 message waiting" in page
    assert "Gett unavailable since" in dashboard
    assert "1 message waiting" in dashboard
    assert "Gett unavailable since" in admin
    assert "1 message waiting" in admin
