import copy

import pytest

from catalogs.publishing.builder import catalog_build
from catalogs.publishing.diff import catalogset_diff
from tests.catalogs.menus import pid

# Small CatalogSets built by hand: one menu with Pizzas and Drinks, a nested "Specials"
# section under Pizzas, and a required Size group on Margherita.
ALL_DAY, PIZZAS, SPECIALS, DRINKS = "cat-all-day", "sec-pizzas", "sec-specials", "sec-drinks"
MARGHERITA, DIAVOLA, COLA, SMALL, LARGE = "it-marg", "it-diav", "it-cola", "it-small", "it-large"
SIZE = "grp-size"


def _document() -> dict:
    def item(item_id, name, price, groups=(), description=""):
        return {
            "itemId": item_id,
            "name": name,
            "description": description,
            "basePrice": price,
            "modifierGroupIds": list(groups),
        }

    return {
        "catalogSetId": "set-1",
        "storeId": "store-1",
        "catalogs": {
            ALL_DAY: {
                "catalogId": ALL_DAY,
                "name": "All day",
                "sectionIds": [PIZZAS, DRINKS],
                "availability": [
                    {"dayOfWeek": "Monday", "start": "11:00:00", "end": "22:00:00"},
                    {"dayOfWeek": "Friday", "start": "11:00:00", "end": "00:00:00"},
                ],
            }
        },
        "sections": {
            PIZZAS: {
                "sectionId": PIZZAS,
                "name": "Pizzas",
                "itemIds": [MARGHERITA],
                "sectionIds": [SPECIALS],
            },
            SPECIALS: {
                "sectionId": SPECIALS,
                "name": "Specials",
                "itemIds": [DIAVOLA],
                "sectionIds": [],
            },
            DRINKS: {"sectionId": DRINKS, "name": "Drinks", "itemIds": [COLA], "sectionIds": []},
        },
        "items": {
            MARGHERITA: item(MARGHERITA, "Margherita", 9.5, groups=[SIZE]),
            DIAVOLA: item(DIAVOLA, "Diavola", 11.5, description="Spicy salami"),
            COLA: item(COLA, "Cola", 3.0),
            SMALL: item(SMALL, "Small", 0.0),
            LARGE: item(LARGE, "Large", 1.5),
        },
        "modifierGroups": {
            SIZE: {
                "modifierGroupId": SIZE,
                "name": "Size",
                "itemIds": [SMALL, LARGE],
                "minSelections": 1,
                "maxSelections": 1,
                "minimumAllowed": 1,
                "maximumAllowed": 1,
            }
        },
    }


@pytest.fixture
def old() -> dict:
    return _document()


@pytest.fixture
def new(old) -> dict:
    return copy.deepcopy(old)


def _texts(diff, kind: str) -> list[str]:
    return [change.text for change in diff.of_kind(kind)]


def test_identical_documents_have_no_differences(old, new):
    new["catalogSetId"] = "set-2"  # the id alone is no change

    diff = catalogset_diff(old, new)

    assert not diff
    assert len(diff) == 0
    assert diff.groups == []


def test_added_and_removed_items_name_their_section(old, new):
    new["items"]["it-fanta"] = {"itemId": "it-fanta", "name": "Fanta", "basePrice": 3.2}
    new["sections"][DRINKS]["itemIds"] = ["it-fanta"]
    del new["items"][COLA]

    diff = catalogset_diff(old, new)

    assert _texts(diff, "item_added") == ["Fanta (3.20) added to Drinks"]
    assert _texts(diff, "item_removed") == ["Cola removed from Drinks"]
    assert [change.tag for change in diff.changes] == ["added", "removed"]


def test_items_in_nested_sections_are_named_with_their_path(old, new):
    del new["items"][DIAVOLA]
    new["sections"][SPECIALS]["itemIds"] = []

    diff = catalogset_diff(old, new)

    assert _texts(diff, "item_removed") == ["Diavola removed from Pizzas › Specials"]


def test_a_new_name_on_the_same_id_is_a_rename(old, new):
    new["items"][MARGHERITA]["name"] = "Margherita DOP"

    diff = catalogset_diff(old, new)

    assert _texts(diff, "item_renamed") == ["“Margherita” is now called “Margherita DOP”"]
    assert not diff.of_kind("item_added") and not diff.of_kind("item_removed")


def test_price_change_reads_old_to_new(old, new):
    new["items"][MARGHERITA]["basePrice"] = 10.5

    diff = catalogset_diff(old, new)

    (change,) = diff.of_kind("price_changed")
    assert change.text == "Margherita: 9.50 → 10.50"
    assert (change.old, change.new) == (9.5, 10.5)
    assert diff.groups == [("Prices", [change])]


def test_option_price_change_is_marked_as_an_option(old, new):
    new["items"][LARGE]["basePrice"] = 2

    diff = catalogset_diff(old, new)

    assert _texts(diff, "price_changed") == ["Large (option): 1.50 → 2.00"]


def test_the_same_price_written_differently_is_no_change(old, new):
    new["items"][COLA]["basePrice"] = 3  # 3.0 before

    assert not catalogset_diff(old, new)


def test_prices_use_the_decimals_of_the_currency(old, new):
    new["items"][COLA]["basePrice"] = 350

    diff = catalogset_diff(old, new, currency="JPY")

    assert _texts(diff, "price_changed") == ["Cola: 3 → 350"]


def test_description_changes_say_what_happened(old, new):
    new["items"][MARGHERITA]["description"] = "Tomato, mozzarella"
    new["items"][DIAVOLA]["description"] = "Spicy salami, chilli"
    new["items"][COLA]["description"] = ""
    old["items"][COLA]["description"] = "Ice cold"

    diff = catalogset_diff(old, new)

    assert _texts(diff, "description_changed") == [
        "Margherita: description added: “Tomato, mozzarella”",
        "Diavola: “Spicy salami” → “Spicy salami, chilli”",
        "Cola: description removed (was “Ice cold”)",
    ]


def test_availability_windows_added_and_removed_per_catalog(old, new):
    new["catalogs"][ALL_DAY]["availability"] = [
        {"dayOfWeek": "Monday", "start": "11:00:00", "end": "22:00:00"},
        {"dayOfWeek": "Saturday", "start": "12:00:00", "end": "23:00:00"},
    ]

    diff = catalogset_diff(old, new)

    (change,) = diff.of_kind("availability_changed")
    assert change.name == "All day"
    assert change.text == (
        "All day: hours added: Saturday 12:00–23:00; hours removed: Friday 11:00–midnight"
    )


def test_modifier_group_limits_changes(old, new):
    new["modifierGroups"][SIZE].update(
        minSelections=0, maxSelections=2, minimumAllowed=0, maximumAllowed=2
    )

    diff = catalogset_diff(old, new)

    assert _texts(diff, "group_limits_changed") == ["Size: choose exactly 1 → choose up to 2"]


def test_options_added_and_removed_in_a_group(old, new):
    new["items"]["it-xl"] = {"itemId": "it-xl", "name": "Extra large", "basePrice": 3}
    new["modifierGroups"][SIZE]["itemIds"] = [LARGE, "it-xl"]
    del new["items"][SMALL]

    diff = catalogset_diff(old, new)

    assert _texts(diff, "group_options_changed") == [
        "Size: options added: Extra large; options removed: Small"
    ]
    # Options are not products: they do not show up as items added or removed.
    assert not diff.of_kind("item_added") and not diff.of_kind("item_removed")


def test_groups_added_and_removed_on_an_item(old, new):
    new["modifierGroups"]["grp-dip"] = {
        "modifierGroupId": "grp-dip",
        "name": "Dip",
        "itemIds": [SMALL],
        "minSelections": 0,
        "maxSelections": 1,
    }
    new["items"][MARGHERITA]["modifierGroupIds"] = []
    new["items"][DIAVOLA]["modifierGroupIds"] = ["grp-dip"]

    diff = catalogset_diff(old, new)

    assert _texts(diff, "item_groups_changed") == [
        "Margherita: no longer offers Size",
        "Diavola: now offers Dip",
    ]
    assert _texts(diff, "group_added") == ["New group “Dip” (choose up to 1): Small"]
    assert not diff.of_kind("group_removed")


def test_a_group_removed_and_renamed(old, new):
    new["modifierGroups"][SIZE]["name"] = "Pizza size"
    old["modifierGroups"]["grp-old"] = {"modifierGroupId": "grp-old", "name": "Sauces"}

    diff = catalogset_diff(old, new)

    assert _texts(diff, "group_renamed") == ["Group “Size” is now called “Pizza size”"]
    assert _texts(diff, "group_removed") == ["Group “Sauces” removed"]


def test_sections_added_removed_and_renamed(old, new):
    new["sections"]["sec-desserts"] = {
        "sectionId": "sec-desserts",
        "name": "Desserts",
        "itemIds": [],
        "sectionIds": [],
    }
    new["catalogs"][ALL_DAY]["sectionIds"].append("sec-desserts")
    new["sections"][DRINKS]["name"] = "Cold drinks"
    del new["sections"][SPECIALS]
    new["sections"][PIZZAS]["sectionIds"] = []
    new["sections"][PIZZAS]["itemIds"] = [MARGHERITA, DIAVOLA]

    diff = catalogset_diff(old, new)

    assert _texts(diff, "section_added") == ["New section: Desserts"]
    assert _texts(diff, "section_removed") == ["Section removed: Pizzas › Specials"]
    assert _texts(diff, "section_renamed") == ["Section “Drinks” is now called “Cold drinks”"]
    assert _texts(diff, "item_moved") == ["Diavola moved: Pizzas › Specials → Pizzas"]


def test_items_moved_between_sections(old, new):
    new["sections"][DRINKS]["itemIds"] = []
    new["sections"][SPECIALS]["itemIds"] = [DIAVOLA, COLA]

    diff = catalogset_diff(old, new)

    (change,) = diff.of_kind("item_moved")
    assert change.text == "Cola moved: Drinks → Pizzas › Specials"
    assert (change.old, change.new) == (["Drinks"], ["Pizzas › Specials"])


def test_catalogs_added_removed_and_renamed(old, new):
    new["catalogs"][ALL_DAY]["name"] = "All day long"
    new["catalogs"]["cat-late"] = {
        "catalogId": "cat-late",
        "name": "Late night",
        "sectionIds": [],
        "availability": [{"dayOfWeek": "Friday", "start": "22:00:00", "end": "00:00:00"}],
    }
    old["catalogs"]["cat-brunch"] = {"catalogId": "cat-brunch", "name": "Brunch"}

    diff = catalogset_diff(old, new)

    assert _texts(diff, "catalog_added") == ["Menu “Late night” added (Friday 22:00–midnight)"]
    assert _texts(diff, "catalog_removed") == ["Menu “Brunch” removed"]
    assert _texts(diff, "catalog_renamed") == ["Menu “All day” is now called “All day long”"]


def test_groups_come_in_page_order(old, new):
    new["items"][COLA]["basePrice"] = 3.2
    new["sections"][DRINKS]["name"] = "Cold drinks"
    new["items"][DIAVOLA]["name"] = "Diavola piccante"

    diff = catalogset_diff(old, new)

    assert [heading for heading, _ in diff.groups] == ["Items", "Prices", "Sections"]


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {"catalogs": [], "sections": None, "items": "x", "modifierGroups": 3},
        {"items": {"a": "not a dict", "b": {"name": 3, "basePrice": "abc"}}},
        {"sections": {"s": {"name": "Loop", "sectionIds": ["s"], "itemIds": [1, None]}}},
        {"catalogs": {"c": {"name": "C", "availability": [{"dayOfWeek": 1}], "sectionIds": 5}}},
    ],
)
def test_odd_documents_give_a_diff_not_an_error(old, broken):
    assert catalogset_diff(old, broken).changes
    assert catalogset_diff(broken, old).changes
    catalogset_diff(broken, broken)


def test_section_cycles_do_not_loop(old, new):
    new["sections"][SPECIALS]["sectionIds"] = [PIZZAS]

    assert not catalogset_diff(old, new)


@pytest.mark.django_db
def test_diff_of_two_built_catalogsets(store, menu):
    before = catalog_build(store=store)
    menu.cola.price = 320
    menu.cola.save()
    menu.fries.name = "French fries"
    menu.fries.save()
    menu.toppings.max_selections = 1
    menu.toppings.save()

    diff = catalogset_diff(before, catalog_build(store=store), currency=store.currency)

    assert _texts(diff, "price_changed") == ["Cola: 3.00 → 3.20"]
    assert [c.entity_id for c in diff.of_kind("item_renamed")] == [pid(menu.fries)]
    assert _texts(diff, "group_limits_changed") == ["Toppings: choose up to 2 → choose up to 1"]
    assert len(diff) == 3
