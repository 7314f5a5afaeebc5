import json
import uuid
from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalogs.publishing.builder import (
    CATALOGSET_NAMESPACE,
    catalog_build,
    catalog_validate,
    catalogset_canonical_json,
    catalogset_content_hash,
    wire_availability,
)
from gett.catalogset.validation import catalogset_problems
from gett.wire import money_to_wire
from tests.catalogs.menus import build_menu, pid
from tests.factories import (
    AvailabilityWindowFactory,
    CatalogFactory,
    ItemFactory,
    ItemModifierGroupFactory,
    ItemSnoozeFactory,
    ModifierGroupFactory,
    ModifierOptionFactory,
    SectionFactory,
    SectionItemFactory,
    StoreCatalogFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


def test_realistic_menu_is_a_valid_catalogset(store, menu):
    doc = catalog_build(store=store)

    assert catalogset_problems(doc, store={"deliveryAllowed": True, "pickupAllowed": True}) == []
    assert catalog_validate(store=store, document=doc) == []
    assert doc["storeId"] == store.partner_store_id
    assert set(doc["catalogs"]) == {pid(menu.lunch), pid(menu.late)}
    assert doc["catalogs"][pid(menu.lunch)]["sectionIds"] == [pid(menu.mains), pid(menu.drinks)]
    assert doc["sections"][pid(menu.mains)]["sectionIds"] == [pid(menu.burgers)]
    assert doc["sections"][pid(menu.burgers)]["itemIds"] == [pid(menu.burger)]
    # Fries is in two sections of two catalogs, and exists once.
    assert doc["sections"][pid(menu.mains)]["itemIds"] == [pid(menu.fries)]
    assert doc["sections"][pid(menu.snacks)]["itemIds"] == [pid(menu.fries)]
    # Options are items, reachable only through groups; modifiers nest.
    assert doc["items"][pid(menu.burger)]["modifierGroupIds"] == [
        pid(menu.toppings),
        pid(menu.size),
    ]
    assert doc["modifierGroups"][pid(menu.toppings)]["itemIds"] == [
        pid(menu.cheese),
        pid(menu.bacon),
    ]
    assert doc["items"][pid(menu.bacon)]["modifierGroupIds"] == [pid(menu.bacon_style)]
    assert set(doc["items"]) == {
        pid(i)
        for i in (menu.burger, menu.fries, menu.cola, menu.small, menu.large, menu.cheese)
        + (menu.bacon, menu.crispy, menu.soft)
    }
    for key, dictionary in (("catalogId", "catalogs"), ("sectionId", "sections")):
        assert all(entity[key] == k for k, entity in doc[dictionary].items())


def test_modifier_limits_go_out_in_both_spellings(store, menu):
    doc = catalog_build(store=store)

    size = doc["modifierGroups"][pid(menu.size)]
    assert size["minSelections"] == size["minimumAllowed"] == 1
    assert size["maxSelections"] == size["maximumAllowed"] == 1
    toppings = doc["modifierGroups"][pid(menu.toppings)]
    assert (toppings["minSelections"], toppings["maxSelections"]) == (0, 2)
    assert (toppings["minimumAllowed"], toppings["maximumAllowed"]) == (0, 2)


@pytest.mark.parametrize(("currency", "expected"), [("GBP", 14.5), ("JPY", 1450.0)])
def test_prices_are_minor_units_in_the_store_currency(currency, expected):
    store = StoreFactory(currency=currency)
    menu = build_menu(store.merchant)

    doc = catalog_build(store=store)

    assert doc["items"][pid(menu.burger)]["basePrice"] == money_to_wire(1450, currency)
    assert doc["items"][pid(menu.burger)]["basePrice"] == expected
    assert doc["items"][pid(menu.small)]["basePrice"] == 0


def test_overnight_window_is_split_at_midnight(store, menu):
    doc = catalog_build(store=store)

    assert doc["catalogs"][pid(menu.late)]["availability"] == [
        {"dayOfWeek": "Friday", "start": "22:00:00", "end": "00:00:00"},
        {"dayOfWeek": "Saturday", "start": "00:00:00", "end": "02:00:00"},
    ]


def test_sunday_night_wraps_to_monday_and_windows_are_sorted():
    windows = [
        (6, time(23), time(1, 30)),
        (0, time(18), time(22)),
        (0, time(11), time(15)),
        (2, time(0), time(0)),
    ]

    assert wire_availability(windows) == [
        {"dayOfWeek": "Monday", "start": "00:00:00", "end": "01:30:00"},
        {"dayOfWeek": "Monday", "start": "11:00:00", "end": "15:00:00"},
        {"dayOfWeek": "Monday", "start": "18:00:00", "end": "22:00:00"},
        {"dayOfWeek": "Wednesday", "start": "00:00:00", "end": "00:00:00"},
        {"dayOfWeek": "Sunday", "start": "23:00:00", "end": "00:00:00"},
    ]


def test_snoozed_item_is_left_out_of_every_list_and_keeps_its_id(store, menu):
    before = catalog_build(store=store)
    ItemSnoozeFactory(store=store, item=menu.fries)
    ItemSnoozeFactory(store=store, item=menu.cheese, until=timezone.now() + timedelta(hours=1))

    doc = catalog_build(store=store)

    assert pid(menu.fries) not in doc["items"]
    assert doc["sections"][pid(menu.mains)]["itemIds"] == []
    assert doc["sections"][pid(menu.snacks)]["itemIds"] == []
    assert pid(menu.cheese) not in doc["items"]
    assert doc["modifierGroups"][pid(menu.toppings)]["itemIds"] == [pid(menu.bacon)]
    # Up to 2 of 2 toppings: one is off, so up to 1 of 1.
    assert doc["modifierGroups"][pid(menu.toppings)]["maxSelections"] == 1
    assert set(doc["items"]) < set(before["items"])
    assert all(before["items"][key] == value for key, value in doc["items"].items())
    assert catalog_validate(store=store, document=doc) == []


def test_snoozes_in_another_store_or_ended_do_not_count(store, menu):
    other = StoreFactory(merchant=store.merchant)
    ItemSnoozeFactory(store=other, item=menu.fries)
    ItemSnoozeFactory(store=store, item=menu.cola, until=timezone.now() - timedelta(minutes=1))

    doc = catalog_build(store=store)

    assert pid(menu.fries) in doc["items"]
    assert pid(menu.cola) in doc["items"]


def test_item_whose_required_group_is_all_snoozed_is_left_out_too(store, menu):
    ItemSnoozeFactory(store=store, item=menu.crispy)
    ItemSnoozeFactory(store=store, item=menu.soft)

    doc = catalog_build(store=store)

    # Bacon needs a style and none is on sale: Bacon goes, the rest of the menu stays valid.
    assert pid(menu.bacon) not in doc["items"]
    assert doc["modifierGroups"][pid(menu.toppings)]["itemIds"] == [pid(menu.cheese)]
    assert pid(menu.bacon_style) not in doc["modifierGroups"]
    assert pid(menu.burger) in doc["items"]
    assert catalog_validate(store=store, document=doc) == []


def test_ids_and_catalogset_id_are_stable_and_derived_from_content(store, menu):
    first = catalog_build(store=store)
    second = catalog_build(store=store)

    assert first == second
    assert catalogset_canonical_json(first) == catalogset_canonical_json(second)
    content_hash = catalogset_content_hash(first)
    assert first["catalogSetId"] == str(uuid.uuid5(CATALOGSET_NAMESPACE, content_hash))

    menu.cola.price = 350
    menu.cola.save()
    changed = catalog_build(store=store)
    assert changed["catalogSetId"] != first["catalogSetId"]
    assert set(changed["items"]) == set(first["items"])


def test_canonical_json_is_compact_sorted_utf8(store, menu):
    menu.cola.name = "Café crème"
    menu.cola.save()
    doc = catalog_build(store=store)

    body = catalogset_canonical_json(doc)

    assert "Café crème".encode() in body
    assert b": " not in body and b", " not in body
    assert json.loads(body) == doc
    assert list(json.loads(body)) == sorted(doc)


def test_store_sells_only_its_chosen_catalogs(store, menu):
    other = StoreFactory(merchant=store.merchant)
    StoreCatalogFactory(store=store, catalog=menu.late)

    doc = catalog_build(store=store)
    everything = catalog_build(store=other)

    assert set(doc["catalogs"]) == {pid(menu.late)}
    assert pid(menu.mains) not in doc["sections"]
    assert pid(menu.burger) not in doc["items"]
    assert pid(menu.fries) in doc["items"]
    # No choice made: the store sells every catalog of its merchant.
    assert set(everything["catalogs"]) == {pid(menu.lunch), pid(menu.late)}


def test_another_merchants_menu_is_never_included(store, menu):
    build_menu(StoreFactory().merchant)

    doc = catalog_build(store=store)

    assert len(doc["catalogs"]) == 2
    assert len(doc["items"]) == 9


def test_item_image_is_an_absolute_url(store, menu, settings):
    menu.cola.image = "menu/cola.png"
    menu.cola.save()

    doc = catalog_build(store=store)

    assert doc["items"][pid(menu.cola)]["imageUrl"] == (
        "https://portal.example.com/media/menu/cola.png"
    )
    assert "imageUrl" not in doc["items"][pid(menu.fries)]


def _menu_of(store, size: int) -> None:
    catalog = CatalogFactory(merchant=store.merchant)
    AvailabilityWindowFactory(catalog=catalog)
    section = SectionFactory(catalog=catalog)
    child = SectionFactory(catalog=None, parent=section)
    groups = [ModifierGroupFactory(merchant=store.merchant, max_selections=1) for _ in range(3)]
    for group in groups:
        ModifierOptionFactory(group=group)
    for n in range(size):
        item = ItemFactory(merchant=store.merchant)
        SectionItemFactory(section=child if n % 2 else section, item=item)
        for group in groups:
            ItemModifierGroupFactory(item=item, group=group)
    ItemSnoozeFactory(store=store, item=item)


def test_query_count_does_not_depend_on_menu_size():
    small_store, big_store = StoreFactory(), StoreFactory()
    _menu_of(small_store, 5)
    _menu_of(big_store, 200)

    with CaptureQueriesContext(connection) as small:
        small_doc = catalog_build(store=small_store)
    with CaptureQueriesContext(connection) as big:
        big_doc = catalog_build(store=big_store)

    assert len(small_doc["items"]) == 4 + 3 and len(big_doc["items"]) == 199 + 3
    assert len(small.captured_queries) == len(big.captured_queries) == 9
