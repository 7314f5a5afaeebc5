import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from catalogs.models import AvailabilityWindow, CatalogVersion, Item
from catalogs.publishing.storage import catalog_storage
from gett import outbox
from gett.errors import GettError
from gett.models import OutboundMessage
from gett.sandbox.models import SandboxFault, SandboxOnboarding, SandboxStore
from onboarding import services
from onboarding.models import Onboarding
from onboarding.tasks import onboardings_poll_due_task
from portal.exceptions import InvalidStateError, PortalError
from stores.models import PauseReason
from stores.services import store_pause
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db(transaction=True)

Status = Onboarding.Status


def register(onboarding: Onboarding) -> Onboarding:
    return services.onboarding_register(onboarding=onboarding)


def poll_now(onboarding: Onboarding) -> Onboarding:
    return services.onboarding_poll(onboarding=onboarding, force=True)


def advance(onboarding: Onboarding, queue) -> Onboarding:
    """Let Gett do its background steps, then poll once."""
    queue.run_sandbox()
    return poll_now(onboarding)


def start_and_register(store, user, queue, *, auto_activate=False) -> Onboarding:
    onboarding = services.onboarding_start(store=store, user=user, auto_activate=auto_activate)
    assert queue.names() == ["onboarding_register"]
    queue.calls.clear()
    return register(onboarding)


def test_auto_activate_goes_live_and_releases_held_messages_in_order(
    gett, queue, new_store, owner_membership
):
    user = owner_membership.user
    store_pause(store=new_store, reason=PauseReason.TOO_BUSY, resume_at=None, user=user)
    held = OutboundMessage.objects.filter(key=new_store.outbox_key, kind="store.status")
    assert [m.state for m in held] == ["held"]

    onboarding = start_and_register(new_store, user, queue, auto_activate=True)
    assert onboarding.status == Status.PENDING_CATALOG
    assert onboarding.gett_onboarding_id
    assert onboarding.request["catalogCallbackUrl"].endswith("/latest.json")
    assert onboarding.request["webhookUrl"] == f"{gett.url}/webhooks/gett"

    onboarding = advance(onboarding, queue)
    onboarding = advance(onboarding, queue)

    assert onboarding.status == Status.ACTIVE
    new_store.refresh_from_db()
    sandbox_store = SandboxStore.objects.get(partner_store_id=new_store.partner_store_id)
    assert new_store.gett_store_id == sandbox_store.store_id == onboarding.gett_store_id
    assert set(onboarding.status_times) >= {"registering", "pending_catalog", "active"}
    released = OutboundMessage.objects.filter(key=new_store.outbox_key, kind="store.status")
    assert [(m.state, m.target_id) for m in released] == [("pending", str(new_store.gett_store_id))]
    # Sent in order: the pause reaches Gett's store after activation.
    for message in released.order_by("pk"):
        outbox.deliver(message_id=message.pk)
    sandbox_store.refresh_from_db()
    assert sandbox_store.status == "paused"


def test_manual_activation_waits_for_the_merchant(gett, queue, new_store, owner_membership):
    user = owner_membership.user
    onboarding = start_and_register(new_store, user, queue)

    with pytest.raises(InvalidStateError, match="once Gett has accepted its menu"):
        services.onboarding_activate(onboarding=onboarding, user=user)

    for _ in range(3):
        onboarding = advance(onboarding, queue)
    assert onboarding.status == Status.READY_TO_ACTIVATE
    assert onboarding.next_poll_at is None  # nothing to ask Gett until the merchant clicks

    onboarding = services.onboarding_activate(onboarding=onboarding, user=user)

    assert onboarding.status == Status.ACTIVE
    new_store.refresh_from_db()
    assert new_store.gett_store_id is not None


def test_catalog_failed_then_fixed_and_rechecked(gett, queue, new_store, owner_membership):
    user = owner_membership.user
    onboarding = start_and_register(new_store, user, queue)
    # Gett cannot fetch the menu: its file is gone.
    version = CatalogVersion.objects.filter(store=new_store).latest()
    catalog_storage().delete(version.storage_key)
    for _ in range(2):
        onboarding = advance(onboarding, queue)
    assert onboarding.status == Status.CATALOG_FAILED
    assert onboarding.error
    assert onboarding.next_poll_at is None

    # The merchant changes the menu; a new version is published and Gett told about it.
    item = Item.objects.filter(merchant=new_store.merchant).first()
    assert item is not None
    item.price += 10
    item.save()
    onboarding = services.onboarding_recheck(onboarding=onboarding, user=user)
    assert onboarding.next_poll_at is not None
    notification = OutboundMessage.objects.filter(
        key__contains=new_store.partner_store_id, kind="catalog.notify", state="pending"
    ).latest("pk")
    outbox.deliver(message_id=notification.pk)

    onboarding = advance(onboarding, queue)
    if onboarding.status != Status.READY_TO_ACTIVATE:
        onboarding = advance(onboarding, queue)
    assert onboarding.status == Status.READY_TO_ACTIVATE
    assert onboarding.error == ""


def test_recheck_refuses_a_menu_that_still_has_problems(gett, queue, new_store, owner_membership):
    onboarding = start_and_register(new_store, owner_membership.user, queue)
    Onboarding.objects.filter(pk=onboarding.pk).update(status=Status.CATALOG_FAILED)
    AvailabilityWindow.objects.filter(catalog__merchant=new_store.merchant).delete()

    with pytest.raises(PortalError, match="still has problems"):
        services.onboarding_recheck(onboarding=onboarding, user=owner_membership.user)


def test_cancel_and_start_over(gett, queue, new_store, owner_membership):
    user = owner_membership.user
    first = start_and_register(new_store, user, queue)
    gett_id = first.gett_onboarding_id

    second = services.onboarding_start_over(onboarding=first, user=user)

    first.refresh_from_db()
    assert first.status == Status.CANCELLED
    assert not SandboxOnboarding.objects.filter(onboarding_id=gett_id).exists()
    assert second.pk != first.pk and second.status == Status.REGISTERING
    second = register(second)
    assert second.status == Status.PENDING_CATALOG
    assert list(Onboarding.objects.filter(store=new_store).order_by("pk")) == [first, second]

    second = services.onboarding_cancel(onboarding=second, user=user)
    assert second.status == Status.CANCELLED
    with pytest.raises(InvalidStateError):
        services.onboarding_activate(onboarding=second, user=user)


def test_cancel_is_refused_once_active(gett, queue, new_store, owner_membership):
    onboarding = start_and_register(new_store, owner_membership.user, queue, auto_activate=True)
    onboarding = advance(advance(onboarding, queue), queue)
    assert onboarding.status == Status.ACTIVE

    with pytest.raises(InvalidStateError, match="cannot be cancelled"):
        services.onboarding_cancel(onboarding=onboarding, user=owner_membership.user)


@pytest.mark.parametrize("mode", ["status_503", "status_429"])
def test_register_retries_on_5xx_and_429(gett, queue, new_store, owner_membership, mode):
    SandboxFault.objects.create(endpoint="onboarding-register", mode=mode, remaining=2)
    onboarding = services.onboarding_start(store=new_store, user=owner_membership.user)

    for _ in range(2):
        with pytest.raises(Exception) as caught:
            register(onboarding)
        assert getattr(caught.value, "retryable", False)
        onboarding.refresh_from_db()
        assert onboarding.status == Status.REGISTERING
        assert onboarding.last_error and onboarding.next_poll_at is not None
        assert onboarding.claimed_at is None
    onboarding = register(onboarding)

    assert onboarding.status == Status.PENDING_CATALOG
    assert onboarding.failed_attempts == 0 and onboarding.last_error == ""


def test_register_refused_by_gett_is_failed_with_its_words(
    gett, queue, new_store, owner_membership
):
    onboarding = services.onboarding_start(store=new_store, user=owner_membership.user)
    Onboarding.objects.filter(pk=onboarding.pk).update(request={"name": "no id"})
    onboarding.refresh_from_db()

    onboarding = register(onboarding)

    assert onboarding.status == Status.FAILED
    assert onboarding.last_error.startswith("Gett refused the registration: ")
    assert "partnerStoreId is required" in onboarding.last_error
    # A failed attempt is history: the store can start again.
    services.onboarding_start(store=new_store, user=owner_membership.user)


def test_a_registration_gett_never_takes_stops_after_the_retry_budget_and_says_so(
    gett, queue, new_store, owner_membership, settings
):
    """Retried like the outbox, and, like the outbox, not forever: after the retry budget the
    onboarding is failed with Gett's last words, and the merchant can start again."""
    settings.OUTBOX_RETRY_BUDGET_SECONDS = 3600
    SandboxFault.objects.create(endpoint="onboarding-register", mode="status_503", remaining=100)
    onboarding = services.onboarding_start(store=new_store, user=owner_membership.user)
    with pytest.raises(Exception) as caught:
        register(onboarding)
    assert getattr(caught.value, "retryable", False)

    with time_machine.travel(onboarding.created_at + timedelta(minutes=59), tick=False):
        with pytest.raises(GettError):
            register(onboarding)  # still within the budget: another retry
    with time_machine.travel(onboarding.created_at + timedelta(minutes=61), tick=False):
        onboarding = register(onboarding)  # past it: no exception, so the task stops

    assert onboarding.status == Status.FAILED
    assert onboarding.next_poll_at is None and onboarding.claimed_at is None
    assert onboarding.failed_attempts == 3
    said = onboarding.last_error.replace("\xa0", " ")
    assert said.startswith("Gett could not take the registration for 1 hour, so we stopped")
    assert "HTTP 503" in onboarding.last_error
    services.onboarding_start(store=new_store, user=owner_membership.user)


@pytest.mark.parametrize("mode", ["status_500", "status_429"])
def test_poll_failures_back_off_and_recover(gett, queue, new_store, owner_membership, mode):
    onboarding = start_and_register(new_store, owner_membership.user, queue)
    queue.run_sandbox()
    SandboxFault.objects.create(endpoint="onboarding-detail", mode=mode, remaining=1)

    onboarding = poll_now(onboarding)

    assert onboarding.last_error and onboarding.failed_attempts == 1
    assert onboarding.claimed_at is None
    assert onboarding.next_poll_at is not None and onboarding.next_poll_at > timezone.now()
    assert onboarding.poll_count == 1
    onboarding = poll_now(onboarding)
    assert onboarding.status == Status.READY_TO_ACTIVATE
    assert onboarding.last_error == ""


def test_poll_backoff_5_10_30_then_the_maximum(gett, queue, new_store, owner_membership, settings):
    settings.ONBOARDING_POLL_MAX_SECONDS = 60
    settings.GETT_SANDBOX_ONBOARDING_DELAY_SECONDS = 3600  # Gett stays at pending_catalog
    onboarding = start_and_register(new_store, owner_membership.user, queue)
    gaps = []
    for _ in range(5):
        before = timezone.now()
        onboarding = poll_now(onboarding)
        assert onboarding.next_poll_at is not None
        gaps.append(round((onboarding.next_poll_at - before).total_seconds()))
    assert gaps == [10, 30, 60, 60, 60]  # 5 s came with the registration
    assert onboarding.poll_count == 5


def test_beat_polls_only_due_onboardings_and_takes_over_a_stale_claim(
    gett, queue, new_store, owner_membership, settings
):
    onboarding = start_and_register(new_store, owner_membership.user, queue)
    queue.run_sandbox()
    assert onboardings_poll_due_task() == 0  # first poll is 5 s away

    with time_machine.travel(timezone.now() + timedelta(seconds=6)):
        # A worker claimed it, then was killed mid-poll.
        Onboarding.objects.filter(pk=onboarding.pk).update(claimed_at=timezone.now())
        assert onboardings_poll_due_task() == 0
        onboarding.refresh_from_db()
        assert onboarding.poll_count == 0

    later = timezone.now() + timedelta(seconds=settings.ONBOARDING_CLAIM_STALE_SECONDS + 10)
    with time_machine.travel(later):
        assert onboardings_poll_due_task() == 1
        onboarding.refresh_from_db()
        assert onboarding.poll_count == 1
        assert onboarding.status == Status.READY_TO_ACTIVATE
        assert onboarding.claimed_at is None
        # Not due again yet: a second beat run does not poll it twice.
        assert onboardings_poll_due_task() == 0


def test_beat_registers_an_onboarding_whose_task_was_lost(gett, queue, new_store, owner_membership):
    onboarding = services.onboarding_start(store=new_store, user=owner_membership.user)
    queue.calls.clear()  # the task never ran

    assert onboardings_poll_due_task() == 1

    onboarding.refresh_from_db()
    assert onboarding.status == Status.PENDING_CATALOG


def test_poll_is_skipped_when_another_worker_holds_the_claim(
    gett, queue, new_store, owner_membership
):
    onboarding = start_and_register(new_store, owner_membership.user, queue)
    Onboarding.objects.filter(pk=onboarding.pk).update(claimed_at=timezone.now())

    onboarding = poll_now(onboarding)

    assert onboarding.poll_count == 0


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (CI runs it)"
)
def test_two_activations_at_once_call_gett_once(
    gett, queue, new_store, owner_membership, monkeypatch
):
    user = owner_membership.user
    onboarding = start_and_register(new_store, user, queue)
    for _ in range(3):
        onboarding = advance(onboarding, queue)
    assert onboarding.status == Status.READY_TO_ACTIVATE
    calls = []
    original = services.get_client

    def counting_client():
        client = original()
        activate = client.activate_store

        def counted(**kwargs):
            calls.append(kwargs)
            return activate(**kwargs)

        monkeypatch.setattr(client, "activate_store", counted)
        return client

    results: list[object] = []
    barrier = threading.Barrier(2)

    def click():
        barrier.wait()
        try:
            results.append(
                services.onboarding_activate(
                    onboarding=Onboarding.objects.get(pk=onboarding.pk), user=user
                )
            )
        except InvalidStateError as exc:
            results.append(exc)
        finally:
            connection.close()

    monkeypatch.setattr(services, "get_client", counting_client)
    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    onboarding.refresh_from_db()
    assert onboarding.status == Status.ACTIVE


def test_a_second_activation_while_one_is_under_way_calls_gett_once(
    gett, queue, new_store, owner_membership
):
    user = owner_membership.user
    onboarding = start_and_register(new_store, user, queue)
    for _ in range(3):
        onboarding = advance(onboarding, queue)
    # The first click holds the claim (its call to Gett is in flight).
    Onboarding.objects.filter(pk=onboarding.pk).update(claimed_at=timezone.now())

    with pytest.raises(InvalidStateError, match="being activated"):
        services.onboarding_activate(onboarding=onboarding, user=user)

    assert not SandboxStore.objects.filter(partner_store_id=new_store.partner_store_id).exists()


# --- refusals -----------------------------------------------------------------------------------


def test_a_second_onboarding_while_one_is_open_is_refused(gett, queue, new_store, owner_membership):
    services.onboarding_start(store=new_store, user=owner_membership.user)

    with pytest.raises(InvalidStateError, match="already being put on Gett"):
        services.onboarding_start(store=new_store, user=owner_membership.user)


def test_a_store_without_a_menu_is_refused(db, owner_membership):
    store = StoreFactory(merchant=owner_membership.merchant, gett_store_id=None)

    with pytest.raises(PortalError, match="Publish this store's menu first"):
        services.onboarding_start(store=store, user=owner_membership.user)
    assert not Onboarding.objects.exists()


def test_a_store_already_on_gett_is_refused(db, owner_membership):
    store = StoreFactory(merchant=owner_membership.merchant)

    with pytest.raises(InvalidStateError, match="already live on Gett"):
        services.onboarding_start(store=store, user=owner_membership.user)


def test_the_database_allows_one_open_onboarding_per_store(db, owner_membership):
    store = StoreFactory(merchant=owner_membership.merchant, gett_store_id=None)
    Onboarding.objects.create(store=store, status=Status.CANCELLED)
    Onboarding.objects.create(store=store, status=Status.PENDING_CATALOG)
    with pytest.raises(IntegrityError), transaction.atomic():
        Onboarding.objects.create(store=store, status=Status.REGISTERING)
