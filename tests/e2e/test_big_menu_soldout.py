"""In the kitchen, on a tablet, with a 5,000-item menu: find an item by name, mark it sold out,
see it in the sold-out list at the top, and bring it back from there.

Real parts all the way: Chromium at tablet size, the web server and a Celery worker (which
publishes each change) as separate processes, Redis, and the built-in Gett sandbox.
"""

import re

import pytest

from bench.menu import menu_generate
from catalogs.models import Item, ItemSnooze
from tests.e2e.helpers import log_in, search_type
from tests.factories import MembershipFactory, StoreFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_kitchen_finds_an_item_in_a_big_menu_marks_it_sold_out_and_brings_it_back(stack, browser):
    membership = MembershipFactory(role="staff", user__username="kitchen")
    store = StoreFactory(merchant=membership.merchant, name="Big Menu Diner", currency="GBP")
    menu_generate(merchant=membership.merchant, items=5000)
    item = Item.objects.get(merchant=membership.merchant, name="Item 04321")

    page = browser.new_page(viewport={"width": 820, "height": 1180})  # a kitchen tablet
    page.set_default_timeout(15_000)
    log_in(page, stack["url"], "kitchen")
    page.goto(f"{stack['url']}/stores/{store.public_id}/menu/snooze/")

    sold_out = page.locator("#soldout")
    sold_out.get_by_text("Nothing is sold out").wait_for()
    # The page stays small: the sections are listed, not their 5,000 items.
    assert page.locator(".snooze-row").count() == 0
    assert page.locator("details.snooze-section").count() == 50 + 1  # and the modifier options

    # Find it by name: the results come in as you type.
    search_type(page, "Find an item", "04321")
    results = page.locator("#snooze-results")
    results.get_by_text("1 item matching “04321”").wait_for()
    row = page.locator(f"#item-{item.public_id}")
    row.get_by_label("Sold out until").select_option("manual")
    row.get_by_role("button", name="Item 04321: available. Mark it sold out").click()

    # Its row turns sold out in place, and it joins the sold-out list at the top.
    sold_out.get_by_text("Item 04321 is sold out. Until turned back on.").wait_for()
    sold_out.locator(f"#soldout-{item.public_id}").get_by_text("Until turned back on").wait_for()
    row.get_by_role("button", name="Item 04321: sold out. Make it available again").wait_for()
    page.locator("#snooze-summary").get_by_text("1 sold out").wait_for()
    snooze = ItemSnooze.objects.get(store=store, item=item)
    assert snooze.until is None
    assert snooze.created_by == membership.user

    # Bring it back from the sold-out list.
    sold_out.get_by_role("button", name="Item 04321: sold out. Make it available again").click()
    sold_out.get_by_text("Item 04321 is available again.").wait_for()
    sold_out.get_by_text("Nothing is sold out").wait_for()
    page.locator("#snooze-summary").get_by_text("Everything available").wait_for()
    row.get_by_role("button", name=re.compile("Item 04321: available")).wait_for()
    assert not ItemSnooze.objects.filter(store=store, item=item).exists()
