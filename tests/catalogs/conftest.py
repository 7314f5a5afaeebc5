import pytest

from catalogs.tasks import catalog_publish_task
from stores.models import Store
from tests.catalogs.menus import Menu, build_menu


@pytest.fixture(autouse=True)
def publishes(monkeypatch):
    """Menu publishes handed to Celery, recorded as (store_id, trigger, user_id, countdown)."""
    calls: list[tuple] = []
    monkeypatch.setattr(
        catalog_publish_task,
        "apply_async",
        lambda args=None, kwargs=None, countdown=None, **options: calls.append((*args, countdown)),
    )
    return calls


@pytest.fixture(autouse=True)
def local_catalog_storage(settings, tmp_path):
    """Published CatalogSets go to a temporary folder unless a test points them at S3."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CATALOG_STORAGE_BUCKET = ""
    settings.PUBLIC_BASE_URL = "https://portal.example.com"
    return tmp_path / "media" / "catalogs"


@pytest.fixture
def menu(store: Store) -> Menu:
    return build_menu(store.merchant)
