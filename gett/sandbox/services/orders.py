"""Orders Gett placed, and the partner's status updates on them (REFERENCE §7).

state: open -> completed | cancelled (both final).
status while open: pending -> confirmed -> preparing -> ready -> inTransit; forward skips are
allowed, going back is a conflict, repeating the current status is a harmless no-op.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from gett.sandbox.models import FulfillmentType, SandboxOrder, SandboxOrderEvent, SandboxStore
from gett.sandbox.problems import Problem, field_error, validation_failed
from gett.sandbox.services.parsing import parse_date_time, require_object

State = SandboxOrder.State
Status = SandboxOrder.Status

STATUS_ORDER = [Status.PENDING, Status.CONFIRMED, Status.PREPARING, Status.READY, Status.IN_TRANSIT]
SENDABLE_STATUSES = [status.value for status in STATUS_ORDER if status != Status.PENDING]
CLOSING_STATES = [State.COMPLETED.value, State.CANCELLED.value]
MAX_CANCEL_REASON = 1000

# REFERENCE §7.2 marks "inTransit is for delivery orders only" as inferred. This flag is the one
# place that decides it; turn it off if Gett accepts inTransit on pickup orders.
IN_TRANSIT_DELIVERY_ONLY = True


@transaction.atomic
def order_create(
    *,
    store: SandboxStore,
    order_id: uuid.UUID | str,
    partner_order_id: str,
    cart: dict[str, Any],
    amounts: dict[str, Any],
    fulfillment_type: str,
) -> SandboxOrder:
    """Record an order once the partner's placeOrder accepted it: state open, status pending.

    Idempotent on Gett's `order_id` (a retried placement returns the order already recorded).
    """
    order_id = uuid.UUID(str(order_id))
    if fulfillment_type not in FulfillmentType.values:
        raise ValueError(f"fulfillment_type must be one of {', '.join(FulfillmentType.values)}.")
    order, created = SandboxOrder.objects.get_or_create(
        order_id=order_id,
        defaults={
            "store": store,
            "partner_order_id": partner_order_id,
            "cart": cart,
            "amounts": amounts,
            "fulfillment_type": fulfillment_type,
        },
    )
    if not created and order.store_id != store.pk:
        raise ValueError(f"Order {order_id} belongs to another store.")
    if created:
        SandboxOrderEvent.objects.create(
            order=order, to_state=order.state, to_status=order.status, at=order.created_at
        )
    return order


def order_get(*, order_id: str) -> SandboxOrder:
    try:
        key = uuid.UUID(str(order_id))
    except ValueError:
        key = None
    order = (
        SandboxOrder.objects.select_related("store").filter(order_id=key).first() if key else None
    )
    if order is None:
        raise Problem("NOT_FOUND", f"No order with orderId {order_id}.")
    return order


def order_status_update(*, order: SandboxOrder, data: Any) -> SandboxOrder:
    """Apply an `OrderStatusUpdate` body: progress (`status`) or closure (`state`)."""
    body = require_object(data)
    has_state, has_status = "state" in body, "status" in body
    if has_state and has_status:
        raise validation_failed(
            [field_error("$", "Send either state or status, not both.", "one_of")]
        )
    if not (has_state or has_status):
        raise validation_failed(
            [
                field_error(
                    "$",
                    "Send status (confirmed, preparing, ready, inTransit) to report progress, "
                    "or state (completed, cancelled) to close the order.",
                    "required",
                )
            ]
        )

    errors: list[dict[str, str]] = []
    estimated_ready_at = None
    if "estimatedReadyAt" in body:
        estimated_ready_at = parse_date_time(body["estimatedReadyAt"])
        if estimated_ready_at is None:
            errors.append(
                field_error(
                    "$.estimatedReadyAt",
                    "estimatedReadyAt must be an ISO 8601 date-time with an offset, "
                    "e.g. 2026-05-08T18:40:00Z.",
                    "invalid_date_time",
                )
            )
    if has_status:
        errors += _status_errors(body["status"])
    else:
        errors += _state_errors(body)
    if errors:
        raise validation_failed(errors)

    with transaction.atomic():
        order = SandboxOrder.objects.select_for_update().get(pk=order.pk)
        if order.is_closed:
            raise Problem(
                "CONFLICT",
                f"The order is already {order.state}; a closed order takes no more updates.",
            )
        before = (order.state, order.status)
        if has_status:
            _apply_status(order, body["status"])
        else:
            order.state = body["state"]
            if order.state == State.CANCELLED:
                order.cancel_reason = body["cancelReason"]
        if estimated_ready_at is not None:
            order.estimated_ready_at = estimated_ready_at
        order.save()
        SandboxOrderEvent.objects.create(
            order=order,
            from_state=before[0],
            from_status=before[1],
            to_state=order.state,
            to_status=order.status,
            body=body,
            at=timezone.now(),
        )
    return order


def _status_errors(status: Any) -> list[dict[str, str]]:
    if status == Status.PENDING:
        message = "pending is set by Gett when it creates the order; never send it."
        return [field_error("$.status", message, "not_allowed")]
    if status not in SENDABLE_STATUSES:
        message = f"status must be one of {', '.join(SENDABLE_STATUSES)}."
        return [field_error("$.status", message, "invalid_enum")]
    return []


def _state_errors(body: dict[str, Any]) -> list[dict[str, str]]:
    state = body["state"]
    if state == State.OPEN:
        message = "state is only sent to close the order (completed or cancelled); send status."
        return [field_error("$.state", message, "not_allowed")]
    if state not in CLOSING_STATES:
        message = f"state must be one of {', '.join(CLOSING_STATES)}."
        return [field_error("$.state", message, "invalid_enum")]
    if state != State.CANCELLED:
        return []
    reason = body.get("cancelReason")
    if "cancelReason" not in body:
        message = "cancelReason is required when state is cancelled."
        return [field_error("$.cancelReason", message, "required")]
    if not isinstance(reason, str) or not reason.strip():
        message = "cancelReason must be a non-blank string."
        return [field_error("$.cancelReason", message, "invalid_type")]
    if len(reason) > MAX_CANCEL_REASON:
        message = f"cancelReason is longer than {MAX_CANCEL_REASON} characters."
        return [field_error("$.cancelReason", message, "too_long")]
    return []


def _apply_status(order: SandboxOrder, status: str) -> None:
    if (
        status == Status.IN_TRANSIT
        and IN_TRANSIT_DELIVERY_ONLY
        and order.fulfillment_type != FulfillmentType.DELIVERY
    ):
        raise validation_failed(
            [
                field_error(
                    "$.status",
                    f"inTransit is only for delivery orders; this is a "
                    f"{order.fulfillment_type} order.",
                    "not_delivery",
                )
            ]
        )
    current = STATUS_ORDER.index(Status(order.status))
    wanted = STATUS_ORDER.index(Status(status))
    if wanted < current:
        raise Problem(
            "CONFLICT",
            f"The order is already {order.status}; it cannot go back to {status}.",
        )
    # Same status: a retry. Nothing changes but a new estimatedReadyAt, which is harmless.
    order.status = status
