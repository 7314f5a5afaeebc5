"""How values look on the wire to Gett. Each choice REFERENCE marks "(inferred)" lives here once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

# (inferred, REFERENCE §15) Money travels as decimal major units with two places: 1475 -> 14.75.
_MINOR_DIGITS = {"JPY": 0, "KRW": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3}


def minor_digits(currency: str) -> int:
    return _MINOR_DIGITS.get(currency.upper(), 2)


def money_to_wire(minor: int, currency: str) -> float:
    digits = minor_digits(currency)
    return float(Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits)))


def money_from_wire(value: float | int | str | Decimal, currency: str) -> int:
    digits = minor_digits(currency)
    amount = Decimal(str(value)).scaleb(digits).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(amount)


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
