"""Where published CatalogSets live, and the URL Gett downloads them from.

With `CATALOG_STORAGE_BUCKET` set: any S3-compatible store (AWS S3, MinIO, R2) through
django-storages. URLs are `<CATALOG_STORAGE_PUBLIC_BASE_URL>/<key>` when that is set (a public
bucket or a CDN in front of it), otherwise presigned URLs valid
`CATALOG_STORAGE_URL_EXPIRY_SECONDS`.

Without it: files under `MEDIA_ROOT/catalogs`, served by `catalogs.publishing.views` at
`<PUBLIC_BASE_URL>/catalogsets/<partnerStoreId>/<catalogSetId>.json`.

Objects are immutable: a key is written once and never overwritten.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage
from django.urls import reverse
from storages.backends.s3 import S3Storage

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/json"
CACHE_CONTROL = "public, max-age=31536000, immutable"


class CatalogStorageError(Exception):
    """The catalog storage could not be written or read (worth retrying)."""


def catalogset_key(*, partner_store_id: str, catalog_set_id: str) -> str:
    return f"catalogsets/{partner_store_id}/{catalog_set_id}.json"


def catalog_storage_is_local() -> bool:
    return not settings.CATALOG_STORAGE_BUCKET


def catalog_storage() -> Storage:
    if catalog_storage_is_local():
        return FileSystemStorage(location=Path(settings.MEDIA_ROOT) / "catalogs")
    return _s3_storage(
        bucket=settings.CATALOG_STORAGE_BUCKET,
        endpoint_url=settings.CATALOG_STORAGE_ENDPOINT_URL or None,
        region=settings.CATALOG_STORAGE_REGION or None,
        access_key=settings.CATALOG_STORAGE_ACCESS_KEY_ID or None,
        secret_key=settings.CATALOG_STORAGE_SECRET_ACCESS_KEY or None,
        addressing_style=settings.CATALOG_STORAGE_ADDRESSING_STYLE or None,
        expiry=settings.CATALOG_STORAGE_URL_EXPIRY_SECONDS,
    )


@lru_cache(maxsize=4)
def _s3_storage(
    *,
    bucket: str,
    endpoint_url: str | None,
    region: str | None,
    access_key: str | None,
    secret_key: str | None,
    addressing_style: str | None,
    expiry: int,
) -> S3Storage:
    # One instance per configuration: it keeps a boto3 connection per thread.
    # Every option is given here, so AWS_* settings meant for other storages never leak in.
    # Without keys, boto3's default chain applies (environment, instance role).
    return S3Storage(
        bucket_name=bucket,
        endpoint_url=endpoint_url,
        region_name=region,
        access_key=access_key,
        secret_key=secret_key,
        security_token=None,
        session_profile=None,
        addressing_style=addressing_style,
        location="",
        custom_domain=None,
        default_acl=None,
        file_overwrite=True,  # we never write an existing key (see catalog_file_save)
        gzip=False,
        signature_version="s3v4",  # SigV4: every region, MinIO and R2 accept it
        querystring_auth=True,
        querystring_expire=expiry,
        object_parameters={"ContentType": CONTENT_TYPE, "CacheControl": CACHE_CONTROL},
    )


def catalog_file_save(*, key: str, content: bytes) -> bool:
    """Store `content` at `key` unless something is there already. True if it was written.

    Keys are derived from the content, so an existing object holds the same bytes (an upload
    whose transaction rolled back, or an earlier version the menu went back to).
    """
    storage = catalog_storage()
    try:
        if storage.exists(key):
            return False
        saved = storage.save(key, ContentFile(content))
    except (BotoCoreError, ClientError, OSError) as exc:
        raise CatalogStorageError(f"could not store {key}: {exc}") from exc
    if saved != key:  # pragma: no cover - only if another process wrote the key meanwhile
        logger.warning("catalog file %s was stored as %s", key, saved)
    return True


def catalog_file_open(*, key: str):
    """The stored file, opened for reading (local storage). Raises FileNotFoundError."""
    return catalog_storage().open(key, "rb")


def catalog_file_url(*, key: str, partner_store_id: str, catalog_set_id: str) -> str:
    """Where Gett downloads a stored CatalogSet. Presigned URLs are fresh on every call."""
    if catalog_storage_is_local():
        path = reverse(
            "publishing:catalogset-file",
            kwargs={"partner_store_id": partner_store_id, "catalog_set_id": catalog_set_id},
        )
        return f"{settings.PUBLIC_BASE_URL}{path}"
    if settings.CATALOG_STORAGE_PUBLIC_BASE_URL:
        return f"{settings.CATALOG_STORAGE_PUBLIC_BASE_URL.rstrip('/')}/{key}"
    try:
        return catalog_storage().url(key)
    except (BotoCoreError, ClientError) as exc:
        raise CatalogStorageError(f"could not sign a URL for {key}: {exc}") from exc
