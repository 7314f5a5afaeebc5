"""The sold-out page of one store: what its people have taken off sale, and until when.

Made for a kitchen tablet, and bounded whatever the size of the menu: the items sold out now
come first (page by page when there are many), then a search (name, section) with paginated
results, then the store's sections with their counts, each loading its items on demand. Every
item has one big Available / Sold out toggle: a plain POST + redirect, or with htmx a swap of
its row (and, out of band, of the sold-out list and the count at the top). Every view is scoped
through `stores.access` (Action.SNOOZE): another merchant's store is a 404.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cached_property
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from catalogs.models import Item
from catalogs.selectors import (
    SnoozeItemRow,
    SnoozeSection,
    search_text,
    snooze_item_rows_get,
    snooze_items,
    snooze_items_search,
    snooze_options,
    snooze_options_counts_get,
    snooze_section_counts_get,
    snooze_sections_get,
    snoozed_items,
)
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

# Rows per page: what a tablet shows in a few swipes, and what keeps every answer small.
SOLD_OUT_PER_PAGE = 50
RESULTS_PER_PAGE = 50
SECTION_ITEMS_PER_PAGE = 50
SECTIONS_PER_PAGE = 100
# The section choice that stands for the modifier options in no section (toppings, sizes).
OPTIONS = "options"


# --- rows and the store's clock ---------------------------------------------------------------


@dataclass
class SnoozeRow:
    item_id: UUID
    name: str
    price: int
    is_option: bool
    place: str = ""  # "Mains › Burgers", or "" for a modifier option
    snoozed: bool = False
    status: str = ""  # "Back at 17:00", shown while sold out
    error: str = ""
    # What the person chose, kept when a choice comes back with an error.
    until: str = ""
    at: str = ""


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


class SnoozeMenu:
    """What every part of the page reads: the store's sections (a small part of any menu),
    then only the rows shown (`snooze_item_rows_get`, one query per list)."""

    def __init__(self, store: Store, clock: SnoozeClock) -> None:
        self.store = store
        self.clock = clock
        self.sections = snooze_sections_get(store=store)
        self.by_pk = {section.pk: section for section in self.sections}
        self.by_public_id = {section.public_id: section for section in self.sections}
        self.section_ids = [section.pk for section in self.sections]

    def section_get(self, raw) -> SnoozeSection | None:
        """A section of this store's menu by its public id (text); None if not one."""
        try:
            return self.by_public_id.get(uuid.UUID(str(raw)))
        except ValueError:
            return None

    def rows(self, items: list[int]) -> list[SnoozeRow]:
        return [
            self._row(row)
            for row in snooze_item_rows_get(
                store=self.store, item_ids=items, section_ids=self.section_ids, now=self.clock.now
            )
        ]

    def _row(self, row: SnoozeItemRow) -> SnoozeRow:
        section = self.by_pk.get(row.section_id) if row.section_id is not None else None
        return SnoozeRow(
            item_id=row.public_id,
            name=row.name,
            price=row.price,
            is_option=section is None,
            place=section.path if section else _option_place(row.group_name),
            snoozed=row.snoozed,
            status=self.clock.status(row.until) if row.snoozed else "",
        )

    def page(self, items, number, per_page: int) -> tuple[Page, list[SnoozeRow]]:
        """One page of an item queryset, and its rows: three queries."""
        page = Paginator(items.values_list("pk", flat=True), per_page).get_page(number)
        return page, self.rows(list(page.object_list))

    @cached_property
    def item_count(self) -> int:
        return snooze_items(store=self.store, section_ids=self.section_ids).count()


def _option_place(group_name: str | None) -> str:
    return f"Option in {group_name}" if group_name else "Modifier option"


# --- the parts of the page --------------------------------------------------------------------


def _sold_out_context(menu: SnoozeMenu, number) -> dict:
    page, rows = menu.page(
        snoozed_items(store=menu.store, now=menu.clock.now), number, SOLD_OUT_PER_PAGE
    )
    return {"sold_out_page": page, "sold_out_rows": rows, "sold_out": page.paginator.count}


def _results_context(
    menu: SnoozeMenu, query: str, section: SnoozeSection | None, number, options: bool = False
) -> dict:
    """Search results when there is a search, else the store's sections with their counts
    (and the modifier options', when there are any)."""
    if options:
        items = snooze_options(store=menu.store, section_ids=menu.section_ids, query=query)
        page, rows = menu.page(items, number, RESULTS_PER_PAGE)
        return {"results_page": page, "result_rows": rows, "filtered": True, "options": True}
    if query or section:
        items = snooze_items_search(
            store=menu.store,
            section_ids=menu.section_ids,
            query=query,
            section_id=section.pk if section else None,
        )
        page, rows = menu.page(items, number, RESULTS_PER_PAGE)
        return {"results_page": page, "result_rows": rows, "filtered": True}
    sections_page = Paginator(menu.sections, SECTIONS_PER_PAGE).get_page(number)
    shown = list(sections_page.object_list)
    counts = snooze_section_counts_get(
        store=menu.store, section_ids=[s.pk for s in shown], now=menu.clock.now
    )
    options_total, options_off = snooze_options_counts_get(
        store=menu.store, section_ids=menu.section_ids, now=menu.clock.now
    )
    return {
        "sections_page": sections_page,
        "section_rows": [(s, *counts[s.pk]) for s in shown],
        "options_total": options_total,
        "options_off": options_off,
        "filtered": False,
    }


def _page_context(
    request: AuthedHttpRequest,
    menu: SnoozeMenu,
    *,
    query: str = "",
    section: SnoozeSection | None = None,
    page="1",
    sold_out_page="1",
    options: bool = False,
) -> dict:
    membership = access.membership_for(request, menu.store.merchant_id)
    return {
        "store": menu.store,
        "clock": menu.clock,
        "sections": menu.sections,
        "query": query,
        "section": section,
        "options": options,
        "page_number": page,
        "item_count": menu.item_count,
        "has_items": menu.item_count > 0,
        "can_edit": access.can(membership, Action.EDIT_MENU),
        **_sold_out_context(menu, sold_out_page),
        **_results_context(menu, query, section, page, options),
    }


def _search_params(data) -> tuple[str, str, str]:
    """(query, section public id, page number) as given, cut to a sane length."""
    return (
        search_text(data.get("q", ""), limit=100),
        data.get("section", "").strip()[:36],
        data.get("page", "1").strip()[:6] or "1",
    )


# --- views ------------------------------------------------------------------------------------


@login_required
@require_GET
def snooze_list(request: AuthedHttpRequest, store_id) -> HttpResponse:
    """The page; with htmx, only the part asked for: the search results (`snooze-results`) or
    one page of the sold-out list (`soldout`)."""
    store = access.store_get_for_user(request, store_id, Action.SNOOZE)
    menu = SnoozeMenu(store, SnoozeClock.for_store(store))
    query, section_id, page = _search_params(request.GET)
    options = section_id == OPTIONS
    section = menu.section_get(section_id) if section_id and not options else None
    template = "catalogs/store_menu/snooze.html"
    sold_out_page = request.GET.get("soldout_page", "1")[:6]
    if request.htmx and request.htmx.target == "soldout":
        context = {"store": store, "clock": menu.clock, **_sold_out_context(menu, sold_out_page)}
        return render(request, template + "#soldout", context)
    if request.htmx and request.htmx.target == "snooze-results":
        membership = access.membership_for(request, store.merchant_id)
        context = {
            "store": store,
            "clock": menu.clock,
            "query": query,
            "section": section,
            "options": options,
            "can_edit": access.can(membership, Action.EDIT_MENU),
            **_results_context(menu, query, section, page, options),
        }
        return render(request, template + "#results", context)
    context = _page_context(
        request,
        menu,
        query=query,
        section=section,
        page=page,
        sold_out_page=sold_out_page,
        options=options,
    )
    return render(request, template, context)


@login_required
@require_GET
def snooze_section(request: AuthedHttpRequest, store_id, section_id) -> HttpResponse:
    """One page of a section's items, loaded when the section is opened ("Show more" loads the
    next). Without htmx: the page, searching that section."""
    store = access.store_get_for_user(request, store_id, Action.SNOOZE)
    menu = SnoozeMenu(store, SnoozeClock.for_store(store))
    section = menu.by_public_id.get(section_id)
    if section is None:
        raise Http404("No such section on this store's menu.")
    if not request.htmx:
        url = reverse("snoozes:list", kwargs={"store_id": store.public_id})
        return redirect(url + "?" + urlencode({"section": str(section.public_id)}))
    items = snooze_items_search(store=store, section_ids=menu.section_ids, section_id=section.pk)
    more_url = reverse(
        "snoozes:section", kwargs={"store_id": store.public_id, "section_id": section.public_id}
    )
    return _section_rows(request, menu, items, more_url, section=section)


@login_required
@require_GET
def snooze_section_options(request: AuthedHttpRequest, store_id) -> HttpResponse:
    """The modifier options in no section, like a section: a page at a time, by name."""
    store = access.store_get_for_user(request, store_id, Action.SNOOZE)
    menu = SnoozeMenu(store, SnoozeClock.for_store(store))
    if not request.htmx:
        url = reverse("snoozes:list", kwargs={"store_id": store.public_id})
        return redirect(url + "?" + urlencode({"section": OPTIONS}))
    items = snooze_options(store=store, section_ids=menu.section_ids)
    more_url = reverse("snoozes:options", kwargs={"store_id": store.public_id})
    # Options share names ("Large"): each says which group it is in.
    return _section_rows(request, menu, items, more_url, section=None, show_place=True)


def _section_rows(
    request, menu: SnoozeMenu, items, more_url: str, section, show_place: bool = False
) -> HttpResponse:
    page, rows = menu.page(items, request.GET.get("page", "1")[:6], SECTION_ITEMS_PER_PAGE)
    context = {
        "store": menu.store,
        "clock": menu.clock,
        "section": section,
        "page": page,
        "rows": rows,
        "more_url": more_url,
        "show_place": show_place,
    }
    return render(request, "catalogs/store_menu/snooze.html#section-rows", context)


@login_required
@require_POST
def snooze_item(request: AuthedHttpRequest, store_id, item_id) -> HttpResponse:
    """Turn one item off ("available=no" with an "until" choice) or back on ("available=yes").

    `list=soldout` says the toggle was in the sold-out list: with htmx that list comes back
    (the item leaves it); from anywhere else the row comes back, and the sold-out list and
    the count follow out of band.
    """
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

    query, section_id, page = _search_params(request.POST)
    from_sold_out = request.POST.get("list") == "soldout"
    if request.htmx or error:
        menu = SnoozeMenu(store, clock)
        (row,) = menu.rows([item.pk])
        if error:
            row.error = error
            row.until = request.POST.get("until", "")
            row.at = request.POST.get("at", "")[:20]
        if request.htmx:
            context = {
                "store": store,
                "clock": clock,
                "row": row,
                "done": done,
                "item_count": menu.item_count,
                "show_place": request.POST.get("place") == "1",
                **_sold_out_context(menu, "1"),
            }
            if from_sold_out and not error:
                return render(request, "catalogs/store_menu/snooze.html#soldout-update", context)
            return render(request, "catalogs/store_menu/snooze.html#row-update", context)
        section = menu.section_get(section_id) if section_id else None
        context = _page_context(request, menu, query=query, section=section, page=page)
        context["error_row"] = row
        return render(request, "catalogs/store_menu/snooze.html", context, status=400)

    messages.success(request, done)
    url = reverse("snoozes:list", kwargs={"store_id": store.public_id})
    params = {k: v for k, v in (("q", query), ("section", section_id)) if v}
    if params and page != "1":
        params["page"] = page
    if params:
        url += "?" + urlencode(params)
    anchor = "soldout" if from_sold_out else f"item-{item.public_id}"
    return redirect(f"{url}#{anchor}")
