"""Menus: one per merchant, shared by its stores, published per store as a CatalogSet.

Everything a merchant sells is an `Item`; modifier options are items too (REFERENCE §17.5), so
`ModifierOption` links a group to items and modifiers nest. Every entity Gett sees has a stable
`public_id` (its id in the CatalogSet). Prices are integer minor units (see
`catalogs.publishing.builder` for how they meet a store's currency).
"""

import uuid
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, Q
from django.utils import timezone

from stores.models import Merchant, Store

MIDNIGHT = time(0)


class Trigger(models.TextChoices):
    """What made a store's menu publish."""

    EDITOR = "editor", "Menu editor"
    ADMIN = "admin", "Admin"
    API = "api", "API"
    IMPORT = "import", "Import"
    SNOOZE = "snooze", "Item snoozed"
    UNSNOOZE = "unsnooze", "Item back on"
    SNOOZE_EXPIRY = "snooze_expiry", "Snooze ended"
    REPUBLISH = "republish", "Republished by staff"
    STORE_CHANGE = "store_change", "Store settings changed"


class CatalogQuerySet(models.QuerySet):
    def sold_by(self, store: Store) -> "CatalogQuerySet":
        """The catalogs `store` sells.

        A store with no `StoreCatalog` rows sells every catalog of its merchant; once it has
        rows, it sells only those. So a new store sells the whole menu without any set-up.
        """
        chosen = StoreCatalog.objects.filter(store=store)
        return self.filter(merchant_id=store.merchant_id).filter(
            Q(pk__in=chosen.values("catalog_id")) | ~Exists(chosen)
        )


class Catalog(models.Model):
    """A menu or daypart (Breakfast, Lunch, All Day)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="catalogs")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CatalogQuerySet.as_manager()

    class Meta:
        ordering = ["merchant", "position", "id"]

    def __str__(self) -> str:
        return self.name


class AvailabilityWindow(models.Model):
    """When a catalog is on sale, in the store's local time.

    `end` 00:00 means the end of the day (00:00–00:00 is the whole day). A window with
    `start` after `end` runs past midnight: the CatalogSet builder splits it into
    [start, 00:00) on `weekday` and [00:00, end) on the next day, as Gett requires.
    """

    class Weekday(models.IntegerChoices):
        # Python's date.weekday() numbering.
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    catalog = models.ForeignKey(Catalog, on_delete=models.CASCADE, related_name="windows")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField(help_text="00:00 means the end of the day.")

    class Meta:
        ordering = ["catalog", "weekday", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="catalogs_window_weekday"
            ),
            models.CheckConstraint(
                condition=~Q(start=F("end")) | Q(end=MIDNIGHT),
                name="catalogs_window_not_empty",
                violation_error_message=(
                    "A window must close after it opens (00:00 as the end means end of day)."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def crosses_midnight(self) -> bool:
        return self.end != MIDNIGHT and self.start > self.end


class Section(models.Model):
    """A category. Top-level sections belong to a catalog; the others to a parent section."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="sections")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    catalog = models.ForeignKey(
        Catalog, on_delete=models.CASCADE, null=True, blank=True, related_name="sections"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    position = models.PositiveIntegerField(default=0)
    items: "models.ManyToManyField[Item, SectionItem]" = models.ManyToManyField(
        "Item", through="SectionItem", related_name="sections"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["merchant", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(catalog__isnull=False, parent__isnull=True)
                    | Q(catalog__isnull=True, parent__isnull=False)
                ),
                name="catalogs_section_catalog_xor_parent",
                violation_error_message="A section belongs to a catalog or to a parent section.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.catalog is not None and self.catalog.merchant_id != self.merchant_id:
            raise ValidationError({"catalog": "This catalog belongs to another merchant."})
        if self.parent is not None:
            if self.parent.merchant_id != self.merchant_id:
                raise ValidationError({"parent": "This section belongs to another merchant."})
            if self.pk and self.pk in self.ancestor_ids(self.parent):
                raise ValidationError({"parent": "A section cannot be inside itself."})

    @staticmethod
    def ancestor_ids(section: "Section") -> set[int]:
        """The pks of `section` and every section above it (one query per level)."""
        seen: set[int] = set()
        current: Section | None = section
        while current is not None and current.pk not in seen:
            seen.add(current.pk)
            current = current.parent
        return seen


class Item(models.Model):
    """A product, or a modifier option (modifiers are items with their own price and groups)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="items")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    image = models.ImageField(upload_to="menu/", blank=True)
    price = models.PositiveIntegerField(
        default=0, help_text="In minor units (cents) of each store's currency."
    )
    modifier_groups: "models.ManyToManyField[ModifierGroup, ItemModifierGroup]" = (
        models.ManyToManyField("ModifierGroup", through="ItemModifierGroup", related_name="items")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["merchant", "name", "id"]

    def __str__(self) -> str:
        return self.name


class SectionItem(models.Model):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="section_items")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="section_items")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["section", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["section", "item"], name="catalogs_unique_section_item")
        ]

    def __str__(self) -> str:
        return f"{self.section} · {self.item}"

    def clean(self) -> None:
        if self.section_id and self.item_id and self.section.merchant_id != self.item.merchant_id:
            raise ValidationError({"item": "This item belongs to another merchant."})


class ModifierGroup(models.Model):
    """A set of choices (Size, Toppings). `min_selections` > 0 makes it required."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="modifier_groups")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    min_selections = models.PositiveSmallIntegerField(default=0)
    max_selections = models.PositiveSmallIntegerField(default=1)
    options = models.ManyToManyField(
        Item, through="ModifierOption", related_name="option_of_groups"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["merchant", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_selections__lte=F("max_selections")),
                name="catalogs_group_min_lte_max",
                violation_error_message="The minimum cannot be above the maximum.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_required(self) -> bool:
        return self.min_selections > 0


class ItemModifierGroup(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="item_groups")
    group = models.ForeignKey(ModifierGroup, on_delete=models.CASCADE, related_name="item_groups")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["item", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "group"], name="catalogs_unique_item_group")
        ]

    def __str__(self) -> str:
        return f"{self.item} · {self.group}"

    def clean(self) -> None:
        if self.item_id and self.group_id and self.item.merchant_id != self.group.merchant_id:
            raise ValidationError({"group": "This modifier group belongs to another merchant."})


class ModifierOption(models.Model):
    group = models.ForeignKey(ModifierGroup, on_delete=models.CASCADE, related_name="group_options")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="group_options")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["group", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "item"], name="catalogs_unique_group_option")
        ]

    def __str__(self) -> str:
        return f"{self.group} · {self.item}"

    def clean(self) -> None:
        if self.item_id and self.group_id and self.item.merchant_id != self.group.merchant_id:
            raise ValidationError({"item": "This item belongs to another merchant."})


class StoreCatalog(models.Model):
    """A catalog this store sells (see `CatalogQuerySet.sold_by` for a store without rows)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="store_catalogs")
    catalog = models.ForeignKey(Catalog, on_delete=models.CASCADE, related_name="store_catalogs")

    class Meta:
        ordering = ["store", "catalog"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "catalog"], name="catalogs_unique_store_catalog"
            )
        ]

    def __str__(self) -> str:
        return f"{self.store} sells {self.catalog}"

    def clean(self) -> None:
        if self.store_id and self.catalog_id and self.store.merchant_id != self.catalog.merchant_id:
            raise ValidationError({"catalog": "This catalog belongs to another merchant."})


class ItemSnoozeQuerySet(models.QuerySet):
    def active(self, now=None) -> "ItemSnoozeQuerySet":
        now = now or timezone.now()
        return self.filter(Q(until__isnull=True) | Q(until__gt=now))

    def expired(self, now=None) -> "ItemSnoozeQuerySet":
        now = now or timezone.now()
        return self.filter(until__isnull=False, until__lte=now)


class ItemSnooze(models.Model):
    """An item off sale ("86'd") in one store, until a time or (until=None) until turned back on."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="item_snoozes")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="snoozes")
    until = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="Empty: until turned back on."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ItemSnoozeQuerySet.as_manager()

    class Meta:
        ordering = ["store", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["store", "item"], name="catalogs_unique_item_snooze")
        ]

    def __str__(self) -> str:
        return f"{self.item} snoozed at {self.store}"

    def clean(self) -> None:
        if self.store_id and self.item_id and self.store.merchant_id != self.item.merchant_id:
            raise ValidationError({"item": "This item belongs to another merchant."})


class CatalogVersion(models.Model):
    """A CatalogSet published for a store: stored at an immutable key, then sent to Gett.

    One row per distinct content. If a store's menu goes back to an earlier content, that row
    becomes current again (`published_at`, trigger and notification are updated) instead of a
    duplicate: the file at its key is the same bytes.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="catalog_versions")
    catalog_set_id = models.UUIDField("catalogSetId")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the canonical JSON.")
    storage_key = models.CharField(max_length=300)
    url = models.URLField(max_length=2048, help_text="The URL sent to Gett.")
    size_bytes = models.PositiveBigIntegerField()
    counts = models.JSONField(default=dict, blank=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notification = models.ForeignKey(
        "gett.OutboundMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        get_latest_by = ["published_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "content_hash"], name="catalogs_unique_version_content"
            ),
            models.UniqueConstraint(
                fields=["store", "catalog_set_id"], name="catalogs_unique_version_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store} · {self.catalog_set_id}"


class PublishState(models.Model):
    """The last publish check of a store's menu, and the row publishes lock on.

    `last_problems` holds what stops the menu from being published, as dicts
    {code, message, jsonPath, entity, entityId}; `entityId` is the `public_id` of the catalog,
    section, item or modifier group at fault, so the editor can show each one where it belongs.
    """

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="menu_publish_state")
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_trigger = models.CharField(max_length=20, choices=Trigger.choices, blank=True)
    last_problems = models.JSONField(default=list, blank=True)
    is_valid = models.BooleanField(null=True, help_text="Empty until the menu was checked.")

    class Meta:
        ordering = ["store"]

    def __str__(self) -> str:
        return f"Menu publishing of {self.store}"

    def problems_for(self, public_id) -> list[dict]:
        """The problems that point at one entity (catalog, section, item or group)."""
        wanted = str(public_id)
        return [p for p in self.last_problems if p.get("entityId") == wanted]
