"""The carts test orders send: random, seeded, always valid against the menu (REFERENCE §17)."""

import random
from datetime import datetime
from decimal import Decimal

import pytest

from gett.sandbox.services import carts
from tests.sandbox.conftest import load_payload

SEEDS = range(300)


def group(group_id: str, options: list[str], minimum: int, maximum: int) -> dict:
    return {
        "modifierGroupId": group_id,
        "name": group_id.title(),
        "itemIds": options,
        "minSelections": minimum,
        "maxSelections": maximum,
        "minimumAllowed": minimum,
        "maximumAllowed": maximum,
    }


def item(item_id: str, price: float, groups: list[str] | None = None) -> dict:
    return {
        "itemId": item_id,
        "name": item_id.title(),
        "basePrice": price,
        "modifierGroupIds": groups or [],
    }


@pytest.fixture
def nested_menu() -> dict:
    """Three levels of required choices, an orphan option and an item in no section."""
    items = [
        item("combo", 10.0, ["main", "drink-size"]),
        item("burger", 8.0, ["cook", "extras"]),
        item("drink", 2.0, ["drink-size"]),
        item("rare", 0.0),
        item("well-done", 0.5, ["sauce"]),
        item("ketchup", 0.25),
        item("mayo", 0.3),
        item("secret-sauce", 1.0),  # an option only: reachable through a group, not a section
        item("small", 0.0),
        item("large", 1.0),
        item("cheese", 1.0),
        item("bacon", 2.0),
        item("avocado", 1.5),
        item("hidden-special", 99.0),  # in no section and no group: never sold
    ]
    groups = [
        group("main", ["burger"], 1, 1),
        group("cook", ["rare", "well-done"], 1, 1),
        group("sauce", ["ketchup", "mayo", "secret-sauce"], 1, 2),
        group("extras", ["cheese", "bacon", "avocado"], 0, 2),
        group("drink-size", ["small", "large"], 1, 1),
    ]
    return {
        "catalogSetId": "nested-menu",
        "storeId": "pos-store-0042",
        "catalogs": {"all-day": {"catalogId": "all-day", "sectionIds": ["mains"]}},
        "sections": {
            "mains": {
                "sectionId": "mains",
                "itemIds": ["combo", "burger"],
                "sectionIds": ["drinks"],
            },
            "drinks": {"sectionId": "drinks", "itemIds": ["drink"], "sectionIds": []},
        },
        "items": {entry["itemId"]: entry for entry in items},
        "modifierGroups": {entry["modifierGroupId"]: entry for entry in groups},
    }


def assert_valid_choice(document: dict, entry: dict) -> int:
    """Every group of the item meets its min/max with its own options; returns the depth."""
    item = document["items"][entry["itemId"]]
    chosen = {choice["modifierGroupId"]: choice for choice in entry.get("modifierGroups", [])}
    assert set(chosen) <= set(item["modifierGroupIds"]), "a group the item does not offer"
    depth = 0
    for group_id in item["modifierGroupIds"]:
        group = document["modifierGroups"][group_id]
        selected = chosen.get(group_id, {}).get("selectedModifiers", [])
        assert group["minSelections"] <= len(selected) <= group["maxSelections"], group_id
        ids = [modifier["itemId"] for modifier in selected]
        assert len(set(ids)) == len(ids), "an option chosen twice"
        assert set(ids) <= set(group["itemIds"]), "an option from another group"
        for modifier in selected:
            assert modifier["quantity"] == 1
            depth = max(depth, 1 + assert_valid_choice(document, modifier))
    return depth


def test_the_same_seed_builds_the_same_cart(catalogset):
    def build(seed):
        return carts.order_body_build(
            catalogset,
            store_id="store",
            fulfillment_types=["delivery", "pickup"],
            rng=random.Random(seed),
        )

    assert build(7) == build(7)
    assert len({repr(build(seed)) for seed in range(20)}) > 10


@pytest.mark.parametrize("menu", ["example", "nested"])
def test_every_cart_satisfies_every_group_including_nested_ones(menu, catalogset, nested_menu):
    document = catalogset if menu == "example" else nested_menu
    deepest = 0
    for seed in SEEDS:
        lines = carts.line_items_build(document, rng=random.Random(seed))

        assert 1 <= len(lines) <= carts.MAX_LINES
        assert [line["lineItemId"] for line in lines] == [
            f"li-{n}" for n in range(1, len(lines) + 1)
        ]
        for line in lines:
            assert 1 <= line["quantity"] <= carts.MAX_LINE_QUANTITY
            deepest = max(deepest, assert_valid_choice(document, line))
    # The seeds reach the nested choices (side -> seasoning; combo -> burger -> cook -> sauce).
    assert deepest >= (2 if menu == "example" else 3)


def test_carts_only_sell_items_reachable_from_a_catalog(nested_menu):
    sold = set()
    for seed in SEEDS:
        sold |= {
            line["itemId"] for line in carts.line_items_build(nested_menu, rng=random.Random(seed))
        }

    assert sold == {"combo", "burger", "drink"}  # "drink" sits in a nested section


def test_reachable_items_follow_nested_sections_and_skip_options(catalogset):
    reachable = carts.reachable_item_ids(catalogset)

    assert set(reachable) == {
        "bfcfab0f-0067-5177-8754-028021773d30",  # Classic Burger (in two sections, once)
        "e4dc85db-d571-5ba3-a2e2-c01168be656c",  # Veggie Burger (Mains > Burgers)
        "5a675f7d-fa5f-5d80-8c44-4e825b1c8e74",  # Chicken Rice Bowl (Mains > Bowls)
        "2211b665-f04d-5fd5-8a34-292866b1ddf6",  # Fresh Lemonade
        "6c541504-c014-5f90-92c1-c26213b6441c",  # Cola
        "2a304661-ceca-524e-9e14-11494a80277f",  # Loaded Fries (Late Night)
    }
    assert len(reachable) == len(set(reachable))


def test_an_item_whose_required_choice_is_too_deep_is_not_sold(nested_menu, monkeypatch):
    # combo -> main -> burger -> cook (required) sits at depth 2: below the cap, combo cannot be
    # completed, so only burger and drink are sold.
    monkeypatch.setattr(carts, "MAX_MODIFIER_DEPTH", 1)

    for seed in range(50):
        for line in carts.line_items_build(nested_menu, rng=random.Random(seed)):
            assert line["itemId"] != "combo"


def test_a_menu_with_nothing_to_sell_is_a_cart_error(nested_menu):
    nested_menu["sections"]["mains"]["itemIds"] = []
    nested_menu["sections"]["drinks"]["itemIds"] = []

    with pytest.raises(carts.CartError, match="nothing to order"):
        carts.line_items_build(nested_menu, rng=random.Random(1))


def test_fulfillment_is_chosen_among_what_the_store_allows(catalogset):
    for seed in range(30):
        body = carts.order_body_build(
            catalogset, store_id="s", fulfillment_types=["pickup"], rng=random.Random(seed)
        )
        assert body["fulfillmentType"] == "pickup"
        assert "deliveryAddress" not in body

    body = carts.order_body_build(
        catalogset, store_id="s", fulfillment_types=["delivery"], rng=random.Random(3)
    )
    assert body["fulfillmentType"] == "delivery"
    assert set(body["deliveryAddress"]) >= {"address1", "city", "postalCode", "country"}


def test_the_body_has_the_validate_order_shape(catalogset):
    body = carts.order_body_build(
        catalogset,
        store_id="6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
        fulfillment_types=["delivery", "pickup"],
        rng=random.Random(11),
    )
    example = load_payload("webhook-validate-order.request.json")

    assert set(body) <= set(example)
    assert set(body["cart"]) == set(example["cart"])
    assert body["cart"]["storeId"] == "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
    assert body["cart"]["catalogSetId"] == catalogset["catalogSetId"]
    assert set(body["customer"]) == set(example["customer"])
    assert set(body["amounts"]) == {"tip"}


def test_subtotal_of_the_shipped_example_matches_its_reply():
    document = load_payload("catalogset.example.json")
    request = load_payload("webhook-validate-order.request.json")
    reply = load_payload("webhook-validate-order.response.json")

    sub_total = carts.cart_subtotal(document, request["cart"]["lineItems"])

    # (12.50 burger + 0.00 fries + 0.00 seasoning + 2.00 bacon) × 2 + (3.50 lemonade + 1.00) × 1
    assert sub_total == Decimal("34.00")
    assert sub_total == Decimal(str(reply["amounts"]["subTotal"]))


def test_subtotal_multiplies_nested_option_prices_by_their_quantities(nested_menu):
    line = {
        "itemId": "combo",
        "quantity": 2,
        "modifierGroups": [
            {
                "modifierGroupId": "main",
                "selectedModifiers": [
                    {
                        "itemId": "burger",
                        "quantity": 1,
                        "modifierGroups": [
                            {
                                "modifierGroupId": "cook",
                                "selectedModifiers": [
                                    {
                                        "itemId": "well-done",
                                        "quantity": 1,
                                        "modifierGroups": [
                                            {
                                                "modifierGroupId": "sauce",
                                                "selectedModifiers": [
                                                    {"itemId": "mayo", "quantity": 3}
                                                ],
                                            }
                                        ],
                                    }
                                ],
                            }
                        ],
                    }
                ],
            },
            {
                "modifierGroupId": "drink-size",
                "selectedModifiers": [{"itemId": "large", "quantity": 1}],
            },
        ],
    }

    # unit = 10 + (8 + (0.5 + 0.3 × 3)) + 1 = 20.40; × 2
    assert carts.cart_subtotal(nested_menu, [line]) == Decimal("40.80")


def test_subtotal_refuses_an_item_the_menu_does_not_have(catalogset):
    with pytest.raises(ValueError, match="not in the CatalogSet"):
        carts.cart_subtotal(catalogset, [{"itemId": "nope", "quantity": 1}])


# --- opening hours (REFERENCE §17.4) ----------------------------------------------------------

# The example's Lunch & Dinner is open 11:00-22:00 every day; Late Night is Friday 22:00-24:00
# and Saturday 00:00-02:00 (a window across midnight, split in two).
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0)
FRIDAY_LATE = datetime(2026, 11, 27, 23, 30)
SATURDAY_EARLY = datetime(2026, 11, 28, 1, 59)
TUESDAY_NIGHT = datetime(2026, 11, 24, 23, 0)


@pytest.mark.parametrize(
    ("at", "open_names"),
    [
        (WEDNESDAY_NOON, ["Lunch & Dinner"]),
        (datetime(2026, 11, 25, 11, 0), ["Lunch & Dinner"]),
        (datetime(2026, 11, 25, 22, 0), []),  # the end is not inside the window
        (FRIDAY_LATE, ["Late Night"]),  # an end of 00:00:00 is the end of the day
        (SATURDAY_EARLY, ["Late Night"]),
        (TUESDAY_NIGHT, []),
    ],
)
def test_catalogs_are_open_only_inside_their_windows(at, open_names):
    document = load_payload("catalogset.example.json")

    found = [c["name"] for c in document["catalogs"].values() if carts.catalog_open_at(c, at)]

    assert found == open_names


def test_a_catalog_without_availability_is_never_open():
    assert not carts.catalog_open_at({"catalogId": "c", "availability": None}, WEDNESDAY_NOON)
    assert not carts.catalog_open_at({"catalogId": "c"}, WEDNESDAY_NOON)


def test_carts_hold_only_items_of_catalogs_open_now():
    document = load_payload("catalogset.example.json")
    lunch = set(carts.reachable_item_ids(document, at=WEDNESDAY_NOON))
    late = set(carts.reachable_item_ids(document, at=FRIDAY_LATE))
    assert lunch and late and lunch != late

    for seed in range(50):
        lines = carts.line_items_build(document, rng=random.Random(seed), at=FRIDAY_LATE)
        assert {line["itemId"] for line in lines} <= late


def test_no_cart_is_built_while_every_catalog_is_closed():
    document = load_payload("catalogset.example.json")

    with pytest.raises(carts.CartError, match=r"No catalog .* is open now \(Tuesday 23:00"):
        carts.line_items_build(document, rng=random.Random(1), at=TUESDAY_NIGHT)
