"""The rules the JSON Schema cannot express (REFERENCE §17.7): references, cycles, limits, hours."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeGuard

from gett.catalogset.paths import (
    CATALOG,
    GROUP,
    ITEM,
    KINDS,
    REFERENCES,
    SECTION,
    CatalogProblem,
    Kind,
    entity_label,
    json_path,
    shown,
)

# (REFERENCE §17.7.4) A maximum above the number of options is fine when an option can be chosen
# more than once, and it can: a selected option carries a quantity, priced "option basePrice ×
# option quantity" (§17.6). Turn this off if Gett ever says otherwise; MAX_GT_OPTIONS and
# MIN_GT_OPTIONS then fire again.
ALLOW_MAX_ABOVE_OPTION_COUNT = True

# As an end time, 00:00:00 means the end of the day (REFERENCE §17.4).
END_OF_DAY = "00:00:00"
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]")


class Menu:
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

    def label(self, kind: Kind, key: object) -> str:
        return entity_label(kind, key, self.entities[kind].get(key))

    def problem(
        self, code: str, message: str, kind: Kind, key: object, *rest: Any
    ) -> CatalogProblem:
        return CatalogProblem(
            code, message, json_path(kind.dictionary, key, *rest), kind.entity, str(key)
        )

    def successors(
        self, kind: Kind, key: object, field: str, target: Kind
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
                        f"{self.label(kind, key)} is stored under the id {shown(key)} but its "
                        f"{kind.id_field} is {shown(value)}; the two must be the same.",
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
                            f"{self.label(kind, key)} lists {target.noun} {shown(ref)} in "
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
        def successors(node: tuple[Kind, str]) -> list[tuple[int, tuple[Kind, str]]]:
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

    def _chain_name(self, kind: Kind, key: object) -> str:
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
            # A group states both limits (either spelling, §17.3): without them Gett cannot tell
            # a required choice from an optional one, nor how many may be picked.
            missing = [
                bound
                for bound, (new, old) in (
                    ("minimum", ("minSelections", "minimumAllowed")),
                    ("maximum", ("maxSelections", "maximumAllowed")),
                )
                if new not in group and old not in group
            ]
            if missing:
                yield self.problem(
                    "MISSING_LIMIT",
                    f"{label} does not say how many options to choose (its "
                    f"{' and '.join(missing)}). Set the least and the most a customer may pick.",
                    GROUP,
                    key,
                )
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
        # Every item, options included, has the price Gett re-prices carts with (§17.3, §17.5,
        # §17.6); the schema leaves it optional, Gett cannot price a line without it.
        # The schema accepts NaN and Infinity (Python's json reads them); JSON and Gett do not.
        for key, item in self.entities[ITEM].items():
            if "basePrice" not in item:
                yield self.problem(
                    "MISSING_PRICE",
                    f"{self.label(ITEM, key)} has no price. Give it one (0 for a free option).",
                    ITEM,
                    key,
                )
                continue
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


def store_problems(store: object) -> list[CatalogProblem]:
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


def _is_time(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _TIME.fullmatch(value) is not None


def _selections(count: int) -> str:
    return f"{count} selection" if count == 1 else f"{count} selections"


def _options(count: int) -> str:
    return f"{count} option" if count == 1 else f"{count} options"
