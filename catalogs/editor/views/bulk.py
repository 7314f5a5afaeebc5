"""The bulk price change by filter: the items of a section, of a search, or a few chosen ones.

The page is given a filter (`q`, `section`, `state` as on the overview, or `item` ids), never
the items themselves: it shows how many items it means and the first few, previews old → new,
then applies the change in the database in one UPDATE (`prices_bulk_change_by_filter`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse

from catalogs.editor import services
from catalogs.editor.forms import BulkPriceForm
from catalogs.editor.views.common import (
    TEMPLATES,
    editor_required,
    error_messages,
    get_items_for_user,
)
from catalogs.editor.views.overview import filter_description, filter_query, item_filter_from
from catalogs.selectors import ItemFilter, items_filtered, section_tree_get
from portal.exceptions import PortalError
from portal.money import MenuMoney, menu_money
from portal.typing import EditorHttpRequest

MAX_CHOSEN_IDS = 500
SAMPLE_SIZE = 20


def _filter(request: EditorHttpRequest) -> ItemFilter:
    _, sections = section_tree_get(merchant=request.membership.merchant)
    item_filter = item_filter_from(request, sections)
    source = request.POST if request.method == "POST" else request.GET
    values = source.getlist("item")
    if values:
        items = get_items_for_user(request, values)
        item_filter = dataclasses.replace(item_filter, ids=tuple(item.public_id for item in items))
    return item_filter


def _show(money: MenuMoney, minor: int) -> str:
    return money.show(minor) if minor >= 0 else f"−{money.show(-minor)}"


@editor_required
def bulk_price(request: EditorHttpRequest) -> HttpResponse:
    """Change the prices of the items a filter means: choose, preview (old → new), then apply."""
    source = request.POST if request.method == "POST" else request.GET
    if len(source.getlist("item")) > MAX_CHOSEN_IDS:
        return HttpResponseBadRequest(
            f"Choose at most {MAX_CHOSEN_IDS} items by hand; use a section or a search for more."
        )
    step = source.get("step", "choose")
    merchant = request.membership.merchant
    item_filter = _filter(request)
    if item_filter.is_empty:
        messages.info(
            request,
            "Choose the items whose prices you want to change first: a section’s “Prices…”, "
            "or search and then “Change prices”.",
        )
        return redirect("menu:overview")
    money = menu_money(merchant)
    items = items_filtered(merchant=merchant, item_filter=item_filter)
    sample = list(items[:SAMPLE_SIZE])
    for item in sample:
        cast(Any, item).price_display = money.show(item.price)
    context: dict[str, Any] = {
        "count": items.count(),
        "sample": sample,
        "filter": item_filter,
        "filter_query": filter_query(item_filter),
        "filter_words": filter_description(item_filter),
        "money": money,
        "plan": None,
    }
    if request.method != "POST" or step == "choose":
        context["form"] = BulkPriceForm(menu_money=money)
        return render(request, f"{TEMPLATES}/bulk_price.html", context)
    if step not in ("preview", "apply"):
        return HttpResponseBadRequest("Unknown step.")

    form = BulkPriceForm(request.POST, menu_money=money)
    context["form"] = form
    if not form.is_valid():
        return render(request, f"{TEMPLATES}/bulk_price.html", context, status=400)
    change = {
        "change": form.cleaned_data["change"],
        "value": form.cleaned_data["value"],
        "digits": money.digits,
    }
    plan = services.prices_bulk_plan(
        merchant=merchant, item_filter=item_filter, sample_size=SAMPLE_SIZE, **change
    )
    for item in plan.sample:
        row = cast(Any, item)
        row.price_display = money.show(item.price)
        row.new_display = _show(money, row.new_price)
    context |= {"plan": plan, "description": form.describe()}
    if plan.below_zero:
        names = ", ".join(plan.below_zero_names)
        more = f" and {plan.below_zero - len(plan.below_zero_names)} more" * (
            plan.below_zero > len(plan.below_zero_names)
        )
        form.add_error(
            None,
            f"Prices cannot go below zero: {plan.below_zero} item"
            f"{'s' if plan.below_zero != 1 else ''} would ({names}{more}). Choose a smaller "
            "decrease, or narrow the items down.",
        )
    if plan.too_high:
        form.add_error(
            None,
            f"Prices cannot go above the highest price we accept ({money.max_text}): "
            f"{plan.too_high} item{'s' if plan.too_high != 1 else ''} would "
            f"({', '.join(plan.too_high_names)}).",
        )
    if plan.refused:
        return render(request, f"{TEMPLATES}/bulk_price.html", context, status=400)
    if step == "preview":
        return render(request, f"{TEMPLATES}/bulk_price.html", context)

    try:
        changed = services.prices_bulk_change_by_filter(
            merchant=merchant,
            item_filter=item_filter,
            fingerprint=request.POST.get("fingerprint", ""),
            user=request.user,
            **change,
        )
    except services.PricesChangedSincePreview as exc:
        messages.warning(request, exc.message)
        return render(request, f"{TEMPLATES}/bulk_price.html", context, status=409)
    except (ValidationError, PortalError) as exc:
        form.add_error(None, error_messages(exc))
        return render(request, f"{TEMPLATES}/bulk_price.html", context, status=400)
    messages.success(
        request,
        f"{form.describe()}: {changed} price{'s' if changed != 1 else ''} changed. Your stores' "
        "menus are published in a moment.",
    )
    if item_filter.ids:
        return redirect("menu:overview")
    # Back to the list of the items changed, showing their new prices.
    return redirect(reverse("menu:overview") + "?" + filter_query(item_filter))
