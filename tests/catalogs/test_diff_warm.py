"""The publish task works out "What changed" for each new version and the one before it, so
the merchant's first look at a big menu's changes is quick; a failure there never fails the
publish."""

import logging
import shutil

import pytest
from django.core.cache import cache
from django.urls import reverse

from catalogs.models import CatalogVersion, Item, Trigger
from catalogs.publishing import services as publishing_services
from catalogs.publishing.diff import CatalogDiff
from catalogs.publishing.services import catalog_versions_diff_warm, diff_cache_key
from catalogs.tasks import catalog_publish_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def publish(store) -> CatalogVersion:
    catalog_publish_task(store.pk, Trigger.EDITOR)
    return CatalogVersion.objects.filter(store=store).order_by("-published_at", "-id").first()


def reprice(item, price: int) -> None:
    Item.objects.filter(pk=item.pk).update(price=price)


def test_after_a_publish_the_cache_holds_what_changed_since_the_previous_version(store, menu):
    old = publish(store)
    reprice(menu.burger, 1500)

    new = publish(store)

    assert new.pk != old.pk
    diff = cache.get(diff_cache_key("diff", store, old, new))
    assert isinstance(diff, CatalogDiff)
    assert [change.text for change in diff.of_kind("price_changed")] == ["Burger: 14.50 → 15.00"]
    summary = cache.get(diff_cache_key("diff-summary", store, old, new))
    assert summary["total"] == 1


def test_the_first_look_after_a_publish_reads_no_stored_file(
    owner_client, store, menu, local_catalog_storage
):
    old = publish(store)
    reprice(menu.burger, 1500)
    new = publish(store)
    shutil.rmtree(local_catalog_storage)  # the page can only show what was kept

    response = owner_client.get(
        reverse(
            "publishing:version-diff",
            kwargs={
                "store_id": store.public_id,
                "old_id": old.catalog_set_id,
                "new_id": new.catalog_set_id,
            },
        )
    )

    assert response.status_code == 200
    assert "Burger" in response.content.decode()


def test_the_first_version_has_nothing_to_compare_with(store, menu):
    version = publish(store)

    assert version is not None
    assert catalog_versions_diff_warm(version=version) is False


def test_going_back_to_an_earlier_menu_compares_it_with_the_version_it_replaced(store, menu):
    first = publish(store)
    reprice(menu.burger, 1500)
    second = publish(store)
    reprice(menu.burger, 1450)  # the first menu again: its version becomes current

    again = publish(store)

    assert again.pk == first.pk
    diff = cache.get(diff_cache_key("diff", store, second, first))
    assert [change.text for change in diff.of_kind("price_changed")] == ["Burger: 15.00 → 14.50"]


def test_a_failure_working_out_the_changes_is_logged_and_the_publish_stands(
    store, menu, monkeypatch, caplog
):
    old = publish(store)
    reprice(menu.burger, 1500)

    def broken(*args, **kwargs):
        raise RuntimeError("diff failed")

    monkeypatch.setattr(publishing_services, "catalogset_diff", broken)
    with caplog.at_level(logging.WARNING, logger="catalogs.publishing.services"):
        new = publish(store)

    assert new.pk != old.pk  # published (and Gett told) all the same
    assert new.notification is not None
    assert cache.get(diff_cache_key("diff", store, old, new)) is None
    assert f"what changed in menu version {new.catalog_set_id} not prepared" in caplog.text


def test_a_previous_file_gone_from_storage_does_not_fail_the_publish(
    store, menu, local_catalog_storage, caplog
):
    old = publish(store)
    shutil.rmtree(local_catalog_storage)
    reprice(menu.burger, 1500)

    with caplog.at_level(logging.WARNING, logger="catalogs.publishing.services"):
        new = publish(store)

    assert new.pk != old.pk
    assert "not prepared" in caplog.text
