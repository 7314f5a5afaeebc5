from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from gett.sandbox.models import SandboxCall, SandboxStore


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
        "authorization_present",
        "request_id",
    ]
    list_filter = ["response_status", "method", "error_code", "authorization_present"]
    search_fields = ["path", "request_id", "error_code", "store_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SandboxCall | None = None) -> bool:
        return False
