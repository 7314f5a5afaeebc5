"""Whether a CatalogSet document is valid: the JSON Schema, then the rules it cannot express.

This is the one place that decides (REFERENCE §17.7). The Gett sandbox uses it to reject what
Gett rejects, and the menu publisher uses it so that it never publishes a broken menu. It imports
no other app of ours and never raises on bad input: every finding comes back as a
`CatalogProblem`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import reprlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker, ValidationError

SCHEMA_FILE = Path(__file__).resolve().parent / "spec" / "catalogset.schema.json"

# (inferred, REFERENCE §17.7.4) Gett has not said whether one option can be chosen more than once.
# While it cannot, a group that allows more selections than it has options is a mistake. Flip this
# when Gett confirms quantity per option; MAX_GT_OPTIONS and MIN_GT_OPTIONS then stop firing.
ALLOW_MAX_ABOVE_OPTION_COUNT = False

# As an end time, 00:00:00 means the end of the day (REFERENCE §17.4).
END_OF_DAY = "00:00:00"
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]")


@dataclass(frozen=True)
class CatalogProblem:
    code: str
    message: str
    json_path: str
    entity: str | None = None
    entity_id: str | None = None


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: cheap graph nodes
class _Kind:
    dictionary: str
    id_field: str
    entity: str
    noun: str
    title: str


CATALOG = _Kind("catalogs", "catalogId", "catalog", "catalog", "Catalog")
SECTION = _Kind("sections", "sectionId", "section", "section", "Section")
ITEM = _Kind("items", "itemId", "item", "item", "Item")
GROUP = _Kind(
    "modifierGroups", "modifierGroupId", "modifierGroup", "modifier group", "Modifier group"
)
KINDS = (CATALOG, SECTION, ITEM, GROUP)
_BY_DICTIONARY = {kind.dictionary: kind for kind in KINDS}

# The five reference kinds (REFERENCE §17.2): entity kind, id-list field, kind it points at.
REFERENCES = (
    (CATALOG, "sectionIds", SECTION),
    (SECTION, "sectionIds", SECTION),
    (SECTION, "itemIds", ITEM),
    (ITEM, "modifierGroupIds", GROUP),
    (GROUP, "itemIds", ITEM),
)


def catalogset_problems(doc: object, *, store: dict | None = None) -> list[CatalogProblem]:
    """Everything wrong with `doc`, schema problems first; an empty list means it is valid.

    `store` is `{"deliveryAllowed": bool, "pickupAllowed": bool}` when the caller knows them.
    """
    problems = _schema_problems(doc)
    if isinstance(doc, dict) and all(isinstance(doc.get(k.dictionary), dict) for k in KINDS):
        problems += _Menu(doc).problems()
    if store is not None:
        problems += _store_problems(store)
    return problems


def catalogset_counts(doc: dict) -> dict[str, int]:
    """How many entities each dictionary holds (0 when it is missing or not a dictionary)."""
    counts = {}
    for kind in KINDS:
        value = doc.get(kind.dictionary) if isinstance(doc, dict) else None
        counts[kind.dictionary] = len(value) if isinstance(value, dict) else 0
    return counts


@cache
def load_schema() -> dict:
    """The CatalogSet JSON Schema (draft 2020-12). Shared and cached: do not mutate it."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


# --- JSON Schema ---------------------------------------------------------------------------------

# Format is only an annotation in draft 2020-12 unless a checker asserts it. The schema's one
# format is imageUrl's "uri": Gett downloads the image, so a relative or broken URL is a problem.
FORMAT_CHECKER = FormatChecker(formats=())


@FORMAT_CHECKER.checks("uri")
def _is_uri(value: object) -> bool:
    # jsonschema's own "uri" check needs rfc3987; an absolute URI is all we ask.
    if not isinstance(value, str):
        return True
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "http://[" (an unclosed IPv6 literal)
        return False
    return bool(parts.scheme) and bool(parts.netloc or parts.path) and " " not in value


@cache
def _schema_validator() -> Draft202012Validator:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


def _schema_problems(doc: object) -> list[CatalogProblem]:
    try:
        if _plainly_valid(doc) or _is_valid(_fast_schema(), doc):
            return []
        errors = list(_schema_validator().iter_errors(_entities_to_check(doc)))
    except RecursionError:
        return [
            CatalogProblem("SCHEMA", "The CatalogSet is nested too deeply to be read.", "$"),
        ]
    return [_schema_problem(error, doc) for error in errors]


# jsonschema takes about 6 s on a 5,000-item menu; fastjsonschema compiles the same schema file to
# Python and only answers "valid or not". It is the gate; jsonschema writes the messages, and only
# for the entities fastjsonschema rejects. (fastjsonschema also takes a tuple for an array, which
# jsonschema does not; parsed JSON has no tuples.)


@cache
def _fast_schema() -> Callable[[Any], Any]:
    """The whole document's fastjsonschema validator: raises `JsonSchemaValueException`."""
    return _fast_compile(load_schema())


@cache
def _fast_dictionary(name: str) -> Callable[[Any], Any]:
    """The validator of one root dictionary of entities (key and value), e.g. "items"."""
    schema = load_schema()
    return _fast_compile({"$defs": schema["$defs"], **schema["properties"][name]})


def _fast_compile(schema: dict) -> Callable[[Any], Any]:
    # fastjsonschema may write into the schema it compiles; the cached one is shared.
    return fastjsonschema.compile(
        copy.deepcopy(schema),
        formats={"uri": _is_uri},
        use_default=False,
        detailed_exceptions=False,
    )


def _is_valid(validate: Callable[[Any], Any], value: object) -> bool:
    try:
        validate(value)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


# A large menu's items and modifier groups are most of the work of fastjsonschema, whose generated
# code formats an error path for every entity and every id it visits. `_plainly_valid` checks them
# in plain Python, accepting only plain values (exact dict, list, str, int, float; no tuples,
# subclasses, bools for numbers or NaN): whatever it accepts, fastjsonschema accepts, so the answer
# is the same, and whatever it does not accept goes to fastjsonschema as before. It is written
# against one version of the schema file: any other version turns it off (then fastjsonschema
# alone decides, as before).
SCHEMA_FILE_SHA256 = "69da5e08ddbf38e88c11014ea52ac8e5d59733442e687ddb5d2aacdad55bc027"


@cache
def _plain_gate_applies() -> bool:
    return hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_FILE_SHA256


def _plainly_valid(doc: object) -> bool:
    """True only when `doc` is schema-valid and made of plain values (see above)."""
    if doc.__class__ is not dict or not _plain_gate_applies():
        return False
    for field in ("catalogSetId", "storeId"):
        if field in doc and not _plain_id(doc[field]):
            return False
    catalogs, sections = doc.get("catalogs"), doc.get("sections")
    items, groups = doc.get("items"), doc.get("modifierGroups")
    if not (
        catalogs.__class__ is dict
        and sections.__class__ is dict
        and items.__class__ is dict
        and groups.__class__ is dict
    ):
        return False
    # Catalogs and sections are few: fastjsonschema checks them, dictionary by dictionary.
    return (
        _plain_items(items)
        and _plain_groups(groups)
        and _is_valid(_fast_dictionary("catalogs"), catalogs)
        and _is_valid(_fast_dictionary("sections"), sections)
    )


def _plain_id(value: object) -> bool:
    return value.__class__ is str and value != ""


def _plain_id_list(value: object) -> bool:
    if value.__class__ is not list:
        return False
    for ref in value:
        if ref.__class__ is not str or not ref:
            return False
    return True


def _plain_items(items: dict) -> bool:
    """Every entry an Item of $defs, under an Id (propertyNames)."""
    is_uri = _is_uri
    id_list = _plain_id_list
    for key, item in items.items():
        if key.__class__ is not str or not key or item.__class__ is not dict:
            return False
        get = item.get
        value = get("itemId")
        if value.__class__ is not str or not value:
            return False
        if get("name", "").__class__ is not str:
            return False
        value = get("description")
        if value is not None and value.__class__ is not str:
            return False
        value = get("imageUrl")
        if value is not None and (value.__class__ is not str or not is_uri(value)):
            return False
        value = get("basePrice", 0)
        if (value.__class__ is not float and value.__class__ is not int) or not value >= 0:
            return False  # not a plain number, negative or NaN
        if "modifierGroupIds" in item and not id_list(item["modifierGroupIds"]):
            return False
    return True


_SELECTION_COUNTS = ("minSelections", "maxSelections", "minimumAllowed", "maximumAllowed")


def _plain_groups(groups: dict) -> bool:
    """Every entry a ModifierGroup of $defs, under an Id (propertyNames)."""
    id_list = _plain_id_list
    for key, group in groups.items():
        if key.__class__ is not str or not key or group.__class__ is not dict:
            return False
        get = group.get
        value = get("modifierGroupId")
        if value.__class__ is not str or not value:
            return False
        if get("name", "").__class__ is not str:
            return False
        if "itemIds" not in group or not id_list(group["itemIds"]):
            return False
        for field in _SELECTION_COUNTS:
            value = get(field, 0)
            if value.__class__ is not int or value < 0:
                return False
    return True


def _entities_to_check(doc: object) -> object:
    """`doc` without the entities fastjsonschema finds valid, one by one.

    Dictionary keys are kept, so jsonschema's error paths are those of a whole-document run.
    """
    if not isinstance(doc, dict):
        return doc
    pruned = dict(doc)
    for kind in KINDS:
        entries = doc.get(kind.dictionary)
        if isinstance(entries, dict):
            validate = _fast_dictionary(kind.dictionary)
            pruned[kind.dictionary] = {
                key: value
                for key, value in entries.items()
                if not _is_valid(validate, {key: value})
            }
    return pruned


def _schema_problem(error: ValidationError, doc: object) -> CatalogProblem:
    parts: list[Any] = list(error.absolute_path)
    instance = error.instance
    keyword = error.validator
    where, entity, entity_id = _describe(parts, doc)
    if "propertyNames" in error.schema_path:
        # The error is about a dictionary key: point at the key itself.
        parts.append(instance)
        where, entity, entity_id = _describe(parts, doc)
        dictionary = parts[0] if len(parts) > 1 else "a dictionary"
        message = (
            f"An entry in {dictionary} has an invalid id {_shown(instance)}; "
            "ids are non-empty text."
        )
    elif keyword == "required":
        missing = [
            name
            for name in error.validator_value
            if isinstance(instance, dict)
            and name not in instance
            and error.message.startswith(repr(name))
        ]
        if missing:
            parts.append(missing[0])
            message = f"{where} is missing “{missing[0]}”."
        else:
            message = f"{where}: {_truncate(error.message, 200)}"
    elif keyword == "type":
        expected = error.validator_value
        expected = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_TYPE_NAMES.get(name, name) for name in expected)
        message = f"{where} must be {wanted} (got {_type_name(instance)})."
    elif keyword == "minimum":
        message = f"{where} must be at least {error.validator_value} (got {_shown(instance)})."
    elif keyword == "minLength":
        message = f"{where} must not be empty."
    elif keyword == "pattern" and error.validator_value == _time_pattern():
        message = (
            f"{where} must be a time written HH:mm:ss, like 09:30:00 (got {_shown(instance)})."
        )
    elif keyword == "enum":
        allowed = ", ".join(str(value) for value in error.validator_value)
        message = f"{where} must be one of {allowed} (got {_shown(instance)})."
    elif keyword == "format" and error.validator_value == "uri":
        message = f"{where} must be a full web address such as https://… (got {_shown(instance)})."
    else:
        message = f"{where}: {_truncate(error.message, 200)}"
    return CatalogProblem("SCHEMA", message, _json_path(*parts), entity, entity_id)


def _describe(parts: list[Any], doc: object) -> tuple[str, str | None, str | None]:
    """Who a schema error is about: ("Item “Fries”: basePrice", "item", id) and the like."""
    kind = _BY_DICTIONARY.get(parts[0]) if parts and isinstance(parts[0], str) else None
    if kind is not None and len(parts) >= 2 and isinstance(doc, dict):
        entries = doc.get(kind.dictionary)
        entity = entries.get(parts[1]) if isinstance(entries, dict) else None
        label = _label(kind, parts[1], entity)
        field = _json_path(*parts[2:], rooted=False)[1:].lstrip(".")
        return (f"{label}: {field}" if field else label), kind.entity, str(parts[1])
    field = _json_path(*parts)[1:].lstrip(".")
    return (f"The CatalogSet: {field}" if field else "The CatalogSet"), None, None


@cache
def _time_pattern() -> str | None:
    return load_schema().get("$defs", {}).get("TimeOfDay", {}).get("pattern")


_TYPE_NAMES = {
    "object": "an object",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "null": "null",
    "boolean": "true or false",
}


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | float):
        return f"the number {value}"
    return type(value).__name__


# --- Rules the schema cannot express (REFERENCE §17.7) -----------------------------------------


class _Menu:
    """A CatalogSet whose four dictionaries are dictionaries; anything else inside may be wrong."""

    def __init__(self, doc: dict) -> None:
        self.keys = {kind: doc[kind.dictionary] for kind in KINDS}
        # Entries that are not objects were reported by the schema; the rules skip them.
        self.entities = {
            kind: {
                key: value for key, value in doc[kind.dictionary].items() if isinstance(value, dict)
            }
            for kind in KINDS
        }

    def problems(self) -> list[CatalogProblem]:
        return [
            *self._no_catalogs(),
            *self._id_mismatches(),
            *self._references(),
            *self._section_cycles(),
            *self._modifier_cycles(),
            *self._group_limits(),
            *self._prices(),
            *self._availability(),
        ]

    # helpers

    def label(self, kind: _Kind, key: object) -> str:
        return _label(kind, key, self.entities[kind].get(key))

    def problem(
        self, code: str, message: str, kind: _Kind, key: object, *rest: Any
    ) -> CatalogProblem:
        return CatalogProblem(
            code, message, _json_path(kind.dictionary, key, *rest), kind.entity, str(key)
        )

    def successors(
        self, kind: _Kind, key: object, field: str, target: _Kind
    ) -> list[tuple[int, str]]:
        """(index, id) of the references in `field` that point at an existing entity."""
        present = self.entities[target]
        return [
            (index, ref)
            for index, ref in enumerate(_id_list(self.entities[kind][key], field))
            if isinstance(ref, str) and ref in present
        ]

    # rules

    def _no_catalogs(self) -> Iterator[CatalogProblem]:
        if not self.keys[CATALOG]:
            yield CatalogProblem(
                "NO_CATALOGS",
                "The menu has no catalogs, so there is nothing to sell. Add a catalog with at "
                "least one section.",
                "$.catalogs",
            )

    def _id_mismatches(self) -> Iterator[CatalogProblem]:
        # Rule 1: every dictionary key equals the id member of its value.
        for kind in KINDS:
            for key, entity in self.entities[kind].items():
                value = entity.get(kind.id_field)
                if isinstance(value, str) and value != key:
                    yield self.problem(
                        "ID_MISMATCH",
                        f"{self.label(kind, key)} is stored under the id {_shown(key)} but its "
                        f"{kind.id_field} is {_shown(value)}; the two must be the same.",
                        kind,
                        key,
                        kind.id_field,
                    )

    def _references(self) -> Iterator[CatalogProblem]:
        # Rule 2 (a dangling reference fails the whole ingestion) and rule 8 (no repeats in a list).
        for kind, field, target in REFERENCES:
            present = self.keys[target]
            for key, entity in self.entities[kind].items():
                seen: set[str] = set()
                for index, ref in enumerate(_id_list(entity, field)):
                    if not isinstance(ref, str):
                        continue  # reported by the schema
                    if ref in seen:
                        yield self.problem(
                            "DUPLICATE_ID",
                            f"{self.label(kind, key)} lists {target.noun} "
                            f"{self._chain_name(target, ref)} twice in {field}; remove the repeat.",
                            kind,
                            key,
                            field,
                            index,
                        )
                        continue
                    seen.add(ref)
                    if ref not in present:
                        yield self.problem(
                            "DANGLING_REFERENCE",
                            f"{self.label(kind, key)} lists {target.noun} {_shown(ref)} in "
                            f"{field}, but the menu has no {target.noun} with that id.",
                            kind,
                            key,
                            field,
                            index,
                        )

    def _section_cycles(self) -> Iterator[CatalogProblem]:
        # Rule 3: the section graph is acyclic.
        def successors(key: str) -> list[tuple[int, str]]:
            return self.successors(SECTION, key, "sectionIds", SECTION)

        for key, index, target, chain in _closing_edges(self.entities[SECTION], successors):
            label = self.label(SECTION, key)
            if target == key:
                message = f"{label} lists itself as a sub-section; remove it from its sub-sections."
            else:
                names = " → ".join(self._chain_name(SECTION, node) for node in chain)
                message = (
                    f"{label} closes a loop of sub-sections: {names} → "
                    f"{self._chain_name(SECTION, target)}. Remove "
                    f"{self._chain_name(SECTION, target)} from its sub-sections to break it."
                )
            yield self.problem("SECTION_CYCLE", message, SECTION, key, "sectionIds", index)

    def _modifier_cycles(self) -> Iterator[CatalogProblem]:
        # Rule 3 (inferred): an item -> group -> item chain never returns to an item on the path.
        # Items and groups are nodes of one graph, tagged so an item and a group may share an id.
        def successors(node: tuple[_Kind, str]) -> list[tuple[int, tuple[_Kind, str]]]:
            kind, key = node
            if kind is ITEM:
                return [
                    (i, (GROUP, g))
                    for i, g in self.successors(ITEM, key, "modifierGroupIds", GROUP)
                ]
            return [(i, (ITEM, it)) for i, it in self.successors(GROUP, key, "itemIds", ITEM)]

        if self._modifiers_are_acyclic():
            return  # nothing for the search below to find (the usual case, and much quicker)
        nodes = [(ITEM, key) for key in self.entities[ITEM]]
        nodes += [(GROUP, key) for key in self.entities[GROUP]]
        for (kind, key), index, (target_kind, target), chain in _closing_edges(nodes, successors):
            names = " → ".join(
                "…" if node is _ELLIPSIS else self._chain_name(*node) for node in chain
            )
            loop = f"{names} → {self._chain_name(target_kind, target)}"
            field = "modifierGroupIds" if kind is ITEM else "itemIds"
            message = (
                f"{self.label(kind, key)} closes a loop of nested modifiers: {loop}. An option "
                f"cannot lead back to an item it belongs to; remove "
                f"{self._chain_name(target_kind, target)} from its {field} to break the loop."
            )
            yield self.problem("MODIFIER_CYCLE", message, kind, key, field, index)

    def _modifiers_are_acyclic(self) -> bool:
        """Whether the item -> group -> item graph of `_modifier_cycles` has no cycle.

        Kahn's algorithm over the same edges (references to existing entities): the graph is
        acyclic exactly when every node can be removed once nothing points at it any more.
        """
        items, groups = self.entities[ITEM], self.entities[GROUP]
        item_refs = dict.fromkeys(items, 0)  # how many edges point at each node
        group_refs = dict.fromkeys(groups, 0)
        item_edges: dict[Any, list[str]] = {}
        group_edges: dict[Any, list[str]] = {}
        for edges, entities, field, present, refs in (
            (item_edges, items, "modifierGroupIds", groups, group_refs),
            (group_edges, groups, "itemIds", items, item_refs),
        ):
            for key, entity in entities.items():
                targets = entity.get(field)
                if not targets or not isinstance(targets, list):
                    continue
                targets = [ref for ref in targets if isinstance(ref, str) and ref in present]
                edges[key] = targets
                for ref in targets:
                    refs[ref] += 1
        free_items = [key for key, count in item_refs.items() if not count]
        free_groups = [key for key, count in group_refs.items() if not count]
        removed = 0
        while free_items or free_groups:
            for free, edges, refs, other in (
                (free_items, item_edges, group_refs, free_groups),
                (free_groups, group_edges, item_refs, free_items),
            ):
                while free:
                    key = free.pop()
                    removed += 1
                    for ref in edges.get(key, ()):
                        refs[ref] -= 1
                        if not refs[ref]:
                            other.append(ref)
        return removed == len(items) + len(groups)

    def _chain_name(self, kind: _Kind, key: object) -> str:
        if key is _ELLIPSIS:
            return "…"
        name = self.label(kind, key).removeprefix(kind.title + " ")
        return f"group {name}" if kind is GROUP else name

    def _group_limits(self) -> Iterator[CatalogProblem]:
        # Rule 4: per group, minimum <= maximum <= options, and the two spellings agree.
        for key, group in self.entities[GROUP].items():
            label = self.label(GROUP, key)
            limits = {}
            for new, old, bound in (
                ("minSelections", "minimumAllowed", "minimum"),
                ("maxSelections", "maximumAllowed", "maximum"),
            ):
                new_value, old_value = _count(group.get(new)), _count(group.get(old))
                if new_value is not None and old_value is not None and new_value != old_value:
                    yield self.problem(
                        "LIMIT_SPELLING_MISMATCH",
                        f"{label} gives its {bound} as {new} {new_value} and {old} {old_value}; "
                        "the two must be the same.",
                        GROUP,
                        key,
                        old,
                    )
                # The current portal's spelling wins while they disagree.
                limits[bound] = (new, new_value) if new_value is not None else (old, old_value)
            min_field, minimum = limits["minimum"]
            max_field, maximum = limits["maximum"]
            minimum = minimum or 0
            options = group.get("itemIds")
            option_count = (
                len({ref for ref in options if isinstance(ref, str)})
                if isinstance(options, list)
                else None
            )

            if maximum is not None and minimum > maximum:
                yield self.problem(
                    "MIN_GT_MAX",
                    f"{label} requires {_selections(minimum)} but allows at most {maximum}.",
                    GROUP,
                    key,
                    min_field,
                )
            if option_count is None:
                continue  # itemIds missing or not a list: reported by the schema
            if option_count == 0 and minimum > 0:
                yield self.problem(
                    "REQUIRED_GROUP_EMPTY",
                    f"{label} requires {_selections(minimum)} but has no options, so no one can "
                    "order an item that uses it. Add options or make it optional.",
                    GROUP,
                    key,
                    "itemIds",
                )
            elif ALLOW_MAX_ABOVE_OPTION_COUNT:
                continue
            elif maximum is not None and maximum > option_count:
                yield self.problem(
                    "MAX_GT_OPTIONS",
                    f"{label} allows up to {_selections(maximum)} but has only "
                    f"{_options(option_count)}.",
                    GROUP,
                    key,
                    max_field,
                )
            elif maximum is None and minimum > option_count:
                yield self.problem(
                    "MIN_GT_OPTIONS",
                    f"{label} requires {_selections(minimum)} but has only "
                    f"{_options(option_count)}.",
                    GROUP,
                    key,
                    min_field,
                )

    def _prices(self) -> Iterator[CatalogProblem]:
        # The schema accepts NaN and Infinity (Python's json reads them); JSON and Gett do not.
        for key, item in self.entities[ITEM].items():
            price = item.get("basePrice")
            if isinstance(price, float) and not math.isfinite(price):
                yield self.problem(
                    "SCHEMA",
                    f"{self.label(ITEM, key)}: basePrice must be a number (got {price}).",
                    ITEM,
                    key,
                    "basePrice",
                )

    def _availability(self) -> Iterator[CatalogProblem]:
        # Rules 5 and 6: every catalog has windows (fail-closed), each within one day.
        for key, catalog in self.entities[CATALOG].items():
            label = self.label(CATALOG, key)
            windows = catalog.get("availability")
            if windows is None or windows == []:
                yield self.problem(
                    "NO_AVAILABILITY",
                    f"{label} has no opening hours, so it will never be shown. Add at least one "
                    "availability window (00:00:00 to 00:00:00 is a whole day).",
                    CATALOG,
                    key,
                    "availability",
                )
                continue
            if not isinstance(windows, list):
                continue  # reported by the schema
            for index, window in enumerate(windows):
                if not isinstance(window, dict):
                    continue
                start, end, day = window.get("start"), window.get("end"), window.get("dayOfWeek")
                if not (_is_time(start) and _is_time(end)) or end == END_OF_DAY:
                    continue
                on_day = f" on {day}" if day in WEEKDAYS else ""
                if start > end:
                    next_day = (
                        WEEKDAYS[(WEEKDAYS.index(day) + 1) % 7]
                        if day in WEEKDAYS
                        else "the next day"
                    )
                    yield self.problem(
                        "WINDOW_CROSSES_MIDNIGHT",
                        f"{label} has a window{on_day} from {start} to {end}, which runs past "
                        f"midnight. Split it into {day if on_day else 'one day'} {start}–00:00:00 "
                        f"and {next_day} 00:00:00–{end}.",
                        CATALOG,
                        key,
                        "availability",
                        index,
                        "end",
                    )
                elif start == end:
                    yield self.problem(
                        "WINDOW_ORDER",
                        f"{label} has a window{on_day} that opens and closes at {start}, so it is "
                        "never open. Give it a later closing time (00:00:00 means end of day).",
                        CATALOG,
                        key,
                        "availability",
                        index,
                        "end",
                    )


def _store_problems(store: object) -> list[CatalogProblem]:
    # Rule 7: Gett rejects the catalog push of a store that allows neither delivery nor pickup.
    flags = store if isinstance(store, dict) else {}
    if flags.get("deliveryAllowed") is True or flags.get("pickupAllowed") is True:
        return []
    return [
        CatalogProblem(
            "NO_FULFILLMENT_METHOD",
            "The store allows neither delivery nor pickup, so Gett will reject its menu. Turn on "
            "delivery or pickup.",
            "$",
        )
    ]


# --- Cycles --------------------------------------------------------------------------------------

_ELLIPSIS = object()  # stands for the middle of a long loop in messages
_CHAIN_ENDS = 3


def _closing_edges(
    nodes: Any, successors: Callable[[Any], list[tuple[int, Any]]]
) -> Iterator[tuple[Any, int, Any, list[Any]]]:
    """Each edge that closes a cycle: (node, index of the edge, target, loop from target to node).

    Iterative depth-first search with three colours, so O(V + E) and no recursion limit on deep
    menus. Shared entities (reached twice, never on the current path) are not cycles.
    """
    done: set[Any] = set()
    position: dict[Any, int] = {}  # nodes on the current path -> their place in `path`
    for root in nodes:
        if root in done:
            continue
        path = [root]
        position[root] = 0
        stack = [(root, iter(successors(root)))]
        while stack:
            node, edges = stack[-1]
            for index, target in edges:
                if target in done:
                    continue
                if target in position:
                    start = position[target]
                    if len(path) - start > 2 * _CHAIN_ENDS:
                        chain = [
                            *path[start : start + _CHAIN_ENDS],
                            _ELLIPSIS,
                            *path[-_CHAIN_ENDS:],
                        ]
                    else:
                        chain = path[start:]
                    yield node, index, target, chain
                    continue
                position[target] = len(path)
                path.append(target)
                stack.append((target, iter(successors(target))))
                break
            else:
                stack.pop()
                path.pop()
                del position[node]
                done.add(node)


# --- Small helpers -------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _json_path(*parts: Any, rooted: bool = True) -> str:
    """JSONPath for a location: `$.items['<id>'].modifierGroupIds[0]`.

    Entity ids (the keys of the four dictionaries) are always in brackets, so paths look the same
    whatever the id; other names use dots when they can. `rooted=False` is for a path inside one
    entity, where no part is an entity id.
    """
    out = ["$"]
    for position, part in enumerate(parts):
        if rooted and position == 1 and parts[0] in _BY_DICTIONARY:
            out.append(_bracketed(part))
        elif isinstance(part, int) and not isinstance(part, bool):
            out.append(f"[{part}]")
        elif isinstance(part, str) and _IDENTIFIER.fullmatch(part):
            out.append("." + part)
        else:
            out.append(_bracketed(part))
    return "".join(out)


def _bracketed(part: object) -> str:
    escaped = str(part).replace("\\", "\\\\").replace("'", "\\'")
    return f"['{escaped}']"


def _label(kind: _Kind, key: object, entity: object) -> str:
    """`Item “Classic Burger”`, or the id when the entity has no name."""
    name = entity.get("name") if isinstance(entity, dict) else None
    shown = name if isinstance(name, str) and name.strip() else key
    return f"{kind.title} “{_truncate(str(shown), 80)}”"


def _id_list(entity: dict, field: str) -> list:
    value = entity.get(field)
    return value if isinstance(value, list) else []


def _count(value: object) -> int | None:
    """A selection count as the schema accepts it (a non-negative integer), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value >= 0 else None


def _is_time(value: object) -> bool:
    return isinstance(value, str) and _TIME.fullmatch(value) is not None


def _selections(count: int) -> str:
    return f"{count} selection" if count == 1 else f"{count} selections"


def _options(count: int) -> str:
    return f"{count} option" if count == 1 else f"{count} options"


def _shown(value: object) -> str:
    if isinstance(value, str):
        return f"“{_truncate(value, 80)}”"
    return _truncate(reprlib.repr(value), 80)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
