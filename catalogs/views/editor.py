"""The merchant menu editor at /menu/: catalogs, sections, items and modifier groups.

Owners and managers only (`Membership.can_edit_stores`); anyone else gets a 404, as on the store
pages. Every lookup goes through a `get_<model>_for_user` helper that filters by the merchant the
user works on, so another merchant's object is a 404. Every write goes through
`catalogs.services`, each of which schedules a debounced publish of the stores it affects.

Some editor actions need several service calls (an item's sections, a reorder, a bulk price
change); they are the `_…_save`/`_…_reorder` functions below, each one transaction.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from catalogs import services
from catalogs.forms import (
    BulkPriceForm,
    CatalogForm,
    GroupForm,
    ItemForm,
    MenuMoney,
    OptionAddForm,
    OptionCreateForm,
    SectionForm,
    WindowFormSet,
    menu_money,
    window_initial,
)
from catalogs.models import (
    MIDNIGHT,
    AvailabilityWindow,
    Catalog,
    Item,
    ItemModifierGroup,
    ModifierGroup,
    ModifierOption,
    PublishState,
    Section,
    SectionItem,
    StoreCatalog,
)
from stores.models import Membership, Merchant, Store
from stores.views import get_membership

logger = logging.getLogger(__name__)

TEMPLATES = "catalogs/editor"
DIRECTIONS = ("up", "down")


# --- access -------------------------------------------------------------------------------------


def _require_editor(request: HttpRequest) -> Membership:
    membership = get_membership(request)
    if not membership.can_edit_stores:
        raise Http404("Only owners and managers can edit the menu.")
    return membership


def editor_required(view):
    """Logged in, and an owner or manager of the merchant they work on (else 404)."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        _require_editor(request)
        return view(request, *args, **kwargs)

    return wrapper


def get_catalog_for_user(request: HttpRequest, public_id) -> Catalog:
    return get_object_or_404(
        Catalog, merchant=get_membership(request).merchant, public_id=public_id
    )


def get_section_for_user(request: HttpRequest, public_id) -> Section:
    return get_object_or_404(
        Section, merchant=get_membership(request).merchant, public_id=public_id
    )


def get_item_for_user(request: HttpRequest, public_id) -> Item:
    return get_object_or_404(Item, merchant=get_membership(request).merchant, public_id=public_id)


def get_group_for_user(request: HttpRequest, public_id) -> ModifierGroup:
    return get_object_or_404(
        ModifierGroup, merchant=get_membership(request).merchant, public_id=public_id
    )


def _items_for_user(request: HttpRequest, values: list[str]) -> list[Item]:
    """Items named by public ids in a form, in that order; any unknown or foreign id is a 404."""
    wanted: list[uuid.UUID] = []
    for value in values:
        try:
            wanted.append(uuid.UUID(str(value)))
        except ValueError:
            raise Http404("No such item.") from None
    wanted = list(dict.fromkeys(wanted))
    found = {
        item.public_id: item
        for item in Item.objects.filter(
            merchant=get_membership(request).merchant, public_id__in=wanted
        )
    }
    if len(found) != len(wanted):
        raise Http404("No such item.")
    return [found[public_id] for public_id in wanted]


# --- reading the menu ---------------------------------------------------------------------------

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


@dataclass
class StorePublish:
    store: Store
    checked_at: datetime | None
    is_valid: bool | None
    problems: list[Problem]


@dataclass
class MenuTree:
    """A merchant's whole menu, read in a fixed number of queries, indexed for the pages.

    Loaded objects carry extra attributes for the templates (names chosen not to clash with
    the models' related managers): catalogs `root_sections`, `hours`, `selling_stores`;
    sections `subsections`, `entries`, `path`, `depth`, `root_catalog`; items `places`,
    `group_list`, `option_of`, `price_display`; groups `option_list`, `used_on`; and each
    `problems`.
    """

    catalogs: list[Catalog]
    sections: list[Section]  # depth first, in menu order
    items: list[Item]  # by name
    groups: list[ModifierGroup]
    stores: list[Store]
    publishing: list[StorePublish]
    money: MenuMoney

    @property
    def unlisted(self) -> list[Item]:
        return [item for item in self.items if not item.places]

    def search(self, query: str) -> list[Item]:
        """Items whose name or description contains `query`, ignoring case (Unicode-aware)."""
        needle = query.casefold()
        return [
            item
            for item in self.items
            if needle in item.name.casefold() or needle in item.description.casefold()
        ]


def _section_tree(merchant: Merchant) -> tuple[list[Catalog], list[Section]]:
    """Catalogs (with `root_sections`) and every section in menu order, with paths. 2 queries."""
    catalogs = list(Catalog.objects.filter(merchant=merchant).order_by("position", "id"))
    sections = list(Section.objects.filter(merchant=merchant).order_by("position", "id"))
    by_pk = {section.pk: section for section in sections}
    catalogs_by_pk = {catalog.pk: catalog for catalog in catalogs}
    for catalog in catalogs:
        catalog.root_sections = []
        catalog.problems = []
    for section in sections:
        section.subsections = []
        section.entries = []
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
        section.path = " › ".join([*trail, section.name])
        section.depth = depth
        section.root_catalog = catalog
        ordered.append(section)
        for child in section.subsections:
            walk(child, [*trail, section.name], depth + 1, catalog)

    for catalog in catalogs:
        for root in catalog.root_sections:
            walk(root, [catalog.name], 0, catalog)
    return catalogs, ordered


def _menu_tree(merchant: Merchant, money: MenuMoney) -> MenuTree:
    """The merchant's menu for the overview: a fixed number of queries whatever its size."""
    catalogs, sections = _section_tree(merchant)
    sections_by_pk = {section.pk: section for section in sections}
    stores = list(Store.objects.filter(merchant=merchant).order_by("name", "id"))

    chosen: dict[int, set[int]] = defaultdict(set)
    for store_id, catalog_id in StoreCatalog.objects.filter(store__merchant=merchant).values_list(
        "store_id", "catalog_id"
    ):
        chosen[store_id].add(catalog_id)
    windows: dict[int, list[AvailabilityWindow]] = defaultdict(list)
    for window in AvailabilityWindow.objects.filter(catalog__merchant=merchant):
        windows[window.catalog_id].append(window)
    for catalog in catalogs:
        catalog.hours = hours_summary(windows[catalog.pk])
        catalog.selling_stores = [
            store for store in stores if not chosen[store.pk] or catalog.pk in chosen[store.pk]
        ]

    items_by_pk: dict[int, Item] = {}
    for item in Item.objects.filter(merchant=merchant).order_by("name", "id"):
        item.places, item.group_list, item.option_of, item.problems = [], [], [], []
        item.price_display = money.show(item.price)
        items_by_pk[item.pk] = item
    for section_id, item_id in (
        SectionItem.objects.filter(section__merchant=merchant)
        .order_by("position", "id")
        .values_list("section_id", "item_id")
    ):
        section, item = sections_by_pk.get(section_id), items_by_pk.get(item_id)
        if section is not None and item is not None:
            section.entries.append(item)
            item.places.append(section)

    groups_by_pk: dict[int, ModifierGroup] = {}
    for group in ModifierGroup.objects.filter(merchant=merchant).order_by("name", "id"):
        group.option_list, group.used_on, group.problems = [], [], []
        group.rule = group_rule(group)
        groups_by_pk[group.pk] = group
    for item_id, group_id in (
        ItemModifierGroup.objects.filter(item__merchant=merchant)
        .order_by("position", "id")
        .values_list("item_id", "group_id")
    ):
        item, group = items_by_pk.get(item_id), groups_by_pk.get(group_id)
        if item is not None and group is not None:
            item.group_list.append(group)
            group.used_on.append(item)
    for group_id, item_id in (
        ModifierOption.objects.filter(group__merchant=merchant)
        .order_by("position", "id")
        .values_list("group_id", "item_id")
    ):
        group, item = groups_by_pk.get(group_id), items_by_pk.get(item_id)
        if group is not None and item is not None:
            group.option_list.append(item)
            item.option_of.append(group)

    entities = {
        str(obj.public_id): (kind, obj)
        for kind, objects in (
            ("catalog", catalogs),
            ("section", sections),
            ("item", items_by_pk.values()),
            ("modifierGroup", groups_by_pk.values()),
        )
        for obj in objects
    }
    publishing = _publishing(stores=stores, catalogs=catalogs, entities=entities)
    return MenuTree(
        catalogs=catalogs,
        sections=sections,
        items=list(items_by_pk.values()),
        groups=list(groups_by_pk.values()),
        stores=stores,
        publishing=publishing,
        money=money,
    )


def _publishing(*, stores: list[Store], catalogs: list[Catalog], entities: dict) -> list:
    """Each store's last publish check; its problems also attached to the entities they name."""
    states = {state.store_id: state for state in PublishState.objects.filter(store__in=stores)}
    shown: dict[tuple, Problem] = {}  # one note per (entity, code, message) across stores
    rows = []
    for store in stores:
        state = states.get(store.pk)
        problems = []
        for raw in (state.last_problems if state else None) or []:
            if not isinstance(raw, dict):
                continue
            entity_id = raw.get("entityId")
            problem = Problem(
                message=str(raw.get("message") or raw.get("code") or "Unknown problem"),
                code=str(raw.get("code") or ""),
                entity_id=str(entity_id) if entity_id else None,
                stores=[store.name],
            )
            problem.fix_url, problem.fix_label = _fix_link(problem, store, catalogs, entities)
            problems.append(problem)
            if problem.entity_id in entities:
                key = (problem.entity_id, problem.code, problem.message)
                if key in shown:
                    shown[key].stores.append(store.name)
                else:
                    shown[key] = Problem(**{**problem.__dict__, "stores": [store.name]})
                    entities[problem.entity_id][1].problems.append(shown[key])
        rows.append(
            StorePublish(
                store=store,
                checked_at=state.last_checked_at if state else None,
                is_valid=state.is_valid if state else None,
                problems=problems,
            )
        )
    return rows


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


def hours_summary(windows: list[AvailabilityWindow]) -> list[str]:
    """["Every day 11:00–22:00", "Fri 22:00–02:00 (past midnight)"]; [] when never open."""
    days_by_time: dict[tuple, set[int]] = defaultdict(set)
    for window in windows:
        days_by_time[(window.start, window.end)].add(window.weekday)
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


def _problems_for(merchant: Merchant, public_id) -> list[Problem]:
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


def _group_label(group: ModifierGroup) -> str:
    return f"{group.name} ({group_rule(group)})"


# --- writes that need several services (one transaction each) ---------------------------------


def _service_errors(form, exc: Exception) -> None:
    """A service refused (model validation or a rule): show it next to the field it names."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    elif isinstance(exc, ValidationError):
        form.add_error(None, exc.messages)
    else:
        form.add_error(None, str(exc))


@transaction.atomic
def _catalog_save(
    *, merchant: Merchant, catalog: Catalog | None, data: dict, windows: list, user
) -> Catalog:
    if catalog is None:
        catalog = services.catalog_create(
            merchant=merchant, name=data["name"], description=data["description"], user=user
        )
    else:
        catalog = services.catalog_update(
            catalog=catalog, name=data["name"], description=data["description"], user=user
        )
    services.catalog_windows_set(catalog=catalog, windows=windows, user=user)
    _catalog_stores_set(catalog=catalog, wanted=set(data["stores"]), user=user)
    return catalog


def _catalog_stores_set(*, catalog: Catalog, wanted: set[Store], user) -> None:
    """Make exactly the `wanted` stores sell `catalog`, leaving their other catalogs alone.

    A store without choices sells every catalog; a store that ends up selling every catalog
    goes back to "no choices" (so it also sells catalogs added later).
    """
    by_pk = {c.pk: c for c in Catalog.objects.filter(merchant_id=catalog.merchant_id)}
    all_ids = set(by_pk)
    chosen: dict[int, set[int]] = defaultdict(set)
    for store_id, catalog_id in StoreCatalog.objects.filter(
        store__merchant_id=catalog.merchant_id
    ).values_list("store_id", "catalog_id"):
        chosen[store_id].add(catalog_id)
    wanted_pks = {store.pk for store in wanted}
    for store in Store.objects.filter(merchant_id=catalog.merchant_id).order_by("name"):
        current = chosen[store.pk] or set(all_ids)
        if (catalog.pk in current) == (store.pk in wanted_pks):
            continue
        new = current | {catalog.pk} if store.pk in wanted_pks else current - {catalog.pk}
        if not new:
            raise ValidationError(
                {
                    "stores": f"{store.name} sells only this catalog, so it must keep selling it. "
                    "To stop a store's orders, pause the store instead."
                }
            )
        sold = [] if new == all_ids else [by_pk[pk] for pk in sorted(new)]
        services.store_catalogs_set(store=store, catalogs=sold, user=user)


@transaction.atomic
def _section_save(*, merchant: Merchant, section: Section | None, data: dict, user) -> Section:
    place = data["place"]
    catalog = place if isinstance(place, Catalog) else None
    parent = place if isinstance(place, Section) else None
    if section is None:
        return services.section_create(
            merchant=merchant,
            name=data["name"],
            description=data["description"],
            catalog=catalog,
            parent=parent,
            user=user,
        )
    section = services.section_update(
        section=section, name=data["name"], description=data["description"], user=user
    )
    if (section.catalog_id, section.parent_id) != (
        catalog.pk if catalog else None,
        parent.pk if parent else None,
    ):
        siblings = Section.objects.filter(catalog=catalog) if catalog else parent.children.all()
        services.section_move(
            section=section,
            catalog=catalog,
            parent=parent,
            position=siblings.exclude(pk=section.pk).count(),
            user=user,
        )
    return section


def _section_items(section: Section) -> list[Item]:
    return list(
        Item.objects.filter(section_items__section=section).order_by(
            "section_items__position", "section_items__id"
        )
    )


def _item_groups(item: Item) -> list[ModifierGroup]:
    return list(
        ModifierGroup.objects.filter(item_groups__item=item).order_by(
            "item_groups__position", "item_groups__id"
        )
    )


def _group_options(group: ModifierGroup) -> list[Item]:
    return list(
        Item.objects.filter(group_options__group=group).order_by(
            "group_options__position", "group_options__id"
        )
    )


@transaction.atomic
def _item_save(*, merchant: Merchant, item: Item | None, form: ItemForm, user) -> Item:
    data = form.cleaned_data
    if item is None:
        item = services.item_create(
            merchant=merchant,
            name=data["name"],
            description=data["description"],
            price=form.price_minor,
            image=data["image"] or None,
            user=user,
        )
    else:
        item = services.item_update(
            item=item, name=data["name"], description=data["description"], user=user
        )
        if form.price_minor != item.price:
            services.item_price_set(item=item, price=form.price_minor, user=user)
        if data["image"]:
            services.item_image_set(item=item, image=data["image"], user=user)
        elif data["remove_image"] and item.image:
            services.item_image_set(item=item, image=None, user=user)

    wanted = {section.pk: section for section in data["sections"]}
    current = set(SectionItem.objects.filter(item=item).values_list("section_id", flat=True))
    for section in Section.objects.filter(pk__in=current ^ set(wanted)).order_by("pk"):
        items = _section_items(section)
        if section.pk in wanted:
            items.append(item)  # new in this section: at the end
        else:
            items = [other for other in items if other.pk != item.pk]
        services.section_items_set(section=section, items=items, user=user)

    kept = [group for group in _item_groups(item) if group in data["groups"]]
    added = [group for group in data["groups"] if group not in kept]
    if [g.pk for g in kept + added] != [g.pk for g in _item_groups(item)]:
        services.item_groups_set(item=item, groups=kept + added, user=user)
    return item


@transaction.atomic
def _item_duplicate(*, item: Item, user) -> Item:
    """ "Copy of …" with the same price, picture, description, groups and sections.

    The copy sits right after the original in each of its sections.
    """
    copy = services.item_create(
        merchant=item.merchant,
        name=f"Copy of {item.name}"[:200],
        description=item.description,
        price=item.price,
        # The same stored file (a name, not a new upload); deleting an item keeps its file.
        image=item.image.name or None,
        user=user,
    )
    groups = _item_groups(item)
    if groups:
        services.item_groups_set(item=copy, groups=groups, user=user)
    for section in Section.objects.filter(section_items__item=item).order_by("pk"):
        items = _section_items(section)
        at = next(i for i, other in enumerate(items) if other.pk == item.pk)
        items.insert(at + 1, copy)
        services.section_items_set(section=section, items=items, user=user)
    return copy


def _moved(objects: list, index: int, direction: str) -> list:
    """`objects` with the one at `index` moved one place up or down (unchanged at an end)."""
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(objects):
        return objects
    moved = list(objects)
    moved[index], moved[target] = moved[target], moved[index]
    return moved


@transaction.atomic
def _catalog_reorder(*, catalog: Catalog, direction: str, user) -> None:
    siblings = list(
        Catalog.objects.select_for_update()
        .filter(merchant_id=catalog.merchant_id)
        .order_by("position", "id")
    )
    index = next(i for i, other in enumerate(siblings) if other.pk == catalog.pk)
    for position, other in enumerate(_moved(siblings, index, direction)):
        if other.position != position:
            services.catalog_update(
                catalog=other,
                name=other.name,
                description=other.description,
                position=position,
                user=user,
            )


@transaction.atomic
def _section_reorder(*, section: Section, direction: str, user) -> None:
    siblings = Section.objects.select_for_update().filter(merchant_id=section.merchant_id)
    siblings = (
        siblings.filter(catalog_id=section.catalog_id)
        if section.catalog_id
        else siblings.filter(parent_id=section.parent_id)
    )
    siblings = list(siblings.order_by("position", "id"))
    index = next(i for i, other in enumerate(siblings) if other.pk == section.pk)
    for position, other in enumerate(_moved(siblings, index, direction)):
        if other.position != position:
            services.section_update(
                section=other,
                name=other.name,
                description=other.description,
                position=position,
                user=user,
            )


@transaction.atomic
def _option_create(*, group: ModifierGroup, form: OptionCreateForm, user) -> Item:
    item = services.item_create(
        merchant=group.merchant,
        name=form.cleaned_data["name"],
        price=form.price_minor,
        user=user,
    )
    services.group_options_set(group=group, items=[*_group_options(group), item], user=user)
    return item


@transaction.atomic
def _prices_apply(*, changes: list[tuple[Item, int]], user) -> int:
    """Set new prices (minor units), all or none. The publish debounce makes it one publish."""
    changed = 0
    for item, price in changes:
        if price != item.price:
            services.item_price_set(item=item, price=price, user=user)
            changed += 1
    return changed


# --- overview -----------------------------------------------------------------------------------


def _overview_context(request: HttpRequest, q: str = "") -> dict:
    merchant = request.membership.merchant
    money = menu_money(merchant)
    menu = _menu_tree(merchant, money)
    return {
        "merchant": merchant,
        "menu": menu,
        "money": money,
        "q": q,
        "results": menu.search(q) if q else None,
    }


def _wants_partial(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


@editor_required
def overview(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    context = _overview_context(request, q)
    if _wants_partial(request):
        return render(request, f"{TEMPLATES}/overview.html#menu-body", context)
    return render(request, f"{TEMPLATES}/overview.html", context)


def _overview_url(anchor: str = "") -> str:
    return reverse("menu:overview") + (f"#{anchor}" if anchor else "")


def _direction(request: HttpRequest, allowed=DIRECTIONS) -> str | None:
    direction = request.POST.get("direction", "")
    return direction if direction in allowed else None


@editor_required
@require_POST
def catalog_move(request: HttpRequest, public_id) -> HttpResponse:
    catalog = get_catalog_for_user(request, public_id)
    direction = _direction(request)
    if direction is None:
        return HttpResponseBadRequest("Move up or down.")
    _catalog_reorder(catalog=catalog, direction=direction, user=request.user)
    if _wants_partial(request):
        return render(request, f"{TEMPLATES}/overview.html#menu-body", _overview_context(request))
    return redirect(_overview_url(f"catalog-{catalog.public_id}"))


@editor_required
@require_POST
def section_move(request: HttpRequest, public_id) -> HttpResponse:
    section = get_section_for_user(request, public_id)
    direction = _direction(request)
    if direction is None:
        return HttpResponseBadRequest("Move up or down.")
    _section_reorder(section=section, direction=direction, user=request.user)
    if _wants_partial(request):
        return render(request, f"{TEMPLATES}/overview.html#menu-body", _overview_context(request))
    return redirect(_overview_url(f"section-{section.public_id}"))


# --- catalogs -----------------------------------------------------------------------------------


@editor_required
def catalog_create(request: HttpRequest) -> HttpResponse:
    return _catalog_page(request, None)


@editor_required
def catalog_edit(request: HttpRequest, public_id) -> HttpResponse:
    return _catalog_page(request, get_catalog_for_user(request, public_id))


def _catalog_page(request: HttpRequest, catalog: Catalog | None) -> HttpResponse:
    merchant = request.membership.merchant
    if request.method == "POST":
        # Bound without initial data: a row left blank is no row.
        form = CatalogForm(request.POST, merchant=merchant)
        hours = WindowFormSet(request.POST, prefix="hours")
        if form.is_valid() and hours.is_valid():
            try:
                catalog = _catalog_save(
                    merchant=merchant,
                    catalog=catalog,
                    data=form.cleaned_data,
                    windows=hours.windows(),
                    user=request.user,
                )
            except (ValidationError, ValueError) as exc:
                _service_errors(form, exc)
            else:
                messages.success(request, f"Catalog “{catalog.name}” saved.")
                return redirect(_overview_url(f"catalog-{catalog.public_id}"))
        messages.error(request, "Please correct the highlighted fields.")
        status = 400
    else:
        if catalog is None:
            stores = Store.objects.filter(merchant=merchant)
            initial = {"stores": [store.public_id for store in stores]}
            windows = []
        else:
            initial = {
                "name": catalog.name,
                "description": catalog.description,
                "stores": [s.public_id for s in services.stores_selling_catalog(catalog)],
            }
            windows = window_initial(catalog.windows.all())
        form = CatalogForm(initial=initial, merchant=merchant)
        hours = WindowFormSet(prefix="hours", initial=windows)
        status = 200
    context = {
        "catalog": catalog,
        "form": form,
        "hours": hours,
        "problems": _problems_for(merchant, catalog.public_id) if catalog else [],
        "sections": (
            list(catalog.sections.order_by("position", "id")) if catalog is not None else []
        ),
    }
    return render(request, f"{TEMPLATES}/catalog_form.html", context, status=status)


@editor_required
def catalog_delete(request: HttpRequest, public_id) -> HttpResponse:
    catalog = get_catalog_for_user(request, public_id)
    if request.method == "POST":
        name = catalog.name
        services.catalog_delete(catalog=catalog, user=request.user)
        messages.success(request, f"Catalog “{name}” deleted.")
        return redirect("menu:overview")
    _, sections = _section_tree(request.membership.merchant)
    gone = [s for s in sections if s.root_catalog.pk == catalog.pk]
    effects = [*_sections_effects(gone)]
    chosen: dict[int, set[int]] = defaultdict(set)
    for store_id, catalog_id in StoreCatalog.objects.filter(
        store__merchant=catalog.merchant_id
    ).values_list("store_id", "catalog_id"):
        chosen[store_id].add(catalog_id)
    for store in services.stores_selling_catalog(catalog).order_by("name"):
        if chosen[store.pk] == {catalog.pk}:
            effects.append(
                f"{store.name} sells only this catalog: afterwards it sells all your other "
                "catalogs."
            )
        else:
            effects.append(f"{store.name} stops selling it.")
    return _confirm_page(
        request,
        noun="catalog",
        obj=catalog,
        effects=effects,
        action=reverse("menu:catalog-delete", args=[catalog.public_id]),
        back=reverse("menu:catalog-edit", args=[catalog.public_id]),
    )


def _sections_effects(gone: list[Section]) -> list[str]:
    """What deleting these sections does to their items (the items themselves stay)."""
    if not gone:
        return ["It has no sections."]
    effects = [
        f"Deletes {len(gone)} section{'s' if len(gone) != 1 else ''}: "
        + ", ".join(s.name for s in gone[:8])
        + (f" and {len(gone) - 8} more" if len(gone) > 8 else "")
        + "."
    ]
    gone_pks = {s.pk for s in gone}
    places: dict[int, set[int]] = defaultdict(set)
    for item_id, section_id in SectionItem.objects.filter(
        item__section_items__section__in=gone_pks
    ).values_list("item_id", "section_id"):
        places[item_id].add(section_id)
    if places:
        stranded = [pk for pk, where in places.items() if where <= gone_pks]
        text = (
            f"{len(places)} item{'s' if len(places) != 1 else ''} in "
            f"{'them' if len(gone) > 1 else 'it'} stay in your menu"
        )
        if stranded:
            text += (
                f"; {len(stranded)} of them will be in no section, so not on sale "
                "until you put them in one"
            )
        effects.append(text + ".")
    return effects


def _confirm_page(request, *, noun: str, obj, effects: list[str], action: str, back: str):
    context = {"noun": noun, "obj": obj, "effects": effects, "action": action, "back": back}
    return render(request, f"{TEMPLATES}/confirm_delete.html", context)


# --- sections -----------------------------------------------------------------------------------


def _places(merchant: Merchant, section: Section | None) -> tuple[dict, list, list[Section]]:
    """Where a section may sit: every catalog, and every section outside `section` itself."""
    catalogs, sections = _section_tree(merchant)
    excluded: set[int] = set()
    if section is not None:
        stack = [s for s in sections if s.pk == section.pk]
        while stack:
            current = stack.pop()
            excluded.add(current.pk)
            stack.extend(current.subsections)
    places = {f"catalog:{c.public_id}": c for c in catalogs}
    places |= {f"section:{s.public_id}": s for s in sections if s.pk not in excluded}
    choices = [
        ("Catalogs (top-level section)", [(f"catalog:{c.public_id}", c.name) for c in catalogs]),
    ]
    inside = [(f"section:{s.public_id}", s.path) for s in sections if s.pk not in excluded]
    if inside:
        choices.append(("Sections (sub-section)", inside))
    return places, choices, sections


@editor_required
def section_create(request: HttpRequest) -> HttpResponse:
    return _section_page(request, None)


@editor_required
def section_edit(request: HttpRequest, public_id) -> HttpResponse:
    return _section_page(request, get_section_for_user(request, public_id))


def _section_page(request: HttpRequest, section: Section | None) -> HttpResponse:
    merchant = request.membership.merchant
    places, choices, sections = _places(merchant, section)
    if section is not None:
        here = next(s for s in sections if s.pk == section.pk)
        section.path, section.subsections = here.path, here.subsections
        section.root_catalog = here.root_catalog
    status = 200
    if request.method == "POST":
        form = SectionForm(request.POST, places=places, choices=choices)
        if form.is_valid():
            try:
                section = _section_save(
                    merchant=merchant, section=section, data=form.cleaned_data, user=request.user
                )
            except (ValidationError, ValueError) as exc:
                _service_errors(form, exc)
            else:
                messages.success(request, f"Section “{section.name}” saved.")
                return redirect(_overview_url(f"section-{section.public_id}"))
        messages.error(request, "Please correct the highlighted fields.")
        status = 400
    else:
        if section is None:
            if request.GET.get("parent"):
                place = f"section:{request.GET['parent']}"
            else:
                place = f"catalog:{request.GET.get('catalog', '')}"
            initial = {"place": place if place in places else ""}
        else:
            owner = (
                f"catalog:{section.root_catalog.public_id}"
                if section.catalog_id
                else next(f"section:{s.public_id}" for s in sections if s.pk == section.parent_id)
            )
            initial = {"name": section.name, "description": section.description, "place": owner}
        form = SectionForm(initial=initial, places=places, choices=choices)
    context = {
        "section": section,
        "form": form,
        "has_catalogs": any(key.startswith("catalog:") for key in places),
        **(_section_items_context(request, section) if section is not None else {}),
    }
    return render(request, f"{TEMPLATES}/section_form.html", context, status=status)


def _section_items_context(request: HttpRequest, section: Section, add_form=None) -> dict:
    merchant = request.membership.merchant
    money = menu_money(merchant)
    entries = _section_items(section)
    for item in entries:
        item.price_display = money.show(item.price)
    return {
        "section": section,
        "entries": entries,
        "add_form": add_form or OptionAddForm(items=_other_items(merchant, money, entries)),
        "problems": _problems_for(merchant, section.public_id),
    }


def _section_items_response(request: HttpRequest, section: Section, add_form=None):
    if _wants_partial(request):
        context = _section_items_context(request, section, add_form)
        return render(
            request,
            f"{TEMPLATES}/section_form.html#section-items",
            context,
            status=400 if add_form is not None else 200,
        )
    return redirect(reverse("menu:section-edit", args=[section.public_id]) + "#items")


@editor_required
@require_POST
def section_item_move(request: HttpRequest, public_id, item_id) -> HttpResponse:
    section = get_section_for_user(request, public_id)
    item = get_item_for_user(request, item_id)
    direction = _direction(request, (*DIRECTIONS, "remove"))
    if direction is None:
        return HttpResponseBadRequest("Move up or down, or remove.")
    items = _section_items(section)
    index = next((i for i, other in enumerate(items) if other.pk == item.pk), None)
    if index is None:
        raise Http404("That item is not in this section.")
    if direction == "remove":
        items.pop(index)
    else:
        items = _moved(items, index, direction)
    services.section_items_set(section=section, items=items, user=request.user)
    if direction == "remove" and not _wants_partial(request):
        messages.success(request, f"“{item.name}” taken out of {section.name}.")
    return _section_items_response(request, section)


@editor_required
@require_POST
def section_item_add(request: HttpRequest, public_id) -> HttpResponse:
    section = get_section_for_user(request, public_id)
    entries = _section_items(section)
    money = menu_money(request.membership.merchant)
    form = OptionAddForm(
        request.POST, items=_other_items(request.membership.merchant, money, entries)
    )
    if not form.is_valid():
        if _wants_partial(request):
            return _section_items_response(request, section, form)
        messages.error(request, "Choose an item to add.")
        return redirect(reverse("menu:section-edit", args=[section.public_id]) + "#items")
    item = form.cleaned_data["item"]
    services.section_items_set(section=section, items=[*entries, item], user=request.user)
    if not _wants_partial(request):
        messages.success(request, f"“{item.name}” added to {section.name}.")
    return _section_items_response(request, section)


def _other_items(merchant: Merchant, money: MenuMoney, exclude: list[Item]) -> list[tuple]:
    """Choices for "add an existing item": the merchant's items not in `exclude`."""
    skip = {item.pk for item in exclude}
    return [
        (str(item.public_id), f"{item.name} · {money.show(item.price)}", item)
        for item in Item.objects.filter(merchant=merchant).order_by("name", "id")
        if item.pk not in skip
    ]


@editor_required
def section_delete(request: HttpRequest, public_id) -> HttpResponse:
    section = get_section_for_user(request, public_id)
    if request.method == "POST":
        name = section.name
        services.section_delete(section=section, user=request.user)
        messages.success(request, f"Section “{name}” deleted.")
        return redirect("menu:overview")
    _, sections = _section_tree(request.membership.merchant)
    here = next(s for s in sections if s.pk == section.pk)
    gone, stack = [], [here]
    while stack:
        current = stack.pop()
        gone.append(current)
        stack.extend(reversed(current.subsections))
    effects = []
    if len(gone) > 1:
        effects.append(
            f"Its {len(gone) - 1} sub-section{'s' if len(gone) > 2 else ''} "
            f"({', '.join(s.name for s in gone[1:])}) {'are' if len(gone) > 2 else 'is'} "
            "deleted too."
        )
    effects.extend(_sections_effects(gone)[1:] or ["It has no items."])
    return _confirm_page(
        request,
        noun="section",
        obj=here,
        effects=effects,
        action=reverse("menu:section-delete", args=[section.public_id]),
        back=reverse("menu:section-edit", args=[section.public_id]),
    )


# --- items --------------------------------------------------------------------------------------


def _item_form_choices(merchant: Merchant):
    _, sections = _section_tree(merchant)
    groups = list(ModifierGroup.objects.filter(merchant=merchant).order_by("name", "id"))
    return (
        [(str(s.public_id), s.path, s) for s in sections],
        [(str(g.public_id), _group_label(g), g) for g in groups],
    )


@editor_required
def item_create(request: HttpRequest) -> HttpResponse:
    return _item_page(request, None)


@editor_required
def item_edit(request: HttpRequest, public_id) -> HttpResponse:
    return _item_page(request, get_item_for_user(request, public_id))


def _item_page(request: HttpRequest, item: Item | None) -> HttpResponse:
    merchant = request.membership.merchant
    money = menu_money(merchant)
    sections, groups = _item_form_choices(merchant)
    kwargs = {"menu_money": money, "sections": sections, "groups": groups}
    status = 200
    if request.method == "POST":
        form = ItemForm(request.POST, request.FILES, **kwargs)
        if form.is_valid():
            try:
                item = _item_save(merchant=merchant, item=item, form=form, user=request.user)
            except (ValidationError, ValueError) as exc:
                _service_errors(form, exc)
            else:
                messages.success(request, f"“{item.name}” saved.")
                first = SectionItem.objects.filter(item=item).select_related("section").first()
                return redirect(
                    _overview_url(f"section-{first.section.public_id}" if first else "unlisted")
                )
        messages.error(request, "Please correct the highlighted fields.")
        status = 400
    elif item is None:
        wanted = request.GET.get("section", "")
        initial = {"sections": [wanted] if wanted in {v for v, _, _ in sections} else []}
        form = ItemForm(initial=initial, **kwargs)
    else:
        form = ItemForm(
            initial={
                "name": item.name,
                "description": item.description,
                "price": money.to_major(item.price),
                "sections": [
                    str(pid)
                    for pid in SectionItem.objects.filter(item=item).values_list(
                        "section__public_id", flat=True
                    )
                ],
                "groups": [str(g.public_id) for g in _item_groups(item)],
            },
            **kwargs,
        )
    context = {"item": item, "form": form, "money": money}
    if item is not None:
        context |= _item_groups_context(item)
        context["option_of"] = list(
            ModifierGroup.objects.filter(group_options__item=item).order_by("name", "id")
        )
        context["problems"] = _problems_for(merchant, item.public_id)
    return render(request, f"{TEMPLATES}/item_form.html", context, status=status)


def _item_groups_context(item: Item) -> dict:
    groups = _item_groups(item)
    for group in groups:
        group.label = _group_label(group)
    return {"item": item, "item_groups": groups}


@editor_required
@require_POST
def item_group_move(request: HttpRequest, public_id, group_id) -> HttpResponse:
    item = get_item_for_user(request, public_id)
    group = get_group_for_user(request, group_id)
    direction = _direction(request, (*DIRECTIONS, "remove"))
    if direction is None:
        return HttpResponseBadRequest("Move up or down, or remove.")
    groups = _item_groups(item)
    index = next((i for i, other in enumerate(groups) if other.pk == group.pk), None)
    if index is None:
        raise Http404("This item does not use that group.")
    if direction == "remove":
        groups.pop(index)
    else:
        groups = _moved(groups, index, direction)
    services.item_groups_set(item=item, groups=groups, user=request.user)
    if _wants_partial(request):
        return render(
            request, f"{TEMPLATES}/item_form.html#item-groups", _item_groups_context(item)
        )
    return redirect(reverse("menu:item-edit", args=[item.public_id]) + "#groups")


@editor_required
@require_POST
def item_duplicate(request: HttpRequest, public_id) -> HttpResponse:
    item = get_item_for_user(request, public_id)
    try:
        copy = _item_duplicate(item=item, user=request.user)
    except (ValidationError, ValueError) as exc:
        logger.info("item %s not duplicated: %s", item.public_id, exc)
        messages.error(request, f"Could not copy “{item.name}”: {'; '.join(_messages(exc))}")
        return redirect("menu:item-edit", public_id=item.public_id)
    messages.success(request, f"Copied “{item.name}”. You are now editing the copy.")
    return redirect("menu:item-edit", public_id=copy.public_id)


def _messages(exc: Exception) -> list[str]:
    return exc.messages if isinstance(exc, ValidationError) else [str(exc)]


@editor_required
def item_delete(request: HttpRequest, public_id) -> HttpResponse:
    item = get_item_for_user(request, public_id)
    if request.method == "POST":
        name = item.name
        services.item_delete(item=item, user=request.user)
        messages.success(request, f"“{name}” deleted.")
        return redirect("menu:overview")
    _, sections = _section_tree(request.membership.merchant)
    paths = {s.pk: s.path for s in sections}
    places = [
        paths.get(pk, "?")
        for pk in SectionItem.objects.filter(item=item).values_list("section_id", flat=True)
    ]
    option_of = list(ModifierGroup.objects.filter(group_options__item=item).order_by("name"))
    own_groups = _item_groups(item)
    effects = []
    if places:
        effects.append(f"Taken out of {len(places)} section(s): {'; '.join(places)}.")
    else:
        effects.append("It is in no section.")
    if option_of:
        effects.append(
            f"Used as an option in {len(option_of)} group{'s' if len(option_of) != 1 else ''} "
            f"({', '.join(g.name for g in option_of)}): it disappears from "
            f"{'them' if len(option_of) != 1 else 'it'}."
        )
        for group in option_of:
            if group.min_selections > 0:
                effects.append(
                    f"“{group.name}” is required (choose {group.min_selections}): check it "
                    "still has enough options."
                )
    if own_groups:
        effects.append(
            f"Its modifier groups ({', '.join(g.name for g in own_groups)}) stay for other items."
        )
    return _confirm_page(
        request,
        noun="item",
        obj=item,
        effects=effects,
        action=reverse("menu:item-delete", args=[item.public_id]),
        back=reverse("menu:item-edit", args=[item.public_id]),
    )


# --- modifier groups ------------------------------------------------------------------------------


@editor_required
def group_create(request: HttpRequest) -> HttpResponse:
    return _group_page(request, None)


@editor_required
def group_edit(request: HttpRequest, public_id) -> HttpResponse:
    return _group_page(request, get_group_for_user(request, public_id))


def _group_page(request: HttpRequest, group: ModifierGroup | None, **option_forms) -> HttpResponse:
    merchant = request.membership.merchant
    creating = group is None
    status = 400 if option_forms else 200
    if request.method == "POST" and not option_forms:
        form = GroupForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if group is None:
                    group = services.group_create(merchant=merchant, user=request.user, **data)
                else:
                    group = services.group_update(group=group, user=request.user, **data)
            except (ValidationError, ValueError) as exc:
                _service_errors(form, exc)
            else:
                if creating:
                    messages.success(request, f"Group “{group.name}” created. Now add its options.")
                    return redirect("menu:group-edit", public_id=group.public_id)
                messages.success(request, f"Group “{group.name}” saved.")
                return redirect(_overview_url(f"group-{group.public_id}"))
        messages.error(request, "Please correct the highlighted fields.")
        status = 400
    elif group is None:
        form = GroupForm()
    else:
        form = GroupForm(
            initial={
                "name": group.name,
                "min_selections": group.min_selections,
                "max_selections": group.max_selections,
            }
        )
    context = {"group": group, "form": form}
    if group is not None:
        context |= _group_options_context(request, group, **option_forms)
        context["used_on"] = list(
            Item.objects.filter(item_groups__group=group).order_by("name", "id")
        )
    return render(request, f"{TEMPLATES}/group_form.html", context, status=status)


def _group_options_context(
    request: HttpRequest, group: ModifierGroup, add_form=None, create_form=None
) -> dict:
    merchant = request.membership.merchant
    money = menu_money(merchant)
    options = _group_options(group)
    for item in options:
        item.price_display = money.show(item.price)
    return {
        "group": group,
        "options": options,
        "money": money,
        "add_form": add_form or OptionAddForm(items=_other_items(merchant, money, options)),
        "create_form": create_form or OptionCreateForm(menu_money=money),
        "problems": _problems_for(merchant, group.public_id),
        "short_of_options": len(options) < group.min_selections,
        "max_above_options": bool(options) and group.max_selections > len(options),
    }


def _group_options_response(request, group, *, add_form=None, create_form=None):
    failed = add_form is not None or create_form is not None
    if _wants_partial(request):
        context = _group_options_context(request, group, add_form=add_form, create_form=create_form)
        return render(
            request,
            f"{TEMPLATES}/group_form.html#group-options",
            context,
            status=400 if failed else 200,
        )
    if failed:
        messages.error(request, "Please correct the highlighted fields.")
        kwargs = {"add_form": add_form} if add_form is not None else {"create_form": create_form}
        return _group_page(request, group, **kwargs)
    return redirect(reverse("menu:group-edit", args=[group.public_id]) + "#options")


@editor_required
@require_POST
def group_option_move(request: HttpRequest, public_id, item_id) -> HttpResponse:
    group = get_group_for_user(request, public_id)
    item = get_item_for_user(request, item_id)
    direction = _direction(request, (*DIRECTIONS, "remove"))
    if direction is None:
        return HttpResponseBadRequest("Move up or down, or remove.")
    options = _group_options(group)
    index = next((i for i, other in enumerate(options) if other.pk == item.pk), None)
    if index is None:
        raise Http404("That item is not an option of this group.")
    if direction == "remove":
        options.pop(index)
    else:
        options = _moved(options, index, direction)
    services.group_options_set(group=group, items=options, user=request.user)
    if direction == "remove" and not _wants_partial(request):
        messages.success(request, f"“{item.name}” is no longer an option of {group.name}.")
    return _group_options_response(request, group)


@editor_required
@require_POST
def group_option_add(request: HttpRequest, public_id) -> HttpResponse:
    group = get_group_for_user(request, public_id)
    options = _group_options(group)
    money = menu_money(request.membership.merchant)
    form = OptionAddForm(
        request.POST, items=_other_items(request.membership.merchant, money, options)
    )
    if not form.is_valid():
        return _group_options_response(request, group, add_form=form)
    services.group_options_set(
        group=group, items=[*options, form.cleaned_data["item"]], user=request.user
    )
    return _group_options_response(request, group)


@editor_required
@require_POST
def group_option_create(request: HttpRequest, public_id) -> HttpResponse:
    group = get_group_for_user(request, public_id)
    form = OptionCreateForm(request.POST, menu_money=menu_money(request.membership.merchant))
    if form.is_valid():
        try:
            _option_create(group=group, form=form, user=request.user)
        except (ValidationError, ValueError) as exc:
            _service_errors(form, exc)
        else:
            return _group_options_response(request, group)
    return _group_options_response(request, group, create_form=form)


@editor_required
def group_delete(request: HttpRequest, public_id) -> HttpResponse:
    group = get_group_for_user(request, public_id)
    if request.method == "POST":
        name = group.name
        services.group_delete(group=group, user=request.user)
        messages.success(request, f"Group “{name}” deleted.")
        return redirect("menu:overview")
    used_on = list(Item.objects.filter(item_groups__group=group).order_by("name"))
    options = _group_options(group)
    effects = []
    if used_on:
        effects.append(
            f"Taken off {len(used_on)} item{'s' if len(used_on) != 1 else ''}: "
            f"{', '.join(i.name for i in used_on[:10])}"
            + (f" and {len(used_on) - 10} more" if len(used_on) > 10 else "")
            + "."
        )
    else:
        effects.append("No item uses it.")
    if options:
        effects.append(
            f"Its {len(options)} option{'s' if len(options) != 1 else ''} "
            f"({', '.join(i.name for i in options[:10])}) stay as items."
        )
    return _confirm_page(
        request,
        noun="modifier group",
        obj=group,
        effects=effects,
        action=reverse("menu:group-delete", args=[group.public_id]),
        back=reverse("menu:group-edit", args=[group.public_id]),
    )


# --- bulk price change ------------------------------------------------------------------------


def _fingerprint(items: list[Item], form: BulkPriceForm) -> str:
    """What a preview showed (prices and the change), so applying notices anything different."""
    text = ",".join(f"{item.public_id}:{item.price}" for item in items)
    text += f"|{form.cleaned_data['change']}|{form.cleaned_data['value'].normalize()}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@editor_required
def bulk_price(request: HttpRequest) -> HttpResponse:
    """Change the prices of chosen items: choose, preview (old → new), then apply."""
    source = request.POST if request.method == "POST" else request.GET
    step = source.get("step", "choose")
    items = _items_for_user(request, source.getlist("item"))
    if not items:
        messages.info(request, "Tick the items whose prices you want to change first.")
        return redirect("menu:overview")
    money = menu_money(request.membership.merchant)
    for item in items:
        item.price_display = money.show(item.price)
    context = {"items": items, "money": money, "preview": None, "below_zero": []}

    if request.method != "POST" or step == "choose":
        context["form"] = BulkPriceForm(menu_money=money)
        return render(request, f"{TEMPLATES}/bulk_price.html", context)
    if step not in ("preview", "apply"):
        return HttpResponseBadRequest("Unknown step.")

    form = BulkPriceForm(request.POST, menu_money=money)
    context["form"] = form
    if not form.is_valid():
        return render(request, f"{TEMPLATES}/bulk_price.html", context, status=400)
    preview = [(item, form.new_price(item.price)) for item in items]
    for item, new in preview:
        item.new_price = new
        item.new_display = money.show(new) if new >= 0 else f"−{money.show(-new)}"
    below_zero = [item for item, new in preview if new < 0]
    context |= {
        "preview": preview,
        "below_zero": below_zero,
        "fingerprint": _fingerprint(items, form),
        "description": form.describe(),
        "changing": sum(1 for item, new in preview if new != item.price),
    }
    if below_zero:
        names = ", ".join(item.name for item in below_zero)
        form.add_error(
            None,
            f"Prices cannot go below zero: {len(below_zero)} item"
            f"{'s' if len(below_zero) != 1 else ''} would ({names}). Choose a smaller decrease, "
            "or untick those items.",
        )
        return render(request, f"{TEMPLATES}/bulk_price.html", context, status=400)
    if step == "preview":
        return render(request, f"{TEMPLATES}/bulk_price.html", context)

    if request.POST.get("fingerprint") != context["fingerprint"]:
        messages.warning(
            request,
            "The prices or the change differ from the preview you saw. Check this preview and "
            "apply again.",
        )
        return render(request, f"{TEMPLATES}/bulk_price.html", context, status=409)
    try:
        changed = _prices_apply(changes=preview, user=request.user)
    except (ValidationError, ValueError) as exc:
        form.add_error(None, _messages(exc))
        return render(request, f"{TEMPLATES}/bulk_price.html", context, status=400)
    messages.success(
        request,
        f"{form.describe()}: {changed} price{'s' if changed != 1 else ''} changed. Your stores' "
        "menus are published in a moment.",
    )
    return redirect("menu:overview")
