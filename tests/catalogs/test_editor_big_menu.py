"""The menu editor on big menus: pages stay the same size and make the same queries whatever
the menu's size; items are found by search, a page at a time; pickers search; bulk price
changes go by filter.

Publishing is recorded, never run (the autouse `publishes` recorder of tests/catalogs/conftest.py).
"""

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalogs.editor import services as editor_services
from catalogs.models import (
    AvailabilityWindow,
    Catalog,
    Item,
    ItemModifierGroup,
    ItemSnooze,
    ModifierGroup,
    ModifierOption,
    Section,
    SectionItem,
)
from catalogs.selectors import ItemFilter
from portal.exceptions import PortalError
from portal.money import MAX_PRICE_MINOR
from tests.factories import ItemFactory, ItemSnoozeFactory, StoreFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def url(name: str, *args) -> str:
    return reverse(f"menu:{name}", args=args)


def text(response) -> str:
    return response.content.decode()


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" :", ":")


def big_menu(store, items: int):
    """One catalog with three sections holding `items` items (spread evenly), a modifier group
    per ten items (at least 12: more than a page) with two options each (in no section), and
    every tenth item sold out.

    Names have a fixed width so that pages of different menus differ only by their numbers.
    """
    merchant = store.merchant
    catalog = Catalog.objects.create(merchant=merchant, name="All day")
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(catalog=catalog, weekday=day, start="10:00", end="23:00")
        for day in range(7)
    )
    sections = [
        Section.objects.create(merchant=merchant, catalog=catalog, name=name, position=n)
        for n, name in enumerate(["Pizzas", "Pastas", "Drinks"])
    ]
    products = Item.objects.bulk_create(
        Item(merchant=merchant, name=f"Item {n:05d}", price=500 + n % 7 * 100) for n in range(items)
    )
    SectionItem.objects.bulk_create(
        SectionItem(section=sections[n % 3], item=item, position=n)
        for n, item in enumerate(products)
    )
    groups = ModifierGroup.objects.bulk_create(
        ModifierGroup(merchant=merchant, name=f"Choice {g:05d}", min_selections=0)
        for g in range(max(12, items // 10))
    )
    options = Item.objects.bulk_create(
        Item(merchant=merchant, name=f"Option {o:05d}", price=50) for o in range(2 * len(groups))
    )
    ModifierOption.objects.bulk_create(
        ModifierOption(group=group, item=options[2 * g + o], position=o)
        for g, group in enumerate(groups)
        for o in range(2)
    )
    ItemModifierGroup.objects.bulk_create(
        ItemModifierGroup(item=item, group=groups[n % len(groups)])
        for n, item in enumerate(products)
    )
    ItemSnooze.objects.bulk_create(ItemSnooze(store=store, item=item) for item in products[::10])
    return sections, products, groups


def _pages(sections, products, groups) -> dict[str, tuple[str, dict]]:
    pizzas = sections[0]
    return {
        "overview": (url("overview"), {}),
        "search": (url("overview") + "?q=Item", {}),
        "search, on sale": (url("overview") + "?state=on_sale", {}),
        "search, page 2 (htmx)": (
            url("overview") + "?q=Item&page=2",
            {**HTMX, "HX-Target": "items-results"},
        ),
        "section on demand (htmx)": (
            url("overview") + f"?section={pizzas.public_id}",
            {**HTMX, "HX-Target": f"items-{pizzas.public_id}"},
        ),
        "section page": (url("section-edit", pizzas.public_id), {}),
        "section picker (htmx)": (
            url("section-edit", pizzas.public_id) + "?find=Item",
            {**HTMX, "HX-Target": "item-picker"},
        ),
        "item page": (url("item-edit", products[3].public_id), {}),
        "new item": (url("item-create"), {}),
        "group page": (url("group-edit", groups[0].public_id) + "?find=Item", {}),
        "bulk price": (url("bulk-price") + f"?section={pizzas.public_id}", {}),
    }


def _measure(client, pages) -> dict[str, tuple[int, int]]:
    """(bytes, queries) of each page."""
    found = {}
    for name, (path, headers) in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, headers=headers)
        assert response.status_code == 200, name
        found[name] = (len(response.content), len(queries))
    return found


def _wipe(store):
    Catalog.objects.filter(merchant=store.merchant).delete()
    Item.objects.filter(merchant=store.merchant).delete()
    ModifierGroup.objects.filter(merchant=store.merchant).delete()


def test_no_page_grows_with_the_menu(owner_client, store):
    # 60 items per section and 162 on sale: every list is already a full page.
    small = _measure(owner_client, _pages(*big_menu(store, 180)))
    _wipe(store)
    large = _measure(owner_client, _pages(*big_menu(store, 1800)))

    for name in small:
        small_bytes, small_queries = small[name]
        large_bytes, large_queries = large[name]
        assert large_queries == small_queries, name
        # Only numbers differ (counts, page numbers): a few dozen bytes, not ten times the page.
        assert abs(large_bytes - small_bytes) < 400, (name, small_bytes, large_bytes)


def test_query_counts_are_pinned(owner_client, store, django_assert_num_queries):
    pages = _pages(*big_menu(store, 120))

    # Session, user, membership, money; outline (catalogs, hours, sections), stores, publish
    # states, counts per section, store catalogs, item counts (4), a page of groups (2), and
    # one more for the request's middleware.
    with django_assert_num_queries(18):
        owner_client.get(pages["overview"][0])
    # A search: a page of items (count, rows, their sections, where they are sold out) instead
    # of the counts per section.
    with django_assert_num_queries(21):
        owner_client.get(pages["search"][0])
    with django_assert_num_queries(13):
        owner_client.get(pages["section page"][0])
    with django_assert_num_queries(13):
        path, headers = pages["section on demand (htmx)"]
        owner_client.get(path, headers=headers)


# --- overview and search ------------------------------------------------------------------------


def test_overview_counts_items_and_sold_out_items_per_section(owner_client, store):
    sections, products, _ = big_menu(store, 90)

    html = text(owner_client.get(url("overview")))

    pizzas = html[html.index(f'id="section-{sections[0].public_id}"') :]
    # Pizzas hold items 0, 3, 6, ...; every tenth item is sold out: 0, 30, 60.
    assert "30 items · 3 sold out" in words(pizzas[: pizzas.index("</li>")])
    assert "114 items · 9 sold out" in words(html)  # 90 items and 24 options
    assert "24 items: options of modifier groups" in words(html)
    assert "Item 00000" not in html  # no item is listed until asked for


def test_search_lists_a_page_of_matches_with_section_price_and_sold_out_state(owner_client, store):
    sections, products, _ = big_menu(store, 120)

    first = text(owner_client.get(url("overview"), {"q": "item 0"}))
    second = text(owner_client.get(url("overview"), {"q": "item 0", "page": "2"}))

    assert "120 items matching “item 0”" in words(first)
    assert first.count('<li class="editor-item') == 50
    row = first[first.index("Item 00000") : first.index("Item 00001")]
    assert "All day › Pizzas" in row and "5.00 GBP" in row
    assert f"Sold out at {store.name}" in row
    assert url("item-edit", products[0].public_id) in first
    assert "Page 1 of 3" in first and "Page 2 of 3" in second
    assert "Item 00050" in second and "Item 00000" not in second


def test_search_filters_by_section_and_sold_out_state(owner_client, store):
    sections, products, _ = big_menu(store, 60)

    drinks = text(owner_client.get(url("overview"), {"section": sections[2].public_id}))
    sold_out = text(
        owner_client.get(url("overview"), {"section": sections[0].public_id, "state": "sold_out"})
    )
    on_sale = text(owner_client.get(url("overview"), {"q": "Item 0000", "state": "on_sale"}))
    unlisted = text(owner_client.get(url("overview"), {"section": "none"}))

    assert "20 items in All day › Drinks" in words(drinks)
    assert "Item 00002" in drinks and "Item 00000" not in drinks
    # Pizzas hold items 0, 3, 6, ...; every tenth item is sold out: 0, 30.
    assert "2 items in All day › Pizzas, sold out" in words(sold_out)
    assert "Item 00030" in sold_out and "Item 00003" not in sold_out
    assert "9 items on sale, matching “Item 0000”" in words(on_sale)
    assert "Item 00000" not in on_sale
    assert "24 items in no section" in words(unlisted) and "Option 00000" in unlisted


def test_a_sections_items_load_on_demand_into_its_row(owner_client, store):
    sections, _, _ = big_menu(store, 300)
    target = f"items-{sections[1].public_id}"

    response = owner_client.get(
        url("overview"), {"section": sections[1].public_id}, headers={**HTMX, "HX-Target": target}
    )
    html = text(response)

    assert html.lstrip().startswith(f'<div id="{target}"')
    assert "<html" not in html and "Publishing to Gett" not in html
    assert "Item 00001" in html and "Item 00000" not in html
    assert html.count('<li class="editor-item') == 50
    assert f'hx-target="#{target}"' in html  # its next page replaces this list only
    assert "data-hide-list" in html


def test_a_search_with_an_unknown_or_foreign_section_is_a_404(owner_client, store):
    big_menu(store, 30)
    theirs = big_menu(StoreFactory(), 30)[0][0]

    assert owner_client.get(url("overview"), {"section": "not-a-uuid"}).status_code == 404
    assert owner_client.get(url("overview"), {"section": theirs.public_id}).status_code == 404


def test_modifier_groups_are_paged_and_found_by_name(owner_client, store):
    big_menu(store, 300)

    first = text(owner_client.get(url("overview")))
    found = text(
        owner_client.get(
            url("overview"), {"gq": "00027"}, headers={**HTMX, "HX-Target": "groups-list"}
        )
    )

    assert first.count('class="editor-group') == 10
    assert "1–10 of 30" in first
    assert found.lstrip().startswith('<div id="groups-list"')
    assert "Choice 00027" in found and "Choice 00000" not in found
    assert "2 options · on 10 items" in found


# --- pickers ------------------------------------------------------------------------------------


def test_section_picker_finds_items_by_name_and_adds_one(owner_client, store):
    sections, products, _ = big_menu(store, 60)
    pizzas = sections[0]

    page = text(owner_client.get(url("section-edit", pizzas.public_id)))
    found = text(
        owner_client.get(
            url("section-edit", pizzas.public_id),
            {"find": "Item 0000"},
            headers={**HTMX, "HX-Target": "item-picker"},
        )
    )

    assert '<select name="item"' not in page  # no list of every item
    assert found.lstrip().startswith('<div id="item-picker"')
    # Items 0..9; 0, 3, 6, 9 are already in Pizzas.
    assert "Item 00001" in found and "Item 00003" not in found

    owner_client.post(url("section-item-add", pizzas.public_id), {"item": products[1].public_id})

    assert pizzas.section_items.order_by("position", "id").last().item == products[1]


def test_section_picker_refuses_an_item_already_there_or_not_ours(owner_client, store):
    sections, products, _ = big_menu(store, 30)
    theirs = ItemFactory()
    before = SectionItem.objects.count()

    again = owner_client.post(
        url("section-item-add", sections[0].public_id),
        {"item": products[0].public_id},
        headers=HTMX,
    )
    foreign = owner_client.post(
        url("section-item-add", sections[0].public_id), {"item": theirs.public_id}, headers=HTMX
    )
    garbage = owner_client.post(
        url("section-item-add", sections[0].public_id), {"item": "x"}, headers=HTMX
    )

    assert again.status_code == foreign.status_code == garbage.status_code == 400
    assert "cannot be added here" in text(again)
    assert SectionItem.objects.count() == before


def test_section_page_lists_its_items_a_page_at_a_time(owner_client, store):
    sections, _, _ = big_menu(store, 180)  # 60 items in Pizzas

    first = text(owner_client.get(url("section-edit", sections[0].public_id)))
    second = text(owner_client.get(url("section-edit", sections[0].public_id), {"page": "2"}))

    assert "Items 1–50 of 60" in first and "Items 51–60 of 60" in second
    # The last item of page 1 can move down (onto page 2); the very last one cannot.
    assert first.count(" disabled") == 1 and second.count(" disabled") == 1


def test_moving_an_item_on_page_two_stays_on_page_two(owner_client, store):
    sections, products, _ = big_menu(store, 180)
    pizzas = sections[0]
    item = products[3 * 55]  # the 56th item of Pizzas

    response = owner_client.post(
        url("section-item-move", pizzas.public_id, item.public_id),
        {"direction": "up", "page": "2"},
    )

    assert response["Location"].endswith("?page=2#items")
    order = [si.item_id for si in pizzas.section_items.order_by("position", "id")]
    assert order.index(item.pk) == 54


def test_group_picker_finds_items_and_adds_one_as_option(owner_client, store):
    _, products, groups = big_menu(store, 60)

    page = text(owner_client.get(url("group-edit", groups[0].public_id), {"find": "Item 0001"}))
    response = owner_client.post(
        url("group-option-add", groups[0].public_id), {"item": products[12].public_id}
    )

    assert '<select name="item"' not in page
    assert "Item 00012" in page and "Item 00020" not in page
    assert response.status_code == 302
    assert groups[0].group_options.order_by("position").last().item == products[12]


def test_item_page_offers_only_its_groups_and_finds_others(owner_client, store):
    sections, products, groups = big_menu(store, 60)
    item = products[0]  # has group 0

    page = text(owner_client.get(url("item-edit", item.public_id)))
    found = text(
        owner_client.get(
            url("item-edit", item.public_id),
            {"find_group": "Choice 0000"},
            headers={**HTMX, "HX-Target": "group-picker"},
        )
    )

    assert "Choice 00000" in page and "Choice 00001" not in page
    assert found.lstrip().startswith('<div id="group-picker"')
    assert "Choice 00001" in found and "Choice 00000" not in found  # already on it

    response = owner_client.post(
        url("item-edit", item.public_id),
        {
            "name": item.name,
            "price": "5.00",
            "description": "",
            "sections": [str(sections[0].public_id)],
            "groups": [str(groups[0].public_id), str(groups[4].public_id)],
        },
    )

    assert response.status_code == 302
    assert [g.group_id for g in item.item_groups.order_by("position")] == [
        groups[0].pk,
        groups[4].pk,
    ]


def test_item_page_refuses_another_merchants_group(owner_client, store):
    sections, products, _ = big_menu(store, 30)
    theirs = big_menu(StoreFactory(), 30)[2][0]

    response = owner_client.post(
        url("item-edit", products[0].public_id),
        {"name": "Item", "price": "5.00", "description": "", "groups": [str(theirs.public_id)]},
    )

    assert response.status_code == 400
    assert not products[0].item_groups.filter(group=theirs).exists()


def test_sections_are_reordered_on_their_catalogs_page(owner_client, store):
    sections, _, _ = big_menu(store, 30)
    catalog_page = text(owner_client.get(url("catalog-edit", sections[0].catalog.public_id)))

    response = owner_client.post(
        url("section-move", sections[2].public_id),
        {"direction": "up"},
        headers={**HTMX, "HX-Target": "sections"},
    )

    assert url("section-move", sections[2].public_id) in catalog_page
    html = text(response)
    assert html.lstrip().startswith('<div id="sections"')
    assert html.index("Drinks") < html.index("Pastas")


# --- bulk price change by filter ----------------------------------------------------------------


def _apply(client, fields: dict, change="increase_percent", value="10"):
    preview = client.post(
        url("bulk-price"), {**fields, "step": "preview", "change": change, "value": value}
    )
    assert preview.status_code == 200, text(preview)
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', text(preview)).group(1)
    return preview, client.post(
        url("bulk-price"),
        {**fields, "step": "apply", "change": change, "value": value, "fingerprint": fingerprint},
    )


def test_bulk_price_changes_every_item_of_a_section_across_pages(
    owner_client, store, publishes, django_capture_on_commit_callbacks
):
    sections, products, _ = big_menu(store, 300)  # 100 items in Pizzas: two pages
    before = dict(Item.objects.values_list("pk", "price"))

    choose = text(owner_client.get(url("bulk-price"), {"section": sections[0].public_id}))
    with django_capture_on_commit_callbacks(execute=True):
        preview, applied = _apply(owner_client, {"section": sections[0].public_id})

    assert "Change the prices of 100 items" in choose
    assert "the first 20 of 100" in words(choose)
    assert "100 of 100 prices change" in words(text(preview))
    assert applied.status_code == 302
    assert applied["Location"] == url("overview") + f"?section={sections[0].public_id}"
    after = dict(Item.objects.values_list("pk", "price"))
    in_pizzas = set(sections[0].section_items.values_list("item_id", flat=True))
    for pk, price in before.items():
        expected = round(Decimal(price) * Decimal("1.1")) if pk in in_pizzas else price
        assert after[pk] == expected
    # One publish for the store, however many prices changed.
    assert [call[:2] for call in publishes] == [(store.pk, "editor")]


def test_bulk_price_by_search_changes_only_the_matches(owner_client, store):
    _, products, _ = big_menu(store, 120)

    _, applied = _apply(
        owner_client, {"q": "Item 000", "state": "sold_out"}, "increase_amount", "1.25"
    )

    assert applied.status_code == 302
    # Items 0..99 match "Item 000"; sold out are every tenth: 0, 10, ..., 90.
    changed = {
        item.name: item.price for item in Item.objects.filter(pk__in=[p.pk for p in products])
    }
    for n, item in enumerate(products):
        expected = item.price + 125 if n < 100 and n % 10 == 0 else item.price
        assert changed[item.name] == expected, item.name


def test_bulk_price_below_zero_or_above_the_maximum_changes_nothing(owner_client, store):
    sections, _, _ = big_menu(store, 60)
    Item.objects.filter(name="Item 00003").update(price=MAX_PRICE_MINOR - 10)
    before = dict(Item.objects.values_list("pk", "price"))

    below = owner_client.post(
        url("bulk-price"),
        {"section": sections[0].public_id, "step": "apply", "change": "decrease_amount"}
        | {"value": "6", "fingerprint": "x"},
    )
    above = owner_client.post(
        url("bulk-price"),
        {"section": sections[0].public_id, "step": "preview", "change": "increase_percent"}
        | {"value": "1"},
    )

    assert below.status_code == 400
    # Pizzas at 5.00 (below 6.00): items 0, 21 and 42.
    assert "Prices cannot go below zero: 3 items would (Item 00000, Item 00021, Item 00042)" in (
        text(below)
    )
    assert above.status_code == 400
    assert "Prices cannot go above the highest price we accept" in text(above)
    assert "Item 00003" in text(above)
    assert dict(Item.objects.values_list("pk", "price")) == before


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"change": "increase_percent", "value": "abc"}, 400),
        ({"change": "double", "value": "2"}, 400),
        ({"change": "increase_amount", "value": "0.001"}, 400),
        ({"change": "increase_percent", "value": "10", "step": "sideways"}, 400),
        # Far above the highest price (and above a 32-bit column): refused, not an error.
        ({"change": "increase_amount", "value": "99999999999999"}, 400),
        ({"change": "increase_percent", "value": "1000"}, 200),
    ],
)
def test_bulk_price_bad_input_changes_nothing(owner_client, store, fields, status):
    sections, _, _ = big_menu(store, 30)
    before = dict(Item.objects.values_list("pk", "price"))

    response = owner_client.post(
        url("bulk-price"), {"section": sections[0].public_id, "step": "apply", **fields}
    )

    # (A good change without the preview's fingerprint is sent back to the preview.)
    assert response.status_code == (409 if status == 200 else status)
    assert dict(Item.objects.values_list("pk", "price")) == before


def test_bulk_price_refuses_a_stale_preview(owner_client, store):
    sections, products, _ = big_menu(store, 30)
    preview = text(
        owner_client.post(
            url("bulk-price"),
            {"section": sections[0].public_id, "step": "preview"}
            | {"change": "increase_percent", "value": "10"},
        )
    )
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', preview).group(1)
    # Another item joins the section after the preview.
    SectionItem.objects.create(section=sections[0], item=products[1], position=99)
    before = dict(Item.objects.values_list("pk", "price"))

    response = owner_client.post(
        url("bulk-price"),
        {"section": sections[0].public_id, "step": "apply", "fingerprint": fingerprint}
        | {"change": "increase_percent", "value": "10"},
    )

    assert response.status_code == 409
    assert dict(Item.objects.values_list("pk", "price")) == before


def test_bulk_price_refuses_too_many_chosen_ids(owner_client, store):
    big_menu(store, 30)

    response = owner_client.post(
        url("bulk-price"), {"step": "choose", "item": [str(n) for n in range(501)]}
    )

    assert response.status_code == 400


def test_bulk_price_service_refuses_an_empty_filter(store):
    big_menu(store, 30)

    with pytest.raises(PortalError):
        editor_services.prices_bulk_change_by_filter(
            merchant=store.merchant,
            item_filter=ItemFilter(),
            change="increase_percent",
            value=Decimal(10),
            digits=2,
        )


def price_after_change(*, price: int, change: str, value: Decimal, digits: int) -> int:
    """The bulk price change in plain decimal arithmetic: what the SQL expression must give."""
    sign = 1 if change.startswith("increase") else -1
    if change.endswith("_percent"):
        factor = (Decimal(100) + sign * value) / Decimal(100)
        return int((Decimal(price) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    amount = int(value.scaleb(digits).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return price + sign * amount


@pytest.mark.parametrize(
    ("change", "value"),
    [
        ("increase_percent", "10"),
        ("decrease_percent", "33.33"),
        ("decrease_percent", "12.5"),
        ("increase_percent", "0.01"),
        ("decrease_percent", "150"),
        ("increase_amount", "0.50"),
        ("decrease_amount", "3"),
    ],
)
def test_the_database_price_change_matches_the_python_arithmetic(store, change, value):
    prices = [0, 1, 5, 49, 50, 51, 99, 150, 333, 1005, 1450, 2999, 123457, 999999]
    Item.objects.bulk_create(
        Item(merchant=store.merchant, name=f"P{n}", price=price) for n, price in enumerate(prices)
    )
    expression = editor_services.price_change_expression(
        change=change, value=Decimal(value), digits=2
    )

    found = dict(
        Item.objects.filter(merchant=store.merchant)
        .annotate(new=expression)
        .values_list("price", "new")
    )

    for price in prices:
        expected = price_after_change(price=price, change=change, value=Decimal(value), digits=2)
        assert found[price] == expected, (price, found[price], expected)


def test_sold_out_items_in_another_merchants_store_do_not_count(owner_client, store):
    sections, products, _ = big_menu(store, 30)
    ItemSnoozeFactory()  # another merchant's

    html = words(text(owner_client.get(url("overview"))))

    # Sold out: items 0, 10 and 20 (Pizzas hold 0, 3, 6, ...: only item 0 of them).
    assert "· 3 sold out ·" in html
    assert "Pizzas 10 items · 1 sold out" in html
