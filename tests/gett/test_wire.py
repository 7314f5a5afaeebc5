from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from gett.wire import (
    datetime_from_wire,
    datetime_to_wire,
    minor_digits,
    money_from_wire,
    money_to_wire,
)

# Money


def test_money_goes_out_as_major_units_with_two_places():
    assert money_to_wire(1475, "GBP") == 14.75
    assert money_to_wire(5, "usd") == 0.05
    assert money_to_wire(0, "EUR") == 0.0
    assert money_to_wire(100_000, "EUR") == 1000.0


def test_money_comes_in_as_minor_units():
    assert money_from_wire(14.75, "GBP") == 1475
    assert money_from_wire("14.75", "GBP") == 1475
    assert money_from_wire(Decimal("14.75"), "GBP") == 1475
    assert money_from_wire(14, "GBP") == 1400


def test_zero_decimal_currencies_have_no_minor_units():
    assert minor_digits("JPY") == 0
    assert money_to_wire(1500, "JPY") == 1500
    assert money_from_wire(1500, "JPY") == 1500
    assert money_from_wire("1500.5", "JPY") == 1501


def test_three_decimal_currencies_use_three_places():
    assert minor_digits("KWD") == 3
    assert money_to_wire(1250, "KWD") == 1.25
    assert money_from_wire(1.25, "KWD") == 1250


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("14.755", 1476),  # half rounds up
        (14.755, 1476),  # the float's decimal text is used, not its binary value
        ("14.7549", 1475),
        ("0.005", 1),
        ("-14.755", -1476),  # half-up rounds away from zero
        (1.005, 101),
        (0.1 + 0.2, 30),
    ],
)
def test_money_from_wire_rounds_half_up(value, expected):
    assert money_from_wire(value, "GBP") == expected


@pytest.mark.parametrize("currency", ["GBP", "USD", "JPY", "KWD"])
@pytest.mark.parametrize("minor", [0, 1, 5, 10, 99, 100, 101, 1475, 1999, 123_456_789])
def test_money_round_trips_through_the_wire(minor, currency):
    assert money_from_wire(money_to_wire(minor, currency), currency) == minor


# Timestamps


def test_datetime_to_wire_is_utc_with_a_z():
    local = datetime(2026, 6, 1, 15, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert datetime_to_wire(local) == "2026-06-01T22:30:00Z"
    assert datetime_to_wire(datetime(2026, 6, 1, 22, 30, tzinfo=UTC)) == "2026-06-01T22:30:00Z"


def test_datetime_to_wire_drops_fractions_of_a_second():
    value = datetime(2026, 6, 1, 22, 30, 5, 987_654, tzinfo=UTC)
    assert datetime_to_wire(value) == "2026-06-01T22:30:05Z"


def test_datetime_to_wire_keeps_none():
    assert datetime_to_wire(None) is None


@pytest.mark.parametrize(
    "text",
    ["2026-06-01T22:30:00Z", "2026-06-01T22:30:00+00:00", "2026-06-01T23:30:00+01:00"],
)
def test_datetime_from_wire_reads_zoned_timestamps(text):
    parsed = datetime_from_wire(text)
    assert parsed.tzinfo is not None
    assert parsed == datetime(2026, 6, 1, 22, 30, tzinfo=UTC)


def test_datetime_from_wire_reads_milliseconds():
    parsed = datetime_from_wire("2026-05-08T18:41:03.120Z")
    assert parsed == datetime(2026, 5, 8, 18, 41, 3, 120_000, tzinfo=UTC)


def test_datetime_from_wire_rejects_timestamps_without_a_zone():
    with pytest.raises(ValueError, match="time zone"):
        datetime_from_wire("2026-06-01T22:30:00")


def test_datetime_from_wire_rejects_garbage():
    with pytest.raises(ValueError):
        datetime_from_wire("next tuesday")


def test_datetimes_round_trip_through_the_wire():
    value = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert datetime_from_wire(datetime_to_wire(value)) == value
