"""How values look on the wire to Gett. Each choice REFERENCE marks "(inferred)" lives here once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

# (inferred, REFERENCE §15) Money travels as decimal major units with two places: 1475 -> 14.75.
_MINOR_DIGITS = {"JPY": 0, "KRW": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3}


def minor_digits(currency: str) -> int:
    return _MINOR_DIGITS.get(currency.upper(), 2)


def to_major(minor: int, currency: str) -> Decimal:
    """1475, "GBP" -> Decimal("14.75"): minor units as people read them."""
    return Decimal(minor).scaleb(-minor_digits(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """Decimal("14.75"), "GBP" -> 1475, rounded half up to the minor unit."""
    return int(amount.scaleb(minor_digits(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money_to_wire(minor: int, currency: str) -> float:
    return float(to_major(minor, currency))


def money_from_wire(value: float | int | str | Decimal, currency: str) -> int:
    return to_minor(Decimal(str(value)), currency)


def datetime_to_wire(value: datetime | None) -> str | None:
    """(inferred, REFERENCE §6) ISO 8601 in UTC with a Z."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime: the time zone is unknown")
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def datetime_from_wire(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("timestamp has no time zone")
    return parsed
