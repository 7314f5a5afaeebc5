"""A manager works on a 5,000-item menu in the editor on a tablet: finds an item by name, edits
it, looks into a section, and changes that section's prices in bulk (by filter, across pages)."""

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest

from bench.menu import menu_generate
from catalogs.models import Item, Section
from tests.e2e.helpers import log_in, search_type
from tests.factories import MembershipFactory, StoreFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 820, "height": 1180}


def test_a_big_menu_is_searched_edited_and_repriced_on_a_tablet(stack, browser, settings):
    settings.MEDIA_ROOT = stack["media"]
    membership = MembershipFactory(role="manager", user__username="chef")
    merchant = membership.merchant
    StoreFactory(merchant=merchant, name="Trattoria Uno", currency="GBP")
    menu_generate(merchant=merchant, items=5000)
    section = Section.objects.get(merchant=merchant, name="Section 7")
    in_section = list(
        Item.objects.filter(section_items__section=section).values_list("pk", "price")
    )
    assert len(in_section) == 100

    page = browser.new_page(viewport=TABLET)
    page.set_default_timeout(20_000)
    log_in(page, stack["url"], "chef")
    page.get_by_role("link", name="Menu", exact=True).click()
    page.get_by_role("heading", name="Menu", exact=True).wait_for()
    assert page.get_by_role("heading", name="Section 7", exact=True).is_visible()

    # Find an item by name: the results come while typing (htmx), a page at a time.
    search_type(page, "Find items", "Item 04321")
    page.get_by_role("heading", name=re.compile("1 item matching “Item 04321”")).wait_for()
    page.get_by_role("link", name="Item 04321", exact=True).click()
    page.get_by_label(re.compile("^Price")).fill("12.34")
    page.get_by_role("button", name="Save item").click()
    page.get_by_text("“Item 04321” saved.").wait_for()
    assert Item.objects.get(merchant=merchant, name="Item 04321").price == 1234

    # A section's items load into its row on demand.
    page.goto(f"{stack['url']}/menu/")
    row = page.locator(f"#section-{section.public_id}")
    row.get_by_role("link", name=re.compile("^Show items")).click()
    row.get_by_text("items 1–50 of 100").wait_for()
    assert row.locator("li.editor-item").count() == 50

    # Change the whole section's prices, both pages of it, by 10 %.
    row.get_by_role("link", name=re.compile("^Prices")).click()
    page.get_by_role("heading", name="Change the prices of 100 items").wait_for()
    page.get_by_label("Increase by a percentage").check()
    page.locator("#id_value").fill("10")
    page.get_by_role("button", name="Preview the new prices").click()
    page.get_by_text(re.compile(r"100 of 100 prices change")).wait_for()
    page.screenshot(path=str(stack["logs"] / "bulk-preview.png"), full_page=True)
    page.get_by_role("button", name="Apply to 100 items").click()
    page.get_by_text("Increase by 10 %: 100 prices changed.").wait_for()

    after = dict(
        Item.objects.filter(pk__in=[pk for pk, _ in in_section]).values_list("pk", "price")
    )
    for pk, price in in_section:
        assert after[pk] == int((Decimal(price) * Decimal("1.1")).quantize(1, ROUND_HALF_UP))
