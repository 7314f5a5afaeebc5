"""Reading menus. The whole menu is read one way, `menu_rows_get` (plain rows indexed by pk,
a fixed number of queries): the API, CSV, the CatalogSet builder and order pricing all index or
walk those rows, and the editor's outline (`section_tree_get`) its catalogs and sections. The
editor and the sold-out page read big menus in bounded pieces (a page of items, counts in the
database). The rest are small lookups of one object's lists. The editor's catalogs and sections
carry extra attributes for the templates (see `TreeCatalog`, `TreeSection`).
"""

from __future__ import annotations

import copy
import re
import threading
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from time import monotonic as time_monotonic
from typing import Any, Protocol, cast

from django.core.cache import cache
from django.db.models import (
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.urls import reverse
from django.utils import timezone

from catalogs.hours import window_open
from catalogs.models import (
    MIDNIGHT,
    AvailabilityWindow,
    Catalog,
    Item,
    ItemModifierGroup,
    ItemSnooze,
    ModifierGroup,
    ModifierOption,
    PublishState,
    Section,
    SectionItem,
    StoreCatalog,
)
from stores.models import Merchant, Store

WEEKDAY_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ENTITY_URLS = {
    "catalog": "menu:catalog-edit",
    "section": "menu:section-edit",
    "item": "menu:item-edit",
    "modifierGroup": "menu:group-edit",
}


@dataclass
class Problem:
    """A publish problem as the editor shows it: the same one in several stores shown once."""

    message: str
    code: str
    entity_id: str | None
    stores: list[str] = field(default_factory=list)
    fix_url: str | None = None
    fix_label: str = "Fix it"


class TreeCatalog(Protocol):
    """What `section_tree_get` (`root_sections`, `problems`) and the editor's overview (the rest)
    set on a Catalog for the pages."""

    root_sections: list[Section]
    problems: list[Problem]
    hours: list[str]
    selling_stores: list[Store]


class TreeSection(Protocol):
    """What `section_tree_get` sets on a Section for the pages."""

    subsections: list[Section]
    problems: list[Problem]
    path: str
    depth: int
    root_catalog: Catalog


@dataclass
class StorePublish:
    store: Store
    checked_at: datetime | None
    is_valid: bool | None
    problems: list[Problem]
    problem_count: int = 0


def model_from_row(model, **values):
    """A model object from menu rows, as a queryset would load it (`values` are its loaded
    fields: saving updates only those, reading another loads it)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(model.objects.db, names, [values[name] for name in names])


def section_tree_get(
    *, merchant: Merchant, rows: MenuRows | None = None
) -> tuple[list[Catalog], list[Section]]:
    """Catalogs (with `root_sections`) and every section in menu order, with paths.

    An index over `menu_rows_get`'s catalogs and sections (only those are read unless `rows`
    are given: `menu_outline_rows_get`).
    """
    rows = rows or menu_outline_rows_get(merchant_id=merchant.pk)
    catalogs = [
        model_from_row(Catalog, id=row["id"], merchant_id=merchant.pk, **_texts(row))
        for row in rows.catalogs
    ]
    sections = [
        model_from_row(
            Section,
            id=pk,
            merchant_id=merchant.pk,
            catalog_id=row["catalog_id"],
            parent_id=row["parent_id"],
            **_texts(row),
        )
        for pk, row in rows.sections.items()
    ]
    by_pk = {section.pk: section for section in sections}
    catalogs_by_pk = {catalog.pk: catalog for catalog in catalogs}
    for catalog in catalogs:
        catalog.root_sections = []
        catalog.problems = []
    for section in sections:
        section.subsections = []
        section.problems = []
    for section in sections:
        if section.catalog_id in catalogs_by_pk:
            catalogs_by_pk[section.catalog_id].root_sections.append(section)
        elif section.parent_id in by_pk:
            by_pk[section.parent_id].subsections.append(section)

    ordered: list[Section] = []
    seen: set[int] = set()

    def walk(section: Section, trail: list[str], depth: int, catalog: Catalog) -> None:
        if section.pk in seen:  # never by our services; a loop must not hang a page
            return
        seen.add(section.pk)
        tree = cast(TreeSection, section)
        tree.path = " › ".join([*trail, section.name])
        tree.depth = depth
        tree.root_catalog = catalog
        ordered.append(section)
        for child in tree.subsections:
            walk(child, [*trail, section.name], depth + 1, catalog)

    for catalog in catalogs:
        for root in catalog.root_sections:
            walk(root, [catalog.name], 0, catalog)
    return catalogs, ordered


def _texts(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"public_id": row["public_id"], "name": row["name"], "description": row["description"]}


def _fix_link(problem: Problem, store: Store, catalogs: list, entities: dict):
    """Where to go to fix a problem: the entity it names, or the page for a menu-wide one."""
    if problem.entity_id in entities:
        kind, obj = entities[problem.entity_id]
        return reverse(ENTITY_URLS[kind], args=[obj.public_id]), f"Edit {obj.name}"
    if problem.code == "NO_FULFILLMENT_METHOD":
        return reverse("stores:edit", args=[store.public_id]), "Edit the store"
    if problem.code == "NO_OPENING_HOURS" and catalogs:
        return reverse("menu:catalog-edit", args=[catalogs[0].public_id]), "Add opening hours"
    if problem.code == "NO_CATALOGS" or (problem.code == "NO_OPENING_HOURS" and not catalogs):
        return reverse("menu:catalog-create"), "Create a catalog"
    return None, ""


def hours_summary(windows) -> list[str]:
    """["Every day 11:00–22:00", "Fri 22:00–02:00 (past midnight)"]; [] when never open.

    `windows`: (weekday, start, end) rows, or AvailabilityWindow objects.
    """
    days_by_time: dict[tuple, set[int]] = defaultdict(set)
    for window in windows:
        if isinstance(window, AvailabilityWindow):
            window = (window.weekday, window.start, window.end)
        weekday, start, end = window
        days_by_time[(start, end)].add(weekday)
    lines = []
    for (start, end), days in sorted(
        days_by_time.items(), key=lambda kv: (min(kv[1]), kv[0][0], kv[0][1])
    ):
        lines.append(f"{_days_label(days)} {_time_range(start, end)}")
    return lines


def _days_label(days: set[int]) -> str:
    if len(days) == 7:
        return "Every day"
    ordered = sorted(days)
    runs: list[list[int]] = []
    for day in ordered:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{WEEKDAY_SHORT[run[0]]}–{WEEKDAY_SHORT[run[-1]]}")
        else:
            parts.extend(WEEKDAY_SHORT[day] for day in run)
    return ", ".join(parts)


def _time_range(start, end) -> str:
    if start == MIDNIGHT and end == MIDNIGHT:
        return "all day"
    if end == MIDNIGHT:
        return f"{start:%H:%M}–24:00"
    if start > end:
        return f"{start:%H:%M}–{end:%H:%M} (past midnight)"
    return f"{start:%H:%M}–{end:%H:%M}"


def entity_problems_list(*, merchant: Merchant, public_id) -> list[Problem]:
    """The current problems naming one entity, across the merchant's stores (edit pages)."""
    shown: dict[tuple, Problem] = {}
    for state in PublishState.objects.filter(store__merchant=merchant).select_related("store"):
        for raw in state.problems_for(public_id):
            key = (raw.get("code"), raw.get("message"))
            if key not in shown:
                shown[key] = Problem(
                    message=str(raw.get("message") or raw.get("code")),
                    code=str(raw.get("code") or ""),
                    entity_id=str(public_id),
                )
            shown[key].stores.append(state.store.name)
    return list(shown.values())


def group_rule(group: ModifierGroup) -> str:
    """ "required, choose 1" / "optional, up to 3": the limits in words."""
    low, high = group.min_selections, group.max_selections
    if low == 0:
        return f"optional, up to {high}"
    if low == high:
        return f"required, choose {low}"
    return f"required, choose {low} to {high}"


def group_label(group: ModifierGroup) -> str:
    return f"{group.name} ({group_rule(group)})"


def section_items_list(*, section: Section) -> list[Item]:
    """The section's items in menu order."""
    return list(
        Item.objects.filter(section_items__section=section).order_by(
            "section_items__position", "section_items__id"
        )
    )


def item_sections_list(*, item: Item) -> list[Section]:
    """The sections `item` is in, in the order it was put in them."""
    return list(Section.objects.filter(section_items__item=item).order_by("section_items__id"))


def items_places_get(*, section_ids: set[int]) -> dict[int, set[int]]:
    """Item pk -> every section it is in, for the items in any of `section_ids`."""
    places: dict[int, set[int]] = defaultdict(set)
    for item_id, section_id in SectionItem.objects.filter(
        item__section_items__section__in=section_ids
    ).values_list("item_id", "section_id"):
        places[item_id].add(section_id)
    return places


def item_groups_list(*, item: Item) -> list[ModifierGroup]:
    """The modifier groups offered on `item`, in order."""
    return list(
        ModifierGroup.objects.filter(item_groups__item=item).order_by(
            "item_groups__position", "item_groups__id"
        )
    )


def group_options_list(*, group: ModifierGroup) -> list[Item]:
    """The group's options, in order."""
    return list(
        Item.objects.filter(group_options__group=group).order_by(
            "group_options__position", "group_options__id"
        )
    )


def store_catalog_ids_get(*, merchant_id: int) -> dict[int, set[int]]:
    """Store pk -> pks of the catalogs it chose to sell (a store without choices is absent)."""
    chosen: dict[int, set[int]] = defaultdict(set)
    for store_id, catalog_id in StoreCatalog.objects.filter(
        store__merchant_id=merchant_id
    ).values_list("store_id", "catalog_id"):
        chosen[store_id].add(catalog_id)
    return chosen


# --- the editor's bounded reads -----------------------------------------------------------------
# A big menu is searched and paged, never listed whole: counts are aggregated in the database and
# item lists come a page at a time (a fixed number of queries and a bounded page, at any size).

SOLD_OUT, ON_SALE = "sold_out", "on_sale"


def search_text(typed: str, *, limit: int) -> str:
    """What a search box's text is matched as: trimmed, at most `limit` characters, and without
    NUL (nobody types one, and PostgreSQL refuses it in a query)."""
    return typed.replace("\x00", "").strip()[:limit]


@dataclass(frozen=True)
class ItemFilter:
    """Which of a merchant's items an editor list or a bulk change means.

    `q`: in the name or description (ignoring case); `section`: directly in that section (in its
    order), or `unlisted`: in no section; `state`: SOLD_OUT (snoozed in at least one store now)
    or ON_SALE; `ids`: only these public ids. Empty parts do not filter.
    """

    q: str = ""
    section: Section | None = None
    unlisted: bool = False
    state: str = ""
    ids: tuple[uuid.UUID, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.q or self.section or self.unlisted or self.state or self.ids)


def item_sold_out_expression(now: datetime | None = None) -> Exists:
    """True for an item snoozed (sold out) in any store at `now`."""
    return Exists(ItemSnooze.objects.active(now).filter(item_id=OuterRef("pk")))


def items_filtered(*, merchant: Merchant, item_filter: ItemFilter) -> QuerySet[Item]:
    """The merchant's items that `item_filter` means, filtered in the database: by name, or in
    section order when filtered by section."""
    items = Item.objects.filter(merchant=merchant)
    needle = item_filter.q.strip()
    if needle:
        items = items.filter(Q(name__icontains=needle) | Q(description__icontains=needle))
    if item_filter.ids:
        items = items.filter(public_id__in=item_filter.ids)
    if item_filter.state == SOLD_OUT:
        items = items.filter(item_sold_out_expression())
    elif item_filter.state == ON_SALE:
        items = items.filter(~item_sold_out_expression())
    if item_filter.section is not None:
        return items.filter(section_items__section=item_filter.section).order_by(
            "section_items__position", "section_items__id"
        )
    if item_filter.unlisted:
        items = items.filter(~Exists(SectionItem.objects.filter(item_id=OuterRef("pk"))))
    return items.order_by("name", "id")


def section_counts_get(*, merchant_id: int) -> dict[int, tuple[int, int]]:
    """Section pk -> (items directly in it, how many of them are sold out now): one query."""
    sold_out = Exists(ItemSnooze.objects.active().filter(item_id=OuterRef("item_id")))
    counts = (
        SectionItem.objects.filter(section__merchant_id=merchant_id)
        .order_by()
        .values("section_id")
        .annotate(items=Count("id"), sold_out=Count("id", filter=Q(sold_out)))
        .values_list("section_id", "items", "sold_out")
    )
    return {section_id: (items, sold) for section_id, items, sold in counts}


@dataclass
class ItemCounts:
    items: int
    unlisted: int
    sold_out: int
    groups: int


def item_counts_get(*, merchant_id: int) -> ItemCounts:
    """The merchant's items, those in no section, those sold out now, and its groups: four
    plain counts (no per-row subqueries, so they stay fast on big menus)."""
    items = Item.objects.filter(merchant_id=merchant_id).count()
    listed = (
        SectionItem.objects.filter(item__merchant_id=merchant_id)
        .order_by()
        .values("item_id")
        .distinct()
        .count()
    )
    sold_out = (
        ItemSnooze.objects.active()
        .filter(item__merchant_id=merchant_id)
        .order_by()
        .values("item_id")
        .distinct()
        .count()
    )
    return ItemCounts(
        items=items,
        unlisted=items - listed,
        sold_out=sold_out,
        groups=ModifierGroup.objects.filter(merchant_id=merchant_id).count(),
    )


def items_sections_get(*, item_ids: list[int]) -> dict[int, list[int]]:
    """Item pk -> the pks of the sections it is in, for one page of items (one query)."""
    places: dict[int, list[int]] = defaultdict(list)
    for item_id, section_id in (
        SectionItem.objects.filter(item_id__in=item_ids)
        .order_by("id")
        .values_list("item_id", "section_id")
    ):
        places[item_id].append(section_id)
    return places


def items_sold_out_at_get(*, item_ids: list[int], now=None) -> dict[int, list[str]]:
    """Item pk -> names of the stores where it is sold out now, for one page (one query)."""
    stores: dict[int, list[str]] = defaultdict(list)
    for item_id, store_name in (
        ItemSnooze.objects.active(now)
        .filter(item_id__in=item_ids)
        .order_by("store__name", "store_id")
        .values_list("item_id", "store__name")
    ):
        stores[item_id].append(store_name)
    return stores


def groups_listed(*, merchant: Merchant, q: str = "") -> QuerySet[ModifierGroup]:
    """The merchant's modifier groups by name (optionally by part of the name), each with
    `option_count` and `item_count` (counted per row, so cheap on one page)."""
    groups = ModifierGroup.objects.filter(merchant=merchant)
    if q.strip():
        groups = groups.filter(name__icontains=q.strip())

    def per_group(rows: QuerySet) -> Subquery:
        counted = rows.filter(group_id=OuterRef("pk")).order_by().values("group_id")
        return Subquery(counted.annotate(n=Count("id")).values("n"))

    return groups.annotate(
        option_count=per_group(ModifierOption.objects.all()),
        item_count=per_group(ItemModifierGroup.objects.all()),
    ).order_by("name", "id")


def publish_problems_get(
    *, stores: list[Store], shown_per_store: int = 20
) -> tuple[list[StorePublish], dict[str, list[Problem]]]:
    """Each store's last publish check with (up to `shown_per_store` of) its problems and a way
    to fix each, and every problem by the public id of the entity it names (once across stores).

    Reads only the problems and the entities they name, never the whole menu.
    """
    states = {state.store_id: state for state in PublishState.objects.filter(store__in=stores)}
    raw_by_store: dict[int, list[dict]] = {
        store.pk: [
            raw
            for raw in (states[store.pk].last_problems if store.pk in states else None) or []
            if isinstance(raw, dict)
        ]
        for store in stores
    }
    named = {
        str(raw["entityId"])
        for raws in raw_by_store.values()
        for raw in raws[:shown_per_store]
        if raw.get("entityId")
    }
    entities: dict[str, tuple[str, Any]] = {}
    if named:
        wanted = []
        for value in named:
            try:
                wanted.append(uuid.UUID(value))
            except ValueError:
                continue
        for kind, model in (
            ("catalog", Catalog),
            ("section", Section),
            ("item", Item),
            ("modifierGroup", ModifierGroup),
        ):
            for obj in model.objects.filter(
                merchant_id=stores[0].merchant_id, public_id__in=wanted
            ).only("id", "public_id", "name"):
                entities[str(obj.public_id)] = (kind, obj)
    # Only a menu-wide "no opening hours" problem needs a catalog (the first) for its link.
    hours_missing = any(
        raw.get("code") == "NO_OPENING_HOURS" for raws in raw_by_store.values() for raw in raws
    )
    catalogs = (
        list(Catalog.objects.filter(merchant_id=stores[0].merchant_id).order_by("position")[:1])
        if hours_missing
        else []
    )
    by_entity: dict[str, list[Problem]] = defaultdict(list)
    shown: dict[tuple, Problem] = {}
    publishing = []
    for store in stores:
        state = states.get(store.pk)
        problems = []
        for index, raw in enumerate(raw_by_store[store.pk]):
            entity_id = str(raw["entityId"]) if raw.get("entityId") else None
            problem = Problem(
                message=str(raw.get("message") or raw.get("code") or "Unknown problem"),
                code=str(raw.get("code") or ""),
                entity_id=entity_id,
                stores=[store.name],
            )
            if index < shown_per_store:
                problem.fix_url, problem.fix_label = _fix_link(problem, store, catalogs, entities)
                problems.append(problem)
            if entity_id:
                key = (entity_id, problem.code, problem.message)
                if key in shown:
                    shown[key].stores.append(store.name)
                else:
                    shown[key] = Problem(**{**problem.__dict__, "stores": [store.name]})
                    by_entity[entity_id].append(shown[key])
        publishing.append(
            StorePublish(
                store=store,
                checked_at=state.last_checked_at if state else None,
                is_valid=state.is_valid if state else None,
                problems=problems,
                problem_count=len(raw_by_store[store.pk]),
            )
        )
    return publishing, by_entity


# --- the menu read model -------------------------------------------------------------------------
# One way to read a merchant's whole menu: every page, the API, CSV, the CatalogSet builder and
# order pricing read these rows (a fixed number of queries whatever the menu's size), then index
# or walk them as they need.

# Our UUIDs as the database returns them without Django's conversion: 32 hex digits (SQLite,
# MySQL: char(32)); PostgreSQL's driver returns uuid.UUID.
_UUID_HEX = re.compile(r"[0-9a-f]{32}")


def uuid_text(value: object) -> str:
    """`str(uuid.UUID(value))` (what Django's UUIDField gives, as text), without the object."""
    if value.__class__ is str and _UUID_HEX.fullmatch(value):
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(uuid.UUID(str(value)))


def public_id_column(path: str = "public_id"):
    """A UUID column (`public_id`, or one through a join such as `section__public_id`) as the
    database returns it (see `uuid_text`): fast for 5,000 rows."""
    return ExpressionWrapper(F(path), output_field=CharField())


class MenuRows:
    """A merchant's menu as plain rows, indexed by primary key.

    Items and modifier groups, the bulk of a large menu, are tuples:
    items[pk] = (public id, name, description, image, price);
    groups[pk] = (public id, name, min_selections, max_selections).
    Items and groups come in name order (then pk), every list in menu order.
    With a store: `catalogs` are those it sells, `snoozed` its items off sale now (`snoozes`:
    item pk -> when each comes back, None when turned back on by hand), and `unavailable`
    those plus items a snooze left without enough options in a required group.
    Without: every catalog of the merchant, nothing snoozed.
    """

    ITEM_PUBLIC_ID, ITEM_NAME, ITEM_DESCRIPTION, ITEM_IMAGE, ITEM_PRICE = range(5)

    def __init__(self) -> None:
        self.catalogs: list[Mapping[str, Any]] = []
        self.windows: dict[int, list[tuple[int, time, time]]] = defaultdict(list)
        self.sections: dict[int, Mapping[str, Any]] = {}
        self.root_sections: dict[int, list[int]] = defaultdict(list)
        self.child_sections: dict[int, list[int]] = defaultdict(list)
        self.section_items: dict[int, list[int]] = defaultdict(list)
        self.items: dict[int, tuple[str, str, str, str, int]] = {}
        self.item_groups: dict[int, list[int]] = defaultdict(list)
        self.groups: dict[int, tuple[str, str, int, int]] = {}
        self.options: dict[int, list[int]] = defaultdict(list)
        self.snoozed: set[int] = set()
        self.snoozes: dict[int, datetime | None] = {}
        self.unavailable: set[int] = set()
        self._item_pks: dict[str, int] | None = None
        self._group_pks: dict[str, int] | None = None

    # lookups ------------------------------------------------------------------------------

    def item_pk(self, public_id: str) -> int | None:
        if self._item_pks is None:
            self._item_pks = {row[0]: pk for pk, row in self.items.items()}
        return self._item_pks.get(public_id.lower())

    def group_pk(self, public_id: str) -> int | None:
        if self._group_pks is None:
            self._group_pks = {row[0]: pk for pk, row in self.groups.items()}
        return self._group_pks.get(public_id.lower())

    def item_name(self, pk: int) -> str:
        return self.items[pk][1]

    def item_price(self, pk: int) -> int:
        return self.items[pk][4]

    def group_name(self, pk: int) -> str:
        return self.groups[pk][1]

    def group_limits(self, pk: int) -> tuple[int, int]:
        return self.groups[pk][2], self.groups[pk][3]

    # walks --------------------------------------------------------------------------------

    def catalogs_open_at(self, local: datetime) -> list[int]:
        """The catalogs open at `local` (a time in the store's zone): Gett's hours rules."""
        return [c["id"] for c in self.catalogs if window_open(self.windows.get(c["id"], ()), local)]

    def items_reachable(self, catalog_ids: list[int]) -> set[int]:
        """Items a consumer can order on their own: in sections reached from these catalogs."""
        found: set[int] = set()
        seen: set[int] = set()
        stack = [sid for cid in catalog_ids for sid in self.root_sections.get(cid, ())]
        while stack:
            section_id = stack.pop()
            if section_id in seen:
                continue
            seen.add(section_id)
            found.update(self.section_items.get(section_id, ()))
            stack.extend(self.child_sections.get(section_id, ()))
        return found

    def _unavailable(self) -> set[int]:
        """Snoozed items, plus items whose required group snoozes left short of options.

        Only shortages caused by snoozes count: a group that never had enough options is a
        mistake in the menu, which the validator reports.
        """
        unavailable = set(self.snoozed)
        changed = bool(unavailable)
        while changed:
            changed = False
            on_sale = {
                group_id: sum(1 for item_id in options if item_id not in unavailable)
                for group_id, options in self.options.items()
            }
            for item_id, group_ids in self.item_groups.items():
                if item_id in unavailable:
                    continue
                for group_id in group_ids:
                    minimum = self.groups[group_id][2] if group_id in self.groups else 0
                    if on_sale.get(group_id, 0) < minimum <= len(self.options.get(group_id, ())):
                        unavailable.add(item_id)
                        changed = True
                        break
        return unavailable


def menu_outline_rows_get(*, merchant_id: int) -> MenuRows:
    """Only the catalogs (with their hours) and sections of `menu_rows_get`: three queries, for
    pages that show the menu's outline but not its items."""
    rows = MenuRows()
    _outline_read(rows, Catalog.objects.filter(merchant_id=merchant_id), merchant_id)
    return rows


def _outline_read(rows: MenuRows, catalogs: QuerySet[Catalog], merchant_id: int) -> None:
    rows.catalogs = list(
        catalogs.order_by("position", "id").values("id", "public_id", "name", "description")
    )
    catalog_ids = [catalog["id"] for catalog in rows.catalogs]
    for catalog_id, weekday, start, end in AvailabilityWindow.objects.filter(
        catalog_id__in=catalog_ids
    ).values_list("catalog_id", "weekday", "start", "end"):
        rows.windows[catalog_id].append((weekday, start, end))

    for section in (
        Section.objects.filter(merchant_id=merchant_id)
        .order_by("position", "id")
        .values("id", "public_id", "name", "description", "catalog_id", "parent_id")
    ):
        rows.sections[section["id"]] = section
        if section["catalog_id"] is not None:
            rows.root_sections[section["catalog_id"]].append(section["id"])
        else:
            rows.child_sections[section["parent_id"]].append(section["id"])


def menu_rows_get(*, merchant_id: int, store: Store | None = None, now=None) -> MenuRows:
    """The merchant's menu as rows: nine queries (eight without a store), whatever its size."""
    rows = MenuRows()
    catalogs = (
        Catalog.objects.sold_by(store) if store else Catalog.objects.filter(merchant_id=merchant_id)
    )
    _outline_read(rows, catalogs, merchant_id)
    section_items = rows.section_items
    for section_id, item_id in (
        SectionItem.objects.filter(section__merchant_id=merchant_id)
        .order_by("position", "id")
        .values_list("section_id", "item_id")
    ):
        section_items[section_id].append(item_id)

    rows.items = {
        pk: (uuid_text(public_id), name, description, image, price)
        for pk, public_id, name, description, image, price in Item.objects.filter(
            merchant_id=merchant_id
        )
        .order_by("name", "id")
        .values_list("id", public_id_column(), "name", "description", "image", "price")
    }
    item_groups = rows.item_groups
    for item_id, group_id in (
        ItemModifierGroup.objects.filter(item__merchant_id=merchant_id)
        .order_by("position", "id")
        .values_list("item_id", "group_id")
    ):
        item_groups[item_id].append(group_id)
    rows.groups = {
        pk: (uuid_text(public_id), name, minimum, maximum)
        for pk, public_id, name, minimum, maximum in ModifierGroup.objects.filter(
            merchant_id=merchant_id
        )
        .order_by("name", "id")
        .values_list("id", public_id_column(), "name", "min_selections", "max_selections")
    }
    options = rows.options
    for group_id, item_id in (
        ModifierOption.objects.filter(group__merchant_id=merchant_id)
        .order_by("position", "id")
        .values_list("group_id", "item_id")
    ):
        options[group_id].append(item_id)

    if store is not None:
        rows.snoozes = dict(
            ItemSnooze.objects.filter(store=store)
            .active(now or timezone.now())
            .values_list("item_id", "until")
        )
        rows.snoozed = set(rows.snoozes)
        rows.unavailable = rows._unavailable()
    return rows


# --- the read model for order pricing, kept between requests ----------------------------------
# validateOrder and placeOrder price every cart from the store's whole menu. Reading it is nine
# queries whose building costs more than the rest of the request, so each process keeps the
# rows of the stores it priced recently, keyed by the store's menu version. Every menu write
# calls `catalogs.publishing.services.menu_changed` for the stores it affects, which gives those
# stores a new version on commit (`menu_version_bump`), shared by every process through the
# cache. Snoozes that run out by time need no write: they are re-read from the kept `snoozes`
# (item -> until) at each request. A bounded time-to-live is the safety net for a write that
# bypassed the services.

MENU_ROWS_KEPT_STORES = 64
MENU_ROWS_KEPT_SECONDS = 300.0

_kept_rows: OrderedDict[int, tuple[str, float, MenuRows]] = OrderedDict()
_kept_lock = threading.Lock()


def _menu_version_key(store_id: int) -> str:
    return f"catalogs:menu-version:{store_id}"


def menu_version_bump(store_id: int) -> None:
    """The store's menu changed: every process re-reads it before pricing the next cart."""
    cache.set(_menu_version_key(store_id), uuid.uuid4().hex, timeout=None)


def _menu_version(store_id: int) -> str:
    key = _menu_version_key(store_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        version = cache.get(key) or ""
    return version


def menu_rows_for_pricing(*, store: Store, now: datetime) -> MenuRows:
    """What `store` sells at `now`: `menu_rows_get`'s rows, kept while its menu is unchanged."""
    version = _menu_version(store.pk)
    with _kept_lock:
        kept = _kept_rows.get(store.pk)
        if kept is not None:
            _kept_rows.move_to_end(store.pk)
    if (
        kept is not None
        and kept[0] == version
        and version
        and time_monotonic() - kept[1] < MENU_ROWS_KEPT_SECONDS
    ):
        rows = kept[2]
    else:
        rows = menu_rows_get(merchant_id=store.merchant_id, store=store, now=now)
        with _kept_lock:
            _kept_rows[store.pk] = (version, time_monotonic(), rows)
            _kept_rows.move_to_end(store.pk)
            while len(_kept_rows) > MENU_ROWS_KEPT_STORES:
                _kept_rows.popitem(last=False)
    snoozed = {item for item, until in rows.snoozes.items() if until is None or until > now}
    if snoozed == rows.snoozed:
        return rows
    # A snooze ran out since the rows were read: the same rows, with what is on sale now.
    current = copy.copy(rows)
    current.snoozes = {item: rows.snoozes[item] for item in snoozed}
    current.snoozed = snoozed
    current.unavailable = current._unavailable()
    return current


# --- the sold-out page's bounded reads ----------------------------------------------------------
# The kitchen's sold-out page reads only what it shows: the store's sections (a small part of
# any menu) with their counts, one page of items at a time, and the items sold out now. A fixed
# number of queries, and rows bounded by the page size, whatever the size of the menu.


@dataclass(frozen=True)
class SnoozeSection:
    """A section the store sells from, as the sold-out page shows it."""

    pk: int
    public_id: uuid.UUID
    path: str  # "Mains › Burgers"
    menu: str  # the catalog's name when the store sells several, else ""


@dataclass
class SnoozeItemRow:
    """One item on the sold-out page: `section_id` is where it is listed first (None: an
    option only); `snoozed` with `until` None means until turned back on."""

    pk: int
    public_id: uuid.UUID
    name: str
    price: int
    snoozed: bool
    until: datetime | None
    section_id: int | None
    group_name: str | None  # a modifier group it is an option of, for telling options apart


def snooze_sections_get(*, store: Store) -> list[SnoozeSection]:
    """The sections `store` sells from, depth first in menu order, with their paths (two
    queries)."""
    catalogs = list(
        Catalog.objects.sold_by(store).order_by("position", "id").values_list("id", "name")
    )
    roots: dict[int, list[tuple]] = defaultdict(list)
    children: dict[int, list[tuple]] = defaultdict(list)
    for row in (
        Section.objects.filter(merchant_id=store.merchant_id)
        .order_by("position", "id")
        .values_list("id", "public_id", "name", "catalog_id", "parent_id")
    ):
        if row[3] is not None:
            roots[row[3]].append(row)
        else:
            children[row[4]].append(row)
    several = len(catalogs) > 1
    found: list[SnoozeSection] = []
    seen: set[int] = set()

    def walk(rows: list[tuple], prefix: str, menu: str) -> None:
        for pk, public_id, name, _catalog_id, _parent_id in rows:
            if pk in seen:  # a cycle or a second parent: never made by our services
                continue
            seen.add(pk)
            path = f"{prefix} › {name}" if prefix else name
            found.append(SnoozeSection(pk=pk, public_id=public_id, path=path, menu=menu))
            walk(children.get(pk, []), path, menu)

    for catalog_id, catalog_name in catalogs:
        walk(roots.get(catalog_id, []), "", catalog_name if several else "")
    return found


def snooze_items(*, store: Store, section_ids: list[int]) -> QuerySet[Item]:
    """The items `store` sells: those in `section_ids` (its sections), and the options of every
    modifier group of the merchant that some item offers (nested options included). Options
    are not narrowed to the store's own catalogs: following groups item by item costs three
    times as much on a big menu, and snoozing an option the store does not offer is harmless.
    One query when evaluated."""
    products = SectionItem.objects.filter(section_id__in=section_ids).values("item_id")
    offered = ModifierGroup.objects.filter(merchant_id=store.merchant_id).filter(
        Exists(ItemModifierGroup.objects.filter(group_id=OuterRef("pk")))
    )
    options = ModifierOption.objects.filter(group__in=offered).values("item_id")
    return Item.objects.filter(merchant_id=store.merchant_id).filter(
        Q(pk__in=products) | Q(pk__in=options)
    )


def snooze_items_search(
    *, store: Store, section_ids: list[int], query: str = "", section_id: int | None = None
) -> QuerySet[Item]:
    """The store's items whose name contains `query` (any case), optionally only those in one
    section: by name, or in the section's order. Paginate it, then read the page's rows with
    `snooze_item_rows_get`."""
    if section_id is not None:
        items = Item.objects.filter(
            merchant_id=store.merchant_id, section_items__section_id=section_id
        ).order_by("section_items__position", "section_items__id")
    else:
        items = snooze_items(store=store, section_ids=section_ids).order_by("name", "id")
    if query:
        items = items.filter(name__icontains=query)
    return items


def snooze_options(*, store: Store, section_ids: list[int], query: str = "") -> QuerySet[Item]:
    """The store's modifier options that are in none of its sections (toppings, sizes), by
    name, optionally only those whose name contains `query`."""
    products = SectionItem.objects.filter(section_id__in=section_ids).values("item_id")
    options = snooze_items(store=store, section_ids=section_ids).exclude(pk__in=products)
    if query:
        options = options.filter(name__icontains=query)
    return options.order_by("name", "id")


def snooze_options_counts_get(
    *, store: Store, section_ids: list[int], now: datetime
) -> tuple[int, int]:
    """(modifier options, how many are sold out now) for the store: one query."""
    off = ItemSnooze.objects.filter(store=store).active(now).values("item_id")
    counts = snooze_options(store=store, section_ids=section_ids).aggregate(
        total=Count("pk"), sold_out=Count("pk", filter=Q(pk__in=off))
    )
    return counts["total"], counts["sold_out"]


def snoozed_items(*, store: Store, now: datetime) -> QuerySet[Item]:
    """The items sold out in `store` now, by name (whether or not its menu still lists them)."""
    off = ItemSnooze.objects.filter(store=store).active(now).values("item_id")
    return Item.objects.filter(merchant_id=store.merchant_id, pk__in=off).order_by("name", "id")


def snooze_item_rows_get(
    *, store: Store, item_ids: list[int], section_ids: list[int], now: datetime
) -> list[SnoozeItemRow]:
    """The rows of these items (one page), in the order given: one query."""
    snooze = ItemSnooze.objects.filter(store=store, item_id=OuterRef("pk")).active(now)
    placed = SectionItem.objects.filter(item_id=OuterRef("pk"), section_id__in=section_ids)
    option_of = ModifierOption.objects.filter(item_id=OuterRef("pk")).order_by("id")
    rows = {
        row["pk"]: SnoozeItemRow(**row)
        for row in Item.objects.filter(pk__in=item_ids)
        .annotate(
            snoozed=Exists(snooze),
            until=Subquery(snooze.values("until")[:1]),
            section_id=Subquery(placed.order_by("id").values("section_id")[:1]),
            group_name=Subquery(option_of.values("group__name")[:1]),
        )
        .values("pk", "public_id", "name", "price", "snoozed", "until", "section_id", "group_name")
    }
    return [rows[pk] for pk in item_ids if pk in rows]


def snooze_section_counts_get(
    *, store: Store, section_ids: list[int], now: datetime
) -> dict[int, tuple[int, int]]:
    """Section pk -> (items, items sold out now) for these sections: two queries."""
    listed = SectionItem.objects.filter(section_id__in=section_ids).order_by()
    off = ItemSnooze.objects.filter(store=store).active(now).values("item_id")

    def per_section(rows: QuerySet[SectionItem]) -> dict[int, int]:
        return dict(
            rows.values("section_id").annotate(n=Count("id")).values_list("section_id", "n")
        )

    totals, sold_out = per_section(listed), per_section(listed.filter(item_id__in=off))
    return {pk: (totals.get(pk, 0), sold_out.get(pk, 0)) for pk in section_ids}
