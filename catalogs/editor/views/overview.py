"""The menu overview: the menu's outline with item counts, its publish status, and item search.

A big menu is never rendered whole. The overview shows catalogs and sections with how many
items (and sold-out items) each holds, counted in the database; items are listed a page at a
time, by search (`q`, `section`, `state`) or per section on demand (htmx loads one section's
first page into its row). Every list row links to the item's page.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse

from catalogs.editor.views.common import TEMPLATES, editor_required, wants_partial
from catalogs.models import Item, Section
from catalogs.selectors import (
    ON_SALE,
    SOLD_OUT,
    ItemFilter,
    TreeCatalog,
    TreeSection,
    group_rule,
    groups_listed,
    hours_summary,
    item_counts_get,
    items_filtered,
    items_sections_get,
    items_sold_out_at_get,
    menu_outline_rows_get,
    publish_problems_get,
    search_text,
    section_counts_get,
    section_tree_get,
    store_catalog_ids_get,
)
from portal.money import MenuMoney, menu_money
from portal.typing import EditorHttpRequest
from stores.models import Merchant, Store

PAGE_SIZE = 50
GROUPS_PAGE_SIZE = 10
STATES = {SOLD_OUT: "Sold out", ON_SALE: "On sale"}
NO_SECTION = "none"
RESULTS_LIST = "items-results"


def item_filter_from(request: EditorHttpRequest, sections: list[Section]) -> ItemFilter:
    """The item filter in the query string (or form): `q`, `section` (a section's id or
    "none"), `state`. An unknown section is a 404, like any other lookup."""
    source = request.POST if request.method == "POST" else request.GET
    q = search_text(source.get("q", ""), limit=200)
    state = source.get("state", "")
    wanted = source.get("section", "")
    section = None
    if wanted and wanted != NO_SECTION:
        try:
            public_id = uuid.UUID(wanted)
        except ValueError:
            raise Http404("No such section.") from None
        section = next((s for s in sections if s.public_id == public_id), None)
        if section is None:
            raise Http404("No such section.")
    return ItemFilter(
        q=q,
        section=section,
        unlisted=wanted == NO_SECTION,
        state=state if state in STATES else "",
    )


def filter_query(item_filter: ItemFilter) -> str:
    """The query string that means `item_filter` (for links to the list and the price page)."""
    query = QueryDict(mutable=True)
    if item_filter.q:
        query["q"] = item_filter.q
    if item_filter.section is not None:
        query["section"] = str(item_filter.section.public_id)
    elif item_filter.unlisted:
        query["section"] = NO_SECTION
    if item_filter.state:
        query["state"] = item_filter.state
    return query.urlencode()


def filter_description(item_filter: ItemFilter) -> str:
    """ "in Mains › Burgers, sold out, matching “burg”": the filter in words."""
    parts = []
    if item_filter.section is not None:
        parts.append(f"in {cast(TreeSection, item_filter.section).path}")
    elif item_filter.unlisted:
        parts.append("in no section")
    if item_filter.state:
        parts.append(STATES[item_filter.state].lower())
    if item_filter.q:
        parts.append(f"matching “{item_filter.q}”")
    return ", ".join(parts)


def items_page(
    request: EditorHttpRequest,
    *,
    merchant: Merchant,
    item_filter: ItemFilter,
    sections: list[Section],
    money: MenuMoney,
    problems: dict[str, list],
) -> Page:
    """One page of the items `item_filter` means, each with its sections (`places`), the
    stores where it is sold out (`sold_out_at`), its price and problems: a fixed number of
    queries whatever the menu's size."""
    paginator = Paginator(items_filtered(merchant=merchant, item_filter=item_filter), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = cast(list[Item], list(page.object_list))
    ids = [item.pk for item in rows]
    places = items_sections_get(item_ids=ids)
    sold_out = items_sold_out_at_get(item_ids=ids)
    by_pk = {section.pk: section for section in sections}
    for item in rows:
        row = cast(Any, item)
        row.places = [by_pk[pk] for pk in places.get(item.pk, ()) if pk in by_pk]
        row.sold_out_at = sold_out.get(item.pk, [])
        row.price_display = money.show(item.price)
        row.problems = problems.get(str(item.public_id), [])
    page.object_list = rows
    return page


def groups_page(request: EditorHttpRequest, *, merchant: Merchant, problems: dict) -> Page:
    q = search_text(request.GET.get("gq", ""), limit=200)
    paginator = Paginator(groups_listed(merchant=merchant, q=q), GROUPS_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("gpage"))
    rows = list(page.object_list)
    for group in rows:
        row = cast(Any, group)
        row.rule = group_rule(group)
        row.problems = problems.get(str(group.public_id), [])
    page.object_list = rows
    return page


def overview_context(request: EditorHttpRequest) -> dict:
    merchant = request.membership.merchant
    money = menu_money(merchant)
    rows = menu_outline_rows_get(merchant_id=merchant.pk)
    catalogs, sections = section_tree_get(merchant=merchant, rows=rows)
    stores = list(Store.objects.filter(merchant=merchant).order_by("name", "id"))
    publishing, problems = publish_problems_get(stores=stores)
    item_filter = item_filter_from(request, sections)
    searching = not item_filter.is_empty
    # Sections show their counts only in the outline, not above search results.
    counts = {} if searching else section_counts_get(merchant_id=merchant.pk)
    chosen = store_catalog_ids_get(merchant_id=merchant.pk)
    for catalog in catalogs:
        tree_catalog = cast(TreeCatalog, catalog)
        tree_catalog.hours = hours_summary(rows.windows.get(catalog.pk, ()))
        tree_catalog.selling_stores = [
            store for store in stores if not chosen[store.pk] or catalog.pk in chosen[store.pk]
        ]
        tree_catalog.problems = problems.get(str(catalog.public_id), [])
    # Each section's links made here once (a big menu has hundreds of sections: reverse() and
    # template lookups per link add up).
    marker = str(uuid.UUID(int=0))
    edit_url = reverse("menu:section-edit", args=[marker])
    list_url, prices_url = reverse("menu:overview"), reverse("menu:bulk-price")
    new_item_url = reverse("menu:item-create")
    for section in sections:
        row = cast(Any, section)
        row.key = key = str(section.public_id)
        row.edit_url = edit_url.replace(marker, key)
        row.list_url = f"{list_url}?section={key}"
        row.prices_url = f"{prices_url}?section={key}"
        row.new_item_url = f"{new_item_url}?section={key}"
        row.item_count, row.sold_out_count = counts.get(section.pk, (0, 0))
        row.problems = problems.get(str(section.public_id), [])

    context: dict[str, Any] = {
        "merchant": merchant,
        "money": money,
        "catalogs": catalogs,
        "sections": sections,
        "publishing": publishing,
        "counts": item_counts_get(merchant_id=merchant.pk),
        "filter": item_filter,
        "q": item_filter.q,
        "state": item_filter.state,
        "states": STATES,
        "section_value": (
            str(item_filter.section.public_id)
            if item_filter.section
            else NO_SECTION
            if item_filter.unlisted
            else ""
        ),
        "searching": searching,
        "list_id": RESULTS_LIST,
        "groups": groups_page(request, merchant=merchant, problems=problems),
    }
    if searching:
        context |= _item_list_context(request, item_filter, sections, money, problems)
    return context


def render_menu_body(request: EditorHttpRequest) -> HttpResponse:
    """The overview's menu region, after an htmx action changed it."""
    return render(request, f"{TEMPLATES}/overview.html#menu-body", overview_context(request))


def _item_list_context(
    request: EditorHttpRequest,
    item_filter: ItemFilter,
    sections: list[Section],
    money: MenuMoney,
    problems: dict[str, list],
) -> dict:
    """One page of the items `item_filter` means, with the words and query that describe it."""
    return {
        "page": items_page(
            request,
            merchant=request.membership.merchant,
            item_filter=item_filter,
            sections=sections,
            money=money,
            problems=problems,
        ),
        "filter_query": filter_query(item_filter),
        "filter_words": filter_description(item_filter),
    }


def _problems_by_entity(merchant: Merchant) -> dict[str, list]:
    """The merchant's publish problems by the public id of the entity each names."""
    stores = list(Store.objects.filter(merchant=merchant).order_by("name", "id"))
    _, problems = publish_problems_get(stores=stores)
    return problems


def _list_context(request: EditorHttpRequest, list_id: str) -> dict:
    """Only what one item list needs (a section's items loaded on demand, or a next page)."""
    merchant = request.membership.merchant
    _, sections = section_tree_get(merchant=merchant)
    item_filter = item_filter_from(request, sections)
    problems = _problems_by_entity(merchant)
    return {
        "list_id": list_id,
        "filter": item_filter,
        **_item_list_context(request, item_filter, sections, menu_money(merchant), problems),
    }


@editor_required
def overview(request: EditorHttpRequest) -> HttpResponse:
    if wants_partial(request):
        target = request.htmx.target or ""
        if target.startswith("items-"):
            # One list: a section's items shown on demand, or another page of a list.
            return render(
                request, f"{TEMPLATES}/overview.html#item-list", _list_context(request, target)
            )
        if target == "groups-list":
            merchant = request.membership.merchant
            problems = _problems_by_entity(merchant)
            context = {"groups": groups_page(request, merchant=merchant, problems=problems)}
            return render(request, f"{TEMPLATES}/overview.html#groups-panel", context)
        return render(request, f"{TEMPLATES}/overview.html#menu-body", overview_context(request))
    return render(request, f"{TEMPLATES}/overview.html", overview_context(request))
