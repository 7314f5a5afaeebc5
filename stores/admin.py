from typing import Protocol, cast
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince

from gett import outbox
from portal.exceptions import InvalidStateError
from portal.images import ImageField
from stores import services
from stores.models import Membership, Merchant, Store, StoreEvent

User = get_user_model()


class MerchantMembershipInline(admin.TabularInline):
    model = Membership
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    extra = 0


class _WithStoreCount(Protocol):
    """A merchant from `MerchantAdmin.get_queryset`, annotated with its number of stores."""

    store_count: int


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ("name", "store_count", "created_at")
    search_fields = ("name", "public_id")
    fields = ("name", "public_id", "created_at")
    readonly_fields = ("public_id", "created_at")
    date_hierarchy = "created_at"
    inlines = (MerchantMembershipInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(store_count=Count("stores"))

    @admin.display(description="Stores", ordering="store_count")
    def store_count(self, obj: Merchant) -> int:
        return cast(_WithStoreCount, obj).store_count


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "merchant", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__email", "merchant__name")
    list_select_related = ("user", "merchant")
    autocomplete_fields = ("user", "merchant")
    readonly_fields = ("created_at",)


class DriftFilter(admin.SimpleListFilter):
    """Stores whose status on Gett is not ours: the ones the reconciler could not repair first."""

    title = "drift from Gett"
    parameter_name = "drift"

    def lookups(self, request, model_admin):
        return (
            ("unrepaired", "Not repaired"),
            ("repairing", "Being repaired"),
            ("none", "Gett agrees"),
        )

    def queryset(self, request, queryset):
        if self.value() == "unrepaired":
            return queryset.filter(drift_unrepaired_since__isnull=False)
        if self.value() == "repairing":
            return queryset.filter(drift_unrepaired_since__isnull=True, drift_repairs__gt=0)
        if self.value() == "none":
            return queryset.filter(drift_unrepaired_since__isnull=True, drift_repairs=0)
        return queryset


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    formfield_overrides = {models.ImageField: {"form_class": ImageField}}  # picture limits
    list_display = (
        "name",
        "merchant",
        "status",
        "gett_agrees",
        "pause_reason",
        "resume_at",
        "gett_store_id",
        "connected",
        "currency",
        "timezone",
    )
    # Counts next to each filter choice: how many stores drift without repair, at a glance.
    show_facets = admin.ShowFacets.ALWAYS
    list_filter = (
        DriftFilter,
        "status",
        "currency",
        "delivery_allowed",
        "pickup_allowed",
        ("gett_store_id", admin.EmptyFieldListFilter),
        "merchant",
    )
    search_fields = ("name", "public_id", "gett_store_id", "merchant__name", "city")
    list_select_related = ("merchant",)
    autocomplete_fields = ("merchant",)
    actions = ("resume_stores",)
    # Gett owns its store id (set by onboarding); status changes must reach Gett, so they go
    # through the actions and the store pages, never a bare form field. Busy mode is set on the
    # orders board or the API, where `services.store_busy_set` checks it has an end.
    readonly_fields = (
        "public_id",
        "gett_store_id",
        "gett_sync",
        "gett_status",
        "gett_status_read_at",
        "drift_repairs",
        "drift_unrepaired_since",
        "recent_events",
        "status",
        "pause_reason",
        "paused_at",
        "resume_at",
        "busy_extra_minutes",
        "busy_until",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("merchant", "name", "public_id")}),
        (
            "Gett",
            {
                "fields": (
                    "gett_store_id",
                    "gett_sync",
                    "gett_status",
                    "gett_status_read_at",
                    "drift_repairs",
                    "drift_unrepaired_since",
                    "recent_events",
                )
            },
        ),
        (
            "Status",
            {
                "fields": ("status", "pause_reason", "paused_at", "resume_at"),
                "description": "Resume stores with the “Resume selected stores” action.",
            },
        ),
        (
            "Shown on Gett",
            {"fields": ("phone", "description", "logo", "delivery_allowed", "pickup_allowed")},
        ),
        ("Address", {"fields": ("street", "city", "state", "postal_code", "country", "timezone")}),
        (
            "Orders",
            {
                "fields": (
                    "currency",
                    "tax_rate_bp",
                    "delivery_fee",
                    "minimum_order",
                    "default_prep_minutes",
                    "busy_extra_minutes",
                    "busy_until",
                    "auto_accept",
                )
            },
        ),
        ("History", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    @admin.display(description="Gett agrees", boolean=True, ordering="drift_unrepaired_since")
    def gett_agrees(self, obj: Store) -> bool | None:
        """Yes, no (drift not repaired), or unknown (not read from Gett yet)."""
        if obj.drift_unrepaired_since:
            return False
        if not obj.gett_status:
            return None
        return obj.drift_repairs == 0

    @admin.display(description="Recent events")
    def recent_events(self, obj: Store) -> str:
        if obj.pk is None:
            return "—"
        events = obj.events.select_related("message")[:5]
        if not events:
            return "None: Gett's status has matched ours whenever it was read."
        url = reverse("admin:stores_storeevent_changelist")
        url = f"{url}?{urlencode({'q': str(obj.public_id)})}"
        lines = format_html_join(
            "",
            "<li>{} ({} ago): {}</li>",
            ((e.title, timesince(e.created_at), e.summary) for e in events),
        )
        return format_html('<ul>{}</ul><a href="{}">All events for this store</a>', lines, url)

    @admin.display(description="Connected", boolean=True, ordering="gett_store_id")
    def connected(self, obj: Store) -> bool:
        return obj.is_connected

    @admin.display(description="Gett sync")
    def gett_sync(self, obj: Store) -> str:
        if obj.pk is None:
            return "—"
        url = reverse("admin:gett_outboundmessage_changelist")
        url = f"{url}?{urlencode({'key': obj.outbox_key})}"
        # The worst current message, as on the merchant's store page.
        message = outbox.sync_summaries([obj.outbox_key])[obj.outbox_key].headline
        if message is None:
            return format_html('Nothing sent yet. <a href="{}">Outbox</a>', url)
        error = f" — {message.last_error[:200]}" if message.state == message.State.FAILED else ""
        return format_html(
            '{}: <strong>{}</strong> ({} ago){} · <a href="{}">All messages for this store</a>',
            outbox.kind_label(message.kind),
            message.get_state_display(),
            timesince(message.created_at),
            error,
            url,
        )

    def save_model(self, request, obj, form, change):
        # Through the service, so Gett hears about the fields it shows.
        services.store_update(store=obj, changed_fields=form.changed_data)

    @admin.action(description="Resume selected stores", permissions=["change"])
    def resume_stores(self, request, queryset):
        resumed, skipped = 0, []
        for store in queryset:
            try:
                services.store_resume(store=store, user=request.user)
            except InvalidStateError:
                skipped.append(store.name)
                continue
            resumed += 1
        if resumed:
            self.message_user(request, f"Resumed {resumed} store(s).", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"Skipped {len(skipped)} store(s) already online: {', '.join(skipped)}.",
                messages.WARNING,
            )


@admin.register(StoreEvent)
class StoreEventAdmin(admin.ModelAdmin):
    """Drift found and repaired (or not) by the reconciler, newest first."""

    list_display = ("created_at", "store", "kind", "ours", "gett", "outcome")
    list_filter = ("kind", "message__state", "created_at")
    search_fields = ("store__name", "store__public_id", "store__gett_store_id", "detail")
    list_select_related = ("store", "message")
    raw_id_fields = ("store", "message")
    readonly_fields = ("store", "kind", "ours", "gett", "detail", "message", "created_at")
    date_hierarchy = "created_at"

    @admin.display(description="Outcome")
    def outcome(self, obj: StoreEvent) -> str:
        return obj.title

    def has_add_permission(self, request) -> bool:
        return False


class UserMembershipInline(admin.TabularInline):
    model = Membership
    fields = ("merchant", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("merchant",)
    extra = 0


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Django's user admin, plus the merchants each user belongs to."""

    inlines = (UserMembershipInline,)
    search_fields = (*BaseUserAdmin.search_fields, "memberships__merchant__name")
