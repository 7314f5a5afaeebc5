import uuid

import pytest
from django.core.cache import cache
from django.urls import reverse

from gett.sandbox import services
from gett.sandbox.models import SandboxStore

API_KEY = "zpka_sandbox_test_key_1"
OTHER_API_KEY = "zpka_sandbox_test_key_2"
STORE_ID = uuid.UUID("6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f")


@pytest.fixture(autouse=True)
def sandbox_settings(settings):
    settings.GETT_SANDBOX_API_KEYS = [API_KEY, OTHER_API_KEY]
    # Rate-limit counters live in the cache; every test starts with a fresh minute.
    cache.clear()
    yield settings
    cache.clear()


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def store(db) -> SandboxStore:
    return services.store_provision(
        store_id=STORE_ID,
        partner_store_id="pos-store-0042",
        name="Pizza Roma",
        phone="+1 212 555 0100",
        description="Wood-fired pizza since 1987.",
        logo_url="https://cdn.example.com/pizza-roma/logo.png",
        address={
            "street": "12 Mulberry St",
            "city": "New York",
            "state": "NY",
            "postalCode": "10013",
            "country": "US",
        },
        timezone="America/New_York",
    )


@pytest.fixture
def store_url(store) -> str:
    return reverse("sandbox:store-detail", kwargs={"store_id": store.store_id})


@pytest.fixture
def status_url(store) -> str:
    return reverse("sandbox:store-status", kwargs={"store_id": store.store_id})
