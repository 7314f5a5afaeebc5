"""A manager changes a price in the menu editor; a new menu version is published, Gett (the
sandbox) pulls and accepts it, and the versions page shows the price change."""

import re
import time
from datetime import time as clock

import pytest

from catalogs import services as menu
from catalogs.models import CatalogVersion
from catalogs.publishing import services as publishing_services
from gett.sandbox.models import SandboxCatalogIngestion
from gett.sandbox.services import store_provision
from tests.e2e.helpers import log_in, search_type
from tests.factories import MembershipFactory, StoreFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _wait_for(condition, what: str, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)
    return result


def test_a_price_change_in_the_editor_becomes_a_new_version_gett_accepts(stack, browser, settings):
    settings.MEDIA_ROOT = stack["media"]
    membership = MembershipFactory(role="manager", user__username="chef")
    merchant = membership.merchant
    store = StoreFactory(merchant=merchant, name="Trattoria Uno", currency="GBP")
    store_provision(
        store_id=store.gett_store_id,
        partner_store_id=store.partner_store_id,
        name=store.name,
        webhook_url=f"{stack['url']}/webhooks/gett",
    )
    dinner = menu.catalog_create(merchant=merchant, name="Dinner")
    menu.catalog_windows_set(catalog=dinner, windows=[(d, clock(17), clock(23)) for d in range(7)])
    pizzas = menu.section_create(merchant=merchant, name="Pizzas", catalog=dinner)
    margherita = menu.item_create(merchant=merchant, name="Margherita", price=950)
    menu.section_items_set(section=pizzas, items=[margherita])
    first = publishing_services.catalog_publish(store_id=store.pk, trigger="editor")
    assert first is not None

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)
    log_in(page, stack["url"], "chef")

    page.get_by_role("link", name="Menu", exact=True).click()
    # The menu lists sections with counts; items are found by name.
    search_type(page, "Find items", "Margherita")
    page.get_by_role("link", name="Margherita", exact=True).click()
    page.get_by_label(re.compile("^Price")).fill("10.50")
    page.get_by_role("button", name="Save item").click()

    # The worker publishes after the debounce and tells Gett, which pulls and accepts it.
    second = _wait_for(
        lambda: CatalogVersion.objects.filter(store=store).exclude(pk=first.pk).first(),
        "a new menu version",
    )
    _wait_for(
        lambda: SandboxCatalogIngestion.objects.filter(
            partner_store_id=store.partner_store_id,
            status="accepted",
            catalog_set_id=str(second.catalog_set_id),
        ).exists(),
        "Gett to accept the new version",
    )

    page.goto(f"{stack['url']}/stores/{store.public_id}/menu/versions/")
    page.get_by_role("link", name="What changed").first.click()
    page.get_by_text(re.compile(r"Margherita.*9\.50.*10\.50")).first.wait_for()
