"""Someone types in the menu's search box while the page is still loading. htmx, a deferred
script, starts listening only at DOMContentLoaded; the search must still run."""

import pytest

from catalogs import services as menu
from tests.e2e.helpers import log_in
from tests.factories import MembershipFactory, StoreFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Runs in the page before its scripts: the moment the document is parsed (readyState
# "interactive", before deferred scripts run), "type" into the search box as a person would.
TYPE_BEFORE_SCRIPTS = """
document.addEventListener("readystatechange", () => {
  if (document.readyState !== "interactive") return;
  const field = document.querySelector("#menu-q");
  if (!field) return;
  field.value = "Margherita";
  field.dispatchEvent(new Event("input", {bubbles: true}));
  window.__typedEarly = !window.htmx;
});
"""


def test_a_search_typed_before_the_page_finished_loading_still_runs(stack, browser):
    membership = MembershipFactory(role="manager", user__username="chef")
    merchant = membership.merchant
    StoreFactory(merchant=merchant, name="Trattoria Uno", currency="GBP")
    dinner = menu.catalog_create(merchant=merchant, name="Dinner")
    pizzas = menu.section_create(merchant=merchant, name="Pizzas", catalog=dinner)
    menu.section_items_set(
        section=pizzas,
        items=[
            menu.item_create(merchant=merchant, name=name, price=950)
            for name in ("Margherita", "Marinara", "Diavola")
        ],
    )

    page = browser.new_page(viewport={"width": 820, "height": 1180})
    page.set_default_timeout(20_000)
    log_in(page, stack["url"], "chef")
    page.get_by_role("link", name="Menu", exact=True).wait_for()

    page.add_init_script(TYPE_BEFORE_SCRIPTS)
    page.goto(f"{stack['url']}/menu/")
    assert page.evaluate("window.__typedEarly") is True  # the keystroke came before htmx

    page.get_by_role("heading", name="1 item matching “Margherita”").wait_for()
    assert page.get_by_role("link", name="Margherita", exact=True).is_visible()
    assert "q=Margherita" in page.url
