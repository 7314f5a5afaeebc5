"""The sold-out page on big menus: the same queries and (nearly) the same bytes at any size.

The page shows the items sold out now, then a search and the sections with their counts; a
section's items and further pages come on demand. Nothing on it grows with the menu.
"""

from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalogs.models import Item, ItemModifierGroup, ItemSnooze, ModifierOption, SectionItem
from catalogs.snoozes.views import RESULTS_PER_PAGE, SOLD_OUT_PER_PAGE
from tests.factories import (
    AvailabilityWindowFactory,
    CatalogFactory,
    ModifierGroupFactory,
    SectionFactory,
    StoreCatalogFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db

SECTIONS = 3
SMALL, BIG = 330, 3300  # 110 and 1,100 items per section: both more than two pages


def _menu(merchant, *, items: int, snoozed: int = 5, store=None):
    """`items` items in SECTIONS sections, each offering a group of 3 options; the first
    `snoozed` items sold out in `store`."""
    catalog = CatalogFactory(merchant=merchant, name="All day")
    for day in range(7):
        AvailabilityWindowFactory(catalog=catalog, weekday=day, start=time(10), end=time(23))
    sections = [
        SectionFactory(catalog=catalog, name=f"Section {n + 1}", position=n)
        for n in range(SECTIONS)
    ]
    products = Item.objects.bulk_create(
        Item(merchant=merchant, name=f"Item {n + 1:05d}", price=1000 + n % 100)
        for n in range(items)
    )
    SectionItem.objects.bulk_create(
        SectionItem(section=sections[n % SECTIONS], item=item, position=n)
        for n, item in enumerate(products)
    )
    group = ModifierGroupFactory(merchant=merchant, name="Size", max_selections=1)
    options = Item.objects.bulk_create(
        Item(merchant=merchant, name=f"Size {n}", price=50) for n in range(3)
    )
    ModifierOption.objects.bulk_create(
        ModifierOption(group=group, item=option, position=n) for n, option in enumerate(options)
    )
    ItemModifierGroup.objects.bulk_create(ItemModifierGroup(item=p, group=group) for p in products)
    if store is not None:
        ItemSnooze.objects.bulk_create(ItemSnooze(store=store, item=p) for p in products[:snoozed])
    return sections, products, options


def _sold_out_rows(body: str) -> int:
    return body.count('" id="soldout-')


def _measure(client, method: str, url: str, data=None, headers=None) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data or {}, headers=headers or {})
    assert response.status_code == 200, response.content[:500]
    return len(captured), len(response.content)


@pytest.fixture
def menus(owner):
    """Two stores of one merchant, one selling a small menu and one a big one."""
    out = {}
    for size, items in (("small", SMALL), ("big", BIG)):
        store = StoreFactory(merchant=owner.merchant)
        sections, products, options = _menu(owner.merchant, items=items, store=store)
        StoreCatalogFactory(store=store, catalog=sections[0].catalog)
        out[size] = (store, sections, products, options)
    return out


def _urls(store, sections, products):
    base = reverse("snoozes:list", kwargs={"store_id": store.public_id})
    section = reverse(
        "snoozes:section",
        kwargs={"store_id": store.public_id, "section_id": sections[1].public_id},
    )
    results = {"HX-Request": "true", "HX-Target": "snooze-results"}
    return {
        "page": ("get", base, None, None),
        "search": ("get", base, {"q": "Item"}, results),
        "search page 2": ("get", base, {"q": "Item", "page": "2"}, results),
        "search one section": (
            "get",
            base,
            {"q": "Item", "section": sections[2].public_id},
            results,
        ),
        "section": ("get", section, None, {"HX-Request": "true"}),
        "section page 2": ("get", section, {"page": "2"}, {"HX-Request": "true"}),
        "sold out": ("get", base, None, {"HX-Request": "true", "HX-Target": "soldout"}),
        "mark sold out": (
            "post",
            reverse(
                "snoozes:item",
                kwargs={"store_id": store.public_id, "item_id": products[-1].public_id},
            ),
            {"available": "no", "until": "manual", "place": "1"},
            {"HX-Request": "true"},
        ),
        "back on from the sold-out list": (
            "post",
            reverse(
                "snoozes:item",
                kwargs={"store_id": store.public_id, "item_id": products[0].public_id},
            ),
            {"available": "yes", "list": "soldout"},
            {"HX-Request": "true"},
        ),
    }


# The queries each part takes, pinned: session, user, membership, store; the store's clock
# (opening hours); its sections; then only what the part shows.
PINNED_QUERIES = {
    "page": 15,
    "search": 10,
    "search page 2": 10,
    "search one section": 10,
    "section": 10,
    "section page 2": 10,
    "sold out": 10,
    "mark sold out": 21,
    "back on from the sold-out list": 16,
}


@pytest.mark.parametrize("part", list(PINNED_QUERIES))
def test_sold_out_page_and_its_parts_take_the_same_queries_and_bytes_at_any_menu_size(
    owner_client, menus, part
):
    measured = {}
    for size in ("small", "big"):
        store, sections, products, _options = menus[size]
        method, url, data, headers = _urls(store, sections, products)[part]
        measured[size] = _measure(owner_client, method, url, data, headers)

    (small_queries, small_bytes), (big_queries, big_bytes) = measured["small"], measured["big"]
    assert small_queries == big_queries == PINNED_QUERIES[part]
    # Ten times the items: only a few digits more ("600 items" instead of "60 items").
    assert abs(big_bytes - small_bytes) < 300, (small_bytes, big_bytes)
    assert big_bytes < 300_000


def test_sold_out_items_come_first_then_the_search_then_the_sections(owner_client, menus):
    store, sections, products, _ = menus["small"]

    body = owner_client.get(reverse("snoozes:list", kwargs={"store_id": store.public_id}))
    body = body.content.decode()

    sold_out = body.index('<section id="soldout"')
    search = body.index('class="snooze-search"')
    section_list = body.index('class="snooze-sections"')
    assert sold_out < search < section_list
    for product in products[:5]:
        assert sold_out < body.index(f'id="soldout-{product.public_id}"') < search
    assert f'id="item-{products[6].public_id}"' not in body  # in a closed section
    assert "5 sold out" in body
    assert f"{SMALL + 6} items on the menu" in body  # products and the merchant's options
    assert body.count('class="snooze-section"') == SECTIONS + 1  # and the modifier options
    assert "6 options" in body  # this menu's sizes and the other store's (options are shared)
    assert "110 items" in body and "2 sold out" in body  # Section 1 holds items 1 and 4


def test_many_sold_out_items_are_listed_a_page_at_a_time(owner_client, owner):
    store = StoreFactory(merchant=owner.merchant)
    _sections, products, _ = _menu(owner.merchant, items=80, snoozed=70, store=store)
    url = reverse("snoozes:list", kwargs={"store_id": store.public_id})

    first = owner_client.get(url).content.decode()
    second = owner_client.get(
        url, {"soldout_page": "2"}, headers={"HX-Request": "true", "HX-Target": "soldout"}
    ).content.decode()

    assert _sold_out_rows(first) == SOLD_OUT_PER_PAGE
    assert f"1–{SOLD_OUT_PER_PAGE} of 70" in first
    assert "soldout_page=2" in first
    assert second.lstrip().startswith('<section id="soldout"')
    assert _sold_out_rows(second) == 70 - SOLD_OUT_PER_PAGE
    assert f'id="soldout-{products[69].public_id}"' in second


def test_search_results_come_a_page_at_a_time_by_name(owner_client, menus):
    store, _sections, products, _ = menus["small"]
    url = reverse("snoozes:list", kwargs={"store_id": store.public_id})

    first = owner_client.get(url, {"q": "item"}).content.decode()
    last = owner_client.get(url, {"q": "item", "page": "7"}).content.decode()

    assert f"{SMALL} items matching “item”" in first
    assert first.count('id="item-') == RESULTS_PER_PAGE
    assert first.index(f'id="item-{products[0].public_id}"') < first.index(
        f'id="item-{products[1].public_id}"'
    )
    assert last.count('id="item-') == SMALL - 6 * RESULTS_PER_PAGE
    assert f'id="item-{products[-1].public_id}"' in last


def test_a_section_loads_its_items_in_menu_order_with_show_more(owner_client, menus):
    store, sections, products, _ = menus["small"]
    url = reverse(
        "snoozes:section", kwargs={"store_id": store.public_id, "section_id": sections[0].public_id}
    )

    first = owner_client.get(url, headers={"HX-Request": "true"}).content.decode()
    last = owner_client.get(url, {"page": "3"}, headers={"HX-Request": "true"}).content.decode()

    in_section = products[0::SECTIONS]
    assert first.count('id="item-') == 50
    assert first.index(f'id="item-{in_section[0].public_id}"') < first.index(
        f'id="item-{in_section[1].public_id}"'
    )
    assert "Show more (50 of 110 shown)" in first
    assert last.count('id="item-') == 10
    assert "Show more" not in last


def test_marking_an_item_from_a_section_swaps_only_its_row_and_the_sold_out_list(
    owner_client, menus
):
    store, _sections, products, _ = menus["small"]
    item = products[10]

    response = owner_client.post(
        reverse("snoozes:item", kwargs={"store_id": store.public_id, "item_id": item.public_id}),
        {"available": "no", "until": "manual"},
        headers={"HX-Request": "true"},
    )

    body = response.content.decode()
    assert body.lstrip().startswith(f'<li class="snooze-row is-off" id="item-{item.public_id}"')
    assert body.count('id="item-') == 1  # this row only: no section or search comes back
    assert _sold_out_rows(body) == 6  # the sold-out list, out of band, with it
    assert "6 sold out" in body
    assert ItemSnooze.objects.filter(store=store, item=item, until=None).exists()


def test_a_store_selling_one_menu_lists_only_that_menus_sections(owner_client, owner):
    store = StoreFactory(merchant=owner.merchant)
    sections, _products, _ = _menu(owner.merchant, items=30, store=store)
    other_sections, other_products, _ = _menu(owner.merchant, items=30)
    StoreCatalogFactory(store=store, catalog=sections[0].catalog)
    url = reverse("snoozes:list", kwargs={"store_id": store.public_id})

    page = owner_client.get(url).content.decode()
    search = owner_client.get(url, {"q": "Item 00001"}).content.decode()
    foreign = owner_client.get(
        reverse(
            "snoozes:section",
            kwargs={"store_id": store.public_id, "section_id": other_sections[0].public_id},
        ),
        headers={"HX-Request": "true"},
    )

    assert page.count('class="snooze-section"') == SECTIONS + 1
    # Its 30 products, and the options of every group some item offers (both menus' sizes).
    assert f"{30 + 3 + 3} items on the menu" in page
    assert f'id="item-{other_products[0].public_id}"' not in search
    assert "1 item matching" in search
    assert foreign.status_code == 404


def test_modifier_options_open_like_a_section_and_can_be_searched(owner_client, menus):
    store, _sections, products, options = menus["small"]
    ItemSnooze.objects.create(store=store, item=options[1])
    list_url = reverse("snoozes:list", kwargs={"store_id": store.public_id})
    url = reverse("snoozes:options", kwargs={"store_id": store.public_id})

    page = owner_client.get(list_url).content.decode()
    opened = owner_client.get(url, headers={"HX-Request": "true"}).content.decode()
    searched = owner_client.get(list_url, {"q": "size 2", "section": "options"}).content.decode()
    plain = owner_client.get(url)

    options_entry = page[page.index('id="section-options"') :]
    assert "6 options" in options_entry and "1 sold out" in options_entry
    assert [opened.index(f'id="item-{option.public_id}"') for option in options] == sorted(
        opened.index(f'id="item-{option.public_id}"') for option in options
    )
    assert f'id="item-{products[0].public_id}"' not in opened
    assert "2 items matching “size 2” among the modifier options" in searched
    assert f'id="item-{options[2].public_id}"' in searched
    assert plain["Location"] == f"{list_url}?section=options"
