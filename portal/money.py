"""Money as people type and read it: the one place that parses, formats and bounds amounts.

`Item.price` is an integer in minor units. A merchant's menu is shared by its stores and each
store reads a price in its own currency (`gett.wire` converts for the wire). People type and read
prices in major units: in the stores' currency when they all use one, or as plain decimals (with
the first store's decimal places) when they differ — `menu_money` decides, once per request.

Store amounts (delivery fee, minimum order) are parsed here too (`amount_parse`). Every door
uses this module: editor forms, the bulk price change, the API, CSV, the versions diff and
templates. Prices are refused (`PortalError`, on the field "price") when negative, with more
decimal places than the currency has, written with an exponent (`1e3`), or above `MAX_PRICE_MINOR`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from gett.wire import minor_digits
from portal.exceptions import PortalError

# Nine digits: well inside every database's 32-bit integer column (Item.price), and far above any
# real menu price in every currency Gett serves.
MAX_PRICE_MINOR = 999_999_999

# Plain decimals only: digits, at most one "." and digits after it. No sign, exponent, spaces
# inside, thousands separators, "NaN" or "Infinity".
_PLAIN_DECIMAL = re.compile(r"\d+(\.\d+)?|\.\d+", re.ASCII)


@dataclass(frozen=True)
class MenuMoney:
    """How one merchant's prices read: `currency` (None when its stores differ) and `digits`."""

    currency: str | None
    digits: int
    currencies: tuple[str, ...] = ()

    def to_major(self, minor: int) -> Decimal:
        return Decimal(minor).scaleb(-self.digits)

    def to_minor(self, major: Decimal) -> int:
        """Major units (14.5) to minor units (1450), rounded half up to the minor unit."""
        return int(major.scaleb(self.digits).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def text(self, minor: int) -> str:
        """1250 -> "12.50" (1200 -> "1200" in a currency without decimals): as typed."""
        return f"{self.to_major(minor):.{self.digits}f}"

    def show(self, minor: int) -> str:
        """1250 -> "12.50 GBP": as shown to people (no currency when the stores differ)."""
        return f"{self.text(minor)} {self.currency}" if self.currency else self.text(minor)

    @property
    def max_text(self) -> str:
        return self.text(MAX_PRICE_MINOR)

    @property
    def note(self) -> str:
        if self.currency:
            return f"Prices are in {self.currency}."
        if self.currencies:
            return (
                f"Your stores use different currencies ({', '.join(self.currencies)}): a price "
                "is read in each store's own currency (14.50 is 14.50 in every store)."
            )
        return "Prices are read in the currency of each store."


def menu_money(merchant) -> MenuMoney:
    """The one place that decides how a merchant's prices read (one query)."""
    from stores.models import Store

    currencies = list(
        Store.objects.filter(merchant=merchant).order_by("pk").values_list("currency", flat=True)
    )
    return money_for_currencies(currencies)


def money_for_currencies(currencies: list[str]) -> MenuMoney:
    distinct = tuple(dict.fromkeys(currencies))
    if len(distinct) == 1:
        return MenuMoney(
            currency=distinct[0], digits=minor_digits(distinct[0]), currencies=distinct
        )
    digits = minor_digits(currencies[0]) if currencies else 2
    return MenuMoney(currency=None, digits=digits, currencies=distinct)


def price_check(minor: int, money: MenuMoney | None = None, *, field: str = "price") -> int:
    """The bounds every stored price obeys, whatever door it came through."""
    if minor < 0:
        raise PortalError("A price cannot be negative.", field=field)
    if minor > MAX_PRICE_MINOR:
        limit = money.max_text if money else f"{MAX_PRICE_MINOR} minor units"
        raise PortalError(f"A price can be at most {limit}.", field=field)
    return minor


def price_from_decimal(amount: Decimal, money: MenuMoney, *, field: str = "price") -> int:
    """An exact major-unit amount -> minor units, refused when it does not fit the currency."""
    if not amount.is_finite():
        raise PortalError("Enter a number, e.g. 12.50.", field=field)
    if amount < 0:
        raise PortalError("A price cannot be negative.", field=field)
    if amount > money.to_major(MAX_PRICE_MINOR):
        raise PortalError(f"A price can be at most {money.max_text}.", field=field)
    minor = amount.scaleb(money.digits)
    if minor != minor.to_integral_value():
        if money.digits == 0:
            raise PortalError("Prices in this currency have no decimal places.", field=field)
        places = "place" if money.digits == 1 else "places"
        raise PortalError(f"Use at most {money.digits} decimal {places}.", field=field)
    return price_check(int(minor), money, field=field)


def decimal_parse(text: str, *, decimal_comma: bool = False, field: str = "price") -> Decimal:
    """ "12.50" -> Decimal("12.50"). Plain decimals only: no sign, exponent or separators.

    `decimal_comma` also reads "12,5" (spreadsheets in many locales write prices so).
    """
    cleaned = str(text).strip()
    if decimal_comma and "," in cleaned and "." not in cleaned and cleaned.count(",") == 1:
        cleaned = cleaned.replace(",", ".")
    if cleaned.startswith("-") and _PLAIN_DECIMAL.fullmatch(cleaned[1:]):
        raise PortalError("A price cannot be negative.", field=field)
    if not _PLAIN_DECIMAL.fullmatch(cleaned):
        raise PortalError(
            "Write the price as a number with a . for decimals, e.g. 12.50.", field=field
        )
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise PortalError("Write the price like 12.50.", field=field) from None


def amount_parse(text: str, currency: str, *, field: str) -> int:
    """One store's amount ("2.50" GBP -> 250): a fee or a minimum order, same rules as prices."""
    money = money_for_currencies([currency])
    return price_from_decimal(decimal_parse(text, field=field), money, field=field)


def price_parse(
    text: str, money: MenuMoney, *, decimal_comma: bool = False, field: str = "price"
) -> int:
    """A price as people type it ("12.50") -> minor units (1250), or `PortalError`."""
    amount = decimal_parse(text, decimal_comma=decimal_comma, field=field)
    return price_from_decimal(amount, money, field=field)


def money_data(minor: int, currency: str) -> dict:
    """One amount as the merchant API shows it: 250, "GBP" -> amount "2.50", minor 250, currency."""
    return {
        "amount": money_for_currencies([currency]).text(minor),
        "amount_minor": minor,
        "currency": currency,
    }
