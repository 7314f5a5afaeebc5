import os
import re
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from moto.server import ThreadedMotoServer

from catalogs.tasks import catalog_publish_task
from gett.tasks import outbox_deliver_task
from tests.factories import MembershipFactory, StoreFactory

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def pytest_make_parametrize_id(config, val, argname):
    """Stable test ids for random UUIDs in parameters: pytest-xdist workers each collect the
    tests and must get the same ids."""
    if isinstance(val, uuid.UUID):
        return "uuid"
    if isinstance(val, str) and UUID_RE.search(val):
        return UUID_RE.sub("uuid", val)
    return None


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request):
    """SQLite tests run in memory unless this run includes end-to-end tests.

    Their web server and Celery worker are other processes, so they need a file; one per pytest
    process (pid), so parallel runs and xdist workers do not share it. `make test` runs the
    end-to-end tests on their own, so the rest keep the in-memory database.
    """
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        return
    if any(item.get_closest_marker("e2e") for item in request.session.items):
        run_dir = settings.BASE_DIR / ".run"
        run_dir.mkdir(exist_ok=True)
        db.setdefault("TEST", {})["NAME"] = str(run_dir / f"test-db-{os.getpid()}.sqlite3")


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


@pytest.fixture
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
def _empty_cache():
    # The outbox's write budget and the sandbox's rate limits live in the cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3-compatible server (moto) on loopback, for storage tests (one per process)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
