import pytest
from django.core.cache import cache

from gett.tasks import outbox_deliver_task
from tests.factories import MembershipFactory, StoreFactory


@pytest.fixture
def owner(db):
    return MembershipFactory(role="owner")


@pytest.fixture
def store(owner):
    return StoreFactory(merchant=owner.merchant)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner.user)
    return client


@pytest.fixture(autouse=True)
def scheduled(monkeypatch):
    """Outbox deliveries handed to Celery, recorded (message ids) instead of published.

    No test publishes to a broker by accident; a module may define a richer `scheduled`.
    """
    calls: list[int] = []
    monkeypatch.setattr(
        outbox_deliver_task,
        "apply_async",
        lambda args=None, kwargs=None, **options: calls.append(args[0]),
    )
    return calls


@pytest.fixture(autouse=True)
def _empty_cache():
    # The outbox's write budget and the sandbox's rate limits live in the cache.
    cache.clear()
    yield
    cache.clear()
