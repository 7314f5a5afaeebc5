"""A merchant pauses a store with a reason and a preset, sees Gett get it, and resumes it.

Real parts all the way: Chromium, the web server and a Celery worker as separate processes,
Redis, and the built-in Gett sandbox reached over HTTP by the worker.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from gett.sandbox.models import SandboxStore
from gett.sandbox.services import store_provision
from stores.models import Store
from tests.e2e.helpers import log_in
from tests.factories import MembershipFactory, StoreFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_merchant_pauses_with_a_reason_and_preset_then_resumes_and_gett_hears_both(stack, browser):
    membership = MembershipFactory(role="staff", user__username="kitchen")
    store = StoreFactory(merchant=membership.merchant, name="Harbor Street Burgers")
    store_provision(
        store_id=store.gett_store_id,
        partner_store_id=store.partner_store_id,
        name=store.name,
        timezone=store.timezone,
    )

    page = browser.new_page(viewport={"width": 820, "height": 1180})  # a kitchen tablet
    page.set_default_timeout(15_000)
    log_in(page, stack["url"], "kitchen")

    page.get_by_role("link", name=re.compile("Harbor Street Burgers|Open store")).first.click()
    page.get_by_label("Reason").select_option("too_busy")
    page.get_by_role("radio", name="30 minutes").check()
    page.get_by_role("button", name="Pause store").click()

    # The page says so, and the sync panel turns "Delivered" once the worker reached Gett.
    page.get_by_text("Too busy").first.wait_for()
    sync = page.locator("#sync")
    sync.get_by_text("Delivered").first.wait_for()

    store.refresh_from_db()
    assert store.status == Store.Status.PAUSED
    assert store.pause_reason == "too_busy"
    expected = timezone.now() + timedelta(minutes=30)
    assert abs((store.resume_at - expected).total_seconds()) < 120
    gett_side = SandboxStore.objects.get(store_id=store.gett_store_id)
    assert gett_side.status == "paused"
    assert gett_side.reason == "too_busy"
    assert abs((gett_side.resume_at - store.resume_at).total_seconds()) < 1

    page.get_by_role("button", name=re.compile("Resume now")).click()
    page.get_by_text("Taking orders").first.wait_for()
    page.locator("#sync").get_by_text("Delivered").first.wait_for()

    store.refresh_from_db()
    assert store.status == Store.Status.ONLINE
    gett_side.refresh_from_db()
    assert gett_side.status == "online"
    assert gett_side.resume_at is None
