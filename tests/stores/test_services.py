import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import responses
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image
from responses import matchers

from gett import outbox
from gett.models import OutboundMessage
from portal.exceptions import InvalidStateError, PortalError
from stores import services
from stores.models import Store
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

State = OutboundMessage.State

NOW = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"
GETT_STORE_ID = "bb2f4c7e-8a1d-4e3b-9f6c-5d0a7e2b1c94"


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def unconnected_store(owner):
    return StoreFactory(merchant=owner.merchant, gett_store_id=None)


def messages(store: Store) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(key=store.outbox_key).order_by("id"))


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(buffer, format="PNG")
    return buffer.getvalue()


# --- pause ------------------------------------------------------------------------------------


def test_pausing_a_store_records_why_and_until_when_and_tells_gett(
    store, now, django_capture_on_commit_callbacks, scheduled
):
    with django_capture_on_commit_callbacks(execute=True):
        paused = services.store_pause(
            store=store, reason="too_busy", resume_at=now + timedelta(minutes=90)
        )

    store.refresh_from_db()
    assert paused == store
    assert store.status == Store.Status.PAUSED
    assert store.pause_reason == "too_busy"
    assert store.paused_at == now
    assert store.resume_at == datetime(2026, 6, 1, 12, 30, tzinfo=UTC)
    [message] = messages(store)
    assert message.kind == "store.status"
    assert message.state == State.PENDING
    assert message.target_id == str(store.gett_store_id)
    assert message.payload == {
        "status": "paused",
        "reason": "too_busy",
        "resumeAt": "2026-06-01T12:30:00Z",
    }
    assert scheduled == [message.pk]


def test_the_pause_message_has_the_shape_gett_documents(store, now):
    documented = json.loads((PAYLOADS / "store-status.pause.request.json").read_text())

    services.store_pause(store=store, reason="too_busy", resume_at=now + timedelta(hours=1))

    assert messages(store)[0].payload.keys() == documented.keys()


def test_a_resume_time_in_another_zone_goes_to_gett_in_utc(store, now):
    resume_at = datetime(2026, 6, 1, 8, 0, tzinfo=ZoneInfo("America/Los_Angeles"))

    services.store_pause(store=store, reason="maintenance", resume_at=resume_at)

    assert messages(store)[0].payload["resumeAt"] == "2026-06-01T15:00:00Z"


def test_pausing_until_resumed_by_hand_sends_no_resume_time(store, now):
    services.store_pause(store=store, reason="staff_shortage", resume_at=None)

    store.refresh_from_db()
    assert store.resume_at is None
    assert messages(store)[0].payload == {"status": "paused", "reason": "staff_shortage"}


def test_pausing_a_paused_store_keeps_when_it_was_first_paused(store, now, time_machine):
    services.store_pause(store=store, reason="too_busy", resume_at=now + timedelta(minutes=30))
    time_machine.shift(timedelta(minutes=10))

    services.store_pause(store=store, reason="staff_shortage", resume_at=None)

    store.refresh_from_db()
    assert store.paused_at == now
    assert store.pause_reason == "staff_shortage"
    assert store.resume_at is None
    first, second = messages(store)
    assert first.state == State.SUPERSEDED  # only the latest status matters to Gett
    assert second.state == State.PENDING
    assert second.payload == {"status": "paused", "reason": "staff_shortage"}


@pytest.mark.parametrize("reason", ["", "lunch", "TOO_BUSY", None])
def test_pausing_for_an_unknown_reason_is_refused_and_writes_nothing(store, now, reason):
    with pytest.raises(PortalError, match="why") as refused:
        services.store_pause(store=store, reason=reason, resume_at=now + timedelta(hours=1))

    assert refused.value.field == "reason"

    store.refresh_from_db()
    assert store.status == Store.Status.ONLINE
    assert messages(store) == []


@pytest.mark.parametrize("delta", [timedelta(0), timedelta(seconds=-1), timedelta(days=-1)])
def test_pausing_until_a_time_that_is_not_in_the_future_is_refused_and_writes_nothing(
    store, now, delta
):
    with pytest.raises(PortalError, match="future") as refused:
        services.store_pause(store=store, reason="too_busy", resume_at=now + delta)

    assert refused.value.field == "resume_at"
    store.refresh_from_db()
    assert store.status == Store.Status.ONLINE
    assert store.paused_at is None
    assert messages(store) == []


# --- resume -----------------------------------------------------------------------------------


def test_resuming_a_store_puts_it_online_and_tells_gett(
    store, now, time_machine, django_capture_on_commit_callbacks, scheduled
):
    services.store_pause(store=store, reason="too_busy", resume_at=now + timedelta(hours=1))
    time_machine.shift(timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        services.store_resume(store=store, user=None)

    store.refresh_from_db()
    assert store.status == Store.Status.ONLINE
    assert store.pause_reason == ""
    assert store.paused_at is None
    assert store.resume_at is None
    pause, resume = messages(store)
    assert pause.state == State.SUPERSEDED
    assert resume.kind == "store.status"
    assert resume.payload == {"status": "online"}
    assert resume.state == State.PENDING
    assert scheduled == [resume.pk]


def test_resuming_an_online_store_by_hand_is_refused(store):
    with pytest.raises(InvalidStateError, match="already online"):
        services.store_resume(store=store)

    assert messages(store) == []


def test_resuming_an_online_store_automatically_does_nothing(store):
    resumed = services.store_resume(store=store, automatic=True)

    assert resumed.status == Store.Status.ONLINE
    assert messages(store) == []


# --- resume presets ---------------------------------------------------------------------------

LATE_EVENING_UTC = datetime(2026, 6, 1, 22, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("preset", "after"),
    [("15m", timedelta(minutes=15)), ("30m", timedelta(minutes=30)), ("1h", timedelta(hours=1))],
)
def test_short_presets_count_from_now(preset, after, time_machine):
    time_machine.move_to(LATE_EVENING_UTC, tick=False)
    store = StoreFactory.build(timezone="America/Los_Angeles")

    assert services.resume_at_for_preset(store=store, preset=preset) == LATE_EVENING_UTC + after


@pytest.mark.parametrize(
    ("zone", "now", "end_of_today"),
    [
        # 23:30 BST on 1 June: today ends in half an hour.
        ("Europe/London", LATE_EVENING_UTC, datetime(2026, 6, 1, 23, 0, tzinfo=UTC)),
        # 15:30 PDT on 1 June.
        ("America/Los_Angeles", LATE_EVENING_UTC, datetime(2026, 6, 2, 7, 0, tzinfo=UTC)),
        # 07:30 JST on 2 June: "today" there is already the 2nd.
        ("Asia/Tokyo", LATE_EVENING_UTC, datetime(2026, 6, 2, 15, 0, tzinfo=UTC)),
        # 00:30 CEST on 2 June: just past midnight, so the rest of the 2nd.
        ("Europe/Berlin", LATE_EVENING_UTC, datetime(2026, 6, 2, 22, 0, tzinfo=UTC)),
        ("UTC", LATE_EVENING_UTC, datetime(2026, 6, 2, 0, 0, tzinfo=UTC)),
        # Clocks go forward in London on 29 March 2026: a 23-hour day.
        (
            "Europe/London",
            datetime(2026, 3, 29, 10, 0, tzinfo=UTC),
            datetime(2026, 3, 29, 23, 0, tzinfo=UTC),
        ),
        # Clocks go back in Los Angeles on 1 November 2026: a 25-hour day.
        (
            "America/Los_Angeles",
            datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
            datetime(2026, 11, 2, 8, 0, tzinfo=UTC),
        ),
    ],
)
def test_end_of_today_is_midnight_in_the_store_s_own_time_zone(
    zone, now, end_of_today, time_machine
):
    time_machine.move_to(now, tick=False)
    store = StoreFactory.build(timezone=zone)

    resume_at = services.resume_at_for_preset(store=store, preset="today")

    assert resume_at == end_of_today
    assert resume_at > now
    local = resume_at.astimezone(ZoneInfo(zone))
    assert (local.hour, local.minute) == (0, 0)


def test_end_of_today_differs_between_stores_in_different_zones(time_machine):
    time_machine.move_to(LATE_EVENING_UTC, tick=False)
    london = StoreFactory.build(timezone="Europe/London")
    los_angeles = StoreFactory.build(timezone="America/Los_Angeles")

    in_london = services.resume_at_for_preset(store=london, preset="today")
    in_los_angeles = services.resume_at_for_preset(store=los_angeles, preset="today")

    assert in_los_angeles - in_london == timedelta(hours=8)


def test_a_chosen_time_is_read_in_the_store_s_time_zone(time_machine):
    time_machine.move_to(LATE_EVENING_UTC, tick=False)
    london = StoreFactory.build(timezone="Europe/London")
    los_angeles = StoreFactory.build(timezone="America/Los_Angeles")
    nine_tomorrow = datetime(2026, 6, 2, 9, 0)

    assert services.resume_at_for_preset(store=london, preset="at", at=nine_tomorrow) == datetime(
        2026, 6, 2, 8, 0, tzinfo=UTC
    )
    assert services.resume_at_for_preset(
        store=los_angeles, preset="at", at=nine_tomorrow
    ) == datetime(2026, 6, 2, 16, 0, tzinfo=UTC)


def test_the_same_wall_clock_time_can_be_past_in_one_zone_and_future_in_another(time_machine):
    time_machine.move_to(LATE_EVENING_UTC, tick=False)  # 23:30 in London, 15:30 in Los Angeles
    eleven_pm = datetime(2026, 6, 1, 23, 0)

    in_london = services.resume_at_for_preset(
        store=StoreFactory.build(timezone="Europe/London"), preset="at", at=eleven_pm
    )
    with pytest.raises(PortalError, match="future"):
        _pause(StoreFactory(timezone="Europe/London"), resume_at=in_london)
    assert services.resume_at_for_preset(
        store=StoreFactory.build(timezone="America/Los_Angeles"), preset="at", at=eleven_pm
    ) == datetime(2026, 6, 2, 6, 0, tzinfo=UTC)


def test_a_chosen_time_with_a_zone_is_kept(time_machine):
    time_machine.move_to(LATE_EVENING_UTC, tick=False)
    store = StoreFactory.build(timezone="Europe/London")
    at = datetime(2026, 6, 2, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))

    assert services.resume_at_for_preset(store=store, preset="at", at=at) == at


def _pause(store: Store, *, resume_at: datetime | None) -> Store:
    return services.store_pause(store=store, reason="too_busy", resume_at=resume_at)


def test_a_chosen_time_is_required():
    with pytest.raises(PortalError, match="Choose the time") as refused:
        services.resume_at_for_preset(store=StoreFactory.build(), preset="at", at=None)

    assert refused.value.field == "resume_at"


@pytest.mark.parametrize(
    ("at", "message"),
    [
        (LATE_EVENING_UTC, "future"),
        (LATE_EVENING_UTC - timedelta(hours=1), "future"),
        (LATE_EVENING_UTC + timedelta(days=30, seconds=1), "30 days"),
        (LATE_EVENING_UTC + timedelta(days=365), "30 days"),
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "30 days"),
    ],
)
def test_a_pause_must_end_within_the_next_30_days(at, message, time_machine):
    time_machine.move_to(LATE_EVENING_UTC, tick=False)
    store = StoreFactory(timezone="Europe/London")

    with pytest.raises(PortalError, match=message) as refused:
        _pause(store, resume_at=at)

    assert refused.value.field == "resume_at"
    assert messages(store) == []


def test_a_pause_exactly_30_days_long_is_allowed(time_machine):
    time_machine.move_to(LATE_EVENING_UTC, tick=False)
    at = LATE_EVENING_UTC + timedelta(days=30)

    assert _pause(StoreFactory(), resume_at=at).resume_at == at


def test_presets_only_turn_a_choice_into_a_time_and_leave_the_limits_to_the_pause(
    time_machine,
):
    time_machine.move_to(LATE_EVENING_UTC, tick=False)
    far = LATE_EVENING_UTC + timedelta(days=365)

    assert services.resume_at_for_preset(store=StoreFactory.build(), preset="at", at=far) == far


def test_manual_means_no_resume_time():
    store = StoreFactory.build()

    assert services.resume_at_for_preset(store=store, preset="manual") is None


@pytest.mark.parametrize("preset", ["", "2h", "tomorrow", "TODAY"])
def test_an_unknown_preset_is_refused(preset):
    with pytest.raises(PortalError, match="Unknown resume choice") as refused:
        services.resume_at_for_preset(store=StoreFactory.build(), preset=preset)

    assert refused.value.field == "preset"


def test_every_offered_preset_is_understood(time_machine):
    time_machine.move_to(LATE_EVENING_UTC, tick=False)
    store = StoreFactory.build()
    at = LATE_EVENING_UTC + timedelta(hours=2)

    for preset in services.RESUME_PRESETS:
        services.resume_at_for_preset(store=store, preset=preset, at=at)


# --- Gett store id ----------------------------------------------------------------------------


def test_messages_for_a_store_gett_does_not_know_yet_are_held(
    unconnected_store, now, django_capture_on_commit_callbacks, scheduled
):
    with django_capture_on_commit_callbacks(execute=True):
        services.store_pause(store=unconnected_store, reason="too_busy", resume_at=None)

    [message] = messages(unconnected_store)
    assert message.state == State.HELD
    assert message.target_id == ""
    assert scheduled == []


def test_connecting_a_store_releases_its_held_messages_with_the_id(
    unconnected_store, now, django_capture_on_commit_callbacks, scheduled
):
    store = unconnected_store
    services.store_pause(store=store, reason="too_busy", resume_at=None)
    store.name = "Pizza Place"
    services.store_update(store=store, changed_fields=["name"])

    with django_capture_on_commit_callbacks(execute=True):
        connected = services.store_connect(store=store, gett_store_id=GETT_STORE_ID)

    store.refresh_from_db()
    assert str(store.gett_store_id) == GETT_STORE_ID
    assert connected.is_connected
    status, details = messages(store)
    assert (status.kind, details.kind) == ("store.status", "store.update")
    assert status.state == details.state == State.PENDING
    assert status.target_id == details.target_id == GETT_STORE_ID
    # Status and details are separate lanes: neither waits for the other.
    assert scheduled == [status.pk, details.pk]


def test_released_messages_go_to_the_connected_store_in_order(
    unconnected_store, now, django_capture_on_commit_callbacks, scheduled
):
    store = unconnected_store
    services.store_pause(store=store, reason="too_busy", resume_at=None)
    store.name = "Pizza Place"
    services.store_update(store=store, changed_fields=["name"])
    with django_capture_on_commit_callbacks(execute=True):
        services.store_connect(store=store, gett_store_id=GETT_STORE_ID)

    with responses.RequestsMock() as wire:
        wire.post(
            f"https://gett.test/v1/commerce/stores/{GETT_STORE_ID}/status",
            status=204,
            match=[matchers.json_params_matcher({"status": "paused", "reason": "too_busy"})],
        )
        wire.put(f"https://gett.test/v1/commerce/stores/{GETT_STORE_ID}", status=204)
        while scheduled:
            with django_capture_on_commit_callbacks(execute=True):
                outbox.deliver(message_id=scheduled.pop(0))

        assert [call.request.method for call in wire.calls] == ["POST", "PUT"]
    assert {m.state for m in messages(store)} == {State.DELIVERED}


def test_connecting_a_store_with_nothing_held_schedules_nothing(
    unconnected_store, django_capture_on_commit_callbacks, scheduled
):
    with django_capture_on_commit_callbacks(execute=True):
        services.store_connect(store=unconnected_store, gett_store_id=GETT_STORE_ID)

    assert messages(unconnected_store) == []
    assert scheduled == []


# --- store details ----------------------------------------------------------------------------


def test_changing_fields_gett_knows_sends_the_store_details(
    store, django_capture_on_commit_callbacks, scheduled
):
    store.name = "Pizza Place"
    store.description = "Wood-fired."
    store.pickup_allowed = False

    with django_capture_on_commit_callbacks(execute=True):
        services.store_update(store=store, changed_fields=["name", "description", "pickup_allowed"])

    store.refresh_from_db()
    assert store.name == "Pizza Place"
    [message] = messages(store)
    assert message.kind == "store.update"
    assert message.target_id == str(store.gett_store_id)
    assert message.payload == {
        "name": "Pizza Place",
        "phone": "+44 20 7946 0000",
        "description": "Wood-fired.",
        "deliveryAllowed": True,
        "pickupAllowed": False,
    }
    assert scheduled == [message.pk]


def test_a_new_logo_is_sent_as_an_absolute_url(store, settings):
    settings.PUBLIC_BASE_URL = "https://portal.example.com"
    store.logo.save("logo.png", ContentFile(png()), save=False)

    services.store_update(store=store, changed_fields=["logo"])

    [message] = messages(store)
    assert message.payload["logoUrl"] == f"https://portal.example.com/media/{store.logo.name}"


def test_a_logo_already_on_a_cdn_is_sent_as_is(store, settings):
    settings.MEDIA_URL = "https://cdn.example.com/media/"
    store.logo.save("logo.png", ContentFile(png()), save=False)

    services.store_update(store=store, changed_fields=["logo"])

    [message] = messages(store)
    assert message.payload["logoUrl"] == f"https://cdn.example.com/media/{store.logo.name}"


def test_a_store_without_a_logo_sends_no_logo_url(store):
    services.store_update(store=store, changed_fields=["phone"])

    assert "logoUrl" not in messages(store)[0].payload


@pytest.mark.parametrize(
    "changed_fields",
    [["tax_rate_bp"], ["default_prep_minutes"], ["tax_rate_bp", "default_prep_minutes"], []],
)
def test_changes_gett_does_not_know_about_send_nothing(store, changed_fields):
    store.tax_rate_bp = 2000
    store.default_prep_minutes = 25

    services.store_update(store=store, changed_fields=changed_fields)

    store.refresh_from_db()
    assert (store.tax_rate_bp, store.default_prep_minutes) == (2000, 25)
    assert messages(store) == []


def test_a_store_that_allows_neither_delivery_nor_pickup_is_refused_and_nothing_is_written(
    store,
):
    store.name = "Renamed"
    store.delivery_allowed = False
    store.pickup_allowed = False

    with pytest.raises(ValidationError, match="delivery, pickup or both"):
        services.store_update(
            store=store, changed_fields=["name", "delivery_allowed", "pickup_allowed"]
        )

    store.refresh_from_db()
    assert store.name != "Renamed"
    assert store.delivery_allowed and store.pickup_allowed
    assert messages(store) == []


@pytest.mark.parametrize("country", ["XX", "UN", "gb", "GBR"])
def test_a_country_that_is_not_an_iso_3166_code_is_refused_at_every_door(store, country):
    store.country = country

    with pytest.raises(ValidationError) as refused:
        services.store_update(store=store, changed_fields=["country"])

    assert "country" in refused.value.message_dict
    store.refresh_from_db()
    assert store.country == "GB"


def test_a_delivering_store_without_a_full_address_is_refused_at_every_door(store):
    store.street = ""
    store.postal_code = "  "

    with pytest.raises(ValidationError) as refused:
        services.store_update(store=store, changed_fields=["street", "postal_code"])

    assert set(refused.value.message_dict) == {"street", "postal_code"}
    assert "a store that delivers needs a full address" in str(refused.value)


def test_amounts_above_the_price_cap_are_refused_at_every_door(store):
    store.minimum_order = 1_000_000_000

    with pytest.raises(ValidationError) as refused:
        services.store_update(store=store, changed_fields=["minimum_order"])

    assert "minimum_order" in refused.value.message_dict


def test_details_of_a_store_gett_does_not_know_yet_are_held(unconnected_store):
    unconnected_store.phone = "+44 20 7946 0001"

    services.store_update(store=unconnected_store, changed_fields=["phone"])

    [message] = messages(unconnected_store)
    assert message.state == State.HELD
