"""Staff pages under /sandbox/gett/inspect/: what the local Gett knows, received and sent.

Server-rendered, for Django staff only. Every list is paginated and read with a fixed number of
queries, whatever the number of rows. The forms (send a test order, arm or clear a fault switch)
are plain POSTs that call one service and redirect.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol, cast

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gett.sandbox import services
from gett.sandbox.forms import FaultForm, SendTestOrderForm
from gett.sandbox.models import (
    SandboxCall,
    SandboxCatalogIngestion,
    SandboxOnboarding,
    SandboxOrder,
    SandboxStore,
    SandboxTestOrder,
    SandboxWebhookCall,
)
from gett.sandbox.problems import Problem

logger = logging.getLogger(__name__)

PER_PAGE = 10
DETAIL_PER_PAGE = 50
Ingestion = SandboxCatalogIngestion


class _PageLinks(Protocol):
    """A page of an inspection list, with links to its neighbours for the template."""

    previous_url: str
    next_url: str


def _paginate(
    request: HttpRequest, rows: QuerySet | list, *, param: str, anchor: str, per_page: int
) -> Page:
    """One page of `rows`, read from `?<param>=`; links keep the other lists' pages."""
    page = Paginator(rows, per_page).get_page(request.GET.get(param))

    def link(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"?{query.urlencode()}#{anchor}"

    links = cast(_PageLinks, page)
    links.previous_url = link(page.previous_page_number()) if page.has_previous() else ""
    links.next_url = link(page.next_page_number()) if page.has_next() else ""
    return page


# --- pages -------------------------------------------------------------------------------


@staff_member_required
def overview(request: HttpRequest) -> HttpResponse:
    latest_accepted = (
        Ingestion.objects.filter(
            partner_store_id=OuterRef("partner_store_id"), status=Ingestion.Status.ACCEPTED
        )
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    stores = _paginate(
        request,
        SandboxStore.objects.select_related("onboarding").annotate(
            accepted_pk=Subquery(latest_accepted)
        ),
        param="stores",
        anchor="stores",
        per_page=PER_PAGE,
    )
    accepted = Ingestion.objects.defer("document", "problems").in_bulk(
        [store.accepted_pk for store in stores if store.accepted_pk]
    )
    for store in stores:
        store.accepted = accepted.get(store.accepted_pk)

    def page(rows: QuerySet, name: str) -> Page:
        return _paginate(request, rows, param=name, anchor=name, per_page=PER_PAGE)

    context = {
        "stores": stores,
        "scenarios": SandboxTestOrder.Scenario.choices,
        "test_orders": page(SandboxTestOrder.objects.select_related("store"), "test-orders"),
        "orders": page(SandboxOrder.objects.select_related("store"), "orders"),
        "onboardings": page(SandboxOnboarding.objects.select_related("store"), "onboardings"),
        "ingestions": page(Ingestion.objects.defer("document"), "ingestions"),
        "calls_in": page(SandboxCall.objects.defer("request_body", "response_body"), "calls-in"),
        "calls_out": page(
            SandboxWebhookCall.objects.select_related("test_order__store").defer(
                "request_body",
                "response_body",
                "test_order__validate_body",
                "test_order__place_body",
            ),
            "calls-out",
        ),
        "faults": services.fault_list(),
        "fault_form": FaultForm(),
    }
    return render(request, "sandbox/inspect/overview.html", context)


@staff_member_required
def test_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    test_orders = SandboxTestOrder.objects.select_related("store", "placed_order")
    test_order = get_object_or_404(test_orders, pk=pk)
    calls = list(test_order.calls.order_by("created_at", "pk"))
    document = (
        Ingestion.objects.filter(
            partner_store_id=test_order.store.partner_store_id,
            catalog_set_id=test_order.catalog_set_id,
            status=Ingestion.Status.ACCEPTED,
        )
        .values_list("document", flat=True)
        .first()
    )
    context = {
        "test_order": test_order,
        "calls": calls,
        "cart_rows": cart_rows(document, test_order.validate_body["cart"]["lineItems"]),
        "amount_rows": _amount_rows(test_order),
    }
    return render(request, "sandbox/inspect/test_order.html", context)


@staff_member_required
def order_detail(request: HttpRequest, order_id: Any) -> HttpResponse:
    order = get_object_or_404(SandboxOrder.objects.select_related("store"), order_id=order_id)
    events = _paginate(
        request, order.events.all(), param="page", anchor="history", per_page=DETAIL_PER_PAGE
    )
    context = {
        "order": order,
        "events": events,
        "test_orders": list(order.test_orders.only("pk", "scenario", "outcome", "as_expected")),
    }
    return render(request, "sandbox/inspect/order.html", context)


@staff_member_required
def ingestion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ingestion = get_object_or_404(
        Ingestion.objects.defer("document").select_related("onboarding"), pk=pk
    )
    problems = _paginate(
        request, ingestion.problems or [], param="page", anchor="problems", per_page=DETAIL_PER_PAGE
    )
    return render(
        request,
        "sandbox/inspect/ingestion.html",
        {
            "ingestion": ingestion,
            "problems": problems,
            # As pairs: in a template, `counts.items` would look up the "items" count.
            "counts": list((ingestion.counts or {}).items()),
        },
    )


@staff_member_required
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(SandboxCall, pk=pk)
    return render(request, "sandbox/inspect/call.html", {"call": call})


@staff_member_required
def webhook_call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(SandboxWebhookCall.objects.select_related("test_order__store"), pk=pk)
    return render(request, "sandbox/inspect/webhook_call.html", {"call": call})


# --- forms ---------------------------------------------------------------------------------


@staff_member_required
@require_POST
def test_order_send(request: HttpRequest) -> HttpResponse:
    form = SendTestOrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Could not send a test order: {_form_errors(form)}")
        return redirect(reverse("sandbox:inspect") + "#stores")
    store = form.cleaned_data["store"]
    try:
        test_order = services.test_order_start(
            store=store,
            scenario=form.cleaned_data["scenario"],
            seed=form.cleaned_data["seed"],
        )
    except Problem as exc:
        messages.error(request, f"{store.name}: {exc.detail}")
        return redirect(reverse("sandbox:inspect") + "#stores")
    messages.success(
        request,
        f"Test order #{test_order.pk} ({test_order.get_scenario_display()}) is on its way to "
        f"{store.name}.",
    )
    return redirect("sandbox:inspect-test-order", pk=test_order.pk)


@staff_member_required
@require_POST
def fault_arm(request: HttpRequest) -> HttpResponse:
    form = FaultForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Could not arm the fault switch: {_form_errors(form)}")
        return redirect(reverse("sandbox:inspect") + "#faults")
    try:
        fault = services.fault_arm(**form.cleaned_data)
    except Problem as exc:
        messages.error(request, f"Could not arm the fault switch: {exc.detail}")
    else:
        messages.success(
            request,
            f"Armed: the next {fault.remaining} call(s) to {fault.endpoint} answer "
            f"{fault.get_mode_display()}.",
        )
    return redirect(reverse("sandbox:inspect") + "#faults")


@staff_member_required
@require_POST
def fault_clear(request: HttpRequest) -> HttpResponse:
    cleared = services.fault_clear()
    messages.success(request, f"Disarmed {cleared} fault switch(es).")
    return redirect(reverse("sandbox:inspect") + "#faults")


def _form_errors(form: Any) -> str:
    return "; ".join(
        f"{field}: {' '.join(errors)}" if field != "__all__" else " ".join(errors)
        for field, errors in form.errors.items()
    )


# --- presentation helpers -------------------------------------------------------------------


def cart_rows(document: dict[str, Any] | None, line_items: list[dict[str, Any]]) -> list[dict]:
    """The cart as indented rows with names and prices from the CatalogSet it was built from."""
    items = (document or {}).get("items") or {}
    groups = (document or {}).get("modifierGroups") or {}
    rows: list[dict[str, Any]] = []

    def add(entry: dict[str, Any], depth: int, group_id: str | None) -> None:
        item = items.get(entry.get("itemId"))
        group = groups.get(group_id) if group_id else None
        rows.append(
            {
                "depth": depth,
                "indent": f"{0.6 + depth * 1.5:.1f}",
                "item_id": entry.get("itemId"),
                "name": item.get("name") if item else None,
                "known": item is not None,
                "group": group.get("name") if group else None,
                "quantity": entry.get("quantity", 1),
                "base_price": item.get("basePrice") if item else None,
                "instructions": entry.get("specialInstructions"),
            }
        )
        for selection in entry.get("modifierGroups") or []:
            for option in selection.get("selectedModifiers") or []:
                add(option, depth + 1, selection.get("modifierGroupId"))

    for line in line_items:
        add(line, 0, None)
    return rows


AMOUNT_NAMES = ("subTotal", "fees", "promotions", "taxes", "adjustments", "tip", "total")


def _amount_rows(test_order: SandboxTestOrder) -> list[dict[str, Any]]:
    """Gett's expected amounts next to the partner's validated and placed ones."""
    expected = test_order.expected_amounts or {}
    validated = test_order.validated_amounts or {}
    placed = test_order.placed_amounts or {}
    sent = (test_order.place_body or {}).get("amounts") or {}
    rows = []
    for name in AMOUNT_NAMES:
        values = [expected.get(name), validated.get(name), sent.get(name), placed.get(name)]
        if any(value is not None for value in values):
            rows.append({"name": name, "values": values})
    return rows
