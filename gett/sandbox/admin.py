from django.contrib import admin
from django.contrib.admin.utils import flatten
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from gett.sandbox import services
from gett.sandbox.models import (
    SandboxCall,
    SandboxCatalogIngestion,
    SandboxFault,
    SandboxOnboarding,
    SandboxOrder,
    SandboxOrderEvent,
    SandboxStore,
    SandboxTestOrder,
    SandboxWebhookCall,
)


@admin.register(SandboxStore)
class SandboxStoreAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "partner_store_id",
        "store_id",
        "status",
        "reason",
        "resume_at",
        "delivery_allowed",
        "pickup_allowed",
        "updated_at",
    ]
    list_filter = ["status", "reason", "delivery_allowed", "pickup_allowed"]
    search_fields = ["name", "partner_store_id", "store_id"]
    readonly_fields = ["created_at", "updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_readonly_fields(self, request: HttpRequest, obj: SandboxStore | None = None):
        # Gett's store id never changes once issued.
        if obj is not None:
            return ["store_id", *self.readonly_fields]
        return self.readonly_fields


@admin.register(SandboxCall)
class SandboxCallAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "method",
        "path",
        "response_status",
        "error_code",
        "latency_ms",
        "fault",
        "authorization_present",
        "request_id",
    ]
    list_filter = ["response_status", "method", "error_code", "fault", "authorization_present"]
    search_fields = ["path", "request_id", "error_code", "store_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SandboxCall | None = None) -> bool:
        return False


class _HistoryAdmin(admin.ModelAdmin):
    """Records of what happened: readable, never added or edited by hand."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SandboxOnboarding)
class SandboxOnboardingAdmin(_HistoryAdmin):
    # Gett owns the pipeline: its status moves only through the API (register, activate, cancel).
    list_display = [
        "partner_store_id",
        "name",
        "status",
        "onboarding_id",
        "store",
        "created_at",
        "activated_at",
    ]
    list_filter = ["status"]
    search_fields = ["partner_store_id", "name", "onboarding_id", "store__store_id"]
    list_select_related = ["store"]
    raw_id_fields = ["store", "ingestion"]
    date_hierarchy = "created_at"


@admin.register(SandboxCatalogIngestion)
class SandboxCatalogIngestionAdmin(_HistoryAdmin):
    list_display = [
        "created_at",
        "partner_store_id",
        "status",
        "catalog_set_id",
        "http_status",
        "problem_count",
        "fetch_ms",
        "finished_at",
    ]
    list_filter = ["status", "http_status"]
    search_fields = ["partner_store_id", "catalog_set_id", "callback_url"]
    list_select_related = ["onboarding"]
    raw_id_fields = ["onboarding"]
    date_hierarchy = "created_at"
    exclude = ["document"]  # can be megabytes; the accepted file is at its callback URL

    @admin.display(description="problems")
    def problem_count(self, obj: SandboxCatalogIngestion) -> int:
        return len(obj.problems or [])


class SandboxOrderEventInline(admin.TabularInline):
    model = SandboxOrderEvent
    fields = ["at", "from_state", "from_status", "to_state", "to_status", "body"]
    readonly_fields = flatten(fields)
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SandboxOrder)
class SandboxOrderAdmin(_HistoryAdmin):
    list_display = [
        "order_id",
        "store",
        "partner_order_id",
        "fulfillment_type",
        "state",
        "status",
        "estimated_ready_at",
        "created_at",
    ]
    list_filter = ["state", "status", "fulfillment_type"]
    search_fields = ["order_id", "partner_order_id", "store__name", "store__partner_store_id"]
    list_select_related = ["store"]
    raw_id_fields = ["store"]
    date_hierarchy = "created_at"
    inlines = [SandboxOrderEventInline]


@admin.register(SandboxOrderEvent)
class SandboxOrderEventAdmin(_HistoryAdmin):
    list_display = ["at", "order", "from_state", "from_status", "to_state", "to_status"]
    list_filter = ["to_state", "to_status"]
    search_fields = ["order__order_id", "order__partner_order_id"]
    list_select_related = ["order"]
    raw_id_fields = ["order"]
    date_hierarchy = "at"


@admin.register(SandboxFault)
class SandboxFaultAdmin(admin.ModelAdmin):
    list_display = ["endpoint", "mode", "remaining", "created_at"]
    list_filter = ["mode", "endpoint"]
    search_fields = ["endpoint"]
    actions = ["clear_all_faults"]

    @admin.action(description="Disarm every fault switch")
    def clear_all_faults(self, request: HttpRequest, queryset: object) -> None:
        cleared = services.fault_clear()
        self.message_user(request, f"Disarmed {cleared} fault switch(es).")


class SandboxWebhookCallInline(admin.TabularInline):
    model = SandboxWebhookCall
    fields = [
        "created_at",
        "operation",
        "attempt",
        "response_status",
        "latency_ms",
        "error",
    ]
    readonly_fields = flatten(fields)
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["created_at", "pk"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SandboxTestOrder)
class SandboxTestOrderAdmin(_HistoryAdmin):
    # Started from the inspection page or POST /v1/sandbox/test-orders; never edited by hand.
    list_display = [
        "id",
        "store",
        "scenario",
        "outcome",
        "as_expected",
        "partner_order_id",
        "place_attempts",
        "created_at",
        "inspect_link",
    ]
    list_filter = ["scenario", "outcome", "as_expected"]
    search_fields = ["order_id", "partner_order_id", "store__name", "store__partner_store_id"]
    list_select_related = ["store"]
    raw_id_fields = ["store", "placed_order"]
    date_hierarchy = "created_at"
    inlines = [SandboxWebhookCallInline]

    @admin.display(description="inspect")
    def inspect_link(self, obj: SandboxTestOrder) -> str:
        url = reverse("sandbox:inspect-test-order", args=[obj.pk])
        return format_html('<a href="{}">Calls and outcome</a>', url)


@admin.register(SandboxWebhookCall)
class SandboxWebhookCallAdmin(_HistoryAdmin):
    list_display = [
        "created_at",
        "test_order",
        "operation",
        "attempt",
        "response_status",
        "latency_ms",
        "error",
    ]
    list_filter = ["operation", "response_status"]
    search_fields = ["url", "test_order__order_id", "test_order__partner_order_id"]
    list_select_related = ["test_order"]
    raw_id_fields = ["test_order"]
    date_hierarchy = "created_at"
