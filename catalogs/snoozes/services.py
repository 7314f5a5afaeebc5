"""Items off sale in one store ("86'd"): until a time, until the store next opens, or until
turned back on. Each change republishes the store's menu; a beat task ends snoozes on time.

The rules of a snooze's end live here, for every door (the sold-out page, the API): it is
parseable, in the future and at most `SNOOZE_MAX_DAYS` ahead. A refusal is a `PortalError` on
the field "until".
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from catalogs.hours import weekly_openings
from catalogs.models import AvailabilityWindow, Catalog, Item, ItemSnooze, Trigger
from catalogs.publishing.services import menu_changed, user_or_none
from portal.exceptions import PortalError
from stores.models import Store

logger = logging.getLogger(__name__)


# --- snoozing items ---------------------------------------------------------------------------

SNOOZE_PRESETS = {
    "next_opening": "Until the store next opens",
    "at": "Until a time I choose",
    "manual": "Until I turn it back on",
}
# "Until a time" is for the rest of a shift or a delivery that is late, not for months.
SNOOZE_MAX_DAYS = 30
_AT_TIME_FORMATS = ("%H:%M", "%H:%M:%S")
_AT_DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


def snooze_until_parse(
    *, store: Store, until: str, at: str = "", now: datetime | None = None
) -> datetime | None:
    """The end of a snooze as people choose it; None: until turned back on.

    `until` is one of `SNOOZE_PRESETS`; for "at", `at` is a time of day ("17:30": its next
    occurrence) or an ISO 8601 date-time, read in the store's time zone without an offset.
    """
    now = now or timezone.now()
    if until in ("next_opening", "manual"):
        return snooze_until_for_preset(store=store, preset=until, now=now)
    if until != "at":
        raise PortalError("Choose until when the item is sold out.", field="until")
    moment = _moment_parse(at, store=store, now=now)
    return snooze_until_for_preset(store=store, preset="at", at=moment, now=now)


def _moment_parse(raw: str, *, store: Store, now: datetime) -> datetime:
    raw = (raw or "").strip()
    if not raw:
        raise PortalError("Choose when the item comes back, e.g. 17:30.", field="until")
    tz = store.tzinfo
    local_now = now.astimezone(tz)
    for fmt in _AT_TIME_FORMATS:
        try:
            at_time = datetime.strptime(raw, fmt).time()
        except ValueError:
            continue
        today = datetime.combine(local_now.date(), at_time, tzinfo=tz)
        if today > local_now:
            return today
        return datetime.combine(local_now.date() + timedelta(days=1), at_time, tzinfo=tz)
    candidates = []
    for fmt in _AT_DATETIME_FORMATS:
        try:
            candidates.append(datetime.strptime(raw, fmt))
        except ValueError:
            continue
    try:
        candidates.append(datetime.fromisoformat(raw.replace("Z", "+00:00")))
    except ValueError:
        pass
    for moment in candidates:
        moment = moment if moment.tzinfo else moment.replace(tzinfo=tz)
        try:
            moment.astimezone(UTC)  # year 1 or 9999 may not exist in UTC
        except (ValueError, OverflowError):
            continue
        return moment
    raise PortalError(
        f"“{raw[:20]}” is not a time. Enter a time like 17:30 or an ISO 8601 date-time.",
        field="until",
    )


def snooze_until_for_preset(
    *, store: Store, preset: str, at: datetime | None = None, now: datetime | None = None
) -> datetime | None:
    """Turn a snooze choice into the time the item comes back (None: by hand)."""
    if preset == "manual":
        return None
    if preset == "next_opening":
        until = snooze_until_next_opening(store=store, now=now)
        if until is None:
            raise PortalError("This store never closes; choose a time instead.", field="until")
        return until
    if preset == "at":
        if at is None:
            raise PortalError("Choose when the item comes back.", field="until")
        at = at.replace(tzinfo=store.tzinfo) if timezone.is_naive(at) else at
        snooze_until_check(at, now=now)
        return at
    raise PortalError(f"Unknown snooze choice “{preset}”.", field="until")


def snooze_until_check(until: datetime, *, now: datetime | None = None) -> datetime:
    """A snooze ends in the future and at most `SNOOZE_MAX_DAYS` ahead."""
    now = now or timezone.now()
    if timezone.is_naive(until):
        raise PortalError("The snooze end needs a time zone.", field="until")
    if until <= now:
        raise PortalError("The snooze must end in the future.", field="until")
    if until > now + timedelta(days=SNOOZE_MAX_DAYS):
        raise PortalError(
            f"Choose a time within the next {SNOOZE_MAX_DAYS} days, or “Until turned back on”.",
            field="until",
        )
    return until


@transaction.atomic
def item_snooze(
    *,
    store: Store,
    item: Item,
    until: datetime | None,
    user: User | None = None,
    trigger: str = Trigger.SNOOZE,
) -> ItemSnooze:
    """Take `item` off sale in `store` until `until` (None: until turned back on)."""
    if item.merchant_id != store.merchant_id:
        raise PortalError("No such item on this store's menu.", field="item")
    now = timezone.now()
    if until is not None:
        snooze_until_check(until, now=now)
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
    user: User | None = None,
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


def snooze_until_next_opening(*, store: Store, now: datetime | None = None) -> datetime | None:
    """When the store next opens (goes from closed to open), in its own time zone.

    Opening hours are the windows of the catalogs the store sells, merged: a window that starts
    while another is open (lunch 11–15, then afternoon 15–18) is not an opening. None if the
    store has no hours or never closes.
    """
    windows = AvailabilityWindow.objects.filter(catalog__in=Catalog.objects.sold_by(store))
    openings = weekly_openings(windows.values_list("weekday", "start", "end"))
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
