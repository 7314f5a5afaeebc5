"""Order history: every order of the merchant the user is working on, with search and filters.

One page of rows in a fixed number of queries (the store comes with each order). With htmx the
filter form swaps only `#rows`.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from orders import selectors
from orders.history.forms import HistoryFilterForm
from orders.models import Order
from portal.typing import HtmxHttpRequest
from stores import access
from stores.models import Store

PAGE_SIZE = 25


@login_required
@require_GET
def order_list(request: HtmxHttpRequest) -> HttpResponse:
    membership = access.membership_get(request)
    stores = list(Store.objects.for_merchant(membership.merchant).order_by("name"))
    form = HistoryFilterForm(request.GET or None, stores=stores)
    orders: QuerySet[Order] = Order.objects.filter(merchant=membership.merchant).select_related(
        "store"
    )
    filtered = False
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        orders = selectors.order_search(
            orders,
            search=data["q"].strip(),
            state=data["state"],
            store=data["store"],
            placed_from=data["date_from"],
            placed_to=data["date_to"],
        )
        filtered = any(data.get(k) for k in ("q", "state", "store", "date_from", "date_to"))
    elif form.is_bound:
        orders = orders.none()
    page = Paginator(orders.order_by("-placed_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "filtered": filtered,
        "query": query.urlencode(),
        "merchant": membership.merchant,
        "has_orders": filtered or page.paginator.count > 0,
    }
    template = "orders/order_list.html"
    if request.htmx and request.htmx.target == "rows":
        template += "#rows"
    return render(request, template, context)
