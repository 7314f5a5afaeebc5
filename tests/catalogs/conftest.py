import pytest

from stores.models import Store
from tests.catalogs.menus import Menu, build_menu


@pytest.fixture(autouse=True)
def _publishes_recorded(publishes):
    """No menu test queues a real publish: each is recorded (`publishes`, tests/conftest.py)."""
    return publishes


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
