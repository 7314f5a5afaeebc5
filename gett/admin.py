import json
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import Count
from django.utils.html import format_html
from django.utils.text import Truncator

from gett import outbox
from gett.models import InboundWebhook, OutboundMessage

State = OutboundMessage.State

STATE_COLOURS: dict[str, str] = {
    State.HELD: "#6c757d",
    State.PENDING: "#0d6efd",
    State.SENDING: "#0aa2c0",
    State.DELIVERED: "#198754",
    State.SUPERSEDED: "#adb5bd",
    State.FAILED: "#dc3545",
}


def _pretty_json(value) -> str:
    if value in (None, "", {}, []):
        return "—"
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0;">{}</pre>',
        json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False),
    )


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind_display",
        "key_link",
        "target_id",
        "state_badge",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "short_error",
    )
    list_filter = ("state", "kind", "created_at")
    search_fields = ("key", "target_id", "public_id", "last_error", "last_request_id")
    date_hierarchy = "created_at"
    actions = ("retry_failed",)
    fieldsets = (
        (None, {"fields": ("public_id", "kind_display", "key", "target_id", "state_badge")}),
        (
            "Delivery",
            {
                "fields": (
                    "attempts",
                    "created_at",
                    "next_attempt_at",
                    "claimed_at",
                    "last_attempt_at",
                    "delivered_at",
                    "updated_at",
                )
            },
        ),
        (
            "Last error",
            {
                "fields": (
                    "first_failed_at",
                    "last_status_code",
                    "last_error_code",
                    "last_error_detail",
                    "errors_pretty",
                    "last_error",
                    "last_request_id",
                )
            },
        ),
        ("Payload", {"fields": ("payload_pretty", "response_pretty")}),
    )
    readonly_fields = tuple(flatten_fieldsets(fieldsets))

    # The outbox is written by services only: staff read it and retry dead letters.
    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # "Change" covers the Retry action on the list; a message's own page only shows it.
        # Saving that page would write the whole row back as read, over a delivery claimed
        # meanwhile, so it is view-only (a POST to it is refused).
        return obj is None and super().has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), **self._health()}
        return super().changelist_view(request, extra_context)

    def _health(self) -> dict:
        counts = dict(
            OutboundMessage.objects.order_by()
            .values("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        )
        oldest_open = (
            OutboundMessage.objects.open()
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        return {
            "outbox_health": [
                {
                    "state": state,
                    "label": label,
                    "count": counts.get(state, 0),
                    "colour": STATE_COLOURS[state],
                    "url": "?" + urlencode({"state__exact": state}),
                }
                for state, label in State.choices
            ],
            "outbox_oldest_open": oldest_open,
            "breaker": outbox.breaker_state(),
        }

    @admin.display(description="Kind", ordering="kind")
    def kind_display(self, obj: OutboundMessage) -> str:
        return outbox.kind_label(obj.kind)

    @admin.display(description="Key", ordering="key")
    def key_link(self, obj: OutboundMessage) -> str:
        return format_html(
            '<a href="?{}" title="All messages with this key">{}</a>',
            urlencode({"key": obj.key}),
            obj.key,
        )

    @admin.display(description="State", ordering="state")
    def state_badge(self, obj: OutboundMessage) -> str:
        return format_html(
            '<span style="background: {}; color: #fff; padding: 2px 6px; border-radius: 4px; '
            'white-space: nowrap;">{}</span>',
            STATE_COLOURS.get(obj.state, "#6c757d"),
            obj.get_state_display(),
        )

    @admin.display(description="Last error")
    def short_error(self, obj: OutboundMessage) -> str:
        return Truncator(obj.last_error).chars(80)

    @admin.display(description="Gett's errors[]")
    def errors_pretty(self, obj: OutboundMessage) -> str:
        return _pretty_json(obj.last_errors)

    @admin.display(description="Payload")
    def payload_pretty(self, obj: OutboundMessage) -> str:
        return _pretty_json(obj.payload)

    @admin.display(description="Response")
    def response_pretty(self, obj: OutboundMessage) -> str:
        return _pretty_json(obj.response)

    @admin.action(description="Retry selected failed messages", permissions=["change"])
    def retry_failed(self, request, queryset):
        queued = held = skipped = 0
        for message in queryset.order_by("id"):
            if not message.can_retry:
                skipped += 1
                continue
            message = outbox.retry(message=message)
            if message.state == State.HELD:
                held += 1
            else:
                queued += 1
        if queued:
            self.message_user(
                request, f"Queued {queued} message(s) for delivery.", messages.SUCCESS
            )
        if held:
            self.message_user(
                request,
                f"{held} message(s) are waiting for a Gett store id and go out once it is set.",
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request, f"Skipped {skipped} message(s) that had not failed.", messages.WARNING
            )


@admin.register(InboundWebhook)
class InboundWebhookAdmin(admin.ModelAdmin):
    """Every call Gett made to our order webhooks, with our reply: read-only."""

    list_display = (
        "received_at",
        "operation",
        "status",
        "signature_ok",
        "gett_order_id",
        "store_ref",
        "error_code",
        "latency_ms",
    )
    list_filter = ("operation", "status", "signature_ok", "received_at")
    search_fields = ("=gett_order_id", "=store_ref", "error_code")
    date_hierarchy = "received_at"
    fields = (
        "received_at",
        "operation",
        "path",
        "signature_ok",
        "gett_order_id",
        "store_ref",
        "status",
        "error_code",
        "detail",
        "latency_ms",
        "headers_pretty",
        "body_size",
        "body",
        "response_pretty",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            # The list never shows bodies: do not load up to 64 KiB per row.
            queryset = queryset.defer("body", "response", "headers")
        return queryset

    @admin.display(description="Headers")
    def headers_pretty(self, obj: InboundWebhook) -> str:
        return _pretty_json(obj.headers)

    @admin.display(description="Our reply")
    def response_pretty(self, obj: InboundWebhook) -> str:
        return _pretty_json(obj.response)
