"""Writing the menu: small services for the editor, the API, imports and the admin.

Each one takes the `trigger` (and user) to record on the publish it causes, and calls
`menu_changed` for the stores whose menu it may change. The editor's writes that combine
several of them in one transaction live in `catalogs.editor.services`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction

from catalogs.hours import DAY, window_stretches
from catalogs.models import (
    MIDNIGHT,
    AvailabilityWindow,
    Catalog,
    Item,
    ItemModifierGroup,
    ModifierGroup,
    ModifierOption,
    Section,
    SectionItem,
    StoreCatalog,
    Trigger,
)
from catalogs.publishing.services import (
    menu_changed,
    stores_for_merchant,
    stores_selling_catalog,
    stores_selling_item,
    stores_selling_section,
)
from portal.exceptions import PortalError
from portal.money import price_check
from stores.models import Merchant, Store

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# --- catalogs -----------------------------------------------------------------------------------


@transaction.atomic
def catalog_create(
    *,
    merchant: Merchant,
    name: str,
    description: str = "",
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Catalog:
    position = Catalog.objects.filter(merchant=merchant).count()
    catalog = Catalog(merchant=merchant, name=name, description=description, position=position)
    catalog.full_clean()
    catalog.save()
    menu_changed(stores=stores_selling_catalog(catalog), trigger=trigger, user=user)
    return catalog


@transaction.atomic
def catalog_update(
    *,
    catalog: Catalog,
    name: str,
    description: str,
    position: int | None = None,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Catalog:
    catalog.name = name
    catalog.description = description
    if position is not None:
        catalog.position = position
    catalog.full_clean()
    catalog.save()
    menu_changed(stores=stores_selling_catalog(catalog), trigger=trigger, user=user)
    return catalog


@transaction.atomic
def catalog_delete(
    *, catalog: Catalog, user: AbstractBaseUser | None = None, trigger: str = Trigger.EDITOR
) -> None:
    stores = list(stores_selling_catalog(catalog))
    catalog.delete()
    menu_changed(stores=stores, trigger=trigger, user=user)


@transaction.atomic
def catalog_windows_set(
    *,
    catalog: Catalog,
    windows: Iterable[tuple[int, time, time]],
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> list[AvailabilityWindow]:
    """Replace the catalog's opening hours with `windows`: (weekday 0=Monday, start, end).

    Windows that overlap or touch are refused (`windows_check`).
    """
    windows = list(windows)
    rows = [
        AvailabilityWindow(catalog=catalog, weekday=weekday, start=start, end=end)
        for weekday, start, end in windows
    ]
    for row in rows:
        row.full_clean()
    windows_check(windows)
    catalog.windows.all().delete()
    AvailabilityWindow.objects.bulk_create(rows)
    menu_changed(stores=stores_selling_catalog(catalog), trigger=trigger, user=user)
    return rows


@transaction.atomic
def store_catalogs_set(
    *,
    store: Store,
    catalogs: Iterable[Catalog],
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> None:
    """Choose the catalogs `store` sells. An empty choice means all of the merchant's."""
    catalogs = list(catalogs)
    if any(catalog.merchant_id != store.merchant_id for catalog in catalogs):
        raise ValueError("A store can only sell its own merchant's catalogs.")
    StoreCatalog.objects.filter(store=store).delete()
    StoreCatalog.objects.bulk_create(
        [StoreCatalog(store=store, catalog=catalog) for catalog in catalogs]
    )
    menu_changed(stores=[store], trigger=trigger, user=user)


# --- sections ---------------------------------------------------------------------------------


@transaction.atomic
def section_create(
    *,
    merchant: Merchant,
    name: str,
    description: str = "",
    catalog: Catalog | None = None,
    parent: Section | None = None,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Section:
    """A top-level section of `catalog`, or a sub-section of `parent` (exactly one of them)."""
    if (catalog is None) == (parent is None):
        raise ValueError("A section belongs to a catalog or to a parent section.")
    siblings = Section.objects.filter(catalog=catalog) if parent is None else parent.children.all()
    section = Section(
        merchant=merchant,
        catalog=catalog,
        parent=parent,
        name=name,
        description=description,
        position=siblings.count(),
    )
    section.full_clean()
    section.save()
    menu_changed(stores=stores_selling_section(section), trigger=trigger, user=user)
    return section


@transaction.atomic
def section_update(
    *,
    section: Section,
    name: str,
    description: str,
    position: int | None = None,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Section:
    section.name = name
    section.description = description
    if position is not None:
        section.position = position
    section.full_clean()
    section.save()
    menu_changed(stores=stores_selling_section(section), trigger=trigger, user=user)
    return section


@transaction.atomic
def section_move(
    *,
    section: Section,
    catalog: Catalog | None = None,
    parent: Section | None = None,
    position: int = 0,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Section:
    """Make `section` a top-level section of `catalog` or a sub-section of `parent`."""
    before = list(stores_selling_section(section))
    section.catalog, section.parent, section.position = catalog, parent, position
    section.full_clean()  # refuses a parent inside the section itself
    section.save()
    menu_changed(stores=[*before, *stores_selling_section(section)], trigger=trigger, user=user)
    return section


@transaction.atomic
def section_delete(
    *, section: Section, user: AbstractBaseUser | None = None, trigger: str = Trigger.EDITOR
) -> None:
    stores = list(stores_selling_section(section))
    section.delete()
    menu_changed(stores=stores, trigger=trigger, user=user)


@transaction.atomic
def section_items_set(
    *,
    section: Section,
    items: Iterable[Item],
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> None:
    """The section's items, in this order."""
    items = distinct_in_order(items)
    if any(item.merchant_id != section.merchant_id for item in items):
        raise ValueError("A section can only hold its own merchant's items.")
    section.section_items.all().delete()
    SectionItem.objects.bulk_create(
        [SectionItem(section=section, item=item, position=i) for i, item in enumerate(items)]
    )
    menu_changed(stores=stores_selling_section(section), trigger=trigger, user=user)


# --- items --------------------------------------------------------------------------------------


@transaction.atomic
def item_create(
    *,
    merchant: Merchant,
    name: str,
    price: int,
    description: str = "",
    image: File | str | None = None,  # an upload, or the name of a file already stored
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Item:
    """A new item; `price` in minor units (cents), within `portal.money`'s bounds."""
    price_check(price)
    item = Item(merchant=merchant, name=name, description=description, price=price)
    if image is not None:
        item.image = image
    item.full_clean()
    item.save()
    menu_changed(stores=stores_selling_item(item), trigger=trigger, user=user)
    return item


@transaction.atomic
def item_update(
    *,
    item: Item,
    name: str,
    description: str,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Item:
    item.name = name
    item.description = description
    item.full_clean()
    item.save()
    menu_changed(stores=stores_selling_item(item), trigger=trigger, user=user)
    return item


@transaction.atomic
def item_image_set(
    *,
    item: Item,
    image: File | None,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Item:
    """Replace the item's picture (None removes it)."""
    item.image = image if image is not None else ""
    item.full_clean()
    item.save()
    menu_changed(stores=stores_selling_item(item), trigger=trigger, user=user)
    return item


@transaction.atomic
def item_price_set(
    *,
    item: Item,
    price: int,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Item:
    """New price in minor units (cents), within `portal.money`'s bounds (PortalError)."""
    item.price = price_check(price)
    item.save(update_fields=["price", "updated_at"])
    menu_changed(stores=stores_selling_item(item), trigger=trigger, user=user)
    return item


@transaction.atomic
def item_delete(
    *, item: Item, user: AbstractBaseUser | None = None, trigger: str = Trigger.EDITOR
) -> None:
    stores = list(stores_selling_item(item))
    item.delete()
    menu_changed(stores=stores, trigger=trigger, user=user)


@transaction.atomic
def item_groups_set(
    *,
    item: Item,
    groups: Iterable[ModifierGroup],
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> None:
    """The modifier groups offered on `item`, in this order."""
    groups = distinct_in_order(groups)
    if any(group.merchant_id != item.merchant_id for group in groups):
        raise ValueError("An item can only use its own merchant's modifier groups.")
    item.item_groups.all().delete()
    ItemModifierGroup.objects.bulk_create(
        [ItemModifierGroup(item=item, group=group, position=i) for i, group in enumerate(groups)]
    )
    menu_changed(stores=stores_selling_item(item), trigger=trigger, user=user)


# --- modifier groups ------------------------------------------------------------------------------


@transaction.atomic
def group_create(
    *,
    merchant: Merchant,
    name: str,
    min_selections: int = 0,
    max_selections: int = 1,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> ModifierGroup:
    group = ModifierGroup(
        merchant=merchant,
        name=name,
        min_selections=min_selections,
        max_selections=max_selections,
    )
    group.full_clean()
    group.save()
    menu_changed(stores=stores_for_merchant(merchant), trigger=trigger, user=user)
    return group


@transaction.atomic
def group_update(
    *,
    group: ModifierGroup,
    name: str,
    min_selections: int,
    max_selections: int,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> ModifierGroup:
    group.name = name
    group.min_selections = min_selections
    group.max_selections = max_selections
    group.full_clean()
    group.save()
    menu_changed(stores=stores_for_merchant(group.merchant_id), trigger=trigger, user=user)
    return group


@transaction.atomic
def group_delete(
    *, group: ModifierGroup, user: AbstractBaseUser | None = None, trigger: str = Trigger.EDITOR
) -> None:
    stores = list(stores_for_merchant(group.merchant_id))
    group.delete()
    menu_changed(stores=stores, trigger=trigger, user=user)


@transaction.atomic
def group_options_set(
    *,
    group: ModifierGroup,
    items: Iterable[Item],
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> None:
    """The group's options (items with their own prices and groups), in this order."""
    items = distinct_in_order(items)
    if any(item.merchant_id != group.merchant_id for item in items):
        raise ValueError("A modifier group can only offer its own merchant's items.")
    group.group_options.all().delete()
    ModifierOption.objects.bulk_create(
        [ModifierOption(group=group, item=item, position=i) for i, item in enumerate(items)]
    )
    menu_changed(stores=stores_for_merchant(group.merchant_id), trigger=trigger, user=user)


# --- opening hours ----------------------------------------------------------------------------


def windows_check(windows: Iterable[tuple[int, time, time]]) -> None:
    """Refuse opening hours whose windows overlap or touch (Mon 10–14 and Mon 12–16, or
    Mon 10–14 and Mon 14–16): write them as one window instead. PortalError on "windows".

    End 00:00 is the end of the day; a window whose start is after its end runs past midnight.
    Days that meet at midnight do not touch: a window cannot run past a day's end except by
    crossing midnight, so 24/7 is seven whole days (as Gett writes it) and Fri 22:00–24:00 with
    Sat 00:00–02:00 is a night out.
    """
    intervals = []
    for weekday, start, end in windows:
        label = (
            f"{WEEKDAYS[weekday]} {start:%H:%M}–{'24:00' if end == MIDNIGHT else f'{end:%H:%M}'}"
        )
        intervals += [(b, f, label) for b, f in window_stretches(weekday, start, end)]
    intervals.sort()
    for (_, first_end, first), (second_begin, _, second) in zip(
        intervals, intervals[1:], strict=False
    ):
        if second_begin == first_end and first_end % DAY == 0:
            continue  # one day's end is the next day's start
        if second_begin <= first_end and first != second:
            raise PortalError(
                f"{first} and {second} overlap or touch. Make them one window, e.g. from the "
                "first opening to the last closing.",
                field="windows",
            )
        if second_begin <= first_end:
            raise PortalError(f"{first} is there twice.", field="windows")


# --- helpers ------------------------------------------------------------------------------------


def reordered(objects: list, index: int, direction: str) -> list:
    """`objects` with the one at `index` moved one place "up" or "down" (unchanged at an end)."""
    if direction not in ("up", "down"):
        raise ValueError(f"Unknown direction {direction!r}.")
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(objects):
        return objects
    moved = list(objects)
    moved[index], moved[target] = moved[target], moved[index]
    return moved


def distinct_in_order(objects: Iterable) -> list:
    """In order, each object once (a repeat would break the unique constraints)."""
    seen: set[int] = set()
    out = []
    for obj in objects:
        if obj.pk not in seen:
            seen.add(obj.pk)
            out.append(obj)
    return out
