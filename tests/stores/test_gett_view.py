"""The store page and the dashboard say what Gett has, not what we wish it had."""

from datetime import timedelta

import pytest
import responses
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from gett import outbox
from gett.models import OutboundMessage
from stores import services
from stores.models import Store, StoreEvent
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

State = OutboundMessage.State
REFUSAL = {
    "type": "https://api.gett-tech.com/problems/validation-failed",
    "title": "Validation failed",
    "status": 422,
    "detail": "Store cannot be resumed while its menu is under review",
    "errorCode": "VALIDATION_FAILED",
    "retryable": False,
}


def _status_url(store: Store) -> str:
    return f"{settings.GETT_API_BASE_URL}/v1/commerce/stores/{store.gett_store_id}/status"


def _deliver_latest(store: Store) -> OutboundMessage:
    message = OutboundMessage.objects.filter(key=store.outbox_key, kind="store.status").first()
    assert message is not None
    delivered = outbox.deliver(message_id=message.pk)
    assert delivered is not None
    return delivered


@pytest.fixture
def refused_resume(store):
    """Paused at Gett, then a resume Gett refused with a 422 (the message is FAILED)."""
    with responses.RequestsMock() as wire:
        wire.post(_status_url(store), json={"status": "paused", "reason": "too_busy"})
        services.store_pause(store=store, reason="too_busy", resume_at=None)
        assert _deliver_latest(store).state == State.DELIVERED

        wire.post(
            _status_url(store),
            status=422,
            json=REFUSAL,
            content_type="application/problem+json",
        )
        services.store_resume(store=store)
        assert _deliver_latest(store).state == State.FAILED
    store.refresh_from_db()
    assert store.status == Store.Status.ONLINE
    return store


def test_a_refused_resume_shows_the_store_paused_on_gett_with_gett_s_reason(
    owner_client, refused_resume
):
    page = owner_client.get(reverse("stores:detail", args=[refused_resume.public_id])).content
    page = page.decode()

    assert "Paused on Gett" in page
    assert "Gett refused the resume: Store cannot be resumed while its menu is under review" in page
    assert "Taking orders" not in page
    assert '<span class="badge badge-online badge-large">Online</span>' not in page


def test_the_dashboard_agrees_with_the_store_page_after_a_refused_resume(
    owner_client, refused_resume
):
    page = owner_client.get(reverse("stores:dashboard")).content.decode()

    assert "Paused on Gett" in page
    assert "Gett refused the resume: Store cannot be resumed while its menu is under review" in page
    assert '<span class="badge badge-online badge-large">Online</span>' not in page


def test_a_later_reading_that_gett_is_online_clears_the_warning(owner_client, refused_resume):
    store = refused_resume
    store.gett_status = Store.Status.ONLINE
    store.gett_status_read_at = timezone.now() + timedelta(seconds=1)
    store.save()

    page = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert "Paused on Gett" not in page
    assert "Taking orders" in page


def test_a_refused_pause_shows_the_store_still_online_on_gett(owner_client, store):
    with responses.RequestsMock() as wire:
        wire.post(
            _status_url(store),
            status=422,
            json={**REFUSAL, "detail": "resumeAt must be in the future"},
            content_type="application/problem+json",
        )
        services.store_pause(store=store, reason="too_busy", resume_at=None)
        assert _deliver_latest(store).state == State.FAILED

    page = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert "Online on Gett" in page
    assert "Gett refused the pause: resumeAt must be in the future" in page
    assert "new orders may arrive" in page


def test_a_delivered_resume_shows_online_without_a_warning(owner_client, store):
    with responses.RequestsMock() as wire:
        wire.post(_status_url(store), json={"status": "paused"})
        services.store_pause(store=store, reason="too_busy", resume_at=None)
        _deliver_latest(store)
        services.store_resume(store=store)
        _deliver_latest(store)

    page = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert "on Gett" not in page
    assert "Taking orders" in page


def test_drift_the_reconciler_could_not_repair_is_shown_to_the_merchant(owner_client, store):
    store.gett_status = Store.Status.PAUSED
    store.gett_status_read_at = timezone.now()
    store.drift_unrepaired_since = timezone.now()
    store.save()
    StoreEvent.objects.create(
        store=store,
        kind=StoreEvent.Kind.DRIFT_UNREPAIRED,
        ours="online",
        gett="paused",
        detail="Gett refused it twice",
    )

    page = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert "Paused on Gett" in page
    assert "sending Gett the store&#x27;s status again did not fix it" in page
    assert "Drift not repaired" in page


def test_a_store_gett_does_not_know_has_no_gett_status(owner_client, owner):
    store = StoreFactory(merchant=owner.merchant, gett_store_id=None)

    page = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert "Online on Gett" not in page and "Paused on Gett" not in page
    assert "Not on Gett yet" in page
