"""Items off sale in one store ("86'd"): until a time, until the store next opens, or until
turned back on. Each change republishes the store's menu; a beat task ends snoozes on time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from catalogs.models import MIDNIGHT, AvailabilityWindow, Catalog, Item, ItemSnooze, Trigger
from catalogs.publishing.services import menu_changed, user_or_none
from stores.models import Store

logger = logging.getLogger(__name__)


# --- snoozing items ---------------------------------------------------------------------------

SNOOZE_PRESETS = {
    "next_opening": "Until the store next opens",
    "at": "Until a time I choose",
    "manual": "Until I turn it back on",
}


def snooze_until_for_preset(
    *, store: Store, preset: str, at: datetime | None = None, now: datetime | None = None
) -> datetime | None:
    """Turn a snooze choice into the time the item comes back (None: by hand)."""
    if preset == "manual":
        return None
    if preset == "next_opening":
        until = snooze_until_next_opening(store=store, now=now)
        if until is None:
            raise ValueError("This store never closes; choose a time instead.")
        return until
    if preset == "at":
        if at is None:
            raise ValueError("Choose when the item comes back.")
        return at.replace(tzinfo=store.tzinfo) if timezone.is_naive(at) else at
    raise ValueError(f"Unknown snooze choice “{preset}”.")


@transaction.atomic
def item_snooze(
    *,
    store: Store,
    item: Item,
    until: datetime | None,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.SNOOZE,
) -> ItemSnooze:
    """Take `item` off sale in `store` until `until` (None: until turned back on)."""
    if item.merchant_id != store.merchant_id:
        raise ValueError("This item is not on this store's menu.")
    now = timezone.now()
    if until is not None:
        if timezone.is_naive(until):
            raise ValueError("The snooze end needs a time zone.")
        if until <= now:
            raise ValueError("The snooze must end in the future.")
    snooze, _ = ItemSnooze.objects.update_or_create(
        store=store,
        item=item,
        defaults={"until": until, "created_by": user_or_none(user), "created_at": now},
    )
    menu_changed(stores=[store], trigger=trigger, user=user)
    logger.info("item %s snoozed at store %s until %s", item.public_id, store.public_id, until)
    return snooze


@transaction.atomic
def item_unsnooze(
    *,
    store: Store,
    item: Item,
    user: AbstractBaseUser | None = None,
    trigger: str = Trigger.UNSNOOZE,
) -> bool:
    """Put `item` back on sale in `store`. False if it was not snoozed."""
    deleted, _ = ItemSnooze.objects.filter(store=store, item=item).delete()
    if deleted:
        menu_changed(stores=[store], trigger=trigger, user=user)
    return bool(deleted)


def snoozes_expire(*, now: datetime | None = None) -> int:
    """End every snooze whose time has come. Safe to run concurrently."""
    now = now or timezone.now()
    due = list(ItemSnooze.objects.expired(now).values_list("pk", "store_id"))
    if not due:
        return 0
    with transaction.atomic():
        deleted, _ = ItemSnooze.objects.filter(pk__in=[pk for pk, _ in due]).expired(now).delete()
        if deleted:  # else another run ended them (and republished)
            menu_changed(stores=[store_id for _, store_id in due], trigger=Trigger.SNOOZE_EXPIRY)
    if deleted:
        logger.info("%s item snooze(s) ended", deleted)
    return deleted


_DAY = 24 * 3600
_WEEK = 7 * _DAY


def snooze_until_next_opening(*, store: Store, now: datetime | None = None) -> datetime | None:
    """When the store next opens (goes from closed to open), in its own time zone.

    Opening hours are the windows of the catalogs the store sells, merged: a window that starts
    while another is open (lunch 11–15, then afternoon 15–18) is not an opening. None if the
    store has no hours or never closes.
    """
    windows = AvailabilityWindow.objects.filter(catalog__in=Catalog.objects.sold_by(store))
    openings = _weekly_openings(windows.values_list("weekday", "start", "end"))
    if not openings:
        return None
    tz = store.tzinfo
    local_now = (now or timezone.now()).astimezone(tz)
    for days_ahead in range(8):
        day = local_now.date() + timedelta(days=days_ahead)
        candidates = [
            datetime.combine(day, at, tzinfo=tz)
            for weekday, at in openings
            if weekday == day.weekday()
        ]
        later = [candidate for candidate in candidates if candidate > local_now]
        if later:
            return min(later)
    return None  # pragma: no cover - a weekly opening always comes within 8 days


def _weekly_openings(windows: Iterable[tuple[int, time, time]]) -> list[tuple[int, time]]:
    """(weekday, time) at which the store goes from closed to open, over a week."""

    def seconds(value: time) -> int:
        return value.hour * 3600 + value.minute * 60 + value.second

    intervals = []
    for weekday, start, end in windows:
        begin = weekday * _DAY + seconds(start)
        if end == MIDNIGHT:
            finish = (weekday + 1) * _DAY
        elif start < end:
            finish = weekday * _DAY + seconds(end)
        elif start > end:
            finish = (weekday + 1) * _DAY + seconds(end)
        else:
            continue  # empty window
        if finish > _WEEK:  # Sunday night into Monday
            intervals += [(begin, _WEEK), (0, finish - _WEEK)]
        else:
            intervals.append((begin, finish))
    merged: list[list[int]] = []
    for begin, finish in sorted(intervals):
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], finish)
        else:
            merged.append([begin, finish])
    if not merged or merged == [[0, _WEEK]]:
        return []
    starts = [begin for begin, _ in merged]
    if len(merged) > 1 and merged[0][0] == 0 and merged[-1][1] == _WEEK:
        starts = starts[1:]  # Monday 00:00 continues Sunday night
    return [
        (begin // _DAY, time(begin % _DAY // 3600, begin % 3600 // 60, begin % 60))
        for begin in starts
    ]
