from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings

from catalogs.models import ItemSnooze, Trigger
from catalogs.publishing.builder import catalog_build
from catalogs.publishing.services import publish_debounce_release
from catalogs.snoozes.services import (
    item_snooze,
    item_unsnooze,
    snooze_until_for_preset,
    snooze_until_next_opening,
    snooze_until_parse,
    snoozes_expire,
)
from catalogs.tasks import snoozes_expire_task
from portal.exceptions import PortalError
from tests.catalogs.menus import pid
from tests.factories import (
    AvailabilityWindowFactory,
    CatalogFactory,
    ItemFactory,
    StoreCatalogFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


def _weekday_hours(store, *windows):
    catalog = CatalogFactory(merchant=store.merchant)
    for weekday, start, end in windows:
        AvailabilityWindowFactory(catalog=catalog, weekday=weekday, start=start, end=end)
    return catalog


def test_snooze_until_a_time_ends_on_its_own(
    store, menu, publishes, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            item_snooze(store=store, item=menu.cola, until=datetime(2026, 3, 2, 13, 0, tzinfo=UTC))
        assert pid(menu.cola) not in catalog_build(store=store)["items"]
    assert [call[:2] for call in publishes] == [(store.pk, Trigger.SNOOZE)]
    publishes.clear()
    publish_debounce_release(store_id=store.pk)  # the scheduled publish ran

    with time_machine.travel(datetime(2026, 3, 2, 12, 59, 59, tzinfo=UTC), tick=False):
        assert snoozes_expire_task() == 0
    with time_machine.travel(datetime(2026, 3, 2, 13, 0, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert snoozes_expire_task() == 1
        assert pid(menu.cola) in catalog_build(store=store)["items"]

    assert not ItemSnooze.objects.exists()
    assert [call[:2] for call in publishes] == [(store.pk, Trigger.SNOOZE_EXPIRY)]


def test_snooze_until_next_opening_crosses_the_weekend_in_the_store_time_zone():
    store = StoreFactory(timezone="America/New_York")
    _weekday_hours(store, *[(day, time(11), time(22)) for day in range(5)])  # Monday-Friday
    item = ItemFactory(merchant=store.merchant)
    # Friday 23:30 in New York is already Saturday in UTC; clocks go forward on Sunday 8 March.
    friday_night = datetime(2026, 3, 6, 23, 30, tzinfo=NEW_YORK)

    with time_machine.travel(friday_night, tick=False):
        until = snooze_until_for_preset(store=store, preset="next_opening")
        item_snooze(store=store, item=item, until=until)

    assert until == datetime(2026, 3, 9, 11, 0, tzinfo=NEW_YORK)
    assert until.astimezone(UTC) == datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 3, 9, 14, 59, tzinfo=UTC), tick=False):
        assert snoozes_expire() == 0
    with time_machine.travel(datetime(2026, 3, 9, 15, 0, tzinfo=UTC), tick=False):
        assert snoozes_expire() == 1


def test_indefinite_snooze_never_expires(store, menu):
    item_snooze(store=store, item=menu.fries, until=None)

    with time_machine.travel(datetime(2030, 1, 1, tzinfo=UTC)):
        assert snoozes_expire() == 0
    assert ItemSnooze.objects.get().until is None
    assert pid(menu.fries) not in catalog_build(store=store)["items"]


def test_unsnooze_puts_the_item_back(store, menu, publishes, django_capture_on_commit_callbacks):
    user = UserFactory()
    item_snooze(store=store, item=menu.fries, until=None, user=user)

    with django_capture_on_commit_callbacks(execute=True):
        assert item_unsnooze(store=store, item=menu.fries, user=user) is True

    assert pid(menu.fries) in catalog_build(store=store)["items"]
    assert publishes == [(store.pk, Trigger.UNSNOOZE, user.pk, 2.0)]
    assert item_unsnooze(store=store, item=menu.fries) is False


def test_snoozing_again_replaces_the_end(store, menu):
    user = UserFactory()
    item_snooze(store=store, item=menu.cola, until=None)
    later = datetime.now(UTC) + timedelta(hours=2)

    snooze = item_snooze(store=store, item=menu.cola, until=later, user=user)

    assert ItemSnooze.objects.get() == snooze
    assert (snooze.until, snooze.created_by) == (later, user)


def test_snooze_must_end_in_the_future_and_stay_within_the_merchant(store, menu):
    with pytest.raises(PortalError, match="future") as caught:
        item_snooze(store=store, item=menu.cola, until=datetime.now(UTC) - timedelta(minutes=1))
    assert caught.value.field == "until"
    with pytest.raises(PortalError, match="menu"):
        item_snooze(store=store, item=ItemFactory(), until=None)


def test_a_snooze_ends_within_30_days_whatever_the_door(store, menu):
    with pytest.raises(PortalError, match="30 days") as caught:
        item_snooze(store=store, item=menu.cola, until=datetime.now(UTC) + timedelta(days=31))

    assert caught.value.field == "until"
    assert not ItemSnooze.objects.exists()


@pytest.mark.parametrize(
    "text", ["9999-12-31T23:59:59", "0001-01-01T00:00:00", "tomorrow", "2030-13-45T99:99:99Z", ""]
)
def test_an_unparseable_or_out_of_range_snooze_end_is_refused(store, text):
    with pytest.raises(PortalError) as caught:
        snooze_until_parse(store=store, until="at", at=text)

    assert caught.value.field == "until"


def test_snooze_ends_parse_as_presets_times_of_day_or_iso_date_times(store):
    now = datetime(2030, 1, 2, 15, 0, tzinfo=UTC)

    assert snooze_until_parse(store=store, until="manual", now=now) is None
    assert snooze_until_parse(store=store, until="at", at="17:30", now=now) == datetime(
        2030, 1, 2, 17, 30, tzinfo=store.tzinfo
    )
    assert snooze_until_parse(
        store=store, until="at", at="2030-01-03T10:00:00+00:00", now=now
    ) == datetime(2030, 1, 3, 10, 0, tzinfo=UTC)
    with pytest.raises(PortalError, match="Choose until when"):
        snooze_until_parse(store=store, until="tomorrow", now=now)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Before lunch: lunch. During lunch: the next opening is dinner, not the afternoon
        # window that follows lunch without a break.
        (datetime(2026, 3, 2, 9, 0), datetime(2026, 3, 2, 11, 0)),
        (datetime(2026, 3, 2, 12, 0), datetime(2026, 3, 2, 19, 0)),
        # Sunday late night runs into Monday 02:00; Monday 00:00 is not an opening.
        (datetime(2026, 3, 1, 23, 0), datetime(2026, 3, 2, 11, 0)),
    ],
)
def test_next_opening_skips_windows_that_continue_an_open_period(now, expected):
    store = StoreFactory(timezone="Europe/London")
    _weekday_hours(
        store,
        (0, time(11), time(15)),
        (0, time(15), time(17)),
        (0, time(19), time(23)),
        (6, time(22), time(2)),
    )
    london = ZoneInfo("Europe/London")

    until = snooze_until_next_opening(store=store, now=now.replace(tzinfo=london))

    assert until == expected.replace(tzinfo=london)


def test_next_opening_uses_only_catalogs_the_store_sells():
    store = StoreFactory(timezone="UTC")
    _weekday_hours(store, (0, time(7), time(11)))
    dinner = _weekday_hours(store, (0, time(18), time(22)))
    StoreCatalogFactory(store=store, catalog=dinner)

    until = snooze_until_next_opening(store=store, now=datetime(2026, 3, 2, 6, 0, tzinfo=UTC))

    assert until == datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


def test_store_open_around_the_clock_or_never_has_no_next_opening(store):
    assert snooze_until_next_opening(store=store) is None
    _weekday_hours(store, *[(day, time(0), time(0)) for day in range(7)])
    assert snooze_until_next_opening(store=store) is None
    with pytest.raises(PortalError, match="never closes"):
        snooze_until_for_preset(store=store, preset="next_opening")


def test_snooze_presets(store):
    assert snooze_until_for_preset(store=store, preset="manual") is None
    naive = datetime(2026, 3, 2, 18, 0)
    now = datetime(2026, 3, 2, 12, 0, tzinfo=store.tzinfo)
    assert snooze_until_for_preset(store=store, preset="at", at=naive, now=now) == naive.replace(
        tzinfo=store.tzinfo
    )
    with pytest.raises(PortalError):
        snooze_until_for_preset(store=store, preset="tomorrow")


def test_snooze_expiry_runs_on_the_beat():
    entry = django_settings.CELERY_BEAT_SCHEDULE["catalogs-snoozes-expire"]
    assert entry["task"] == snoozes_expire_task.name
    assert entry["schedule"] == 60.0
