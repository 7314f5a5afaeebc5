"""Onboarding against the built-in Gett sandbox over real HTTP (the live server).

The sandbox's background steps (advance, catalog pull) and our own registration task are
recorded instead of sent to Celery; tests run them as functions, in order, when they choose.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache

from catalogs.models import Trigger
from catalogs.publishing.services import catalog_publish
from gett.sandbox import tasks as sandbox_tasks
from onboarding import tasks as onboarding_tasks
from stores.models import Membership
from tests.catalogs.menus import build_menu
from tests.factories import MembershipFactory, StoreFactory


@dataclass
class Recorded:
    task: Any
    args: tuple


class Queue:
    def __init__(self) -> None:
        self.calls: list[Recorded] = []

    def names(self) -> list[str]:
        return [call.task.name.rsplit(".", 1)[-1] for call in self.calls]

    def run_sandbox(self) -> int:
        """Run Gett's pending background steps until none are left."""
        ran = 0
        while True:
            pending = [c for c in self.calls if c.task.__module__ == sandbox_tasks.__name__]
            if not pending:
                return ran
            call = pending[0]
            self.calls.remove(call)
            call.task.run(*call.args)
            ran += 1


@pytest.fixture
def queue(monkeypatch) -> Queue:
    recorded = Queue()

    def recorder(task):
        def apply_async(args=(), kwargs=None, *, countdown=None, **options):
            recorded.calls.append(Recorded(task, tuple(args)))

        return apply_async

    for task in (
        sandbox_tasks.sandbox_catalog_pull_task,
        sandbox_tasks.sandbox_onboarding_advance_task,
        sandbox_tasks.sandbox_test_order_task,
        onboarding_tasks.onboarding_register_task,
    ):
        monkeypatch.setattr(task, "apply_async", recorder(task))
    return recorded


@pytest.fixture
def gett(live_server, settings, queue):
    """Our Gett client speaks to the sandbox on the live server; Gett pulls menus from it."""
    settings.PUBLIC_BASE_URL = live_server.url
    settings.GETT_API_BASE_URL = live_server.url + "/sandbox/gett"
    settings.GETT_SANDBOX_API_KEYS = [settings.GETT_API_KEY]
    settings.GETT_SANDBOX_ONBOARDING_DELAY_SECONDS = 0
    settings.GETT_SANDBOX_FAULT_RETRY_AFTER_SECONDS = 0
    settings.GETT_SANDBOX_HANG_SECONDS = 0.5
    settings.GETT_SANDBOX_FETCH_READ_TIMEOUT = 5.0
    cache.clear()
    yield live_server
    cache.clear()


@pytest.fixture
def owner_membership(db):
    return MembershipFactory(role=Membership.Role.OWNER)


@pytest.fixture
def new_store(owner_membership, settings):
    """A store not on Gett yet, with a valid published menu."""
    store = StoreFactory(merchant=owner_membership.merchant, gett_store_id=None)
    build_menu(store.merchant)
    version = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)
    assert version is not None
    return store
