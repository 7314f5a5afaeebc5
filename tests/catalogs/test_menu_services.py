"""The editor's multi-step menu services in `catalogs.editor.services`, called directly."""

from datetime import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalogs import services
from catalogs.editor import services as editor_services
from catalogs.models import Catalog, Item, Section, StoreCatalog, Trigger
from catalogs.selectors import (
    ItemFilter,
    group_options_list,
    item_groups_list,
    section_items_list,
)
from portal.exceptions import PortalError
from tests.factories import (
    CatalogFactory,
    ItemFactory,
    SectionFactory,
    StoreCatalogFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the block's on-commit callbacks, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def names(objects) -> list[str]:
    return [obj.name for obj in objects]


# --- bulk price change --------------------------------------------------------------------------


def change_prices(merchant, items, change, value, digits=2, **kwargs) -> int:
    """The editor's bulk price change applied to exactly `items`."""
    return editor_services.prices_bulk_change_by_filter(
        merchant=merchant,
        item_filter=ItemFilter(ids=tuple(item.public_id for item in items)),
        change=change,
        value=Decimal(value),
        digits=digits,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("price", "change", "value", "digits", "expected"),
    [
        (300, "decrease_percent", "33.33", 2, 200),  # 200.01 -> 200
        (5, "increase_percent", "10", 2, 6),  # 5.5 -> 6: half up
        (15, "decrease_percent", "10", 2, 14),  # 13.5 -> 14: half up, not to even
        (1000, "increase_percent", "12.5", 2, 1125),
        (450, "increase_amount", "0.50", 2, 500),
        (450, "decrease_amount", "0.005", 2, 449),  # 0.5 minor units -> 1
        (1200, "increase_amount", "100", 0, 1300),  # a currency without decimals
    ],
)
def test_bulk_price_change_rounds_half_up_to_the_minor_unit(
    store, price, change, value, digits, expected
):
    item = ItemFactory(merchant=store.merchant, name="Dish", price=price)

    change_prices(store.merchant, [item], change, value, digits)

    assert Item.objects.get(pk=item.pk).price == expected


def test_price_change_expression_refuses_an_unknown_change():
    with pytest.raises(ValueError, match="Unknown price change"):
        editor_services.price_change_expression(change="double", value=Decimal(2), digits=2)


def test_bulk_price_change_sets_the_new_prices_and_counts_the_changed_items(store, menu):
    changed = change_prices(
        store.merchant, [menu.burger, menu.cola, menu.small], "increase_percent", "10"
    )

    assert changed == 2  # Small costs 0 and stays 0
    assert [Item.objects.get(pk=i.pk).price for i in (menu.burger, menu.cola, menu.small)] == [
        1595,
        330,
        0,
    ]
    assert Item.objects.get(pk=menu.fries.pk).price == 450  # not chosen


def test_bulk_price_change_above_the_maximum_price_changes_nothing(store, menu):
    with pytest.raises(PortalError, match="above the highest price"):
        change_prices(store.merchant, [menu.burger, menu.cola], "increase_amount", "9999999999.99")

    assert [Item.objects.get(pk=i.pk).price for i in (menu.burger, menu.cola)] == [1450, 300]


def test_bulk_price_change_below_zero_changes_nothing(store, menu):
    with pytest.raises(PortalError, match="below zero: Cola"):
        change_prices(store.merchant, [menu.burger, menu.cola], "decrease_amount", "4.00")

    assert Item.objects.get(pk=menu.burger.pk).price == 1450
    assert Item.objects.get(pk=menu.cola.pk).price == 300


def test_bulk_price_change_records_its_trigger_once_per_store(store, menu, publishes, commit):
    with commit():
        change_prices(
            store.merchant, [menu.burger, menu.fries], "decrease_percent", "5", trigger=Trigger.API
        )

    assert [call[:2] for call in publishes] == [(store.pk, "api")]


# --- items --------------------------------------------------------------------------------------


def test_item_duplicate_copies_details_groups_and_sections(store, menu):
    menu.burger.image = "items/burger.png"
    menu.burger.description = "Beef, brioche"
    menu.burger.save()
    services.section_items_set(section=menu.burgers, items=[menu.burger, menu.cola])

    copy = editor_services.item_duplicate(item=menu.burger)

    assert copy.pk != menu.burger.pk
    assert (copy.name, copy.price, copy.description) == ("Copy of Burger", 1450, "Beef, brioche")
    assert copy.image.name == "items/burger.png"  # the same file, not a new upload
    assert names(item_groups_list(item=copy)) == ["Toppings", "Size"]
    # Right after the original in each of its sections.
    assert names(section_items_list(section=menu.burgers)) == ["Burger", "Copy of Burger", "Cola"]
    # The original is untouched.
    assert names(item_groups_list(item=menu.burger)) == ["Toppings", "Size"]


def test_item_duplicate_of_an_item_in_two_sections_lands_in_both(store, menu):
    copy = editor_services.item_duplicate(item=menu.fries)

    assert names(section_items_list(section=menu.mains)) == ["Fries", "Copy of Fries"]
    assert names(section_items_list(section=menu.snacks)) == ["Fries", "Copy of Fries"]
    assert copy.name == "Copy of Fries"


def test_item_duplicate_keeps_a_long_name_within_the_limit(store, menu):
    menu.cola.name = "C" * 200
    menu.cola.save()

    copy = editor_services.item_duplicate(item=menu.cola)

    assert len(copy.name) == 200 and copy.name.startswith("Copy of CCC")


def test_item_save_creates_an_item_in_sections_with_groups(store, menu):
    item = editor_services.item_save(
        merchant=store.merchant,
        item=None,
        name="Wrap",
        description="",
        price=800,
        sections=[menu.burgers, menu.drinks],
        groups=[menu.size, menu.toppings],
    )

    assert item.price == 800
    assert names(section_items_list(section=menu.burgers)) == ["Burger", "Wrap"]
    assert names(section_items_list(section=menu.drinks)) == ["Cola", "Wrap"]
    assert names(item_groups_list(item=item)) == ["Size", "Toppings"]


def test_item_save_updates_sections_groups_and_price(store, menu, publishes, commit):
    with commit():
        editor_services.item_save(
            merchant=store.merchant,
            item=menu.fries,
            name="Chips",
            description="Thick cut",
            price=500,
            sections=[menu.snacks, menu.drinks],  # out of Mains, into Drinks (at the end)
            groups=[menu.bacon_style, menu.size],  # a kept group keeps its place
        )

    fries = Item.objects.get(pk=menu.fries.pk)
    assert (fries.name, fries.description, fries.price) == ("Chips", "Thick cut", 500)
    assert names(section_items_list(section=menu.mains)) == []
    assert names(section_items_list(section=menu.drinks)) == ["Cola", "Chips"]
    assert names(item_groups_list(item=fries)) == ["Size", "Bacon style"]
    assert {call[:2] for call in publishes} == {(store.pk, "editor")}


def test_item_save_removes_the_picture_only_when_asked(store, menu):
    menu.cola.image = "items/cola.png"
    menu.cola.save()
    kwargs = {
        "merchant": store.merchant,
        "item": menu.cola,
        "name": "Cola",
        "description": "",
        "price": 300,
        "sections": [menu.drinks],
        "groups": [],
    }

    editor_services.item_save(**kwargs)
    assert Item.objects.get(pk=menu.cola.pk).image.name == "items/cola.png"

    editor_services.item_save(**kwargs, remove_image=True)
    assert Item.objects.get(pk=menu.cola.pk).image.name == ""


# --- reordering ---------------------------------------------------------------------------------


def test_catalog_reorder_moves_one_place_and_stops_at_the_ends(store, menu):
    def order():
        return names(Catalog.objects.filter(merchant=store.merchant).order_by("position", "id"))

    editor_services.catalog_reorder(catalog=menu.late, direction="up")
    assert order() == ["Late Night", "Lunch & Dinner"]

    editor_services.catalog_reorder(catalog=menu.late, direction="up")  # already first
    assert order() == ["Late Night", "Lunch & Dinner"]

    editor_services.catalog_reorder(catalog=menu.late, direction="down")
    assert order() == ["Lunch & Dinner", "Late Night"]


def test_catalog_reorder_leaves_other_merchants_catalogs_alone(store, menu):
    foreign = CatalogFactory(name="Elsewhere", position=0)

    editor_services.catalog_reorder(catalog=menu.late, direction="up")

    assert Catalog.objects.get(pk=foreign.pk).position == 0


def test_section_reorder_moves_among_its_own_siblings_only(store, menu):
    cold = SectionFactory(catalog=None, parent=menu.mains, name="Cold", position=1)

    editor_services.section_reorder(section=menu.drinks, direction="up")
    editor_services.section_reorder(section=cold, direction="up")

    top = Section.objects.filter(catalog=menu.lunch).order_by("position", "id")
    assert names(top) == ["Drinks", "Mains"]
    assert names(menu.mains.children.order_by("position", "id")) == ["Cold", "Burgers"]
    assert Section.objects.get(pk=menu.snacks.pk).position == 0  # another catalog: untouched


def test_reorder_refuses_an_unknown_direction(store, menu):
    with pytest.raises(ValueError, match="Unknown direction"):
        editor_services.catalog_reorder(catalog=menu.late, direction="sideways")


# --- sections -----------------------------------------------------------------------------------


def test_section_save_moves_a_section_to_the_end_of_its_new_place(store, menu):
    section = editor_services.section_save(
        merchant=store.merchant,
        section=menu.drinks,
        name="Drinks",
        description="",
        catalog=menu.late,
    )

    assert section.catalog == menu.late
    assert names(Section.objects.filter(catalog=menu.late).order_by("position")) == [
        "Snacks",
        "Drinks",
    ]


def test_section_save_needs_exactly_one_place(store, menu):
    with pytest.raises(ValueError, match="catalog or to a parent"):
        editor_services.section_save(
            merchant=store.merchant, section=menu.drinks, name="Drinks", description=""
        )


# --- catalogs and stores ------------------------------------------------------------------------


def test_catalog_stores_set_takes_a_catalog_off_a_store_that_sells_everything(store, menu):
    other = StoreFactory(merchant=store.merchant)

    editor_services.catalog_stores_set(catalog=menu.late, stores=[other])

    assert [sc.catalog for sc in StoreCatalog.objects.filter(store=store)] == [menu.lunch]
    assert not StoreCatalog.objects.filter(store=other).exists()  # still sells everything


def test_catalog_stores_set_back_to_every_catalog_means_no_choices(store, menu):
    StoreCatalogFactory(store=store, catalog=menu.lunch)

    editor_services.catalog_stores_set(catalog=menu.late, stores=[store])

    assert not StoreCatalog.objects.filter(store=store).exists()


def test_catalog_stores_set_refuses_to_leave_a_store_with_nothing(store, menu):
    StoreCatalogFactory(store=store, catalog=menu.late)

    with pytest.raises(PortalError) as caught:
        editor_services.catalog_stores_set(catalog=menu.late, stores=[])

    assert caught.value.field == "stores"
    assert "sells only this catalog" in caught.value.message
    assert [sc.catalog for sc in StoreCatalog.objects.filter(store=store)] == [menu.late]


def test_catalog_save_creates_a_catalog_with_hours_and_stores(store, menu):
    other = StoreFactory(merchant=store.merchant)

    catalog = editor_services.catalog_save(
        merchant=store.merchant,
        catalog=None,
        name="Breakfast",
        description="",
        windows=[(0, time(7), time(11))],
        stores=[other],
    )

    assert [(w.weekday, w.start, w.end) for w in catalog.windows.all()] == [(0, time(7), time(11))]
    assert set(StoreCatalog.objects.filter(store=store).values_list("catalog", flat=True)) == {
        menu.lunch.pk,
        menu.late.pk,
    }
    assert not StoreCatalog.objects.filter(store=other).exists()


def test_a_failed_catalog_save_leaves_nothing_behind(store):
    with pytest.raises(PortalError):
        editor_services.catalog_save(
            merchant=store.merchant,
            catalog=None,
            name="Only menu",
            description="",
            windows=[],
            stores=[],
        )

    assert not Catalog.objects.filter(name="Only menu").exists()


# --- modifier groups ----------------------------------------------------------------------------


def test_group_option_create_adds_a_new_item_as_the_last_option(store, menu):
    item = editor_services.group_option_create(group=menu.size, name="Huge", price=300)

    assert (item.name, item.price, item.merchant) == ("Huge", 300, store.merchant)
    assert names(group_options_list(group=menu.size)) == ["Small", "Large", "Huge"]


def test_group_option_create_with_a_bad_name_adds_nothing(store, menu):
    with pytest.raises(ValidationError):
        editor_services.group_option_create(group=menu.size, name="", price=300)

    assert names(group_options_list(group=menu.size)) == ["Small", "Large"]
