"""Carts a Gett consumer could build: random but valid orders from an accepted CatalogSet.

Pure functions of (document, `random.Random`): the same seed gives the same cart. The shapes are
those of `tests/payloads/webhook-validate-order.request.json` (REFERENCE §9.2, inferred).
`cart_subtotal` is the one place that prices a cart (REFERENCE §17.6, inferred).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

MAX_LINES = 4
MAX_LINE_QUANTITY = 3
# Nested modifiers deeper than this are not chosen. An accepted CatalogSet has no cycles, so this
# only bounds the work on very deep menus; an item that needs a choice below it is skipped.
MAX_MODIFIER_DEPTH = 6
# How often a consumer picks something in an optional group, and goes past a group's minimum.
OPTIONAL_CHANCE = 0.5
EXTRA_CHANCE = 0.3
INSTRUCTIONS_CHANCE = 0.25
TIPS = (0.0, 1.0, 2.0, 2.5, 3.0, 5.0)
CENT = Decimal("0.01")

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MIDNIGHT = time(0)

INSTRUCTIONS = ("No onions", "Extra napkins, please", "Well done", "Sauce on the side", "No ice")
FIRST_NAMES = ("Dana", "Luis", "Priya", "Tom", "Amara", "Kenji", "Sofia", "Noah")
LAST_NAMES = ("Reyes", "Okafor", "Nguyen", "Schmidt", "Patel", "Kowalski", "Silva", "Cohen")
STREETS = ("Harbor Street", "Maple Avenue", "Elm Street", "Lakeview Drive", "Main Street")
ADDRESS_NOTES = ("Buzz at the door", "Leave with the doorman", "Ring twice", "")


class CartError(Exception):
    """No valid cart can be built from this CatalogSet (nothing reachable can be ordered)."""


class _Unorderable(Exception):
    """This item (or option) has a required group that no valid choice can satisfy."""


def group_limits(group: dict[str, Any]) -> tuple[int, int | None]:
    """A modifier group's (minimum, maximum) selections; None is "no maximum".

    Both spellings are read (REFERENCE §17.3); the current portal's wins, as in
    `gett.catalogset.rules`.
    """

    def count(new: str, old: str) -> int | None:
        for name in (new, old):
            value = group.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                return value
        return None

    return count("minSelections", "minimumAllowed") or 0, count("maxSelections", "maximumAllowed")


def catalog_open_at(catalog: dict[str, Any], local: datetime) -> bool:
    """Whether a catalog's availability windows contain `local`, the store's own time.

    REFERENCE §17.4: no window means never open (fail-closed); an `end` of 00:00:00 is the end
    of the day; windows never cross midnight (Gett makes partners split them).
    """
    day, now = DAYS[local.weekday()], local.time()
    for window in catalog.get("availability") or []:
        if not isinstance(window, dict) or window.get("dayOfWeek") != day:
            continue
        try:
            start, end = time.fromisoformat(window["start"]), time.fromisoformat(window["end"])
        except (KeyError, TypeError, ValueError):
            continue
        if start <= now and (end == MIDNIGHT or now < end):
            return True
    return False


def reachable_item_ids(document: dict[str, Any], *, at: datetime | None = None) -> list[str]:
    """Items a consumer can put in the cart: those in sections reached from a catalog.

    With `at` (the store's local time), only catalogs open then count: Gett shows a catalog
    only during its availability windows (REFERENCE §17.4), so nothing else can be ordered.
    Modifier options reachable only through groups are not sold on their own (REFERENCE
    §17.7.9). Sections are followed recursively with a visited set (REFERENCE §17.2).
    """
    sections = document.get("sections") or {}
    items = document.get("items") or {}
    seen_sections: set[str] = set()
    found: dict[str, None] = {}  # ordered set: the same menu always gives the same order

    def visit(section_id: str) -> None:
        if section_id in seen_sections or section_id not in sections:
            return
        seen_sections.add(section_id)
        section = sections[section_id]
        for item_id in section.get("itemIds") or []:
            if item_id in items:
                found.setdefault(item_id, None)
        for child_id in section.get("sectionIds") or []:
            visit(child_id)

    for catalog in (document.get("catalogs") or {}).values():
        if at is not None and not catalog_open_at(catalog, at):
            continue
        for section_id in catalog.get("sectionIds") or []:
            visit(section_id)
    return list(found)


def line_items_build(
    document: dict[str, Any], *, rng: random.Random, at: datetime | None = None
) -> list[dict[str, Any]]:
    """1 to MAX_LINES line items, each with a valid modifier selection. Raises CartError.

    `at`: the store's local time; only catalogs open then are ordered from.
    """
    items = document.get("items") or {}
    candidates = reachable_item_ids(document, at=at)
    if not candidates and at is not None and reachable_item_ids(document):
        raise CartError(
            f"No catalog on the accepted menu is open now ({at:%A %H:%M} store time): Gett shows "
            "the store as closed and sends it no orders. Try again during its opening hours."
        )
    if not candidates:
        raise CartError("The accepted menu has no item in any section: there is nothing to order.")
    wanted = rng.randint(1, min(MAX_LINES, len(candidates)))
    rng.shuffle(candidates)
    lines: list[dict[str, Any]] = []
    for item_id in candidates:
        try:
            groups = _choose_groups(document, items[item_id], rng=rng, depth=1)
        except _Unorderable:
            continue
        line: dict[str, Any] = {
            "lineItemId": f"li-{len(lines) + 1}",
            "itemId": item_id,
            "quantity": rng.randint(1, MAX_LINE_QUANTITY),
        }
        if rng.random() < INSTRUCTIONS_CHANCE:
            line["specialInstructions"] = rng.choice(INSTRUCTIONS)
        if groups:
            line["modifierGroups"] = groups
        lines.append(line)
        if len(lines) == wanted:
            break
    if not lines:
        raise CartError(
            "No item on the accepted menu can be ordered: every one has a required modifier "
            "group that cannot be satisfied."
        )
    return lines


def _choose_groups(
    document: dict[str, Any], item: dict[str, Any], *, rng: random.Random, depth: int
) -> list[dict[str, Any]]:
    """The `modifierGroups` selection for one item (or option); empty groups are left out."""
    groups = document.get("modifierGroups") or {}
    chosen: list[dict[str, Any]] = []
    for group_id in item.get("modifierGroupIds") or []:
        group = groups.get(group_id)
        if group is None:
            continue
        minimum, maximum = group_limits(group)
        if depth > MAX_MODIFIER_DEPTH:
            if minimum > 0:
                raise _Unorderable(group_id)
            continue
        selected = _choose_options(document, group, minimum, maximum, rng=rng, depth=depth)
        if selected:
            chosen.append({"modifierGroupId": group_id, "selectedModifiers": selected})
    return chosen


def _choose_options(
    document: dict[str, Any],
    group: dict[str, Any],
    minimum: int,
    maximum: int | None,
    *,
    rng: random.Random,
    depth: int,
) -> list[dict[str, Any]]:
    items = document.get("items") or {}
    # Distinct options, each once: whether one option may be chosen twice is undocumented.
    options = [option for option in dict.fromkeys(group.get("itemIds") or []) if option in items]
    upper = len(options) if maximum is None else min(maximum, len(options))
    if minimum > upper:
        raise _Unorderable(group.get("modifierGroupId"))
    if minimum == 0:
        target = rng.randint(1, upper) if upper and rng.random() < OPTIONAL_CHANCE else 0
    elif upper > minimum and rng.random() < EXTRA_CHANCE:
        target = rng.randint(minimum + 1, upper)
    else:
        target = minimum
    if target == 0:
        return []

    rng.shuffle(options)
    selected: list[dict[str, Any]] = []
    for option_id in options:
        try:
            nested = _choose_groups(document, items[option_id], rng=rng, depth=depth + 1)
        except _Unorderable:
            continue  # this option needs a choice that cannot be made; try another
        modifier: dict[str, Any] = {"itemId": option_id, "quantity": 1}
        if nested:
            modifier["modifierGroups"] = nested
        selected.append(modifier)
        if len(selected) == target:
            break
    if len(selected) < minimum:
        raise _Unorderable(group.get("modifierGroupId"))
    return selected


def required_group_ids(document: dict[str, Any], item_id: str) -> list[str]:
    """The item's modifier groups with a minimum above 0: a choice the consumer must make."""
    groups = document.get("modifierGroups") or {}
    item = (document.get("items") or {}).get(item_id) or {}
    return [
        group_id
        for group_id in item.get("modifierGroupIds") or []
        if group_id in groups and group_limits(groups[group_id])[0] > 0
    ]


def line_missing_required_choice(
    document: dict[str, Any], *, rng: random.Random, at: datetime | None = None
) -> tuple[dict[str, Any], str] | None:
    """A line for an item on sale with one required group's selection left out, and that group.

    Everything else on the line is a valid choice, so the one thing wrong is the missing
    selection (MODIFIER_REQUIRED). None when no item on sale has a required group.
    """
    items = document.get("items") or {}
    reachable = reachable_item_ids(document, at=at)
    candidates = [i for i in reachable if required_group_ids(document, i)]
    rng.shuffle(candidates)
    for item_id in candidates:
        try:
            groups = _choose_groups(document, items[item_id], rng=rng, depth=1)
        except _Unorderable:
            continue
        dropped = rng.choice(required_group_ids(document, item_id))
        line: dict[str, Any] = {"lineItemId": "li-1", "itemId": item_id, "quantity": 1}
        kept = [group for group in groups if group["modifierGroupId"] != dropped]
        if kept:
            line["modifierGroups"] = kept
        return line, dropped
    return None


def cart_subtotal(document: dict[str, Any], line_items: Sequence[dict[str, Any]]) -> Decimal:
    """Gett's own subTotal of a cart (REFERENCE §17.6, inferred): the one place it is computed.

    unit price of a line = item basePrice + Σ (option basePrice × option quantity), recursively
    through nested options; line total = unit price × line quantity; subTotal = Σ line totals,
    rounded half-up to cents. Raises ValueError for an item the CatalogSet does not have.
    """
    items = document.get("items") or {}

    def unit_price(entry: dict[str, Any]) -> Decimal:
        item = items.get(entry.get("itemId"))
        if item is None:
            raise ValueError(f"Item {entry.get('itemId')!r} is not in the CatalogSet.")
        price = Decimal(str(item.get("basePrice", 0)))
        for group in entry.get("modifierGroups") or []:
            for option in group.get("selectedModifiers") or []:
                price += unit_price(option) * int(option.get("quantity", 1))
        return price

    total = sum(
        (unit_price(line) * int(line.get("quantity", 1)) for line in line_items), Decimal(0)
    )
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def order_body_build(
    document: dict[str, Any],
    *,
    store_id: str,
    fulfillment_types: Sequence[str],
    rng: random.Random,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A validateOrder request body: cart, fulfillment, customer and the consumer's tip.

    `at`: the store's local time; only catalogs open then are ordered from (None: all).
    """
    if not fulfillment_types:
        raise CartError("The store allows neither delivery nor pickup.")
    line_items = line_items_build(document, rng=rng, at=at)
    fulfillment_type = rng.choice(list(fulfillment_types))
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    body: dict[str, Any] = {
        "cart": {
            "storeId": store_id,
            "catalogSetId": document.get("catalogSetId"),
            "lineItems": line_items,
        },
        "fulfillmentType": fulfillment_type,
    }
    if fulfillment_type == "delivery":
        body["deliveryAddress"] = _address(rng)
    body["customer"] = {
        "firstName": first,
        "lastName": last,
        "email": f"{first}.{last}@example.com".lower(),
        "phone": f"+1217555{rng.randint(0, 9999):04d}",
    }
    body["amounts"] = {"tip": rng.choice(TIPS)}
    return body


def _address(rng: random.Random) -> dict[str, str]:
    address = {
        "address1": f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
        "address2": f"Apt {rng.randint(1, 12)}{rng.choice('ABCD')}",
        "city": "Springfield",
        "state": "IL",
        "postalCode": "62701",
        "country": "US",
    }
    note = rng.choice(ADDRESS_NOTES)
    if note:
        address["instructions"] = note
    return address
