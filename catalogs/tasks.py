import logging

from celery import shared_task

from catalogs.publishing.services import (
    catalog_publish,
    catalog_versions_diff_warm,
    publish_debounce_release,
)
from catalogs.publishing.storage import CatalogStorageError
from catalogs.snoozes.services import snoozes_expire

logger = logging.getLogger(__name__)


@shared_task(name="catalogs.tasks.catalog_publish", bind=True, acks_late=True, max_retries=8)
def catalog_publish_task(self, store_id: int, trigger: str, user_id: int | None = None) -> None:
    # Changes from now on schedule another publish: this one may already have read the menu.
    publish_debounce_release(store_id=store_id)
    try:
        version = catalog_publish(store_id=store_id, trigger=trigger, user_id=user_id)
    except CatalogStorageError as exc:
        logger.warning("menu of store %s not stored, will retry: %s", store_id, exc)
        raise self.retry(exc=exc, countdown=min(600, 10 * 2**self.request.retries)) from None
    if version is not None:
        # Published and Gett told: now "What changed" for the versions page, off the web request.
        catalog_versions_diff_warm(version=version)


@shared_task(name="catalogs.tasks.snoozes_expire")
def snoozes_expire_task() -> int:
    return snoozes_expire()
