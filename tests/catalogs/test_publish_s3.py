"""Publishing to a real S3-compatible server (moto's, over HTTP on a free local port)."""

import json
import urllib.error
import urllib.request
import uuid

import boto3
import pytest

from catalogs.models import Trigger
from catalogs.publishing.builder import catalog_build
from catalogs.publishing.services import catalog_publish
from catalogs.publishing.storage import catalog_file_url

pytestmark = pytest.mark.django_db

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"
REGION = "eu-west-1"


@pytest.fixture
def bucket(s3_endpoint, settings):
    name = f"menus-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    # As in production with a public base URL: anyone may read the published CatalogSets.
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{name}/catalogsets/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(public_read))
    settings.CATALOG_STORAGE_BUCKET = name
    settings.CATALOG_STORAGE_ENDPOINT_URL = s3_endpoint
    settings.CATALOG_STORAGE_REGION = REGION
    settings.CATALOG_STORAGE_ACCESS_KEY_ID = ACCESS_KEY
    settings.CATALOG_STORAGE_SECRET_ACCESS_KEY = SECRET_KEY
    settings.CATALOG_STORAGE_ADDRESSING_STYLE = "path"
    settings.CATALOG_STORAGE_PUBLIC_BASE_URL = f"{s3_endpoint}/{name}"
    return s3, name


def _download(url: str) -> tuple[bytes, dict]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - local test server
        return response.read(), dict(response.headers)


def test_publish_uploads_to_s3_and_gett_is_told_the_public_url(
    store, menu, bucket, django_capture_on_commit_callbacks, scheduled
):
    s3, name = bucket
    expected = catalog_build(store=store)

    with django_capture_on_commit_callbacks(execute=True):
        version = catalog_publish(store_id=store.pk, trigger=Trigger.IMPORT)

    key = f"catalogsets/{store.partner_store_id}/{expected['catalogSetId']}.json"
    assert version.storage_key == key
    assert version.url == f"{s3.meta.endpoint_url}/{name}/{key}"
    body, headers = _download(version.url)
    assert json.loads(body) == expected
    assert version.size_bytes == len(body)
    assert version.counts == {"catalogs": 2, "sections": 4, "items": 9, "modifierGroups": 3}
    head = s3.head_object(Bucket=name, Key=key)
    assert head["ContentType"] == "application/json"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    assert head["ContentLength"] == len(body)
    assert version.notification.payload == {"callbackUrl": version.url}
    assert scheduled == [version.notification.pk]


def test_unchanged_menu_is_not_uploaded_again(store, menu, bucket):
    s3, name = bucket
    catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)

    assert catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR) is None
    menu.fries.price = 500
    menu.fries.save()
    catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)

    listed = s3.list_objects_v2(Bucket=name, Prefix=f"catalogsets/{store.partner_store_id}/")
    assert listed["KeyCount"] == 2


def test_without_a_public_base_url_gett_gets_a_presigned_url(store, menu, bucket, settings):
    settings.CATALOG_STORAGE_PUBLIC_BASE_URL = ""
    settings.CATALOG_STORAGE_URL_EXPIRY_SECONDS = 600

    version = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)

    assert "X-Amz-Signature=" in version.url
    assert "X-Amz-Expires=600" in version.url
    body, _ = _download(version.url)
    assert json.loads(body)["catalogSetId"] == str(version.catalog_set_id)
    fresh = catalog_file_url(
        key=version.storage_key,
        partner_store_id=store.partner_store_id,
        catalog_set_id=str(version.catalog_set_id),
    )
    assert _download(fresh)[0] == body


def test_file_and_latest_urls_redirect_to_the_bucket(store, menu, bucket, client):
    version = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)

    latest = client.get(f"/catalogsets/{store.partner_store_id}/latest.json")
    file = client.get(f"/catalogsets/{store.partner_store_id}/{version.catalog_set_id}.json")

    assert latest.status_code == file.status_code == 302
    assert latest["Location"] == file["Location"] == version.url


def test_storage_errors_become_catalog_storage_errors(store, menu, bucket, settings):
    from catalogs.publishing.storage import CatalogStorageError

    settings.CATALOG_STORAGE_BUCKET = "no-such-bucket"

    with pytest.raises(CatalogStorageError):
        catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)
