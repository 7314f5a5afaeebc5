"""Uploaded images on S3-compatible storage (moto's server over HTTP): the URLs Gett is sent
serve the files, since without DEBUG the portal itself does not serve /media/."""

import io
import json
import urllib.request
import uuid

import boto3
import pytest
from django.core.files.base import ContentFile
from PIL import Image

from gett.models import OutboundMessage
from portal.settings import s3_media_storage
from stores import services

pytestmark = pytest.mark.django_db

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"
REGION = "eu-west-1"


@pytest.fixture
def bucket(s3_endpoint, settings):
    name = f"portal-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{name}/media/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(public_read))
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_media_storage(
            bucket=name,
            endpoint_url=s3_endpoint,
            region=REGION,
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
            addressing_style="path",
            public_base_url=f"{s3_endpoint}/{name}",
            expiry=3600,
        ),
    }
    return s3, name


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_logo_lands_in_the_bucket_and_the_url_gett_gets_serves_it(store, bucket, s3_endpoint):
    s3, name = bucket
    content = _png()
    store.logo = ContentFile(content, name="logo.png")

    services.store_update(store=store, changed_fields=["logo"])

    key = f"media/{store.logo.name}"
    assert s3.get_object(Bucket=name, Key=key)["Body"].read() == content
    message = OutboundMessage.objects.get(key=store.outbox_key, kind="store.update")
    url = message.payload["logoUrl"]
    assert url == f"{s3_endpoint}/{name}/{key}"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - local test server
        assert response.read() == content


def test_without_a_public_bucket_url_gett_gets_a_presigned_url_that_serves_the_logo(
    store, bucket, settings
):
    options = settings.STORAGES["default"]["OPTIONS"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**options, "querystring_auth": True, "custom_domain": None},
        },
    }
    content = _png()
    store.logo = ContentFile(content, name="logo.png")

    services.store_update(store=store, changed_fields=["logo"])

    url = OutboundMessage.objects.get(key=store.outbox_key).payload["logoUrl"]
    assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - local test server
        assert response.read() == content
