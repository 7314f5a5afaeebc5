"""Merchant REST API for orders: list, detail, status change and cancel.

The same services and rules as the board: a refused step is a 409 (400 for bad input), another
merchant's order a 404, and every error is problem+json (`portal.api_errors`). Conventions as in
`stores.api`: snake_case names, money as `{"amount", "amount_minor", "currency"}` objects.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Protocol, cast

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import selectors, services
from orders.models import Order, OrderEvent, OrderLine
from portal.money import money_data
from stores import access
from stores.access import Action
from stores.api import MoneySerializer

AMOUNT_FIELDS = ("subtotal", "fees", "promotions", "taxes", "adjustments", "tip", "total")
STATUS_CHOICES = [(s.value, s.label) for s in Order.Status if s != Order.Status.PENDING] + [
    ("completed", "Completed")
]


# --- output ------------------------------------------------------------------------------------


class _WithLineRows(Protocol):
    """An order fetched with its lines in `line_rows` (a `Prefetch`, see `_orders`)."""

    line_rows: list[OrderLine]


class AmountsSerializer(serializers.Serializer):
    subtotal = MoneySerializer()
    fees = MoneySerializer()
    promotions = MoneySerializer()
    taxes = MoneySerializer()
    adjustments = MoneySerializer()
    tip = MoneySerializer()
    total = MoneySerializer()


class OrderLineSerializer(serializers.ModelSerializer):
    """A line, with the modifiers chosen for it nested under `modifiers` (any depth)."""

    item_id = serializers.UUIDField(source="item_public_id")
    unit_price = serializers.SerializerMethodField()
    total = serializers.SerializerMethodField()
    modifiers = serializers.SerializerMethodField()

    class Meta:
        model = OrderLine
        fields = [
            "item_id",
            "name",
            "group_name",
            "quantity",
            "unit_price",
            "total",
            "special_instructions",
            "modifiers",
        ]

    @extend_schema_field(MoneySerializer)
    def get_unit_price(self, line: OrderLine) -> dict:
        return money_data(line.unit_price, self.context["currency"])

    @extend_schema_field(MoneySerializer)
    def get_total(self, line: OrderLine) -> dict:
        return money_data(line.total, self.context["currency"])

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_modifiers(self, line: OrderLine) -> list[dict]:
        # This serializer again, not a new one: see `OrderSerializer.get_lines`.
        return [self.to_representation(child) for child in self.context["children"][line.pk]]


class OrderEventSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="who")

    class Meta:
        model = OrderEvent
        fields = ["kind", "at", "by", "message"]


class OrderSerializer(serializers.ModelSerializer):
    """One order, the same in the list and the detail."""

    id = serializers.UUIDField(source="public_id")
    store = serializers.UUIDField(source="store.public_id", help_text="The partner store id.")
    customer = serializers.SerializerMethodField()
    delivery_address = serializers.JSONField(help_text="As Gett sent it (camelCase members).")
    amounts = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField()
    events = OrderEventSerializer(many=True, source="event_rows")

    class Meta:
        model = Order
        fields = [
            "id",
            "partner_order_id",
            "gett_order_id",
            "store",
            "state",
            "status",
            "fulfillment_type",
            "customer",
            "delivery_address",
            "amounts",
            "placed_at",
            "acknowledged_at",
            "confirmed_at",
            "preparing_at",
            "ready_at",
            "in_transit_at",
            "completed_at",
            "cancelled_at",
            "estimated_ready_at",
            "cancel_reason",
            "lines",
            "events",
        ]

    @extend_schema_field(
        serializers.DictField(
            child=serializers.CharField(), help_text="name, phone and email (empty when not sent)"
        )
    )
    def get_customer(self, order: Order) -> dict:
        return {
            "name": order.customer_name,
            "phone": order.customer_phone,
            "email": order.customer_email,
        }

    @extend_schema_field(AmountsSerializer)
    def get_amounts(self, order: Order) -> dict:
        return {name: money_data(getattr(order, name), order.currency) for name in AMOUNT_FIELDS}

    @extend_schema_field(OrderLineSerializer(many=True))
    def get_lines(self, order: Order) -> list[dict]:
        children: dict[int, list[OrderLine]] = defaultdict(list)
        top = []
        for line in cast(_WithLineRows, order).line_rows:
            if line.parent_id is None:
                top.append(line)
            else:
                children[line.parent_id].append(line)
        lines = self._line_serializer(currency=order.currency, children=children)
        return [lines.to_representation(line) for line in top]

    def _line_serializer(self, **context) -> OrderLineSerializer:
        """One line serializer for every order and line this serializer writes, given each
        order's context in turn: building a ModelSerializer's fields cost more than the rest of
        a page of 50 orders (and grew with the lines on it)."""
        if self._lines is None:
            self._lines_context: dict = {}
            self._lines = OrderLineSerializer(context=self._lines_context)
        self._lines_context.update(context)
        return self._lines

    _lines: OrderLineSerializer | None = None


def _orders(request):
    """The user's orders with everything the serializer reads: four queries for any page."""
    return (
        selectors.orders_for_user(request)
        .select_related("store")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("position"), to_attr="line_rows"),
            Prefetch(
                "events",
                queryset=OrderEvent.objects.select_related("user").order_by("at", "id"),
                to_attr="event_rows",
            ),
        )
    )


def _order_get(request, public_id, action: Action | None = None) -> Order:
    order = generics.get_object_or_404(_orders(request), public_id=public_id)
    if action:
        access.membership_for(request, order.merchant_id, action)
    return order


# --- input -------------------------------------------------------------------------------------


class OrderFilterSerializer(serializers.Serializer):
    store = serializers.UUIDField(required=False, help_text="A partner store id.")
    state = serializers.ChoiceField(choices=Order.State.choices, required=False)
    status = serializers.ChoiceField(
        choices=Order.Status.choices, required=False, help_text="Open orders with this status."
    )
    placed_after = serializers.DateTimeField(required=False)
    placed_before = serializers.DateTimeField(required=False)
    search = serializers.CharField(
        required=False, max_length=100, help_text="Order number, customer name or phone."
    )


class OrderStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=STATUS_CHOICES,
        help_text="The next step (forward skips allowed, never backwards), or `completed`.",
    )
    prep_minutes = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Minutes until ready (sets estimated_ready_at); the store's default on accept.",
    )


class OrderCancelInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=list(services.CANCEL_REASONS.items()))
    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required with reason `other`."
    )


# --- views -------------------------------------------------------------------------------------

ERRORS = {
    400: OpenApiResponse(description="Invalid input (problem+json with errors[])."),
    403: OpenApiResponse(description="Your role cannot work orders."),
    404: OpenApiResponse(description="No such order among your merchants."),
    409: OpenApiResponse(description="The order is not in a state that allows this step."),
}


class OrderListApi(generics.ListAPIView):
    serializer_class = OrderSerializer

    @extend_schema(parameters=[OrderFilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = OrderFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        queryset = _orders(self.request)
        store = None
        if "store" in data:
            store = access.store_get_for_user(self.request, data["store"])
        return selectors.order_search(
            queryset,
            search=data.get("search", "").strip(),
            state=data.get("state", ""),
            status=data.get("status", ""),
            store=store,
            placed_from=data.get("placed_after"),
            placed_to=data.get("placed_before"),
        ).order_by("-placed_at", "-id")


class OrderDetailApi(APIView):
    @extend_schema(responses={200: OrderSerializer, 404: ERRORS[404]})
    def get(self, request, public_id):
        return Response(OrderSerializer(_order_get(request, public_id)).data)


class OrderStatusApi(APIView):
    @extend_schema(request=OrderStatusInputSerializer, responses={200: OrderSerializer, **ERRORS})
    def post(self, request, public_id):
        order = _order_get(request, public_id, Action.WORK_ORDERS)
        data = OrderStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        status = data.validated_data["status"]
        if status == "completed":
            services.order_complete(order=order, user=request.user)
        else:
            services.order_advance(
                order=order,
                status=status,
                user=request.user,
                prep_minutes=data.validated_data.get("prep_minutes"),
            )
        return Response(OrderSerializer(_order_get(request, public_id)).data)


class OrderCancelApi(APIView):
    @extend_schema(request=OrderCancelInputSerializer, responses={200: OrderSerializer, **ERRORS})
    def post(self, request, public_id):
        order = _order_get(request, public_id, Action.WORK_ORDERS)
        data = OrderCancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_cancel(
            order=order,
            reason=data.validated_data["reason"],
            note=data.validated_data["note"],
            user=request.user,
        )
        return Response(OrderSerializer(_order_get(request, public_id)).data)
