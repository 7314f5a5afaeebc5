"""Orders for partner staff: search and read everything; changes go through the merchant pages,
the API or the services, never by editing rows (Gett owns what it sent, we own the timeline)."""

import json
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.urls import reverse
from django.utils.html import format_html

from orders.models import Order, OrderCounter, OrderEvent, OrderLine
from stores.templatetags.money import money


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = (
        "position",
        "indented_name",
        "group_name",
        "quantity",
        "unit_price",
        "total",
        "special_instructions",
    )
    readonly_fields = fields
    ordering = ("position",)

    @admin.display(description="Name")
    def indented_name(self, obj: OrderLine) -> str:
        return format_html("{}{}", "\u2003" * obj.depth + ("↳ " if obj.depth else ""), obj.name)


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("at", "kind", "who", "message")
    readonly_fields = fields
    ordering = ("at", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "partner_order_id",
        "placed_at",
        "merchant",
        "store",
        "state",
        "status",
        "fulfillment_type",
        "customer_name",
        "total_display",
    )
    list_filter = ("state", "status", "fulfillment_type", "placed_at", "merchant")
    search_fields = (
        "partner_order_id",
        "gett_order_id",
        "=public_id",
        "customer_name",
        "customer_phone",
        "customer_email",
        "store__name",
        "merchant__name",
    )
    list_select_related = ("merchant", "store")
    date_hierarchy = "placed_at"
    raw_id_fields = ("merchant", "store")
    inlines = (OrderLineInline, OrderEventInline)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "partner_order_id",
                    "public_id",
                    "gett_order_id",
                    "merchant",
                    "store",
                    "state",
                    "status",
                    "fulfillment_type",
                    "cancel_reason",
                    "gett_links",
                )
            },
        ),
        (
            "Customer",
            {"fields": ("customer_name", "customer_phone", "customer_email", "delivery_address")},
        ),
        (
            "Amounts (minor units)",
            {
                "fields": (
                    "currency",
                    "subtotal",
                    "fees",
                    "promotions",
                    "taxes",
                    "adjustments",
                    "tip",
                    "total",
                )
            },
        ),
        (
            "Times",
            {
                "fields": (
                    "placed_at",
                    "acknowledged_at",
                    "confirmed_at",
                    "preparing_at",
                    "ready_at",
                    "in_transit_at",
                    "completed_at",
                    "cancelled_at",
                    "estimated_ready_at",
                    "updated_at",
                )
            },
        ),
        (
            "As placed by Gett",
            {
                "classes": ("collapse",),
                "fields": (
                    "catalog_set_id",
                    "cart_digest",
                    "place_request",
                    "place_response_pretty",
                ),
            },
        ),
    )
    readonly_fields = tuple(flatten_fieldsets(fieldsets))

    def has_add_permission(self, request) -> bool:
        return False  # Gett creates orders (placeOrder)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # An order changes through its services (the board, the API, Gett's webhooks). Its page
        # only shows it: saving that page would write the whole row back as read, over a step
        # or a webhook committed meanwhile, so a POST to it is refused.
        return obj is None and super().has_change_permission(request)

    @admin.display(description="Total", ordering="total")
    def total_display(self, obj: Order) -> str:
        return money(obj.total, obj.currency)

    @admin.display(description="With Gett")
    def gett_links(self, obj: Order) -> str:
        outbox_url = reverse("admin:gett_outboundmessage_changelist")
        calls_url = reverse("admin:gett_inboundwebhook_changelist")
        return format_html(
            '<a href="{}?{}">Status messages to Gett</a> · '
            '<a href="{}?{}">Gett\'s webhook calls</a>',
            outbox_url,
            urlencode({"key": obj.outbox_key}),
            calls_url,
            urlencode({"q": obj.gett_order_id}),
        )

    @admin.display(description="Our reply")
    def place_response_pretty(self, obj: Order) -> str:
        return format_html(
            '<pre style="white-space: pre-wrap; margin: 0;">{}</pre>',
            json.dumps(obj.place_response, indent=2, ensure_ascii=False),
        )


@admin.register(OrderCounter)
class OrderCounterAdmin(admin.ModelAdmin):
    list_display = ("merchant", "last")
    search_fields = ("merchant__name",)
    list_select_related = ("merchant",)
    readonly_fields = ("merchant", "last")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
