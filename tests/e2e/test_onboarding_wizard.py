"""An owner adds a store, pauses it, fixes what the pre-flight checks ask, registers it with Gett
(the sandbox, over real HTTP) and watches it go live in the wizard; the pause made before it was
on Gett then reaches Gett.

The web server and the worker run registration and Gett's side of the pipeline. Beat does not run
in this stack, so the test asks Gett for the status itself, as the beat task would, once a second.
"""

import os
import re
import time
from datetime import time as dtime
from pathlib import Path

import pytest

from catalogs.models import AvailabilityWindow
from gett import outbox
from gett.sandbox.models import SandboxStore
from onboarding import services as onboarding
from onboarding.models import Onboarding
from stores.models import Store
from tests.catalogs.menus import build_menu
from tests.e2e.helpers import log_in
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Set to a folder to keep screenshots of the wizard at a tablet's and a laptop's width.
SCREENSHOTS = os.environ.get("ONBOARDING_SCREENSHOTS", "")


def _shot(page, name: str) -> None:
    if not SCREENSHOTS:
        return
    Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
    for width in (820, 1280):
        page.set_viewport_size({"width": width, "height": 1000})
        page.screenshot(path=f"{SCREENSHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 820, "height": 1180})


def test_a_new_store_goes_live_on_gett_through_the_wizard(stack, browser, settings, scheduled):
    # This process polls Gett and delivers released messages as the worker and beat would.
    settings.PUBLIC_BASE_URL = stack["url"]
    settings.GETT_API_BASE_URL = f"{stack['url']}/sandbox/gett"
    settings.MEDIA_ROOT = stack["media"]
    membership = MembershipFactory(role="owner", user__username="boss")
    menu = build_menu(membership.merchant)
    AvailabilityWindow.objects.filter(catalog=menu.lunch).update(start=dtime(0), end=dtime(0))

    page = browser.new_page(viewport={"width": 820, "height": 1180})
    page.set_default_timeout(20_000)
    log_in(page, stack["url"], "boss")

    # A new store, off Gett.
    page.get_by_role("link", name="Add a store").first.click()
    fields = {
        "name": "Quayside Noodles",
        "phone": "+44 20 7946 0202",
        "street": "7 Quay Street",
        "city": "London",
        "postal_code": "SE1 9AA",
        "tax_rate": "20",
        "delivery_fee_amount": "2.50",
        "minimum_order_amount": "10",
    }
    for name, value in fields.items():
        page.locator(f'[name="{name}"]').fill(value)
    page.locator('[name="country"]').select_option("GB")
    page.locator('[name="timezone"]').select_option("Europe/London")
    page.locator('[name="currency"]').select_option("GBP")
    page.get_by_role("button", name="Add the store").click()
    page.get_by_role("heading", name=re.compile("Quayside Noodles")).wait_for()
    store = Store.objects.get(name="Quayside Noodles")
    assert store.gett_store_id is None
    assert page.get_by_text("Not on Gett yet").first.is_visible()

    # Paused before it is on Gett: the pause waits.
    page.locator('[name="reason"]').select_option("too_busy")
    page.get_by_label("Until I resume it").check()
    page.get_by_role("button", name="Pause store").click()
    page.get_by_text("this pause is kept here and reaches Gett").wait_for()

    # The checks: the menu was never published for this store; publish it in one click.
    page.get_by_role("link", name="Put this store on Gett").click()
    page.get_by_role("heading", name="Put Quayside Noodles on Gett").wait_for()
    _shot(page, "checks")
    page.get_by_role("button", name="Publish the menu now").click()
    page.get_by_text("Menu published.").wait_for()
    assert page.get_by_text("Recommended", exact=True).is_visible()  # the logo: not required

    page.get_by_label("Go live as soon as Gett is ready").check()
    page.get_by_role("button", name="Register with Gett").click()
    page.locator("#progress").wait_for()
    _shot(page, "progress")

    def live() -> bool:
        open_one = Onboarding.objects.filter(store=store).open().first()
        if open_one is not None and open_one.is_registered:
            onboarding.onboarding_poll(onboarding=open_one, force=True)
        return page.get_by_role("heading", name="Live on Gett").count() > 0

    deadline = time.monotonic() + 60
    while not live():
        assert time.monotonic() < deadline, "timed out waiting for the store to go live"
        page.wait_for_timeout(1000)  # htmx refreshes the progress meanwhile
    _shot(page, "live")

    store.refresh_from_db()
    attempt = Onboarding.objects.get(store=store)
    assert attempt.status == Onboarding.Status.ACTIVE
    assert str(store.gett_store_id) == str(attempt.gett_store_id)
    assert page.get_by_text("Registering", exact=True).is_visible()
    assert page.get_by_text("Gett is checking your menu", exact=True).is_visible()

    # Going live released the held pause; it reaches Gett.
    for message_id in list(scheduled):
        outbox.deliver(message_id=message_id)
    gett_store = SandboxStore.objects.get(partner_store_id=store.partner_store_id)
    assert gett_store.status == "paused"
    assert gett_store.reason == "too_busy"

    page.goto(f"{stack['url']}/stores/{store.public_id}/")
    assert page.get_by_text("Not on Gett yet").count() == 0
