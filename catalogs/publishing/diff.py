"""What changed between two published CatalogSets, in words people read.

`catalogset_diff(old, new)` compares two CatalogSet documents (REFERENCE §17) by their stable
ids, so a renamed item is a rename and not a removal plus an addition. Every change carries
the names it needs, taken from the document where the thing exists (the old one for what was
removed), and a `text` for the page ("Margherita: 9.50 → 10.50").

Products (items placed in sections) are added, removed and moved; modifier options (items
reached only through modifier groups) show up as options added to or removed from their
groups. Renames, prices and descriptions are compared for every item, options included.

The documents are read defensively: a missing or mistyped member counts as empty, never as
an error, so an odd stored file still gives a diff.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from portal.money import money_for_currencies

__all__ = ["CatalogDiff", "Change", "GroupSummary", "catalogset_diff"]


@dataclass(frozen=True)
class Change:
    """One change. `kind` says what (see `CatalogDiff.GROUPS`), `text` says it in words."""

    kind: str
    entity_id: str
    name: str
    text: str
    old: object = None
    new: object = None
    # Where it is on the menu, for the summary: an item's first section ("Mains › Burgers"),
    # "Modifier options" for an option, a section's own path; "" for menus and groups.
    section: str = ""

    @property
    def tag(self) -> str:
        """ "added", "removed" or "changed": for a marker next to the text."""
        for verb in ("added", "removed"):
            if self.kind.endswith(f"_{verb}"):
                return verb
        return "changed"


OPTIONS_PLACE = "Modifier options"


@dataclass(frozen=True)
class GroupSummary:
    """One heading of the page: how many changes of each tag, and where on the menu."""

    heading: str
    slug: str
    total: int
    tags: list[tuple[str, int]]  # ("added", 3), ("changed", 5_000): only tags that occur
    sections: list[tuple[str, int]]  # (section path, changes), most changes first


@dataclass
class CatalogDiff:
    changes: list[Change] = field(default_factory=list)

    # kind -> heading on the page; kinds are shown in this order.
    GROUPS = {
        "Items": ("item_added", "item_removed", "item_renamed", "item_moved"),
        "Prices": ("price_changed",),
        "Descriptions": ("description_changed",),
        "Modifiers": (
            "group_added",
            "group_removed",
            "group_renamed",
            "group_limits_changed",
            "group_options_changed",
            "item_groups_changed",
        ),
        "Sections": ("section_added", "section_removed", "section_renamed"),
        "Menus and opening hours": (
            "catalog_added",
            "catalog_removed",
            "catalog_renamed",
            "availability_changed",
        ),
    }

    def __bool__(self) -> bool:
        return bool(self.changes)

    def __len__(self) -> int:
        return len(self.changes)

    def of_kind(self, kind: str) -> list[Change]:
        return [change for change in self.changes if change.kind == kind]

    @property
    def groups(self) -> list[tuple[str, list[Change]]]:
        """(heading, changes) for every heading that has changes, in page order."""
        by_kind: dict[str, list[Change]] = {}
        for change in self.changes:
            by_kind.setdefault(change.kind, []).append(change)
        out = []
        for heading, kinds in self.GROUPS.items():
            changes = [change for kind in kinds for change in by_kind.get(kind, [])]
            if changes:
                out.append((heading, changes))
        return out

    @staticmethod
    def slug(heading: str) -> str:
        """ "Menus and opening hours" -> "menus-and-opening-hours": a heading in a URL."""
        return "-".join(heading.lower().split())

    def group(self, slug: str) -> tuple[str, list[Change]] | None:
        """The heading and changes of one group, by its slug; None if it has no changes."""
        return next(((h, c) for h, c in self.groups if self.slug(h) == slug), None)

    def summaries(self) -> list[tuple[GroupSummary, list[Change]]]:
        """Every group with its counts per tag and per section, and its changes."""
        out = []
        for heading, changes in self.groups:
            tags = Counter(change.tag for change in changes)
            places = Counter(change.section for change in changes if change.section)
            out.append(
                (
                    GroupSummary(
                        heading=heading,
                        slug=self.slug(heading),
                        total=len(changes),
                        tags=[(tag, tags[tag]) for tag in TAGS if tags[tag]],
                        sections=sorted(places.items(), key=lambda kv: (-kv[1], kv[0])),
                    ),
                    changes,
                )
            )
        return out


TAGS = ("added", "removed", "changed")


def catalogset_diff(old: dict, new: dict, *, currency: str = "") -> CatalogDiff:
    """Everything that changed from `old` to `new`. Prices are shown with the number of
    decimals of `currency` (two when it is not given)."""
    before, after = _Doc(old), _Doc(new)
    diff = CatalogDiff()
    money = _money_formatter(currency)
    _diff_items(before, after, diff, money)
    _diff_groups(before, after, diff)
    _diff_sections(before, after, diff)
    _diff_catalogs(before, after, diff)
    return diff


# --- reading a document -----------------------------------------------------------------------


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _ids(value) -> list[str]:
    return [x for x in value if isinstance(x, str)] if isinstance(value, list) else []


def _name(entity: dict, fallback: str = "(no name)") -> str:
    name = entity.get("name")
    return name if isinstance(name, str) and name.strip() else fallback


class _Doc:
    """One document, with the lookups the diff needs."""

    def __init__(self, document) -> None:
        document = _dict(document)
        self.catalogs = {k: v for k, v in _dict(document.get("catalogs")).items() if _dict(v)}
        self.sections = {k: v for k, v in _dict(document.get("sections")).items() if _dict(v)}
        self.items = {k: v for k, v in _dict(document.get("items")).items() if _dict(v)}
        self.groups = {k: v for k, v in _dict(document.get("modifierGroups")).items() if _dict(v)}
        self.section_paths = self._section_paths()
        # item id -> ids of the sections that list it (in menu order)
        self.placement: dict[str, list[str]] = {}
        for section_id in self.section_paths:
            for item_id in _ids(self.sections[section_id].get("itemIds")):
                self.placement.setdefault(item_id, [])
                if section_id not in self.placement[item_id]:
                    self.placement[item_id].append(section_id)

    def _section_paths(self) -> dict[str, str]:
        """Section id -> "Mains › Burgers", for sections reachable from a catalog (menu order).

        Sections no catalog reaches keep their own name.
        """
        paths: dict[str, str] = {}

        def walk(section_ids: list[str], prefix: str, seen: frozenset[str]) -> None:
            for section_id in section_ids:
                if section_id in seen or section_id not in self.sections:
                    continue  # a cycle or a dangling id: the validator reports those
                section = self.sections[section_id]
                path = f"{prefix} › {_name(section)}" if prefix else _name(section)
                paths.setdefault(section_id, path)
                walk(_ids(section.get("sectionIds")), path, seen | {section_id})

        for catalog in self.catalogs.values():
            walk(_ids(catalog.get("sectionIds")), "", frozenset())
        for section_id, section in self.sections.items():
            paths.setdefault(section_id, _name(section))
        return paths

    def is_product(self, item_id: str) -> bool:
        return bool(self.placement.get(item_id))

    def item_name(self, item_id: str) -> str:
        return _name(self.items.get(item_id, {}), fallback=item_id)

    def group_name(self, group_id: str) -> str:
        return _name(self.groups.get(group_id, {}), fallback=group_id)

    def places(self, item_id: str) -> list[str]:
        return [self.section_paths[s] for s in self.placement.get(item_id, [])]

    def place(self, item_id: str) -> str:
        """Where the summary counts an item: its first section, or the modifier options."""
        placement = self.placement.get(item_id)
        return self.section_paths[placement[0]] if placement else OPTIONS_PLACE


def _names(ids, lookup) -> str:
    return ", ".join(lookup(x) for x in ids)


def _added_removed(old_ids: list[str], new_ids: list[str]) -> tuple[list[str], list[str]]:
    old_set, new_set = set(old_ids), set(new_ids)
    return [x for x in new_ids if x not in old_set], [x for x in old_ids if x not in new_set]


def _money_formatter(currency: str):
    # Wire prices are major units already: only the currency's decimal places are needed.
    digits = money_for_currencies([currency] if currency else []).digits

    def money(value) -> str:
        if value.__class__ is int:  # the common case, and the one a big change repeats
            return f"{value:.{digits}f}"
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return "no price"
        try:
            return f"{Decimal(str(value)):.{digits}f}"
        except InvalidOperation:
            return str(value)

    return money


def _same_price(a, b) -> bool:
    if a.__class__ is b.__class__ and a.__class__ in (int, float):
        return a == b
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except InvalidOperation:
        return a == b


# --- items --------------------------------------------------------------------------------------


def _diff_items(before: _Doc, after: _Doc, diff: CatalogDiff, money) -> None:
    add = diff.changes.append
    for item_id, item in after.items.items():
        if item_id not in before.items and after.is_product(item_id):
            name = _name(item)
            places = ", ".join(after.places(item_id))
            add(
                Change(
                    "item_added",
                    item_id,
                    name,
                    f"{name} ({money(item.get('basePrice'))}) added to {places}",
                    new=item.get("basePrice"),
                    section=after.place(item_id),
                )
            )
    for item_id, item in before.items.items():
        if item_id not in after.items and before.is_product(item_id):
            name = _name(item)
            places = ", ".join(before.places(item_id))
            text = f"{name} removed from {places}"
            add(Change("item_removed", item_id, name, text, section=before.place(item_id)))

    for item_id, new_item in after.items.items():
        old_item = before.items.get(item_id)
        if old_item is None:
            continue
        old_name, name = _name(old_item), _name(new_item)
        place = after.place(item_id)
        if old_name != name:
            add(
                Change(
                    "item_renamed",
                    item_id,
                    name,
                    f"“{old_name}” is now called “{name}”",
                    old=old_name,
                    new=name,
                    section=place,
                )
            )
        old_price, new_price = old_item.get("basePrice"), new_item.get("basePrice")
        if not _same_price(old_price, new_price):
            label = name if after.is_product(item_id) else f"{name} (option)"
            add(
                Change(
                    "price_changed",
                    item_id,
                    name,
                    f"{label}: {money(old_price)} → {money(new_price)}",
                    old=old_price,
                    new=new_price,
                    section=place,
                )
            )
        old_text = old_item.get("description") or ""
        new_text = new_item.get("description") or ""
        if old_text != new_text:
            if not old_text:
                text = f"{name}: description added: “{new_text}”"
            elif not new_text:
                text = f"{name}: description removed (was “{old_text}”)"
            else:
                text = f"{name}: “{old_text}” → “{new_text}”"
            add(
                Change(
                    "description_changed",
                    item_id,
                    name,
                    text,
                    old=old_text,
                    new=new_text,
                    section=place,
                )
            )

        old_places, new_places = before.placement.get(item_id, []), after.placement.get(item_id, [])
        if set(old_places) != set(new_places) and (old_places or new_places):
            was = ", ".join(before.places(item_id)) or "no section"
            now = ", ".join(after.places(item_id)) or "no section"
            add(
                Change(
                    "item_moved",
                    item_id,
                    name,
                    f"{name} moved: {was} → {now}",
                    old=before.places(item_id),
                    new=after.places(item_id),
                    section=place,
                )
            )

        added, removed = _added_removed(
            _ids(old_item.get("modifierGroupIds")), _ids(new_item.get("modifierGroupIds"))
        )
        if added or removed:
            parts = []
            if added:
                parts.append(f"now offers {_names(added, after.group_name)}")
            if removed:
                parts.append(f"no longer offers {_names(removed, before.group_name)}")
            add(
                Change(
                    "item_groups_changed",
                    item_id,
                    name,
                    f"{name}: {'; '.join(parts)}",
                    old=[before.group_name(g) for g in removed],
                    new=[after.group_name(g) for g in added],
                    section=place,
                )
            )


# --- modifier groups ---------------------------------------------------------------------------


def _limits(group: dict) -> tuple[object, object]:
    minimum = group.get("minSelections", group.get("minimumAllowed"))
    maximum = group.get("maxSelections", group.get("maximumAllowed"))
    return minimum, maximum


def _limits_text(minimum, maximum) -> str:
    if minimum == maximum:
        return f"choose exactly {minimum}"
    if not minimum:
        return f"choose up to {maximum}"
    return f"choose {minimum} to {maximum}"


def _diff_groups(before: _Doc, after: _Doc, diff: CatalogDiff) -> None:
    add = diff.changes.append
    for group_id, group in after.groups.items():
        if group_id in before.groups:
            continue
        name = _name(group)
        options = _names(_ids(group.get("itemIds")), after.item_name) or "no options"
        add(
            Change(
                "group_added",
                group_id,
                name,
                f"New group “{name}” ({_limits_text(*_limits(group))}): {options}",
            )
        )
    for group_id, group in before.groups.items():
        if group_id not in after.groups:
            name = _name(group)
            add(Change("group_removed", group_id, name, f"Group “{name}” removed"))

    for group_id, new_group in after.groups.items():
        old_group = before.groups.get(group_id)
        if old_group is None:
            continue
        old_name, name = _name(old_group), _name(new_group)
        if old_name != name:
            add(
                Change(
                    "group_renamed",
                    group_id,
                    name,
                    f"Group “{old_name}” is now called “{name}”",
                    old=old_name,
                    new=name,
                )
            )
        old_limits, new_limits = _limits(old_group), _limits(new_group)
        if old_limits != new_limits:
            add(
                Change(
                    "group_limits_changed",
                    group_id,
                    name,
                    f"{name}: {_limits_text(*old_limits)} → {_limits_text(*new_limits)}",
                    old=old_limits,
                    new=new_limits,
                )
            )
        added, removed = _added_removed(
            _ids(old_group.get("itemIds")), _ids(new_group.get("itemIds"))
        )
        if added or removed:
            parts = []
            if added:
                parts.append(f"options added: {_names(added, after.item_name)}")
            if removed:
                parts.append(f"options removed: {_names(removed, before.item_name)}")
            add(
                Change(
                    "group_options_changed",
                    group_id,
                    name,
                    f"{name}: {'; '.join(parts)}",
                    old=[before.item_name(i) for i in removed],
                    new=[after.item_name(i) for i in added],
                )
            )


# --- sections -----------------------------------------------------------------------------------


def _diff_sections(before: _Doc, after: _Doc, diff: CatalogDiff) -> None:
    add = diff.changes.append
    for section_id, section in after.sections.items():
        if section_id not in before.sections:
            name = _name(section)
            add(
                Change(
                    "section_added",
                    section_id,
                    name,
                    f"New section: {after.section_paths[section_id]}",
                    section=after.section_paths[section_id],
                )
            )
    for section_id, section in before.sections.items():
        if section_id not in after.sections:
            name = _name(section)
            add(
                Change(
                    "section_removed",
                    section_id,
                    name,
                    f"Section removed: {before.section_paths[section_id]}",
                    section=before.section_paths[section_id],
                )
            )
    for section_id, section in after.sections.items():
        old = before.sections.get(section_id)
        if old is not None and _name(old) != _name(section):
            add(
                Change(
                    "section_renamed",
                    section_id,
                    _name(section),
                    f"Section “{_name(old)}” is now called “{_name(section)}”",
                    old=_name(old),
                    new=_name(section),
                    section=after.section_paths[section_id],
                )
            )


# --- catalogs and availability ------------------------------------------------------------------


def _window_text(window) -> str | None:
    window = _dict(window)
    day, start, end = window.get("dayOfWeek"), window.get("start"), window.get("end")
    if not all(isinstance(x, str) for x in (day, start, end)):
        return None
    end_text = "midnight" if end == "00:00:00" else end[:5]
    return f"{day} {start[:5]}–{end_text}"


def _windows(catalog: dict) -> list[str]:
    windows = catalog.get("availability")
    texts = [_window_text(w) for w in windows] if isinstance(windows, list) else []
    return [text for text in texts if text]


def _diff_catalogs(before: _Doc, after: _Doc, diff: CatalogDiff) -> None:
    add = diff.changes.append
    for catalog_id, catalog in after.catalogs.items():
        if catalog_id not in before.catalogs:
            name = _name(catalog)
            hours = ", ".join(_windows(catalog)) or "no opening hours"
            add(Change("catalog_added", catalog_id, name, f"Menu “{name}” added ({hours})"))
    for catalog_id, catalog in before.catalogs.items():
        if catalog_id not in after.catalogs:
            name = _name(catalog)
            add(Change("catalog_removed", catalog_id, name, f"Menu “{name}” removed"))
    for catalog_id, catalog in after.catalogs.items():
        old = before.catalogs.get(catalog_id)
        if old is None:
            continue
        name = _name(catalog)
        if _name(old) != name:
            add(
                Change(
                    "catalog_renamed",
                    catalog_id,
                    name,
                    f"Menu “{_name(old)}” is now called “{name}”",
                    old=_name(old),
                    new=name,
                )
            )
        added, removed = _added_removed(_windows(old), _windows(catalog))
        if added or removed:
            parts = []
            if added:
                parts.append(f"hours added: {', '.join(added)}")
            if removed:
                parts.append(f"hours removed: {', '.join(removed)}")
            add(
                Change(
                    "availability_changed",
                    catalog_id,
                    name,
                    f"{name}: {'; '.join(parts)}",
                    old=removed,
                    new=added,
                )
            )
