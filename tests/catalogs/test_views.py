import json
import uuid

import pytest

from catalogs.models import Trigger
from catalogs.publishing.services import catalog_publish
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


def _file_url(store, catalog_set_id) -> str:
    return f"/catalogsets/{store.partner_store_id}/{catalog_set_id}.json"


def test_published_file_is_served_with_an_etag(client, store, menu):
    version = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)

    response = client.get(_file_url(store, version.catalog_set_id))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["ETag"] == f'"{version.catalog_set_id}"'
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    body = b"".join(response.streaming_content)
    assert len(body) == version.size_bytes
    assert json.loads(body)["catalogSetId"] == str(version.catalog_set_id)


def test_matching_if_none_match_gets_304(client, store, menu):
    version = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)
    url = _file_url(store, version.catalog_set_id)

    response = client.get(url, headers={"If-None-Match": f'"{version.catalog_set_id}"'})
    other = client.get(url, headers={"If-None-Match": '"something-else"'})

    assert response.status_code == 304
    assert response["ETag"] == f'"{version.catalog_set_id}"'
    assert other.status_code == 200


def test_unknown_or_another_stores_version_is_404(client, store, menu):
    version = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)
    other = StoreFactory(merchant=store.merchant)

    assert client.get(_file_url(store, uuid.uuid4())).status_code == 404
    assert client.get(_file_url(other, version.catalog_set_id)).status_code == 404
    assert client.get(f"/catalogsets/{store.partner_store_id}/../../etc.json").status_code == 404
    assert client.get(f"/catalogsets/{store.partner_store_id}/not-a-uuid.json").status_code == 404


def test_only_get_and_head_are_allowed(client, store, menu):
    version = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)

    assert client.head(_file_url(store, version.catalog_set_id)).status_code == 200
    assert client.post(_file_url(store, version.catalog_set_id)).status_code == 405


def test_latest_redirects_to_the_newest_version(client, store, menu):
    catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)
    menu.cola.price = 999
    menu.cola.save()
    newest = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)

    response = client.get(f"/catalogsets/{store.partner_store_id}/latest.json")

    assert response.status_code == 302
    assert response["Location"] == newest.url
    assert response["Cache-Control"] == "no-cache"
    followed = client.get(response["Location"].removeprefix("https://portal.example.com"))
    assert json.loads(b"".join(followed.streaming_content))["catalogSetId"] == str(
        newest.catalog_set_id
    )


def test_latest_is_404_before_anything_was_published(client, store):
    assert client.get(f"/catalogsets/{store.partner_store_id}/latest.json").status_code == 404
    assert client.get(f"/catalogsets/{uuid.uuid4()}/latest.json").status_code == 404


def test_files_are_public(client, store, menu):
    # Gett's fetcher has no session: no login redirect, no CSRF.
    version = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)
    client.logout()

    assert client.get(_file_url(store, version.catalog_set_id)).status_code == 200


def test_version_whose_file_is_gone_is_404(client, store, menu, local_catalog_storage):
    version = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)
    (local_catalog_storage / version.storage_key).unlink()

    assert client.get(_file_url(store, version.catalog_set_id)).status_code == 404
