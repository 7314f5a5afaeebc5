from datetime import UTC, datetime, timedelta

import pytest

from gett.models import OutboundMessage
from stores import services
from stores.models import Store
from stores.tasks import stores_auto_resume_task
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

State = OutboundMessage.State

PAUSED_AT = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
NOON = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def paused_until_noon(store, time_machine):
    time_machine.move_to(PAUSED_AT, tick=False)
    return services.store_pause(store=store, reason="too_busy", resume_at=NOON)


def status_messages(store: Store) -> list[dict]:
    return [
        m.payload
        for m in OutboundMessage.objects.filter(key=store.outbox_key, kind="store.status")
        .exclude(state=State.SUPERSEDED)
        .order_by("id")
    ]


def test_a_store_stays_paused_until_its_resume_time(paused_until_noon, time_machine):
    time_machine.move_to(NOON - timedelta(minutes=1), tick=False)

    assert stores_auto_resume_task() == 0

    paused_until_noon.refresh_from_db()
    assert paused_until_noon.status == Store.Status.PAUSED
    assert status_messages(paused_until_noon) == [
        {"status": "paused", "reason": "too_busy", "resumeAt": "2026-06-01T12:00:00Z"}
    ]


def test_a_store_comes_back_online_once_its_resume_time_has_passed_and_gett_hears(
    paused_until_noon, time_machine, django_capture_on_commit_callbacks, scheduled
):
    time_machine.move_to(NOON + timedelta(minutes=1), tick=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert stores_auto_resume_task() == 1

    store = paused_until_noon
    store.refresh_from_db()
    assert store.status == Store.Status.ONLINE
    assert store.pause_reason == ""
    assert store.paused_at is None
    assert store.resume_at is None
    assert status_messages(store) == [{"status": "online"}]
    online = OutboundMessage.objects.filter(key=store.outbox_key).latest("id")
    assert online.state == State.PENDING
    assert scheduled == [online.pk]


def test_a_store_resumes_at_its_resume_time_exactly(paused_until_noon, time_machine):
    time_machine.move_to(NOON, tick=False)

    assert stores_auto_resume_task() == 1


def test_running_auto_resume_twice_resumes_once(paused_until_noon, time_machine):
    time_machine.move_to(NOON + timedelta(minutes=1), tick=False)

    assert stores_auto_resume_task() == 1
    assert stores_auto_resume_task() == 0

    assert status_messages(paused_until_noon) == [{"status": "online"}]
    assert OutboundMessage.objects.filter(payload={"status": "online"}).count() == 1


def test_a_store_paused_until_resumed_by_hand_is_never_resumed_automatically(store, time_machine):
    time_machine.move_to(PAUSED_AT, tick=False)
    services.store_pause(store=store, reason="maintenance", resume_at=None)

    time_machine.move_to(PAUSED_AT + timedelta(days=60), tick=False)

    assert stores_auto_resume_task() == 0
    store.refresh_from_db()
    assert store.status == Store.Status.PAUSED


def test_a_store_resumed_by_hand_before_its_time_is_left_alone(paused_until_noon, time_machine):
    services.store_resume(store=paused_until_noon)
    time_machine.move_to(NOON + timedelta(minutes=1), tick=False)

    assert stores_auto_resume_task() == 0
    assert status_messages(paused_until_noon) == [{"status": "online"}]


def test_a_store_paused_again_for_longer_waits_for_the_new_time(paused_until_noon, time_machine):
    services.store_pause(
        store=paused_until_noon, reason="staff_shortage", resume_at=NOON + timedelta(hours=2)
    )
    time_machine.move_to(NOON + timedelta(minutes=1), tick=False)

    assert stores_auto_resume_task() == 0
    paused_until_noon.refresh_from_db()
    assert paused_until_noon.is_paused


def test_auto_resume_brings_back_every_store_that_is_due_and_only_those(owner, time_machine):
    time_machine.move_to(PAUSED_AT, tick=False)
    due = [StoreFactory(merchant=owner.merchant) for _ in range(2)]
    later = StoreFactory(merchant=owner.merchant)
    for store in due:
        services.store_pause(store=store, reason="too_busy", resume_at=NOON)
    services.store_pause(store=later, reason="too_busy", resume_at=NOON + timedelta(hours=1))
    untouched = StoreFactory(merchant=owner.merchant)
    time_machine.move_to(NOON + timedelta(seconds=30), tick=False)

    assert stores_auto_resume_task() == 2

    statuses = dict(Store.objects.values_list("pk", "status"))
    assert [statuses[s.pk] for s in due] == [Store.Status.ONLINE] * 2
    assert statuses[later.pk] == Store.Status.PAUSED
    assert statuses[untouched.pk] == Store.Status.ONLINE
    assert status_messages(untouched) == []


def test_the_auto_resume_service_can_be_asked_about_a_given_time(paused_until_noon):
    assert services.stores_auto_resume(now=NOON - timedelta(seconds=1)) == 0
    assert services.stores_auto_resume(now=NOON) == 1
