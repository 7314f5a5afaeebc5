"""Reading orders for people: scoped lookups, the board, the detail page and the history.

Every merchant-facing order lookup goes through `order_get_for_user` or `orders_for_user`: another
merchant's order does not exist for the user (404). Each reader takes a fixed number of queries,
whatever the number of orders or lines shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol, cast

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from gett.models import InboundWebhook, OutboundMessage
from orders.models import Order, OrderEvent, OrderLine
from stores import access
from stores.access import Action
from stores.models import Store

# Gett publishes no accept deadline; marketplaces ask for 3 to 11.5 minutes (MERCHANTS.md).
# The board counts down from placement to this many minutes. One place to change it.
ACCEPT_DEADLINE_MINUTES = 10
# Closed orders stay on the board this long, below the open ones, so a mistap can be seen.
BOARD_RECENT_HOURS = 3
BOARD_RECENT_LIMIT = 10

Status = Order.Status


def accept_deadline(order: Order) -> datetime:
    return order.placed_at + timedelta(minutes=ACCEPT_DEADLINE_MINUTES)


def orders_for_user(request: HttpRequest) -> QuerySet[Order]:
    """Orders of every merchant the user belongs to."""
    if not request.user.is_authenticated:
        return Order.objects.none()
    return Order.objects.filter(merchant__memberships__user_id=request.user.pk)


def order_get_for_user(
    request: HttpRequest, public_id, action: Action | None = None, *, store: Store | None = None
) -> Order:
    """One order of the user's merchants (of `store`, when given); anything else is a 404."""
    queryset = orders_for_user(request).select_related("store", "merchant")
    if store is not None:
        queryset = queryset.filter(store=store)
    order = get_object_or_404(queryset, public_id=public_id)
    if action:
        access.membership_for(request, order.merchant_id, action)
    return order


def _lines_prefetch(top_only: bool = False) -> Prefetch:
    lines = OrderLine.objects.order_by("position")
    if top_only:
        lines = lines.filter(parent__isnull=True)
    return Prefetch("lines", queryset=lines, to_attr="line_rows")


def board_orders(store: Store, *, now: datetime | None = None) -> dict:
    """The store's open orders (new ones first, then oldest first) and the recently closed.

    Three queries: open orders, recently closed orders, and the lines of both.
    """
    now = now or timezone.now()
    open_orders = list(
        Order.objects.for_store(store)
        .active()
        .order_by("placed_at", "id")
        .prefetch_related(_lines_prefetch(top_only=True))
    )
    new = [o for o in open_orders if o.status == Status.PENDING]
    # Unseen orders first: they are the ones flashing.
    new.sort(key=lambda o: (o.acknowledged_at is not None, o.placed_at))
    working = [o for o in open_orders if o.status != Status.PENDING]
    recent = list(
        Order.objects.for_store(store)
        .exclude(state=Order.State.OPEN)
        .filter(updated_at__gte=now - timedelta(hours=BOARD_RECENT_HOURS))
        .order_by("-updated_at", "-id")[:BOARD_RECENT_LIMIT]
    )
    return {
        "new_orders": new,
        "working_orders": working,
        "recent_orders": recent,
        "unacknowledged": sum(1 for o in new if o.acknowledged_at is None),
    }


class _StepLabelled(Protocol):
    """An order's Gett status message, labelled with its step for the order page."""

    step_label: str


@dataclass
class OrderDetail:
    order: Order
    lines: list[OrderLine]
    events: list[OrderEvent]
    gett_messages: list[OutboundMessage]
    webhooks: list[InboundWebhook]

    @property
    def gett_blocked(self) -> bool:
        """A dead-lettered status holds back the later ones until someone retries it."""
        return any(m.state == OutboundMessage.State.FAILED for m in self.gett_messages)


def order_detail(order: Order) -> OrderDetail:
    """Everything the order page shows, in four queries."""
    lines = list(order.lines.order_by("position"))
    events = list(order.events.select_related("user").order_by("at", "id"))
    gett_messages = list(
        OutboundMessage.objects.filter(key=order.outbox_key, kind="order.status").order_by("id")
    )
    for message in gett_messages:
        cast(_StepLabelled, message).step_label = gett_step_label(message.payload)
    webhooks = list(
        InboundWebhook.objects.filter(gett_order_id=order.gett_order_id)
        .defer("body", "response", "headers")
        .order_by("received_at", "id")
    )
    return OrderDetail(
        order=order, lines=lines, events=events, gett_messages=gett_messages, webhooks=webhooks
    )


def gett_step_label(payload: dict) -> str:
    """ "preparing" -> "Preparing", {"state": "cancelled"} -> "Cancelled": what a message says."""
    if payload.get("status"):
        return dict(Order.Status.choices).get(payload["status"], payload["status"])
    return dict(Order.State.choices).get(payload.get("state", ""), payload.get("state", "?"))


def order_search(
    queryset: QuerySet[Order],
    *,
    search: str = "",
    state: str = "",
    status: str = "",
    store: Store | None = None,
    placed_from: date | datetime | None = None,
    placed_to: date | datetime | None = None,
) -> QuerySet[Order]:
    """History and API filters. Dates are whole days in the current time zone; datetimes exact."""
    if search:
        digits = "".join(ch for ch in search if ch.isdigit())
        match = Q(partner_order_id__icontains=search) | Q(customer_name__icontains=search)
        match |= Q(customer_phone__icontains=search)
        if len(digits) >= 3:
            # "0148" finds "+1 217-555-0148": people type phone numbers without the spacing.
            match |= Q(customer_phone__icontains=digits)
        queryset = queryset.filter(match)
    if state:
        queryset = queryset.filter(state=state)
    if status:
        queryset = queryset.filter(state=Order.State.OPEN, status=status)
    if store is not None:
        queryset = queryset.filter(store=store)
    if placed_from is not None:
        queryset = queryset.filter(placed_at__gte=_day_start(placed_from))
    if placed_to is not None:
        if isinstance(placed_to, datetime):
            queryset = queryset.filter(placed_at__lt=placed_to)
        elif placed_to < date.max:  # up to the last day there is: no end at all
            queryset = queryset.filter(placed_at__lt=_day_start(placed_to + timedelta(days=1)))
    return queryset


def _day_start(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return timezone.make_aware(datetime.combine(value, datetime.min.time()))


def store_new_order_count(store: Store) -> int:
    """New orders nobody has accepted yet (the count next to "Orders" links)."""
    return Order.objects.for_store(store).active().filter(status=Status.PENDING).count()
