"""Orders placed by Gett (REFERENCE §7, §9, §15): created by placeOrder, worked by the merchant.

Gett owns creation; we own progress. An order keeps what the kitchen needs (lines with nested
modifier lines, names and prices copied at placement), the amounts we answered (minor units of the
store's currency), the raw place request and our reply (a repeated placeOrder answers the stored
reply), Gett's `state`/`status`, a timestamp per step and an event timeline.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from stores.models import Merchant, Store


class OrderQuerySet(models.QuerySet):
    def for_store(self, store: Store) -> OrderQuerySet:
        return self.filter(store=store)

    def active(self) -> OrderQuerySet:
        return self.filter(state=Order.State.OPEN)

    def unacknowledged(self) -> OrderQuerySet:
        return self.filter(state=Order.State.OPEN, acknowledged_at__isnull=True)


class Order(models.Model):
    class State(models.TextChoices):
        # Gett's OrderStateValue (REFERENCE §7.1).
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    class Status(models.TextChoices):
        # Gett's OrderStatusValue while open, in order (REFERENCE §7.1-7.2).
        PENDING = "pending", "New"
        CONFIRMED = "confirmed", "Accepted"
        PREPARING = "preparing", "Preparing"
        READY = "ready", "Ready"
        IN_TRANSIT = "inTransit", "Out for delivery"

    class Fulfillment(models.TextChoices):
        DELIVERY = "delivery", "Delivery"
        PICKUP = "pickup", "Pickup"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="orders")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders")
    # Gett's order id: placeOrder is idempotent on it, by this unique column.
    gett_order_id = models.CharField("Gett order id", max_length=100, unique=True)
    # Ours, for people and for Gett's reference: "BN-1042". Unique per merchant.
    number = models.PositiveIntegerField()
    partner_order_id = models.CharField("partner order id", max_length=40)

    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    fulfillment_type = models.CharField(max_length=10, choices=Fulfillment.choices)

    # Amounts in minor units of `currency`, as answered to placeOrder (REFERENCE §15).
    currency = models.CharField(max_length=3)
    subtotal = models.BigIntegerField()
    fees = models.BigIntegerField(default=0)
    promotions = models.BigIntegerField(default=0)
    taxes = models.BigIntegerField(default=0)
    adjustments = models.BigIntegerField(default=0)
    tip = models.BigIntegerField(default=0)
    total = models.BigIntegerField()

    customer_name = models.CharField(max_length=200, blank=True)
    customer_phone = models.CharField(max_length=40, blank=True)
    customer_email = models.CharField(max_length=254, blank=True)
    # Gett's delivery address as sent (address1, address2, city, state, postalCode, country,
    # instructions), kept whole: the kitchen and the driver read it, nothing computes with it.
    delivery_address = models.JSONField(default=dict, blank=True)

    # A digest of the cart Gett placed: the same orderId with another cart is a conflict.
    cart_digest = models.CharField(max_length=64)
    catalog_set_id = models.CharField(max_length=100, blank=True)
    place_request = models.TextField(help_text="The placeOrder body as received.")
    place_response = models.JSONField(default=dict)

    placed_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    preparing_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    in_transit_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    estimated_ready_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "number"], name="order_number_unique_per_merchant"
            ),
            models.CheckConstraint(
                condition=~Q(state="cancelled") | ~Q(cancel_reason=""),
                name="order_cancelled_has_reason",
                violation_error_message="A cancelled order needs a reason.",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "state", "-placed_at"], name="order_store_state_idx"),
            models.Index(fields=["merchant", "-placed_at"], name="order_merchant_placed_idx"),
        ]

    def __str__(self) -> str:
        return self.partner_order_id

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def is_delivery(self) -> bool:
        return self.fulfillment_type == self.Fulfillment.DELIVERY

    @property
    def outbox_key(self) -> str:
        """Status messages for one order go out to Gett strictly in order, under this key."""
        return f"order:{self.public_id}"

    @property
    def stage(self) -> str:
        """One word for the board: the status while open, else the state."""
        return self.status if self.is_open else self.state

    @property
    def stage_label(self) -> str:
        if self.is_open:
            return self.get_status_display()
        return self.get_state_display()


class OrderCounter(models.Model):
    """The last order number given per merchant; its row is locked while an order is placed."""

    merchant = models.OneToOneField(Merchant, on_delete=models.CASCADE, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.merchant}: {self.last}"


class OrderLine(models.Model):
    """One line of the cart, or (with `parent`) one modifier chosen for a line or a modifier."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    position = models.PositiveIntegerField()
    depth = models.PositiveSmallIntegerField(default=0)
    line_item_id = models.CharField(max_length=100, blank=True)
    # Copied at placement: a later menu edit does not change a placed order.
    item_public_id = models.UUIDField()
    name = models.CharField(max_length=200)
    group_name = models.CharField(max_length=200, blank=True)
    quantity = models.PositiveIntegerField()
    unit_price = models.BigIntegerField(help_text="This item's own price, minor units.")
    # A top line: (unit with its modifiers) × quantity. A modifier: its price × its quantity.
    total = models.BigIntegerField()
    special_instructions = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class OrderEvent(models.Model):
    """The order's timeline: who did what, when, and what Gett said."""

    class Kind(models.TextChoices):
        PLACED = "placed", "Placed by Gett"
        REPEATED = "repeated", "Gett repeated placeOrder"
        ACKNOWLEDGED = "acknowledged", "Seen"
        STATUS = "status", "Status changed"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Who, in words, when there is no user: "Gett", "auto-accept", "API".
    actor = models.CharField(max_length=60, blank=True)
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%H:%M:%S}"

    @property
    def who(self) -> str:
        if self.user is not None:  # no query when there is no user
            return self.user.get_username()
        return self.actor or "system"
