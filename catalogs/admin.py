from typing import Protocol, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html, format_html_join

from catalogs.models import (
    AvailabilityWindow,
    Catalog,
    CatalogVersion,
    Item,
    ItemModifierGroup,
    ItemSnooze,
    ModifierGroup,
    ModifierOption,
    PublishState,
    Section,
    SectionItem,
    StoreCatalog,
    Trigger,
)
from catalogs.publishing import services
from catalogs.publishing.storage import CatalogStorageError
from catalogs.services import windows_check
from catalogs.snoozes.services import snooze_until_check
from portal.exceptions import PortalError
from portal.images import ImageField
from portal.money import price_check
from stores.models import Store


class MenuModelAdmin(admin.ModelAdmin):
    """Admin for menu content: every save or delete republishes the merchant's stores.

    The publish is debounced and runs after the admin's transaction commits; stores whose
    menu did not change find the same content hash and stop there.
    """

    # How to get from a row to its merchant's id, as a queryset lookup.
    merchant_lookup = "merchant_id"

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and self.merchant_lookup == "merchant_id":
            readonly += ("merchant",)  # moving content to another merchant would strand it
        return readonly

    def _merchant_ids(self, queryset) -> set[int]:
        return set(queryset.values_list(self.merchant_lookup, flat=True))

    def _republish(self, request, merchant_ids: set[int]) -> None:
        services.menu_changed(
            stores=Store.objects.filter(merchant_id__in=merchant_ids),
            trigger=Trigger.ADMIN,
            user=request.user,
        )

    def save_model(self, request, obj, form, change):
        # A link moved to another merchant's row leaves the old merchant's menu changed too.
        before = self._merchant_ids(self.model.objects.filter(pk=obj.pk)) if change else set()
        super().save_model(request, obj, form, change)
        obj._menu_merchant_ids_before = before

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        merchant_ids = self._merchant_ids(self.model.objects.filter(pk=form.instance.pk))
        before = getattr(form.instance, "_menu_merchant_ids_before", set())
        self._republish(request, merchant_ids | before)

    def delete_model(self, request, obj):
        merchant_ids = self._merchant_ids(self.model.objects.filter(pk=obj.pk))
        super().delete_model(request, obj)
        self._republish(request, merchant_ids)

    def delete_queryset(self, request, queryset):
        merchant_ids = self._merchant_ids(queryset)
        super().delete_queryset(request, queryset)
        self._republish(request, merchant_ids)


# --- catalogs -------------------------------------------------------------------------------


class AvailabilityWindowFormSet(BaseInlineFormSet):
    """The catalog's hours obey the same rule as in the editor (`windows_check`)."""

    def clean(self):
        super().clean()
        windows = [
            (form.cleaned_data["weekday"], form.cleaned_data["start"], form.cleaned_data["end"])
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and {"weekday", "start", "end"} <= set(form.cleaned_data)
        ]
        _windows_valid(windows)


def _windows_valid(windows) -> None:
    try:
        windows_check(windows)
    except PortalError as exc:
        raise ValidationError(exc.message) from None


class AvailabilityWindowForm(forms.ModelForm):
    """One window on its own page, checked with the catalog's other windows (`windows_check`)."""

    class Meta:
        model = AvailabilityWindow
        fields = ("catalog", "weekday", "start", "end")

    def clean(self):
        cleaned = super().clean()
        if not {"catalog", "weekday", "start", "end"} <= set(cleaned):
            return cleaned  # a field error is already shown
        others = cleaned["catalog"].windows.exclude(pk=self.instance.pk)
        windows = [*others.values_list("weekday", "start", "end")]
        windows.append((cleaned["weekday"], cleaned["start"], cleaned["end"]))
        _windows_valid(windows)
        return cleaned


class AvailabilityWindowInline(admin.TabularInline):
    model = AvailabilityWindow
    formset = AvailabilityWindowFormSet
    fields = ("weekday", "start", "end")
    extra = 0


class TopSectionInline(admin.TabularInline):
    model = Section
    fk_name = "catalog"
    fields = ("name", "position")
    show_change_link = True
    extra = 0
    verbose_name = "top-level section"

    def has_add_permission(self, request, obj=None):
        return False  # a section needs its merchant: add it from the section page


class _WithWindowCount(Protocol):
    """A catalog from `CatalogAdmin.get_queryset`, annotated with its number of windows."""

    window_count: int


class _WithOptionCount(Protocol):
    """A group from `ModifierGroupAdmin.get_queryset`, annotated with its number of options."""

    option_count: int


@admin.register(Catalog)
class CatalogAdmin(MenuModelAdmin):
    list_display = ("name", "merchant", "position", "window_count", "updated_at")
    list_filter = ("merchant",)
    search_fields = ("name", "public_id", "merchant__name")
    list_select_related = ("merchant",)
    autocomplete_fields = ("merchant",)
    fields = ("merchant", "name", "description", "position", "public_id", "created_at")
    readonly_fields = ("public_id", "created_at")
    inlines = (AvailabilityWindowInline, TopSectionInline)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(window_count=Count("windows"))

    @admin.display(description="Opening windows", ordering="window_count")
    def window_count(self, obj: Catalog) -> int:
        return cast(_WithWindowCount, obj).window_count


@admin.register(AvailabilityWindow)
class AvailabilityWindowAdmin(MenuModelAdmin):
    form = AvailabilityWindowForm
    merchant_lookup = "catalog__merchant_id"
    list_display = ("catalog", "weekday", "start", "end")
    list_filter = ("weekday",)
    search_fields = ("catalog__name", "catalog__public_id", "catalog__merchant__name")
    list_select_related = ("catalog",)
    autocomplete_fields = ("catalog",)


@admin.register(StoreCatalog)
class StoreCatalogAdmin(MenuModelAdmin):
    merchant_lookup = "store__merchant_id"
    list_display = ("store", "catalog")
    search_fields = ("store__name", "store__public_id", "catalog__name")
    list_filter = ("store__merchant",)
    list_select_related = ("store", "catalog")
    autocomplete_fields = ("store", "catalog")


# --- sections -------------------------------------------------------------------------------


class SectionItemInline(admin.TabularInline):
    model = SectionItem
    fields = ("item", "position")
    autocomplete_fields = ("item",)
    extra = 0


@admin.register(Section)
class SectionAdmin(MenuModelAdmin):
    list_display = ("name", "merchant", "catalog", "parent", "position")
    list_filter = ("merchant",)
    search_fields = ("name", "public_id", "merchant__name", "catalog__name")
    list_select_related = ("merchant", "catalog", "parent")
    autocomplete_fields = ("merchant", "catalog", "parent")
    fields = (
        "merchant",
        "name",
        "description",
        "catalog",
        "parent",
        "position",
        "public_id",
        "created_at",
    )
    readonly_fields = ("public_id", "created_at")
    inlines = (SectionItemInline,)


@admin.register(SectionItem)
class SectionItemAdmin(MenuModelAdmin):
    merchant_lookup = "section__merchant_id"
    list_display = ("section", "item", "position")
    search_fields = ("section__name", "item__name", "item__public_id")
    list_filter = ("section__merchant",)
    list_select_related = ("section", "item")
    autocomplete_fields = ("section", "item")


# --- items ----------------------------------------------------------------------------------


class ItemModifierGroupInline(admin.TabularInline):
    model = ItemModifierGroup
    fields = ("group", "position")
    autocomplete_fields = ("group",)
    extra = 0
    verbose_name = "modifier group"


class ItemSnoozeForm(forms.ModelForm):
    """An end set here obeys the rule of every door (`snooze_until_check`: in the future, at
    most 30 days ahead); one that has passed since is left alone for the expiry task."""

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until is not None and "until" in self.changed_data:
            try:
                snooze_until_check(until)
            except PortalError as exc:
                raise ValidationError(exc.message) from None
        return until


class ItemSnoozeInline(admin.TabularInline):
    model = ItemSnooze
    form = ItemSnoozeForm
    fields = ("store", "until", "created_by", "created_at")
    readonly_fields = ("created_by", "created_at")
    autocomplete_fields = ("store",)
    extra = 0
    verbose_name = "snooze"


class ItemAdminForm(forms.ModelForm):
    """The price (minor units here) within the bounds every door obeys (`price_check`)."""

    def clean_price(self) -> int:
        try:
            return price_check(self.cleaned_data["price"])
        except PortalError as exc:
            raise ValidationError(exc.message) from None


@admin.register(Item)
class ItemAdmin(MenuModelAdmin):
    form = ItemAdminForm
    formfield_overrides = {models.ImageField: {"form_class": ImageField}}  # picture limits
    list_display = ("name", "merchant", "price", "has_image", "updated_at")
    list_filter = ("merchant",)
    search_fields = ("name", "public_id", "merchant__name")
    list_select_related = ("merchant",)
    autocomplete_fields = ("merchant",)
    fields = (
        "merchant",
        "name",
        "description",
        "image",
        "price",
        "public_id",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("public_id", "created_at", "updated_at")
    inlines = (ItemModifierGroupInline, ItemSnoozeInline)

    @admin.display(description="Image", boolean=True)
    def has_image(self, obj: Item) -> bool:
        return bool(obj.image)


@admin.register(ItemSnooze)
class ItemSnoozeAdmin(MenuModelAdmin):
    form = ItemSnoozeForm
    merchant_lookup = "store__merchant_id"
    list_display = ("item", "store", "until", "created_by", "created_at")
    list_filter = (("until", admin.EmptyFieldListFilter), "store__merchant")
    search_fields = ("item__name", "item__public_id", "store__name", "store__public_id")
    list_select_related = ("item", "store", "created_by")
    autocomplete_fields = ("item", "store")
    fields = ("store", "item", "until", "created_by", "created_at")
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


# --- modifier groups ------------------------------------------------------------------------


class ModifierOptionInline(admin.TabularInline):
    model = ModifierOption
    fields = ("item", "position")
    autocomplete_fields = ("item",)
    extra = 0
    verbose_name = "option"


@admin.register(ModifierGroup)
class ModifierGroupAdmin(MenuModelAdmin):
    list_display = ("name", "merchant", "min_selections", "max_selections", "option_count")
    list_filter = ("merchant",)
    search_fields = ("name", "public_id", "merchant__name")
    list_select_related = ("merchant",)
    autocomplete_fields = ("merchant",)
    fields = ("merchant", "name", "min_selections", "max_selections", "public_id", "created_at")
    readonly_fields = ("public_id", "created_at")
    inlines = (ModifierOptionInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(option_count=Count("group_options"))

    @admin.display(description="Options", ordering="option_count")
    def option_count(self, obj: ModifierGroup) -> int:
        return cast(_WithOptionCount, obj).option_count


@admin.register(ItemModifierGroup)
class ItemModifierGroupAdmin(MenuModelAdmin):
    merchant_lookup = "item__merchant_id"
    list_display = ("item", "group", "position")
    search_fields = ("item__name", "item__public_id", "group__name")
    list_filter = ("item__merchant",)
    list_select_related = ("item", "group")
    autocomplete_fields = ("item", "group")


@admin.register(ModifierOption)
class ModifierOptionAdmin(MenuModelAdmin):
    merchant_lookup = "group__merchant_id"
    list_display = ("group", "item", "position")
    search_fields = ("group__name", "item__name", "item__public_id")
    list_filter = ("group__merchant",)
    list_select_related = ("group", "item")
    autocomplete_fields = ("group", "item")


# --- publishing -----------------------------------------------------------------------------


def _republish(modeladmin, request, stores) -> None:
    """Publish each store's menu now; if unchanged, tell Gett again about the current one."""
    for store in stores:
        try:
            version = services.catalog_republish(store=store, user=request.user)
        except CatalogStorageError as exc:
            modeladmin.message_user(request, f"{store}: menu not stored ({exc}).", messages.ERROR)
            continue
        if version is not None:
            modeladmin.message_user(
                request,
                f"{store}: Gett was told about menu version {version.catalog_set_id}.",
                messages.SUCCESS,
            )
            continue
        state = PublishState.objects.get(store=store)
        modeladmin.message_user(
            request,
            f"{store}: menu not published, it has {len(state.last_problems)} problem(s).",
            messages.WARNING,
        )


@admin.register(CatalogVersion)
class CatalogVersionAdmin(admin.ModelAdmin):
    list_display = (
        "catalog_set_id",
        "store",
        "published_at",
        "trigger",
        "triggered_by",
        "size_bytes",
        "notification_state",
    )
    list_filter = ("trigger", ("published_at", admin.DateFieldListFilter))
    search_fields = ("catalog_set_id", "content_hash", "store__name", "store__public_id")
    list_select_related = ("store", "triggered_by", "notification")
    date_hierarchy = "published_at"
    readonly_fields = (
        "store",
        "catalog_set_id",
        "content_hash",
        "storage_key",
        "link",
        "size_bytes",
        "counts",
        "trigger",
        "triggered_by",
        "notification",
        "created_at",
        "published_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="URL sent to Gett")
    def link(self, obj: CatalogVersion):
        return format_html('<a href="{}">{}</a>', obj.url, obj.url)

    @admin.display(description="Notification")
    def notification_state(self, obj: CatalogVersion) -> str:
        return obj.notification.get_state_display() if obj.notification else "—"


@admin.register(PublishState)
class PublishStateAdmin(admin.ModelAdmin):
    list_display = ("store", "is_valid", "problem_count", "last_trigger", "last_checked_at")
    list_filter = ("is_valid", "last_trigger")
    search_fields = ("store__name", "store__public_id", "store__merchant__name")
    list_select_related = ("store",)
    autocomplete_fields = ("store",)
    actions = ("republish_menus",)
    readonly_fields = ("is_valid", "last_trigger", "last_checked_at", "problems")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("store",)  # adding one publishes that store's menu now
        return ("store", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return ("store", *self.readonly_fields) if obj else ()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            _republish(self, request, [obj.store])

    @admin.display(description="Problems")
    def problem_count(self, obj: PublishState) -> int:
        return len(obj.last_problems)

    @admin.display(description="Problems")
    def problems(self, obj: PublishState):
        if not obj.last_problems:
            return "None"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><code>{}</code> {} <small>({} {} at {})</small></li>",
                (
                    (
                        p.get("code"),
                        p.get("message"),
                        p.get("entity") or "store",
                        p.get("entityId") or "",
                        p.get("jsonPath"),
                    )
                    for p in obj.last_problems
                ),
            ),
        )

    @admin.action(description="Republish menu", permissions=["change"])
    def republish_menus(self, request, queryset):
        store_ids = set(queryset.values_list("store_id", flat=True))
        _republish(self, request, Store.objects.filter(pk__in=store_ids))
