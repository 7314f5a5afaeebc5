import json
from datetime import UTC, datetime

import pytest
import time_machine

from catalogs.models import CatalogVersion, PublishState, Trigger
from catalogs.publishing.builder import catalog_build, catalogset_content_hash
from catalogs.publishing.services import (
    catalog_publish,
    catalog_renotify,
    catalog_republish,
    catalogset_latest_url,
)
from gett.models import OutboundMessage
from tests.factories import ItemSnoozeFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


def _notifications(store):
    return OutboundMessage.objects.filter(kind="catalog.notify", key=store.outbox_key)


def test_publish_stores_the_file_records_a_version_and_notifies_gett(
    store, menu, local_catalog_storage, django_capture_on_commit_callbacks, scheduled
):
    user = UserFactory()
    expected = catalog_build(store=store)

    with django_capture_on_commit_callbacks(execute=True):
        version = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR, user_id=user.pk)

    set_id = expected["catalogSetId"]
    key = f"catalogsets/{store.partner_store_id}/{set_id}.json"
    stored = (local_catalog_storage / key).read_bytes()
    assert json.loads(stored) == expected
    assert str(version.catalog_set_id) == set_id
    assert version.storage_key == key
    assert version.url == (
        f"https://portal.example.com/catalogsets/{store.partner_store_id}/{set_id}.json"
    )
    assert version.size_bytes == len(stored)
    assert version.content_hash == catalogset_content_hash(expected)
    assert version.counts == {"catalogs": 2, "sections": 4, "items": 9, "modifierGroups": 3}
    assert (version.trigger, version.triggered_by) == (Trigger.EDITOR, user)

    message = version.notification
    assert (message.kind, message.key, message.target_id) == (
        "catalog.notify",
        store.outbox_key,
        store.partner_store_id,
    )
    assert message.payload == {"callbackUrl": version.url}
    assert message.state == OutboundMessage.State.PENDING
    assert scheduled == [message.pk]
    assert PublishState.objects.get(store=store).is_valid is True


def test_unchanged_menu_publishes_nothing(store, menu):
    first = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)

    again = catalog_publish(store_id=store.pk, trigger=Trigger.ADMIN)

    assert first is not None and again is None
    assert CatalogVersion.objects.count() == 1
    assert _notifications(store).count() == 1
    assert PublishState.objects.get(store=store).last_trigger == Trigger.ADMIN


def test_changed_menu_publishes_a_new_version_and_supersedes_the_old_notification(store, menu):
    first = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)
    menu.cola.price = 320
    menu.cola.save()

    second = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)

    assert second.catalog_set_id != first.catalog_set_id
    assert CatalogVersion.objects.filter(store=store).count() == 2
    # Only the latest menu matters to Gett: the outbox coalesces catalog notifications.
    first.notification.refresh_from_db()
    assert first.notification.state == OutboundMessage.State.SUPERSEDED
    assert second.notification.payload == {"callbackUrl": second.url}


def test_going_back_to_an_earlier_menu_makes_that_version_current_again(store, menu):
    with time_machine.travel("2026-03-02 12:00Z", tick=False):
        first = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)
    ItemSnoozeFactory(store=store, item=menu.cola)
    with time_machine.travel("2026-03-02 12:05Z", tick=False):
        catalog_publish(store_id=store.pk, trigger=Trigger.SNOOZE)
    store.item_snoozes.all().delete()

    with time_machine.travel("2026-03-02 12:10Z", tick=False):
        back = catalog_publish(store_id=store.pk, trigger=Trigger.UNSNOOZE)

    assert back.pk == first.pk
    assert back.trigger == Trigger.UNSNOOZE
    assert back.published_at == datetime(2026, 3, 2, 12, 10, tzinfo=UTC)
    assert CatalogVersion.objects.filter(store=store).count() == 2
    assert CatalogVersion.objects.filter(store=store).first() == back  # newest first
    assert _notifications(store).count() == 3


def test_stores_of_one_merchant_get_their_own_files(store, menu, local_catalog_storage):
    other = StoreFactory(merchant=store.merchant, currency="EUR")

    mine = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)
    theirs = catalog_publish(store_id=other.pk, trigger=Trigger.EDITOR)

    assert mine.catalog_set_id != theirs.catalog_set_id  # storeId differs
    assert (local_catalog_storage / mine.storage_key).exists()
    assert (local_catalog_storage / theirs.storage_key).exists()
    assert other.partner_store_id in theirs.storage_key


def test_a_stored_file_is_never_overwritten(store, menu, local_catalog_storage):
    doc = catalog_build(store=store)
    key = f"catalogsets/{store.partner_store_id}/{doc['catalogSetId']}.json"
    path = local_catalog_storage / key
    path.parent.mkdir(parents=True)
    path.write_bytes(b"left over by a publish that rolled back")

    version = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)

    assert version.storage_key == key
    assert path.read_bytes() == b"left over by a publish that rolled back"
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_publish_of_a_missing_store_does_nothing():
    assert catalog_publish(store_id=999_999, trigger=Trigger.EDITOR) is None


def test_renotify_sends_the_current_version_again(store, menu):
    version = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)

    message = catalog_renotify(store=store, version=version)

    version.refresh_from_db()
    assert version.notification == message
    assert message.payload == {"callbackUrl": version.url}
    assert _notifications(store).count() == 2


def test_republish_publishes_when_changed_and_renotifies_when_not(store, menu):
    staff = UserFactory(is_staff=True)
    first = catalog_republish(store=store, user=staff)
    assert first.trigger == Trigger.REPUBLISH and first.triggered_by == staff

    again = catalog_republish(store=store, user=staff)

    assert again == first
    assert CatalogVersion.objects.count() == 1
    assert _notifications(store).count() == 2


def test_republish_of_an_invalid_menu_sends_nothing(store):
    assert catalog_republish(store=store) is None
    assert not _notifications(store).exists()
    assert PublishState.objects.get(store=store).is_valid is False


def test_latest_url_is_the_stable_callback_url(store):
    assert catalogset_latest_url(store=store) == (
        f"https://portal.example.com/catalogsets/{store.partner_store_id}/latest.json"
    )


def test_a_store_gett_does_not_know_yet_is_published_but_not_notified(
    store, menu, local_catalog_storage, django_capture_on_commit_callbacks, scheduled
):
    """Before registration Gett answers a notification STORE_NOT_FOUND; it pulls the menu from
    the catalogCallbackUrl given at registration instead. Once registered, notifications go."""
    from django.utils import timezone

    from portal.exceptions import InvalidStateError

    store.gett_store_id = None
    store.save()
    with django_capture_on_commit_callbacks(execute=True):
        version = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)

    assert version.notification is None
    assert not _notifications(store).exists()
    with pytest.raises(InvalidStateError, match="not registered with Gett"):
        catalog_renotify(store=store, version=version)

    store.gett_registered_at = timezone.now()
    store.save()
    catalog_renotify(store=store, version=version)
    assert _notifications(store).get().target_id == store.partner_store_id
