"""The sold-out page of one store: what its people have taken off sale, and until when.

It lists every item the store sells with one big Available / Sold out toggle, made for a kitchen
tablet. Plain POST + redirect; with htmx the row swaps in place. Every view is scoped through
`stores.access` (Action.SNOOZE): another merchant's store is a 404.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from catalogs.models import Item, ItemSnooze
from catalogs.selectors import menu_rows_get
from catalogs.snoozes.services import (
    item_snooze,
    item_unsnooze,
    snooze_until_next_opening,
    snooze_until_parse,
)
from portal.exceptions import PortalError
from portal.typing import AuthedHttpRequest
from stores import access
from stores.access import Action
from stores.models import Store

logger = logging.getLogger(__name__)


# --- snooze page ------------------------------------------------------------------------------


@dataclass
class SnoozeRow:
    item_id: UUID
    name: str
    price: int
    is_option: bool
    snoozed: bool = False
    status: str = ""  # "Back at 17:00", shown while sold out
    error: str = ""
    # What the person chose, kept when a choice comes back with an error.
    until: str = ""
    at: str = ""


@dataclass
class SnoozeGroup:
    title: str
    subtitle: str = ""
    rows: list[SnoozeRow] = field(default_factory=list)


@dataclass
class SnoozeClock:
    """The store's time, and when it next opens, for the wording of every row."""

    now: datetime
    tz: tzinfo
    next_opening: datetime | None

    @classmethod
    def for_store(cls, store: Store) -> SnoozeClock:
        now = timezone.now()
        return cls(
            now=now,
            tz=store.tzinfo,
            next_opening=snooze_until_next_opening(store=store, now=now),
        )

    def when(self, moment: datetime) -> str:
        """ "17:00" today, "tomorrow 09:00", "Sat 11:00" this week, else "Sat 3 May 11:00"."""
        local = moment.astimezone(self.tz)
        days = (local.date() - self.now.astimezone(self.tz).date()).days
        if days == 0:
            return f"{local:%H:%M}"
        if days == 1:
            return f"tomorrow {local:%H:%M}"
        if 1 < days < 7:
            return f"{local:%a %H:%M}"
        return f"{local:%a} {local.day} {local:%b %H:%M}"

    def status(self, until: datetime | None) -> str:
        if until is None:
            return "Until turned back on"
        local = until.astimezone(self.tz)
        days = (local.date() - self.now.astimezone(self.tz).date()).days
        if self.next_opening is not None and until == self.next_opening:
            if days == 0:
                return f"Until today's opening ({local:%H:%M})"
            if days == 1:
                return f"Until tomorrow's opening ({local:%a %H:%M})"
            return f"Until the next opening ({self.when(until)})"
        if days == 0:
            return f"Back at {local:%H:%M}"
        if days == 1:
            return f"Back tomorrow at {local:%H:%M}"
        return f"Back {self.when(until)}"

    @property
    def choices(self) -> list[tuple[str, str]]:
        """The "until" choices for turning an item off; the first one is the default."""
        # Shown under "Sold out until".
        if self.next_opening is None:  # no opening hours, or open around the clock
            return [("manual", "Turned back on"), ("at", "A time…")]
        return [
            ("next_opening", f"Next opening ({self.when(self.next_opening)})"),
            ("at", "A time…"),
            ("manual", "Turned back on"),
        ]


def _store_menu_rows(store: Store, clock: SnoozeClock) -> tuple[list[SnoozeGroup], int]:
    """Every item the store sells, grouped by section (in menu order), then the modifier
    options those items offer, grouped by modifier group. Each item is listed once, where it
    first appears. Returns the groups and how many items are sold out.

    A fixed number of queries whatever the size of the menu (`menu_rows_get`).
    """
    menu = menu_rows_get(merchant_id=store.merchant_id, store=store, now=clock.now)
    catalogs, sections, roots, children = (
        menu.catalogs,
        menu.sections,
        menu.root_sections,
        menu.child_sections,
    )
    section_items, item_groups, options = menu.section_items, menu.item_groups, menu.options
    snoozes = menu.snoozes
    items = {
        pk: {"id": pk, "public_id": UUID(row[0]), "name": row[1], "price": row[4]}
        for pk, row in menu.items.items()
    }

    listed: list[int] = []  # in page order
    groups: list[SnoozeGroup] = []

    def rows_for(item_ids: list[int], *, is_option: bool) -> list[SnoozeRow]:
        rows = []
        for item_id in item_ids:
            if item_id in seen_items or item_id not in items:
                continue
            seen_items.add(item_id)
            listed.append(item_id)
            rows.append(_row(items[item_id], snoozes, clock, is_option=is_option))
        return rows

    def walk(section_ids: list[int], prefix: str, catalog_name: str, seen: frozenset) -> None:
        for section_id in section_ids:
            if section_id in seen or section_id not in sections:
                continue  # a cycle: never made by our services, but never loop on one
            name = sections[section_id]["name"]
            title = f"{prefix} › {name}" if prefix else name
            rows = rows_for(section_items.get(section_id, []), is_option=False)
            if rows:
                groups.append(SnoozeGroup(title=title, subtitle=catalog_name, rows=rows))
            walk(children.get(section_id, []), title, catalog_name, seen | {section_id})

    seen_items: set[int] = set()
    several = len(catalogs) > 1
    for catalog in catalogs:
        walk(roots.get(catalog["id"], []), "", catalog["name"] if several else "", frozenset())

    # The modifier options of the listed items, then options of those options (nesting).
    seen_groups: set[int] = set()
    position = 0
    while position < len(listed):
        item_id = listed[position]
        position += 1
        for group_id in item_groups.get(item_id, []):
            if group_id in seen_groups:
                continue
            seen_groups.add(group_id)
            rows = rows_for(options.get(group_id, []), is_option=True)
            if rows:
                name = menu.groups[group_id][1] if group_id in menu.groups else ""
                title = f"Options: {name}"
                groups.append(SnoozeGroup(title=title, rows=rows))
    sold_out = sum(1 for item_id in listed if item_id in snoozes)
    return groups, sold_out


def _row(item: dict, snoozes: dict, clock: SnoozeClock, *, is_option: bool) -> SnoozeRow:
    snoozed = item["id"] in snoozes
    return SnoozeRow(
        item_id=item["public_id"],
        name=item["name"],
        price=item["price"],
        is_option=is_option,
        snoozed=snoozed,
        status=clock.status(snoozes[item["id"]]) if snoozed else "",
    )


def _filtered(groups: list[SnoozeGroup], query: str) -> list[SnoozeGroup]:
    """Only the rows whose item name contains `query` (any case)."""
    wanted = query.casefold()
    out = []
    for group in groups:
        rows = [row for row in group.rows if wanted in row.name.casefold()]
        if rows:
            out.append(SnoozeGroup(title=group.title, subtitle=group.subtitle, rows=rows))
    return out


def _snooze_context(
    request: AuthedHttpRequest, store: Store, clock: SnoozeClock, query: str
) -> dict:
    groups, sold_out = _store_menu_rows(store, clock)
    membership = access.membership_for(request, store.merchant_id)
    return {
        "store": store,
        "clock": clock,
        "groups": _filtered(groups, query) if query else groups,
        "has_items": bool(groups),
        "item_count": sum(len(group.rows) for group in groups),
        "sold_out": sold_out,
        "query": query,
        "can_edit": access.can(membership, Action.EDIT_MENU),
    }


@login_required
@require_GET
def snooze_list(request: AuthedHttpRequest, store_id) -> HttpResponse:
    store = access.store_get_for_user(request, store_id, Action.SNOOZE)
    query = request.GET.get("q", "").strip()[:100]
    context = _snooze_context(request, store, SnoozeClock.for_store(store), query)
    template = "catalogs/store_menu/snooze.html"
    if request.htmx and request.htmx.target == "snooze-groups":
        template += "#groups"  # the search box filters as you type
    return render(request, template, context)


@login_required
@require_POST
def snooze_item(request: AuthedHttpRequest, store_id, item_id) -> HttpResponse:
    """Turn one item off ("available=no" with an "until" choice) or back on ("available=yes")."""
    store = access.store_get_for_user(request, store_id, Action.SNOOZE)
    item = get_object_or_404(
        Item.objects.only("pk", "public_id", "name", "price", "merchant_id"),
        merchant_id=store.merchant_id,
        public_id=item_id,
    )
    clock = SnoozeClock.for_store(store)
    available = request.POST.get("available")
    error = ""
    done = ""
    if available == "yes":
        item_unsnooze(store=store, item=item, user=request.user)
        done = f"{item.name} is available again."
    elif available == "no":
        try:
            until = snooze_until_parse(
                store=store,
                until=request.POST.get("until", ""),
                at=request.POST.get("at", ""),
                now=clock.now,
            )
            item_snooze(store=store, item=item, until=until, user=request.user)
        except PortalError as exc:
            error = exc.message
        else:
            done = f"{item.name} is sold out. {clock.status(until)}."
    else:
        error = "Choose Available or Sold out."

    query = request.POST.get("q", "").strip()[:100]
    if request.htmx or error:
        # htmx swaps one row, so the search does not apply; a full page keeps it.
        context = _snooze_context(request, store, clock, "" if request.htmx else query)
        row = _find_row(context["groups"], item.public_id)
        context["row_listed"] = row is not None
        row = row or _lone_row(store, item, clock)
        if error:
            row.error = error
            row.until = request.POST.get("until", "")
            row.at = request.POST.get("at", "")[:20]
        context["row"] = row
        if request.htmx:
            # The row swaps in place; the sold-out count at the top follows out of band.
            return render(request, "catalogs/store_menu/snooze.html#row-update", context)
        return render(request, "catalogs/store_menu/snooze.html", context, status=400)

    messages.success(request, done)
    url = reverse("snoozes:list", kwargs={"store_id": store.public_id})
    if query:
        url += "?" + urlencode({"q": query})
    return redirect(f"{url}#item-{item.public_id}")


def _find_row(groups: list[SnoozeGroup], item_id: UUID) -> SnoozeRow | None:
    for group in groups:
        for row in group.rows:
            if row.item_id == item_id:
                return row
    return None


def _lone_row(store: Store, item: Item, clock: SnoozeClock) -> SnoozeRow:
    """The row of an item the store's menu does not reach (the search hides it, or it was
    taken off the menu meanwhile)."""
    snoozes = dict(
        ItemSnooze.objects.filter(store=store, item=item)
        .active(clock.now)
        .values_list("item_id", "until")
    )
    values = {"id": item.pk, "public_id": item.public_id, "name": item.name, "price": item.price}
    return _row(values, snoozes, clock, is_option=False)
