"""The bulk price change: choose items on the overview, preview old → new, then apply."""

from __future__ import annotations

import hashlib
from typing import Protocol, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render

from catalogs.editor import services
from catalogs.editor.forms import BulkPriceForm
from catalogs.editor.views.common import (
    TEMPLATES,
    editor_required,
    error_messages,
    get_items_for_user,
)
from catalogs.models import Item
from portal.exceptions import PortalError
from portal.money import menu_money
from portal.typing import EditorHttpRequest


def _fingerprint(items: list[Item], form: BulkPriceForm) -> str:
    """What a preview showed (prices and the change), so applying notices anything different."""
    text = ",".join(f"{item.public_id}:{item.price}" for item in items)
    text += f"|{form.cleaned_data['change']}|{form.cleaned_data['value'].normalize()}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class _Priced(Protocol):
    """An item on the bulk price page: its price now and, in the preview, after the change."""

    price_display: str
    new_price: int
    new_display: str


@editor_required
def bulk_price(request: EditorHttpRequest) -> HttpResponse:
    """Change the prices of chosen items: choose, preview (old → new), then apply."""
    source = request.POST if request.method == "POST" else request.GET
    step = source.get("step", "choose")
    items = get_items_for_user(request, source.getlist("item"))
    if not items:
        messages.info(request, "Tick the items whose prices you want to change first.")
        return redirect("menu:overview")
    money = menu_money(request.membership.merchant)
    for item in items:
        cast(_Priced, item).price_display = money.show(item.price)
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
    change = {
        "change": form.cleaned_data["change"],
        "value": form.cleaned_data["value"],
        "digits": money.digits,
    }
    preview = [(item, services.price_after_change(price=item.price, **change)) for item in items]
    for item, new in preview:
        priced = cast(_Priced, item)
        priced.new_price = new
        priced.new_display = money.show(new) if new >= 0 else f"−{money.show(-new)}"
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
        changed = len(services.prices_bulk_change(items=items, **change, user=request.user))
    except (ValidationError, PortalError) as exc:
        form.add_error(None, error_messages(exc))
        return render(request, f"{TEMPLATES}/bulk_price.html", context, status=400)
    messages.success(
        request,
        f"{form.describe()}: {changed} price{'s' if changed != 1 else ''} changed. Your stores' "
        "menus are published in a moment.",
    )
    return redirect("menu:overview")
