"""How the sandbox checks a pulled CatalogSet, as Gett would (REFERENCE §17).

This is Gett's side and is written independently of the portal's checker in `gett/catalogset/`:
the sandbox is there to catch the portal's mistakes, so it must not share them. It runs the
published JSON Schema through `jsonschema`, then the rules of REFERENCE §17.7 the schema cannot
express. It never raises on bad input; every finding is a problem dict
(`code`, `message`, `jsonPath`, `entityId`), the shape stored on an ingestion.

Where the reference leaves a rule open, the choice made here is written next to the rule; the
portal's checker makes the same choices (tests/sandbox/test_catalog_rules.py holds the two to it).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "spec" / "catalogset.schema.json"

# dictionary -> the id member of its values (REFERENCE §17.1)
ID_FIELDS = {
    "catalogs": "catalogId",
    "sections": "sectionId",
    "items": "itemId",
    "modifierGroups": "modifierGroupId",
}
# (dictionary, id-list member, dictionary it points into) — REFERENCE §17.2 / §17.7 rule 2
REFERENCES = (
    ("catalogs", "sectionIds", "sections"),
    ("sections", "sectionIds", "sections"),
    ("sections", "itemIds", "items"),
    ("items", "modifierGroupIds", "modifierGroups"),
    ("modifierGroups", "itemIds", "items"),
)
# (current spelling, old-mirror spelling) of a group's limits — REFERENCE §17.3
LIMITS = (("minSelections", "minimumAllowed"), ("maxSelections", "maximumAllowed"))
END_OF_DAY = "00:00:00"
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Problem = dict[str, Any]


# --- entry points -------------------------------------------------------------------------------


def catalogset_check(document: object, *, store: dict[str, Any] | None = None) -> list[Problem]:
    """Everything Gett would reject `document` for; an empty list means it is accepted.

    `store` holds the store's `deliveryAllowed`/`pickupAllowed` when the sandbox knows the store.
    """
    problems = _schema_problems(document)
    if isinstance(document, dict) and all(
        isinstance(document.get(name), dict) for name in ID_FIELDS
    ):
        problems += _rule_problems(document)
    if store is not None and not (
        store.get("deliveryAllowed") is True or store.get("pickupAllowed") is True
    ):
        problems.append(
            _problem(
                "NO_FULFILLMENT_METHOD",
                "The store allows neither delivery nor pickup; Gett rejects its catalog push.",
                "$",
            )
        )
    return problems


def catalogset_counts(document: object) -> dict[str, int]:
    """How many entities each of the four dictionaries holds (0 when missing or not one)."""
    counts = {}
    for name in ID_FIELDS:
        value = document.get(name) if isinstance(document, dict) else None
        counts[name] = len(value) if isinstance(value, dict) else 0
    return counts


# --- JSON Schema --------------------------------------------------------------------------------

_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("uri")
def _is_absolute_uri(value: object) -> bool:
    # jsonschema's own "uri" check needs an optional package; Gett downloads images, so the one
    # thing that matters is an absolute URI.
    if not isinstance(value, str):
        return True
    if any(char.isspace() for char in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


@cache
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=_FORMATS)


def _schema_problems(document: object) -> list[Problem]:
    try:
        errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    except RecursionError:
        return [_problem("SCHEMA", "The CatalogSet is nested too deeply to be read.", "$")]
    problems = []
    for error in errors:
        parts = [str(part) if not isinstance(part, int) else part for part in error.absolute_path]
        where = _path(*parts)
        message = error.message if len(error.message) <= 300 else error.message[:299] + "…"
        problems.append(
            _problem("SCHEMA", f"{where}: {message}", where, _entity_id(parts)),
        )
    return problems


# --- REFERENCE §17.7 ----------------------------------------------------------------------------


def _rule_problems(document: dict[str, Any]) -> list[Problem]:
    # Values that are not objects were reported by the schema; the rules look at objects only.
    menu = {
        name: {key: value for key, value in document[name].items() if isinstance(value, dict)}
        for name in ID_FIELDS
    }
    return [
        *_no_catalogs(document),
        *_id_mismatches(menu),
        *_references(document, menu),
        *_section_cycles(menu),
        *_modifier_cycles(menu),
        *_prices(menu),
        *_group_limits(menu),
        *_availability(menu),
    ]


def _no_catalogs(document: dict[str, Any]) -> Iterator[Problem]:
    # A CatalogSet without catalogs sells nothing and is never shown (fail-closed, §17.4).
    if not document["catalogs"]:
        yield _problem("NO_CATALOGS", "The CatalogSet has no catalogs.", "$.catalogs")


def _id_mismatches(menu: dict[str, dict[str, dict]]) -> Iterator[Problem]:
    # Rule 1: every dictionary key equals its value's id member.
    for name, id_field in ID_FIELDS.items():
        for key, entity in menu[name].items():
            value = entity.get(id_field)
            if isinstance(value, str) and value != key:
                yield _problem(
                    "ID_MISMATCH",
                    f"{_label(menu, name, key)} has {id_field} {value!r}; the key and the id "
                    "must be equal.",
                    _path(name, key, id_field),
                    key,
                )


def _references(document: dict[str, Any], menu: dict[str, dict[str, dict]]) -> Iterator[Problem]:
    # Rule 2: a dangling reference fails the whole ingestion. Rule 8: no id twice in one list.
    for name, field, target in REFERENCES:
        for key, entity in menu[name].items():
            refs = entity.get(field)
            if not isinstance(refs, list):
                continue
            seen: set[str] = set()
            for index, ref in enumerate(refs):
                if not isinstance(ref, str):
                    continue  # the schema said so
                where = _path(name, key, field, index)
                if ref in seen:
                    yield _problem(
                        "DUPLICATE_ID",
                        f"{_label(menu, name, key)} lists {ref!r} twice in {field}.",
                        where,
                        key,
                    )
                seen.add(ref)
                if ref not in document[target]:
                    yield _problem(
                        "DANGLING_REFERENCE",
                        f"{_label(menu, name, key)} lists {ref!r} in {field}, but there is no such "
                        f"entry in {target}.",
                        where,
                        key,
                    )


def _section_cycles(menu: dict[str, dict[str, dict]]) -> Iterator[Problem]:
    # Rule 3: sub-sections never lead back to a section on the path.
    sections = menu["sections"]

    def edges(key: str) -> list[tuple[str, int]]:
        refs = sections[key].get("sectionIds")
        refs = refs if isinstance(refs, list) else []
        return [(ref, i) for i, ref in enumerate(refs) if isinstance(ref, str) and ref in sections]

    for key, index, target in _back_edges(sections, edges):
        where = _path("sections", key, "sectionIds", index)
        yield _problem(
            "SECTION_CYCLE",
            f"{_label(menu, 'sections', key)} lists {target!r} as a sub-section, which "
            "leads back to itself: the sections form a loop.",
            where,
            key,
        )


def _modifier_cycles(menu: dict[str, dict[str, dict]]) -> Iterator[Problem]:
    # Rule 3 (inferred): item -> group -> item chains never return to an item on the path; such
    # a menu could not be ordered. Nodes are ("items", id) and ("modifierGroups", id).
    items, groups = menu["items"], menu["modifierGroups"]

    def edges(node: tuple[str, str]) -> list[tuple[tuple[str, str], int]]:
        name, key = node
        field, target_name, targets = (
            ("modifierGroupIds", "modifierGroups", groups)
            if name == "items"
            else ("itemIds", "items", items)
        )
        refs = (items if name == "items" else groups)[key].get(field)
        refs = refs if isinstance(refs, list) else []
        return [
            ((target_name, ref), i)
            for i, ref in enumerate(refs)
            if isinstance(ref, str) and ref in targets
        ]

    nodes = [("items", key) for key in items] + [("modifierGroups", key) for key in groups]
    for (name, key), index, (_, target) in _back_edges(nodes, edges):
        field = "modifierGroupIds" if name == "items" else "itemIds"
        where = _path(name, key, field, index)
        yield _problem(
            "MODIFIER_CYCLE",
            f"{_label(menu, name, key)} leads back to {target!r} in {field}: nested "
            "modifiers form a loop.",
            where,
            key,
        )


def _prices(menu: dict[str, dict[str, dict]]) -> Iterator[Problem]:
    # Every item, modifier options included, carries the price Gett re-prices carts with
    # (§17.3, §17.5, §17.6): without it no line containing the item can be priced, so it is
    # required here although the schema leaves it optional. NaN and Infinity are not numbers.
    for key, item in menu["items"].items():
        if "basePrice" not in item:
            yield _problem(
                "MISSING_PRICE",
                f"{_label(menu, 'items', key)} has no basePrice; Gett cannot price it.",
                _path("items", key),
                key,
            )
            continue
        price = item["basePrice"]
        if isinstance(price, float) and not math.isfinite(price):
            where = _path("items", key, "basePrice")
            yield _problem("SCHEMA", f"{where} is not a finite number.", where, key)


def _group_limits(menu: dict[str, dict[str, dict]]) -> Iterator[Problem]:
    # Rule 4. A group states its minimum and its maximum, in either spelling (§17.3): without
    # them Gett cannot tell a required choice from an optional one, nor how many may be picked.
    # When both spellings are sent they must agree. minimum <= maximum. The maximum MAY exceed
    # the number of options: an option carries a quantity (§17.6 prices "option basePrice ×
    # option quantity"), which is the exception rule 4 names. A required group needs options.
    for key, group in menu["modifierGroups"].items():
        bounds: list[int | None] = []
        for new, old in LIMITS:
            new_value, old_value = _count(group.get(new)), _count(group.get(old))
            if new not in group and old not in group:
                yield _problem(
                    "MISSING_LIMIT",
                    f"{_label(menu, 'modifierGroups', key)} states no {new} (or {old}).",
                    _path("modifierGroups", key),
                    key,
                )
            elif new_value is not None and old_value is not None and new_value != old_value:
                yield _problem(
                    "LIMIT_SPELLING_MISMATCH",
                    f"{_label(menu, 'modifierGroups', key)} has {new} {new_value} but {old} "
                    f"{old_value}.",
                    _path("modifierGroups", key, old),
                    key,
                )
            bounds.append(new_value if new_value is not None else old_value)
        minimum, maximum = bounds
        if minimum is not None and maximum is not None and minimum > maximum:
            yield _problem(
                "MIN_GT_MAX",
                f"{_label(menu, 'modifierGroups', key)} needs at least {minimum} but allows at "
                f"most {maximum}.",
                _path("modifierGroups", key),
                key,
            )
        options = group.get("itemIds")
        if minimum and isinstance(options, list) and not options:
            yield _problem(
                "REQUIRED_GROUP_EMPTY",
                f"{_label(menu, 'modifierGroups', key)} needs {minimum} selections but has no "
                "options.",
                _path("modifierGroups", key, "itemIds"),
                key,
            )


def _availability(menu: dict[str, dict[str, dict]]) -> Iterator[Problem]:
    # Rules 5 and 6: every catalog has a window (null or [] means never open, §17.4); each window
    # ends after it starts within one day, 00:00:00 as an end meaning midnight. Overnight service
    # is two windows.
    for key, catalog in menu["catalogs"].items():
        windows = catalog.get("availability")
        if not windows:
            yield _problem(
                "NO_AVAILABILITY",
                f"{_label(menu, 'catalogs', key)} has no availability window, so it would never "
                "be open.",
                _path("catalogs", key, "availability"),
                key,
            )
            continue
        if not isinstance(windows, list):
            continue
        for index, window in enumerate(windows):
            if not isinstance(window, dict):
                continue
            start, end = window.get("start"), window.get("end")
            if not (isinstance(start, str) and isinstance(end, str)):
                continue  # the schema said so
            if not (_is_time(start) and _is_time(end)) or end == END_OF_DAY:
                continue
            if start >= end:
                where = _path("catalogs", key, "availability", index, "end")
                yield _problem(
                    "WINDOW_ORDER",
                    f"{_label(menu, 'catalogs', key)}: the window {start}–{end} does not end "
                    "after it starts; split overnight hours at 00:00:00.",
                    where,
                    key,
                )


# --- helpers ------------------------------------------------------------------------------------


def _back_edges(
    nodes: Iterable[Any], edges: Callable[[Any], list[tuple[Any, int]]]
) -> Iterator[tuple[Any, int, Any]]:
    """(node, edge index, target) for every edge that closes a cycle. Iterative, so deep menus
    cannot exhaust the stack; an entity reached twice off the current path is not a cycle."""
    finished: set[Any] = set()
    on_path: set[Any] = set()
    for root in nodes:
        if root in finished:
            continue
        on_path.add(root)
        stack = [(root, iter(edges(root)))]
        while stack:
            node, pending = stack[-1]
            for target, index in pending:
                if target in on_path:
                    yield node, index, target
                elif target not in finished:
                    on_path.add(target)
                    stack.append((target, iter(edges(target))))
                    break
            else:
                stack.pop()
                on_path.discard(node)
                finished.add(node)


NOUNS = {
    "catalogs": "Catalog",
    "sections": "Section",
    "items": "Item",
    "modifierGroups": "Modifier group",
}


def _label(menu: dict[str, dict[str, dict]], name: str, key: str) -> str:
    """`Modifier group “Choose your side” (side-1)`, or just the id when it has no name."""
    entity_name = menu[name].get(key, {}).get("name")
    if isinstance(entity_name, str) and entity_name.strip():
        return f"{NOUNS[name]} “{entity_name[:80]}” ({key!r})"
    return f"{NOUNS[name]} {key!r}"


def _problem(code: str, message: str, json_path: str, entity_id: str | None = None) -> Problem:
    return {"code": code, "message": message, "jsonPath": json_path, "entityId": entity_id}


def _path(*parts: Any) -> str:
    """JSONPath of a location; an entity id (the key after a dictionary) is always bracketed."""
    out = "$"
    for position, part in enumerate(parts):
        if isinstance(part, int):
            out += f"[{part}]"
        elif _NAME.fullmatch(part) and not (position == 1 and parts[0] in ID_FIELDS):
            out += "." + part
        else:
            out += "['" + part.replace("\\", "\\\\").replace("'", "\\'") + "']"
    return out


def _entity_id(parts: list[Any]) -> str | None:
    if len(parts) >= 2 and parts[0] in ID_FIELDS:
        return str(parts[1])
    return None


def _count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value) if value >= 0 else None


def _is_time(value: object) -> bool:
    return isinstance(value, str) and _TIME.fullmatch(value) is not None
