"""A test order from the store page arrives on the Orders board; the kitchen accepts it, prepares
it, marks it ready and completes it, and Gett (the sandbox, over real HTTP through the worker)
receives each status in order."""

import re
import time
from datetime import time as dtime

import pytest

from catalogs.models import AvailabilityWindow
from catalogs.publishing.builder import catalog_build
from gett.models import OutboundMessage
from gett.sandbox.models import SandboxOrder
from gett.sandbox.services import catalogset_seed, store_provision
from orders.models import Order
from tests.catalogs.menus import build_menu
from tests.e2e.helpers import log_in
from tests.factories import MembershipFactory, StoreFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _wait(condition, what, timeout=25):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_a_test_order_is_worked_on_the_board_and_gett_hears_every_step(stack, browser):
    membership = MembershipFactory(role="owner", user__username="boss")
    store = StoreFactory(merchant=membership.merchant, name="Harbor Street Burgers")
    menu = build_menu(store.merchant)
    # Open around the clock, whenever CI runs.
    AvailabilityWindow.objects.filter(catalog=menu.lunch).update(start=dtime(0), end=dtime(0))
    store_provision(
        store_id=store.gett_store_id,
        partner_store_id=store.partner_store_id,
        name=store.name,
        timezone=store.timezone,
        webhook_url=f"{stack['url']}/webhooks/gett",
    )
    catalogset_seed(partner_store_id=store.partner_store_id, document=catalog_build(store=store))

    page = browser.new_page(viewport={"width": 820, "height": 1180})  # a kitchen tablet
    page.set_default_timeout(20_000)
    log_in(page, stack["url"], "boss")
    page.get_by_role("link", name=re.compile("Open store")).first.click()
    page.get_by_label("What to send").select_option("valid")
    page.get_by_role("button", name="Send a test order").click()
    _wait(lambda: Order.objects.filter(store=store).exists(), "the order to be placed")
    order = Order.objects.get(store=store)

    page.goto(f"{stack['url']}/stores/{store.public_id}/orders/")
    card = page.locator(f"#order-{order.public_id}")
    card.get_by_text("New, not seen").wait_for()
    card.get_by_role("button", name=re.compile(r"^15 min")).click()
    card.get_by_role("button", name="Start preparing").wait_for()
    card.get_by_role("button", name="Start preparing").click()
    card.get_by_role("button", name="Ready", exact=True).click()
    card.get_by_role("button", name=re.compile(": complete$")).first.click()
    page.get_by_role("heading", name="Done recently").wait_for()

    order.refresh_from_db()
    assert order.state == "completed"

    def gett_has_all():
        return (
            not OutboundMessage.objects.filter(key=order.outbox_key)
            .exclude(state=OutboundMessage.State.DELIVERED)
            .exists()
        )

    _wait(gett_has_all, "every status to reach Gett")
    sandbox_order = SandboxOrder.objects.get(order_id=order.gett_order_id)
    steps = [(e.to_state, e.to_status) for e in sandbox_order.events.order_by("at", "pk")]
    assert [s for _, s in steps if s][:4] == ["pending", "confirmed", "preparing", "ready"]
    assert steps[-1][0] == "completed"
