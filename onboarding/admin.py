from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.html import format_html

from gett.errors import GettError
from onboarding import services
from onboarding.models import Onboarding
from portal.exceptions import PortalError


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [
            ("stuck", "Stuck (open, no progress for an hour)"),
            ("1h", "Started in the last hour"),
            ("1d", "Started in the last day"),
            ("older", "Started more than a day ago"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "stuck":
            return queryset.stuck(now)
        if self.value() == "1h":
            return queryset.filter(created_at__gte=now - timedelta(hours=1))
        if self.value() == "1d":
            return queryset.filter(created_at__gte=now - timedelta(days=1))
        if self.value() == "older":
            return queryset.filter(created_at__lt=now - timedelta(days=1))
        return queryset


@admin.register(Onboarding)
class OnboardingAdmin(admin.ModelAdmin):
    list_display = (
        "store",
        "status_shown",
        "gett_onboarding_id",
        "poll_count",
        "next_poll_at",
        "last_error_short",
        "created_at",
    )
    list_filter = ("status", AgeFilter, "auto_activate")
    search_fields = ("store__name", "store__public_id", "gett_onboarding_id", "public_id")
    list_select_related = ("store",)
    raw_id_fields = ("store", "started_by")
    date_hierarchy = "created_at"
    actions = ("poll_now", "cancel", "retry")
    # Gett owns its ids, the status and its error; our bookkeeping is shown, not edited.
    readonly_fields = (
        "public_id",
        "store",
        "gett_onboarding_id",
        "status",
        "error",
        "gett_store_id",
        "request",
        "status_times",
        "status_changed_at",
        "started_by",
        "poll_count",
        "quiet_polls",
        "next_poll_at",
        "claimed_at",
        "failed_attempts",
        "last_error",
        "last_error_at",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request) -> bool:
        return False  # onboardings start from the store's page or the API

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the history is kept

    @admin.display(description="Status", ordering="status")
    def status_shown(self, obj: Onboarding) -> str:
        if obj.is_stuck():
            return format_html(
                '<strong style="color:#ba2121">{} — stuck since {}</strong>',
                obj.get_status_display(),
                obj.status_changed_at.strftime("%Y-%m-%d %H:%M"),
            )
        return obj.get_status_display()

    @admin.display(description="Last error")
    def last_error_short(self, obj: Onboarding) -> str:
        return obj.last_error[:80]

    @admin.action(description="Poll Gett now")
    def poll_now(self, request, queryset: QuerySet[Onboarding]) -> None:
        for onboarding in queryset:
            services.onboarding_poll(onboarding=onboarding, force=True)
            self.message_user(request, f"{onboarding}: {onboarding.get_status_display()}.")

    @admin.action(description="Cancel (at Gett too)")
    def cancel(self, request, queryset: QuerySet[Onboarding]) -> None:
        for onboarding in queryset:
            try:
                services.onboarding_cancel(onboarding=onboarding, user=request.user)
            except PortalError as exc:
                self.message_user(request, f"{onboarding}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{onboarding}: cancelled.")

    @admin.action(description="Retry now (register or poll)")
    def retry(self, request, queryset: QuerySet[Onboarding]) -> None:
        for onboarding in queryset:
            try:
                if onboarding.status == Onboarding.Status.REGISTERING:
                    onboarding = services.onboarding_register(onboarding=onboarding)
                elif onboarding.status in (Onboarding.Status.FAILED, Onboarding.Status.CANCELLED):
                    onboarding = services.onboarding_start(
                        store=onboarding.store,
                        user=request.user,
                        auto_activate=onboarding.auto_activate,
                    )
                else:
                    onboarding = services.onboarding_poll(onboarding=onboarding, force=True)
            except GettError as exc:
                self.message_user(request, f"{onboarding}: {exc}", messages.ERROR)
            except PortalError as exc:
                self.message_user(request, f"{onboarding}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{onboarding}: {onboarding.get_status_display()}.")
