"""The editor's writes: several menu services in one transaction (an item with its sections
and groups, a reorder, the stores that sell a catalog), and the bulk price change by filter
(`prices_bulk_plan` to preview it, `prices_bulk_change_by_filter` to apply it): its arithmetic
is `price_change_expression`, in SQL, so neither ever loads the items.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction
from django.db.models import BigIntegerField, Count, ExpressionWrapper, F, Max, Q, Sum, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast
from django.utils import timezone

from catalogs.models import (
    Catalog,
    Item,
    ModifierGroup,
    Section,
    SectionItem,
    Trigger,
)
from catalogs.publishing.services import menu_changed, stores_for_merchant
from catalogs.selectors import (
    ItemFilter,
    group_options_list,
    item_groups_list,
    items_filtered,
    section_items_list,
    store_catalog_ids_get,
)
from catalogs.services import (
    catalog_create,
    catalog_update,
    catalog_windows_set,
    group_options_set,
    item_create,
    item_groups_set,
    item_image_set,
    item_price_set,
    item_update,
    reordered,
    section_create,
    section_items_set,
    section_move,
    section_update,
    store_catalogs_set,
)
from portal.exceptions import PortalError
from portal.money import MAX_PRICE_MINOR
from stores.models import Merchant, Store

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
    selling its only catalog (PortalError on "stores").
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
            raise PortalError(
                f"{store.name} sells only this catalog, so it must keep selling it. "
                "To stop a store's orders, pause the store instead.",
                field="stores",
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
        if catalog:
            siblings = Section.objects.filter(catalog=catalog)
        else:
            assert parent is not None  # a section is in a catalog or in a parent section
            siblings = parent.children.all()
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
    rows = Section.objects.select_for_update().filter(merchant_id=section.merchant_id)
    rows = (
        rows.filter(catalog_id=section.catalog_id)
        if section.catalog_id
        else rows.filter(parent_id=section.parent_id)
    )
    siblings = list(rows.order_by("position", "id"))
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


def price_change_expression(*, change: str, value: Decimal, digits: int) -> Combinable:
    """The new price, as a database expression over `price` (minor units), after a change from
    `PRICE_CHANGES` by `value`: a percentage (10 for 10 %) or an amount in major units with
    `digits` decimal places. Integer arithmetic, rounded half away from zero to the minor unit
    (like `ROUND_HALF_UP`); the result may be negative. A change by filter is one UPDATE."""
    if change not in PRICE_CHANGES:
        raise ValueError(f"Unknown price change {change!r}.")
    sign = 1 if change.startswith("increase") else -1
    # 64-bit arithmetic: prices are 32-bit columns on PostgreSQL, price * numerator is not.
    price = Cast(F("price"), BigIntegerField())
    if not change.endswith("_percent"):
        amount = int(value.scaleb(digits).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return ExpressionWrapper(price + Value(sign * amount), output_field=BigIntegerField())
    # price * (100 + sign * value) / 100 with value = n / 10**k: price * numerator / denominator.
    exponent = value.normalize().as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    scale = 10**places
    numerator = 100 * scale + sign * int(value.scaleb(places))
    denominator = 100 * scale
    half = denominator // 2
    # Integer division truncates toward zero in SQL: round the magnitude, then put the sign back.
    if numerator >= 0:
        rounded = (price * Value(numerator) + Value(half)) / Value(denominator)
    else:
        rounded = -((price * Value(-numerator) + Value(half)) / Value(denominator))
    return ExpressionWrapper(rounded, output_field=BigIntegerField())


@dataclass
class BulkPricePlan:
    """What a bulk change by filter would do, read in the database (a fixed number of queries).

    `sample`: the first items (in the filter's order), each with `new_price`; `below_zero` and
    `too_high`: how many would leave `portal.money`'s bounds, with the first few names;
    `fingerprint`: the items' current prices and the change, to notice anything different
    between a preview and applying it.
    """

    count: int
    changing: int
    sample: list[Item]
    below_zero: int
    below_zero_names: list[str]
    too_high: int
    too_high_names: list[str]
    fingerprint: str

    @property
    def refused(self) -> bool:
        return bool(self.below_zero or self.too_high)


def prices_bulk_plan(
    *,
    merchant: Merchant,
    item_filter: ItemFilter,
    change: str,
    value: Decimal,
    digits: int,
    sample_size: int = 20,
) -> BulkPricePlan:
    """Preview a change of the prices of the items `item_filter` means (nothing is written)."""
    items = items_filtered(merchant=merchant, item_filter=item_filter)
    new = price_change_expression(change=change, value=value, digits=digits)
    priced = items.annotate(new_price=new)
    # One pass over the items for every count.
    totals = priced.order_by().aggregate(
        count=Count("id"),
        total=Sum("price"),
        latest=Max("updated_at"),
        changing=Count("id", filter=~Q(new_price=F("price"))),
        below=Count("id", filter=Q(new_price__lt=0)),
        high=Count("id", filter=Q(new_price__gt=MAX_PRICE_MINOR)),
    )
    changing, below_count, high_count = totals["changing"], totals["below"], totals["high"]
    below = priced.filter(new_price__lt=0)
    high = priced.filter(new_price__gt=MAX_PRICE_MINOR)
    text = (
        f"{merchant.pk}|{totals['count']}|{totals['total']}|{totals['latest']}|"
        f"{change}|{value.normalize()}|{_filter_key(item_filter)}"
    )
    return BulkPricePlan(
        count=totals["count"],
        changing=changing,
        sample=list(priced[:sample_size]),
        below_zero=below_count,
        below_zero_names=list(below.values_list("name", flat=True)[:10]) if below_count else [],
        too_high=high_count,
        too_high_names=list(high.values_list("name", flat=True)[:10]) if high_count else [],
        fingerprint=hashlib.sha256(text.encode()).hexdigest()[:32],
    )


class PricesChangedSincePreview(PortalError):
    """The items' prices (or which items match) changed between the preview and applying it."""


@transaction.atomic
def prices_bulk_change_by_filter(
    *,
    merchant: Merchant,
    item_filter: ItemFilter,
    change: str,
    value: Decimal,
    digits: int,
    fingerprint: str | None = None,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.EDITOR,
) -> int:
    """Change the prices of every item `item_filter` means in one UPDATE, all or none; returns
    how many prices changed. One publish (debounced) per store of the merchant.

    Refuses (PortalError, nothing changed) when any price would go below zero or above
    `portal.money.MAX_PRICE_MINOR`, and (PricesChangedSincePreview) when `fingerprint` is given
    and the items are no longer those of the preview.
    """
    if item_filter.is_empty:
        raise PortalError("Choose which items to change: a section, a search or some items.")
    plan = prices_bulk_plan(
        merchant=merchant,
        item_filter=item_filter,
        change=change,
        value=value,
        digits=digits,
        sample_size=0,
    )
    if fingerprint is not None and fingerprint != plan.fingerprint:
        raise PricesChangedSincePreview(
            "The prices or the items differ from the preview you saw. Check this preview and "
            "apply again."
        )
    if plan.below_zero:
        raise PortalError(
            f"Prices cannot go below zero: {_names(plan.below_zero_names, plan.below_zero)}."
        )
    if plan.too_high:
        raise PortalError(
            "Prices cannot go above the highest price we accept: "
            f"{_names(plan.too_high_names, plan.too_high)}."
        )
    new = price_change_expression(change=change, value=value, digits=digits)
    changed = (
        items_filtered(merchant=merchant, item_filter=item_filter)
        .exclude(price=new)
        .update(price=new, updated_at=timezone.now())
    )
    if changed:
        menu_changed(stores=stores_for_merchant(merchant), trigger=trigger, user=user)
    return changed


def _filter_key(item_filter: ItemFilter) -> str:
    section = item_filter.section.pk if item_filter.section is not None else ""
    ids = ",".join(sorted(str(public_id) for public_id in item_filter.ids))
    return f"{item_filter.q}|{section}|{item_filter.unlisted}|{item_filter.state}|{ids}"


def _names(names: list[str], count: int) -> str:
    more = f" and {count - len(names)} more" if count > len(names) else ""
    return ", ".join(names) + more
