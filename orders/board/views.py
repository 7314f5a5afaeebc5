"""A store's orders board (the kitchen tablet), an order's page and its printable ticket.

The board polls its `#board` partial every few seconds. Every action is a plain form POST that
redirects back with a message; with htmx the board (or the order panel) is swapped in place and a
refusal is shown inside it. Services own the rules: a refused step (`PortalError`) is a message,
never a 500. Lookups go through `stores.access` and `orders.selectors`: another merchant's store
or order is a 404; staff, managers and owners all work orders.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from gett import outbox
from gett.models import OutboundMessage
from orders import selectors, services
from orders.models import Order, OrderLine
from portal.exceptions import PortalError
from portal.typing import AuthedHttpRequest, HtmxHttpRequest
from stores import access
from stores import services as store_services
from stores.access import Action
from stores.models import Store

logger = logging.getLogger(__name__)

Status = Order.Status
COMPLETED = "completed"
# How often the board asks for news, in seconds (htmx `every`).
BOARD_POLL_SECONDS = 5

# The kitchen's words for each step, on its button.
STEP_LABELS: dict[str, str] = {
    Status.PREPARING: "Start preparing",
    Status.READY: "Ready",
    Status.IN_TRANSIT: "Out for delivery",
}


@dataclass(frozen=True)
class StepButton:
    status: str
    label: str
    primary: bool


def step_buttons(order: Order) -> list[StepButton]:
    """The buttons under an accepted order: its next step, big; completing it when that is not
    the next step but is allowed (a delivery order that is ready may also be handed over)."""
    if not order.is_open or order.status == Status.PENDING:
        return []
    steps = services.next_steps(order)
    if not steps:
        label = "Delivered" if order.status == Status.IN_TRANSIT else "Picked up"
        return [StepButton(COMPLETED, f"{label}: complete", True)]
    buttons = [StepButton(steps[0], STEP_LABELS[steps[0]], True)]
    if order.status == Status.READY:
        # Gett's courier may collect it: a ready delivery order can be closed without "in transit".
        buttons.append(StepButton(COMPLETED, "Handed over: complete", False))
    return buttons


def prep_presets(store: Store, now: datetime) -> list[int]:
    """The accept buttons' minutes: the usual ones and the store's own (with busy mode's)."""
    return sorted({*services.PREP_PRESETS, store.prep_minutes_at(now)})


class _OrderCard(Protocol):
    """An order on the board with what its card shows, set by `_decorate`."""

    first_name: str
    accept_by: datetime
    buttons: list[StepButton]
    summary: list[OrderLine]


def _decorate(orders: list[Order], store: Store) -> None:
    """What the cards show, computed once per order (no queries)."""
    for order in orders:
        card = cast(_OrderCard, order)
        card.first_name = (order.customer_name or "").split(" ")[0] or "Guest"
        card.accept_by = selectors.accept_deadline(order)
        card.buttons = step_buttons(order)
        lines = getattr(order, "line_rows", None)
        if lines is not None:
            card.summary = [line for line in lines if line.depth == 0]


def _render(request: HtmxHttpRequest, template: str, context: dict, store: Store) -> HttpResponse:
    """Render in the store's time zone: the kitchen reads its own clock."""
    with timezone.override(store.tzinfo):
        return render(request, template, context)


def _board_context(request: HtmxHttpRequest, store: Store) -> dict:
    now = timezone.now()
    board = selectors.board_orders(store, now=now)
    _decorate(board["new_orders"] + board["working_orders"] + board["recent_orders"], store)
    membership = access.membership_for(request, store.merchant_id)
    return {
        "store": store,
        "now": now,
        "presets": prep_presets(store, now),
        "usual_minutes": store.prep_minutes_at(now),
        "busy_extra": store.busy_extra_at(now),
        "busy_for": store_services.BUSY_FOR.items(),
        "busy_presets": store_services.BUSY_EXTRA_PRESETS,
        "can_busy": access.can(membership, Action.PAUSE),
        "cancel_reasons": services.CANCEL_REASONS.items(),
        "poll_seconds": BOARD_POLL_SECONDS,
        "accept_minutes": selectors.ACCEPT_DEADLINE_MINUTES,
        "can_test_order": access.can(membership, Action.INTEGRATE),
        **board,
    }


@login_required
@require_GET
def board(request: HtmxHttpRequest, store_id) -> HttpResponse:
    store = access.store_get_for_user(request, store_id)
    template = "orders/board.html"
    if request.htmx and request.htmx.target == "board":
        template += "#board"
    return _render(request, template, _board_context(request, store), store)


# --- actions --------------------------------------------------------------------------------


@login_required
@require_POST
def busy(request: AuthedHttpRequest, store_id) -> HttpResponse:
    """Busy mode on (extra minutes, for how long) or off (extra 0), from the board."""
    store = access.store_get_for_user(request, store_id, Action.PAUSE)
    try:
        extra = _minutes(request.POST.get("extra_minutes"), "Choose how many minutes to add.")
        until = (
            store_services.busy_until_for(store=store, for_=request.POST.get("for", ""))
            if extra
            else None
        )
        store = store_services.store_busy_set(
            store=store, extra_minutes=extra, until=until, user=request.user
        )
    except PortalError as exc:
        return _board_after(request, store, error=exc.message)
    if store.busy_extra_minutes and store.busy_until:
        local = timezone.localtime(store.busy_until, store.tzinfo)
        done = f"Busy: new orders are promised {extra} minutes later, until {local:%H:%M}."
    else:
        done = "Busy mode is off: new orders get the usual prep time."
    return _board_after(request, store, done=done)


def _board_after(
    request: HtmxHttpRequest,
    store: Store,
    *,
    done: str = "",
    error: str = "",
    back: HttpResponse | None = None,
) -> HttpResponse:
    """After an action: with htmx the board swaps itself and the notice shows inside it (a
    flash message would turn up on a later page instead); without, a redirect (`back`, else the
    board) and a flash message."""
    if request.htmx:
        context = _board_context(request, store)
        context["notice"] = {"text": error or done, "error": bool(error)}
        return _render(request, "orders/board.html#board", context, store)
    if error:
        messages.error(request, error)
    elif done:
        messages.success(request, done)
    return back or redirect("orders:board", store_id=store.public_id)


def _back(request: HtmxHttpRequest, store: Store, order: Order) -> HttpResponse:
    """After a plain POST: back to the order page if it came from there, else the board."""
    if request.POST.get("next") == "detail":
        url = reverse("orders:detail", args=[store.public_id, order.public_id])
        return redirect(url)
    url = reverse("orders:board", args=[store.public_id])
    return redirect(f"{url}#order-{order.public_id}")


def _after(
    request: HtmxHttpRequest, store: Store, order: Order, *, done: str = "", error: str = ""
) -> HttpResponse:
    back = None if request.htmx else _back(request, store, order)
    return _board_after(request, store, done=done, error=error, back=back)


def _order_for_action(request: HtmxHttpRequest, store_id, order_id) -> tuple[Store, Order]:
    store = access.store_get_for_user(request, store_id, Action.WORK_ORDERS)
    order = selectors.order_get_for_user(request, order_id, store=store)
    return store, order


@login_required
@require_POST
def acknowledge(request: HtmxHttpRequest, store_id, order_id) -> HttpResponse:
    store, order = _order_for_action(request, store_id, order_id)
    services.order_acknowledge(order=order, user=request.user)
    return _after(request, store, order, done=f"Order {order} seen: the alert is off.")


def _prep_minutes(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    return _minutes(raw, "Choose a prep time in minutes.")


def _minutes(raw: str | None, refusal: str) -> int:
    """A whole number of minutes typed or posted (digits only, at most 4 of them)."""
    if not (raw and raw.isascii() and raw.isdigit() and len(raw) <= 4):
        raise PortalError(refusal)
    return int(raw)


@login_required
@require_POST
def step(request: HtmxHttpRequest, store_id, order_id) -> HttpResponse:
    """Move the order on: accept (with a prep time), preparing, ready, in transit, completed."""
    store, order = _order_for_action(request, store_id, order_id)
    status = request.POST.get("status", "")
    try:
        if status == COMPLETED:
            order = services.order_complete(order=order, user=request.user)
            done = f"Order {order} completed."
        else:
            order = services.order_advance(
                order=order,
                status=status,
                user=request.user,
                prep_minutes=_prep_minutes(request.POST.get("prep_minutes")),
            )
            done = f"Order {order}: {order.get_status_display().lower()}."
            if status == Status.CONFIRMED and order.estimated_ready_at:
                local = timezone.localtime(order.estimated_ready_at, store.tzinfo)
                done = f"Order {order} accepted: ready by {local:%H:%M}."
    except PortalError as exc:
        return _after(request, store, order, error=exc.message)
    return _after(request, store, order, done=done)


@login_required
@require_POST
def cancel(request: HtmxHttpRequest, store_id, order_id) -> HttpResponse:
    store, order = _order_for_action(request, store_id, order_id)
    try:
        order = services.order_cancel(
            order=order,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
            user=request.user,
        )
    except PortalError as exc:
        return _after(request, store, order, error=exc.message)
    return _after(request, store, order, done=f"Order {order} cancelled: {order.cancel_reason}.")


@login_required
@require_POST
def gett_retry(request: HtmxHttpRequest, store_id, order_id, message_id) -> HttpResponse:
    """Send a dead-lettered status to Gett again (it holds back the later ones)."""
    store, order = _order_for_action(request, store_id, order_id)
    message = get_object_or_404(
        OutboundMessage, key=order.outbox_key, kind="order.status", public_id=message_id
    )
    if message.can_retry:
        outbox.retry(message=message)
        messages.success(request, "Sending to Gett again.")
    else:
        messages.info(request, "That status is not waiting for a retry.")
    url = reverse("orders:detail", args=[store.public_id, order.public_id])
    return redirect(f"{url}#gett")


# --- the order page and its ticket -------------------------------------------------------------


@login_required
@require_GET
def detail(request: HtmxHttpRequest, store_id, order_id) -> HttpResponse:
    store = access.store_get_for_user(request, store_id)
    order = selectors.order_get_for_user(request, order_id, store=store)
    _decorate([order], store)
    membership = access.membership_for(request, store.merchant_id)
    now = timezone.now()
    context = {
        "store": store,
        "order": order,
        "detail": selectors.order_detail(order),
        "presets": prep_presets(store, now),
        "usual_minutes": store.prep_minutes_at(now),
        "busy_extra": store.busy_extra_at(now),
        "cancel_reasons": services.CANCEL_REASONS.items(),
        "can_work": access.can(membership, Action.WORK_ORDERS),
        "on_detail": True,
        "now": now,
    }
    return _render(request, "orders/order_detail.html", context, store)


@login_required
@require_GET
def ticket(request: HtmxHttpRequest, store_id, order_id) -> HttpResponse:
    store = access.store_get_for_user(request, store_id)
    order = selectors.order_get_for_user(request, order_id, store=store)
    lines = list(order.lines.order_by("position"))
    context = {"store": store, "order": order, "lines": lines}
    return _render(request, "orders/ticket.html", context, store)
