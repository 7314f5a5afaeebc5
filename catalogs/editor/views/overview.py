"""The menu overview: the whole menu, its publish status and an item search."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from catalogs.editor.views.common import TEMPLATES, editor_required, wants_partial
from catalogs.selectors import menu_tree_get
from portal.money import menu_money
from portal.typing import EditorHttpRequest


def overview_context(request: EditorHttpRequest, q: str = "") -> dict:
    merchant = request.membership.merchant
    money = menu_money(merchant)
    menu = menu_tree_get(merchant=merchant, money=money)
    return {
        "merchant": merchant,
        "menu": menu,
        "money": money,
        "q": q,
        "results": menu.search(q) if q else None,
    }


def render_menu_body(request: EditorHttpRequest) -> HttpResponse:
    """The overview's menu region, after an htmx action changed it."""
    return render(request, f"{TEMPLATES}/overview.html#menu-body", overview_context(request))


@editor_required
def overview(request: EditorHttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    context = overview_context(request, q)
    if wants_partial(request):
        return render(request, f"{TEMPLATES}/overview.html#menu-body", context)
    return render(request, f"{TEMPLATES}/overview.html", context)
