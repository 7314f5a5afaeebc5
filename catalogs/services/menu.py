"""Writing the menu: small services for the editor, the API, imports and the admin.

Each one takes the `trigger` (and user) to record on the publish it causes, and calls
`menu_changed` for the stores whose menu it may change. The editor writes at the end combine
several of them in one transaction (an item with its sections and groups, a reorder, a bulk
price change); `price_after_change` is the pure price arithmetic behind the bulk change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from catalogs.models import (
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
from catalogs.selectors import (
    group_options_list,
    item_groups_list,
    section_items_list,
    store_catalog_ids_get,
)
from catalogs.services.publishing import (
    menu_changed,
    stores_for_merchant,
    stores_selling_catalog,
    stores_selling_item,
    stores_selling_section,
)
from stores.models import Merchant, Store

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
    """Replace the catalog's opening hours with `windows`: (weekday 0=Monday, start, end)."""
    rows = [
        AvailabilityWindow(catalog=catalog, weekday=weekday, start=start, end=end)
        for weekday, start, end in windows
    ]
    for row in rows:
        row.full_clean()
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
    siblings = Section.objects.filter(catalog=catalog) if catalog else parent.children.all()
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
    items = _distinct(items)
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
    image: File | None = None,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Item:
    """A new item; `price` in minor units (cents)."""
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
    """New price in minor units (cents)."""
    if price < 0:
        raise ValueError("A price cannot be negative.")
    item.price = price
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
    groups = _distinct(groups)
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
    items = _distinct(items)
    if any(item.merchant_id != group.merchant_id for item in items):
        raise ValueError("A modifier group can only offer its own merchant's items.")
    group.group_options.all().delete()
    ModifierOption.objects.bulk_create(
        [ModifierOption(group=group, item=item, position=i) for i, item in enumerate(items)]
    )
    menu_changed(stores=stores_for_merchant(group.merchant_id), trigger=trigger, user=user)


# --- editor writes (several of the services above, one transaction each) -------------------------


@transaction.atomic
def catalog_save(
    *,
    merchant: Merchant,
    catalog: Catalog | None,
    name: str,
    description: str,
    windows: Iterable[tuple[int, time, time]],
    stores: Iterable[Store],
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Catalog:
    """Create (`catalog` None) or update a catalog with its opening hours and selling stores."""
    if catalog is None:
        catalog = catalog_create(
            merchant=merchant, name=name, description=description, user=user, trigger=trigger
        )
    else:
        catalog = catalog_update(
            catalog=catalog, name=name, description=description, user=user, trigger=trigger
        )
    catalog_windows_set(catalog=catalog, windows=windows, user=user, trigger=trigger)
    catalog_stores_set(catalog=catalog, stores=stores, user=user, trigger=trigger)
    return catalog


@transaction.atomic
def catalog_stores_set(
    *,
    catalog: Catalog,
    stores: Iterable[Store],
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Catalog:
    """Make exactly `stores` sell `catalog`, leaving their other catalogs alone.

    A store without choices sells every catalog; a store that ends up selling every catalog
    goes back to "no choices" (so it also sells catalogs added later). A store cannot stop
    selling its only catalog (ValidationError on "stores").
    """
    by_pk = {c.pk: c for c in Catalog.objects.filter(merchant_id=catalog.merchant_id)}
    all_ids = set(by_pk)
    chosen = store_catalog_ids_get(merchant_id=catalog.merchant_id)
    wanted_pks = {store.pk for store in stores}
    for store in Store.objects.filter(merchant_id=catalog.merchant_id).order_by("name"):
        current = chosen[store.pk] or set(all_ids)
        if (catalog.pk in current) == (store.pk in wanted_pks):
            continue
        new = current | {catalog.pk} if store.pk in wanted_pks else current - {catalog.pk}
        if not new:
            raise ValidationError(
                {
                    "stores": f"{store.name} sells only this catalog, so it must keep selling it. "
                    "To stop a store's orders, pause the store instead."
                }
            )
        sold = [] if new == all_ids else [by_pk[pk] for pk in sorted(new)]
        store_catalogs_set(store=store, catalogs=sold, user=user, trigger=trigger)
    return catalog


@transaction.atomic
def catalog_reorder(
    *,
    catalog: Catalog,
    direction: str,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Catalog:
    """Move `catalog` one place "up" or "down" among the merchant's catalogs (no-op at an end)."""
    siblings = list(
        Catalog.objects.select_for_update()
        .filter(merchant_id=catalog.merchant_id)
        .order_by("position", "id")
    )
    index = next(i for i, other in enumerate(siblings) if other.pk == catalog.pk)
    for position, other in enumerate(reordered(siblings, index, direction)):
        if other.position != position:
            catalog_update(
                catalog=other,
                name=other.name,
                description=other.description,
                position=position,
                user=user,
                trigger=trigger,
            )
    return catalog


@transaction.atomic
def section_save(
    *,
    merchant: Merchant,
    section: Section | None,
    name: str,
    description: str,
    catalog: Catalog | None = None,
    parent: Section | None = None,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Section:
    """Create or update a section in `catalog` or under `parent`; a moved one goes last there."""
    if (catalog is None) == (parent is None):
        raise ValueError("A section belongs to a catalog or to a parent section.")
    if section is None:
        return section_create(
            merchant=merchant,
            name=name,
            description=description,
            catalog=catalog,
            parent=parent,
            user=user,
            trigger=trigger,
        )
    section = section_update(
        section=section, name=name, description=description, user=user, trigger=trigger
    )
    if (section.catalog_id, section.parent_id) != (
        catalog.pk if catalog else None,
        parent.pk if parent else None,
    ):
        siblings = Section.objects.filter(catalog=catalog) if catalog else parent.children.all()
        section_move(
            section=section,
            catalog=catalog,
            parent=parent,
            position=siblings.exclude(pk=section.pk).count(),
            user=user,
            trigger=trigger,
        )
    return section


@transaction.atomic
def section_reorder(
    *,
    section: Section,
    direction: str,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Section:
    """Move `section` one place "up" or "down" among its siblings (no-op at an end)."""
    siblings = Section.objects.select_for_update().filter(merchant_id=section.merchant_id)
    siblings = (
        siblings.filter(catalog_id=section.catalog_id)
        if section.catalog_id
        else siblings.filter(parent_id=section.parent_id)
    )
    siblings = list(siblings.order_by("position", "id"))
    index = next(i for i, other in enumerate(siblings) if other.pk == section.pk)
    for position, other in enumerate(reordered(siblings, index, direction)):
        if other.position != position:
            section_update(
                section=other,
                name=other.name,
                description=other.description,
                position=position,
                user=user,
                trigger=trigger,
            )
    return section


@transaction.atomic
def item_save(
    *,
    merchant: Merchant,
    item: Item | None,
    name: str,
    description: str,
    price: int,
    sections: Iterable[Section],
    groups: Iterable[ModifierGroup],
    image: File | None = None,
    remove_image: bool = False,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Item:
    """Create or update an item with its sections (new ones at the end) and groups (in order).

    `image` replaces the picture; `remove_image` (without `image`) removes it.
    """
    if item is None:
        item = item_create(
            merchant=merchant,
            name=name,
            description=description,
            price=price,
            image=image or None,
            user=user,
            trigger=trigger,
        )
    else:
        item = item_update(
            item=item, name=name, description=description, user=user, trigger=trigger
        )
        if price != item.price:
            item_price_set(item=item, price=price, user=user, trigger=trigger)
        if image:
            item_image_set(item=item, image=image, user=user, trigger=trigger)
        elif remove_image and item.image:
            item_image_set(item=item, image=None, user=user, trigger=trigger)

    wanted = {section.pk: section for section in sections}
    current = set(SectionItem.objects.filter(item=item).values_list("section_id", flat=True))
    for section in Section.objects.filter(pk__in=current ^ set(wanted)).order_by("pk"):
        items = section_items_list(section=section)
        if section.pk in wanted:
            items.append(item)  # new in this section: at the end
        else:
            items = [other for other in items if other.pk != item.pk]
        section_items_set(section=section, items=items, user=user, trigger=trigger)

    groups = list(groups)
    before = item_groups_list(item=item)
    kept = [group for group in before if group in groups]
    added = [group for group in groups if group not in kept]
    if [g.pk for g in kept + added] != [g.pk for g in before]:
        item_groups_set(item=item, groups=kept + added, user=user, trigger=trigger)
    return item


@transaction.atomic
def item_duplicate(
    *, item: Item, user: AbstractBaseUser | None = None, trigger: str = Trigger.EDITOR
) -> Item:
    """ "Copy of …" with the same price, picture, description, groups and sections.

    The copy sits right after the original in each of its sections.
    """
    copy = item_create(
        merchant=item.merchant,
        name=f"Copy of {item.name}"[:200],
        description=item.description,
        price=item.price,
        # The same stored file (a name, not a new upload); deleting an item keeps its file.
        image=item.image.name or None,
        user=user,
        trigger=trigger,
    )
    groups = item_groups_list(item=item)
    if groups:
        item_groups_set(item=copy, groups=groups, user=user, trigger=trigger)
    for section in Section.objects.filter(section_items__item=item).order_by("pk"):
        items = section_items_list(section=section)
        at = next(i for i, other in enumerate(items) if other.pk == item.pk)
        items.insert(at + 1, copy)
        section_items_set(section=section, items=items, user=user, trigger=trigger)
    return copy


@transaction.atomic
def group_option_create(
    *,
    group: ModifierGroup,
    name: str,
    price: int,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> Item:
    """A new item (`price` in minor units), added as the group's last option."""
    item = item_create(merchant=group.merchant, name=name, price=price, user=user, trigger=trigger)
    group_options_set(
        group=group, items=[*group_options_list(group=group), item], user=user, trigger=trigger
    )
    return item


# --- bulk price change --------------------------------------------------------------------------

PRICE_CHANGES = ("increase_percent", "decrease_percent", "increase_amount", "decrease_amount")


def price_after_change(*, price: int, change: str, value: Decimal, digits: int) -> int:
    """`price` (minor units) after a change from `PRICE_CHANGES` by `value`.

    `value` is a percentage (10 for 10 %) or an amount in major units with `digits` decimal
    places. The result is rounded half up to the minor unit and may be negative.
    """
    if change not in PRICE_CHANGES:
        raise ValueError(f"Unknown price change {change!r}.")
    sign = 1 if change.startswith("increase") else -1
    if change.endswith("_percent"):
        factor = (Decimal(100) + sign * value) / Decimal(100)
        return int((Decimal(price) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    amount = int(value.scaleb(digits).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return price + sign * amount


@transaction.atomic
def prices_bulk_change(
    *,
    items: Iterable[Item],
    change: str,
    value: Decimal,
    digits: int,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> list[Item]:
    """Apply `price_after_change` to each item, all or none; returns the items that changed.

    Refuses (ValidationError, nothing changed) when any price would go below zero. The publish
    debounce makes the whole change one publish per store.
    """
    new_prices = [
        (item, price_after_change(price=item.price, change=change, value=value, digits=digits))
        for item in items
    ]
    below_zero = [item for item, new in new_prices if new < 0]
    if below_zero:
        names = ", ".join(item.name for item in below_zero)
        raise ValidationError(f"Prices cannot go below zero: {names}.")
    changed = []
    for item, new in new_prices:
        if new != item.price:
            item_price_set(item=item, price=new, user=user, trigger=trigger)
            changed.append(item)
    return changed


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


def _distinct(objects: Iterable) -> list:
    """In order, each object once (a repeat would break the unique constraints)."""
    seen: set[int] = set()
    out = []
    for obj in objects:
        if obj.pk not in seen:
            seen.add(obj.pk)
            out.append(obj)
    return out
