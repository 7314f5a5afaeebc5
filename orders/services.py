"""Orders: placing what Gett sends, and working it through to the end (REFERENCE §7, §9).

Gett is the source of truth for creation: `order_place` turns a priced placeOrder into an order,
once per Gett `orderId` (a unique column, not a read-then-write). We are the source of truth for
progress: every step (`order_advance`, `order_complete`, `order_cancel`) writes the order, an
event and an `order.status` outbox message in one transaction; the outbox sends them to Gett
strictly in order per order.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from gett import outbox
from gett.wire import datetime_to_wire
from orders.models import Order, OrderCounter, OrderEvent, OrderLine
from orders.pricing import PricedSelection, Quote, cart_quote, quote_check_sent_amounts
from orders.webhooks.parsing import OrderBody
from portal.exceptions import InvalidStateError, PortalError
from stores.models import Store

logger = logging.getLogger(__name__)

Status = Order.Status
State = Order.State
Kind = OrderEvent.Kind

# Progress while open, in order (REFERENCE §7.2). Forward skips are allowed, never backwards.
STEPS = (Status.PENDING, Status.CONFIRMED, Status.PREPARING, Status.READY, Status.IN_TRANSIT)
STEP_TIMESTAMPS: dict[str, str] = {
    Status.CONFIRMED: "confirmed_at",
    Status.PREPARING: "preparing_at",
    Status.READY: "ready_at",
    Status.IN_TRANSIT: "in_transit_at",
}
PREP_PRESETS = (10, 15, 20, 30)
MAX_PREP_MINUTES = 240
CANCEL_REASONS = {
    "out_of_stock": "Item out of stock",
    "too_busy": "Kitchen too busy",
    "closing": "Store closing",
    "customer_request": "Customer asked to cancel",
    "cannot_deliver": "Cannot deliver to this address",
    "other": "Other",
}
FIRST_NUMBER = 1001
MAX_CANCEL_TEXT = 400


class StoreUnknown(Exception):
    """No store of ours has this id (Gett's store id, or our partner store id)."""


class OrderConflict(Exception):
    """The same Gett orderId came with another cart: the first order stands."""

    def __init__(self, order: Order) -> None:
        super().__init__(f"order {order.gett_order_id} was placed with another cart")
        self.order = order


# --- the webhooks -------------------------------------------------------------------------------


def store_for_cart(store_ref: str) -> Store:
    """`cart.storeId`: Gett's store id first, then our partner store id."""
    try:
        value = UUID(store_ref)
    except ValueError:
        raise StoreUnknown(store_ref) from None
    store = (
        Store.objects.select_related("merchant").filter(gett_store_id=value).first()
        or Store.objects.select_related("merchant").filter(public_id=value).first()
    )
    if store is None:
        raise StoreUnknown(store_ref)
    return store


def order_validate(*, body: OrderBody, now: datetime | None = None) -> dict:
    """validateOrder: check and price the cart, write nothing. Raises CartRefused, StoreUnknown."""
    store = store_for_cart(body.store_ref)
    quote = cart_quote(store=store, body=body, now=now)
    return {
        "cart": body.raw.get("cart"),
        "fulfillmentType": body.fulfillment_type,
        "amounts": quote.amounts_wire(),
    }


@dataclass
class Placement:
    order: Order
    created: bool


def order_place(*, body: OrderBody, raw: str, now: datetime | None = None) -> Placement:
    """placeOrder, idempotent on Gett's `orderId`.

    A repeat (one after another, concurrent, or hours later) gets the stored reply; a repeat with
    another cart raises OrderConflict. Raises CartRefused and StoreUnknown like validate, and
    CartRefused(ORDER_TOTAL_DIFFERENT) when Gett's amounts are not ours.
    """
    digest = cart_digest(body)
    existing = Order.objects.filter(gett_order_id=body.order_id).first()
    if existing is not None:
        return _repeat(existing, digest)

    now = now or timezone.now()
    store = store_for_cart(body.store_ref)
    quote = cart_quote(store=store, body=body, now=now)
    quote_check_sent_amounts(quote, body)
    number = _number_take(store.merchant_id)
    try:
        order = _order_create(
            store=store, body=body, raw=raw, quote=quote, digest=digest, number=number, now=now
        )
    except IntegrityError:
        # Another request placed this orderId between our look and our insert: theirs stands.
        existing = Order.objects.filter(gett_order_id=body.order_id).first()
        if existing is None:
            raise
        return _repeat(existing, digest)
    logger.info("order %s placed for store %s", order.partner_order_id, store.pk)
    return Placement(order=order, created=True)


def cart_digest(body: OrderBody) -> str:
    canonical = json.dumps(body.cart_canonical(), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _repeat(order: Order, digest: str) -> Placement:
    if order.cart_digest != digest:
        raise OrderConflict(order)
    OrderEvent.objects.create(
        order=order, kind=Kind.REPEATED, actor="Gett", message="Answered with the same order."
    )
    return Placement(order=order, created=False)


@transaction.atomic
def _order_create(
    *,
    store: Store,
    body: OrderBody,
    raw: str,
    quote: Quote,
    digest: str,
    number: int,
    now: datetime,
) -> Order:
    partner_order_id = f"{order_prefix(store.merchant.name)}-{number}"
    customer = body.customer
    name = " ".join(p for p in (customer.get("firstName"), customer.get("lastName")) if p)
    order = Order.objects.create(
        merchant_id=store.merchant_id,
        store=store,
        gett_order_id=body.order_id,
        number=number,
        partner_order_id=partner_order_id,
        fulfillment_type=body.fulfillment_type,
        currency=quote.currency,
        subtotal=quote.subtotal,
        fees=quote.fees,
        promotions=quote.promotions,
        taxes=quote.taxes,
        adjustments=quote.adjustments,
        tip=quote.tip,
        total=quote.total,
        customer_name=name[:200],
        customer_phone=customer.get("phone", "")[:40],
        customer_email=customer.get("email", "")[:254],
        delivery_address=body.delivery_address if body.fulfillment_type == "delivery" else {},
        cart_digest=digest,
        catalog_set_id=body.catalog_set_id,
        place_request=raw.replace("\x00", "\ufffd"),
        placed_at=now,
        place_response={
            "orderId": body.order_id,
            "partnerOrderId": partner_order_id,
            "amounts": quote.amounts_wire(),
        },
    )
    _lines_create(order, quote)
    OrderEvent.objects.create(
        order=order,
        kind=Kind.PLACED,
        at=now,
        actor="Gett",
        message=f"{len(quote.lines)} line(s), total {order_total_text(quote)}",
    )
    if store.auto_accept:
        _step(order, Status.CONFIRMED, user=None, actor="auto-accept", now=now)
    return order


def order_total_text(quote: Quote) -> str:
    return f"{quote.amounts_wire()['total']:.2f} {quote.currency}"


def _number_take(merchant_id: int) -> int:
    """The merchant's next order number, in one statement of its own.

    Taken before the placing transaction, not inside it: the counter row is then locked for one
    statement instead of the whole transaction, during which, under load, every other order of
    the merchant queued behind it (placeOrder's throughput fell to one order at a time). Numbers
    stay unique per merchant; they are not gapless: a placement that fails after taking its
    number (the loser of two concurrent repeats of one orderId, a crash) leaves a gap.
    """
    name = connection.ops.quote_name
    table, last, merchant = name(OrderCounter._meta.db_table), name("last"), name("merchant_id")
    sql = f"UPDATE {table} SET {last} = {last} + 1 WHERE {merchant} = %s RETURNING {last}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [merchant_id])
        row = cursor.fetchone()
        if row is None:  # the merchant's first order
            OrderCounter.objects.get_or_create(merchant_id=merchant_id)
            cursor.execute(sql, [merchant_id])
            row = cursor.fetchone()
    return row[0] + FIRST_NUMBER - 1


def _lines_create(order: Order, quote: Quote) -> None:
    """Lines and their modifier lines, one INSERT per nesting level (children need their
    parent's pk, which bulk_create returns on PostgreSQL and SQLite)."""
    position = 0
    level: list[tuple[PricedSelection, OrderLine | None, dict]] = [
        (
            priced.selection,
            None,
            {
                "line_item_id": priced.line_item_id[:100],
                "special_instructions": priced.special_instructions[:500],
            },
        )
        for priced in quote.lines
    ]
    depth = 0
    # Positions follow the kitchen's reading order: a line, then its modifiers, depth first.
    order_of: dict[int, int] = {}

    def number(selection: PricedSelection) -> None:
        nonlocal position
        position += 1
        order_of[id(selection)] = position
        for modifier in selection.modifiers:
            number(modifier)

    for priced in quote.lines:
        number(priced.selection)
    while level:
        lines = OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                parent=parent,
                position=order_of[id(selection)],
                depth=depth,
                item_public_id=selection.item_public_id,
                name=selection.name[:200],
                group_name=selection.group_name[:200],
                quantity=selection.quantity,
                unit_price=selection.own_price,
                total=selection.total,
                **extra,
            )
            for selection, parent, extra in level
        )
        level = [
            (modifier, line, {})
            for (selection, _, _), line in zip(level, lines, strict=True)
            for modifier in selection.modifiers
        ]
        depth += 1


def order_prefix(merchant_name: str) -> str:
    """ "Bella Napoli" -> "BN": the letters people read before an order number."""
    ascii_name = unicodedata.normalize("NFKD", merchant_name).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", ascii_name)
    letters = "".join(word[0] for word in words[:3]).upper()
    return letters or "ORD"


# --- working the order ---------------------------------------------------------------------------


def order_acknowledge(*, order: Order, user) -> Order:
    """Someone saw the new order: it stops flashing. Idempotent."""
    updated = Order.objects.filter(pk=order.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now()
    )
    if updated:
        OrderEvent.objects.create(order=order, kind=Kind.ACKNOWLEDGED, user=user)
    order.refresh_from_db()
    return order


@transaction.atomic
def order_advance(
    *,
    order: Order,
    status: str,
    user=None,
    actor: str = "",
    prep_minutes: int | None = None,
) -> Order:
    """Move an open order forward to `status` (skips allowed, never backwards)."""
    order = Order.objects.select_for_update().select_related("store").get(pk=order.pk)
    if status not in STEPS or status == Status.PENDING:
        raise PortalError(f"“{status}” is not a step an order can be moved to.", field="status")
    if not order.is_open:
        raise InvalidStateError(f"Order {order} is already {order.get_state_display().lower()}.")
    if STEPS.index(status) <= STEPS.index(order.status):
        raise InvalidStateError(
            f"Order {order} is already {order.get_status_display().lower()}; "
            "it cannot go back a step."
        )
    if status == Status.IN_TRANSIT and not order.is_delivery:
        raise InvalidStateError(f"Order {order} is for pickup: it is not delivered.")
    if prep_minutes is not None and not 1 <= prep_minutes <= MAX_PREP_MINUTES:
        raise PortalError(
            f"Prep time must be from 1 to {MAX_PREP_MINUTES} minutes.", field="prep_minutes"
        )
    return _step(order, status, user=user, actor=actor, prep_minutes=prep_minutes)


def _step(
    order: Order,
    status: str,
    *,
    user,
    actor: str,
    prep_minutes: int | None = None,
    now: datetime | None = None,
) -> Order:
    now = now or timezone.now()
    fields = ["status", "updated_at", STEP_TIMESTAMPS[status]]
    order.status = status
    setattr(order, STEP_TIMESTAMPS[status], now)
    busy = 0
    if status == Status.CONFIRMED or prep_minutes is not None:
        # Without a choice (auto-accept, the API), the store's usual time, plus busy mode's.
        busy = 0 if prep_minutes else order.store.busy_extra_at(now)
        minutes = prep_minutes or order.store.prep_minutes_at(now)
        order.estimated_ready_at = now + timedelta(minutes=minutes)
        fields.append("estimated_ready_at")
    if order.acknowledged_at is None:
        order.acknowledged_at = now
        fields.append("acknowledged_at")
    order.save(update_fields=fields)
    payload: dict = {"status": status}
    if order.estimated_ready_at and status in (Status.CONFIRMED, Status.PREPARING):
        payload["estimatedReadyAt"] = datetime_to_wire(order.estimated_ready_at)
    _status_send(order, payload)
    message = order.get_status_display()
    if "estimatedReadyAt" in payload:
        local = timezone.localtime(order.estimated_ready_at, order.store.tzinfo)
        message += f", ready by {local:%H:%M}"
        if busy:
            message += f" (busy: +{busy} min)"
    OrderEvent.objects.create(
        order=order, kind=Kind.STATUS, at=now, user=user, actor=actor, message=message
    )
    return order


@transaction.atomic
def order_complete(*, order: Order, user=None, actor: str = "") -> Order:
    order = Order.objects.select_for_update().get(pk=order.pk)
    if not order.is_open:
        raise InvalidStateError(f"Order {order} is already {order.get_state_display().lower()}.")
    if order.status == Status.PENDING:
        raise InvalidStateError(f"Accept order {order} before completing it.")
    now = timezone.now()
    order.state = State.COMPLETED
    order.completed_at = now
    order.save(update_fields=["state", "completed_at", "updated_at"])
    _status_send(order, {"state": State.COMPLETED})
    OrderEvent.objects.create(order=order, kind=Kind.COMPLETED, at=now, user=user, actor=actor)
    return order


@transaction.atomic
def order_cancel(*, order: Order, reason: str, note: str = "", user=None, actor: str = "") -> Order:
    """Cancel from any open status. `reason` is a key of CANCEL_REASONS; `note` free text."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if reason not in CANCEL_REASONS:
        raise PortalError("Choose why the order is cancelled.", field="reason")
    note = (note or "").strip()
    if "\x00" in note:  # PostgreSQL cannot store it, and Gett would get it as the reason
        raise PortalError(
            "The note has an invisible character (NUL) in it: type it again.", field="note"
        )
    if len(note) > MAX_CANCEL_TEXT:
        raise PortalError(f"Keep the note under {MAX_CANCEL_TEXT} characters.", field="note")
    if reason == "other" and not note:
        raise PortalError("Say why the order is cancelled.", field="note")
    if not order.is_open:
        raise InvalidStateError(f"Order {order} is already {order.get_state_display().lower()}.")
    text = CANCEL_REASONS[reason] if reason != "other" else note
    if note and reason != "other":
        text = f"{text}: {note}"
    now = timezone.now()
    order.state = State.CANCELLED
    order.cancelled_at = now
    order.cancel_reason = text
    order.save(update_fields=["state", "cancelled_at", "cancel_reason", "updated_at"])
    _status_send(order, {"state": State.CANCELLED, "cancelReason": text})
    OrderEvent.objects.create(
        order=order, kind=Kind.CANCELLED, at=now, user=user, actor=actor, message=text
    )
    return order


def _status_send(order: Order, payload: dict) -> None:
    outbox.enqueue(
        kind="order.status", key=order.outbox_key, payload=payload, target_id=order.gett_order_id
    )


def next_steps(order: Order) -> list[str]:
    """What the kitchen can do next, in the order the board offers it."""
    if not order.is_open:
        return []
    later: list[str] = list(STEPS[STEPS.index(order.status) + 1 :])
    if not order.is_delivery:
        later = [s for s in later if s != Status.IN_TRANSIT]
    return later
