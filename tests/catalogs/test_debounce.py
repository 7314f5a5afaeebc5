import pytest
from django.db import transaction

from catalogs.models import CatalogVersion, Trigger
from catalogs.publishing.services import menu_changed
from catalogs.services import item_price_set
from catalogs.tasks import catalog_publish_task
from tests.factories import ItemFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_burst_of_500_changes_schedules_one_publish_per_store(
    store, menu, publishes, django_capture_on_commit_callbacks, settings
):
    settings.CATALOG_PUBLISH_DEBOUNCE_SECONDS = 2.0
    other = StoreFactory(merchant=store.merchant)
    StoreFactory()  # another merchant's store is not affected
    items = ItemFactory.create_batch(500, merchant=store.merchant)
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            for n, item in enumerate(items):
                item_price_set(item=item, price=100 + n, user=user, trigger=Trigger.IMPORT)
            assert publishes == []  # nothing before the commit

    assert sorted(publishes) == sorted(
        [(store.pk, Trigger.IMPORT, user.pk, 2.0), (other.pk, Trigger.IMPORT, user.pk, 2.0)]
    )


def test_changes_while_a_publish_is_scheduled_do_not_schedule_another(
    store, publishes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        menu_changed(stores=[store], trigger=Trigger.EDITOR)
    with django_capture_on_commit_callbacks(execute=True):
        menu_changed(stores=[store], trigger=Trigger.SNOOZE)

    assert [call[:2] for call in publishes] == [(store.pk, Trigger.EDITOR)]


def test_changes_after_the_publish_started_schedule_another(
    store, menu, publishes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        menu_changed(stores=[store], trigger=Trigger.EDITOR)

    catalog_publish_task.run(store.pk, Trigger.EDITOR, None)  # clears the mark, then publishes
    with django_capture_on_commit_callbacks(execute=True):
        menu_changed(stores=[store.pk], trigger=Trigger.API)

    assert [call[:2] for call in publishes] == [
        (store.pk, Trigger.EDITOR),
        (store.pk, Trigger.API),
    ]
    assert CatalogVersion.objects.filter(store=store, trigger=Trigger.EDITOR).count() == 1


def test_nothing_is_scheduled_when_the_transaction_rolls_back(
    store, publishes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                menu_changed(stores=[store], trigger=Trigger.EDITOR)
                raise RuntimeError("the edit failed")
        except RuntimeError:
            pass

    assert publishes == []
    # ... and the next change is not held back by a mark left behind.
    with django_capture_on_commit_callbacks(execute=True):
        menu_changed(stores=[store], trigger=Trigger.EDITOR)
    assert len(publishes) == 1


def test_broker_failure_leaves_no_mark_behind(
    store, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []

    def broken(*args, **kwargs):
        calls.append(args)
        raise ConnectionError("broker down")

    monkeypatch.setattr(catalog_publish_task, "apply_async", broken)
    with django_capture_on_commit_callbacks(execute=True):
        menu_changed(stores=[store], trigger=Trigger.EDITOR)  # logged, not raised (robust)
    with django_capture_on_commit_callbacks(execute=True):
        menu_changed(stores=[store], trigger=Trigger.EDITOR)

    assert len(calls) == 2


def test_publish_task_retries_when_the_storage_fails(store, menu, monkeypatch):
    from celery.exceptions import Retry

    from catalogs.publishing import services as publishing
    from catalogs.publishing.storage import CatalogStorageError

    def fail(**kwargs):
        raise CatalogStorageError("bucket unreachable")

    monkeypatch.setattr(publishing, "catalog_file_save", fail)
    monkeypatch.setattr(catalog_publish_task, "retry", lambda **kw: Retry(when=kw["countdown"]))

    with pytest.raises(Retry):
        catalog_publish_task.run(store.pk, Trigger.EDITOR, None)
    assert not CatalogVersion.objects.exists()
