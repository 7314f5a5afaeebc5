from decimal import Decimal

from django import template

from gett.wire import minor_digits, to_major

register = template.Library()


@register.filter
def money(minor: int | None, currency: str) -> str:
    """1250, "GBP" -> "12.50 GBP": minor units shown the way people read them."""
    if minor is None:
        return ""
    return f"{to_major(minor, currency):.{minor_digits(currency)}f} {currency}"


@register.filter
def basis_points(value: int | None) -> str:
    """2000 -> "20.00 %"."""
    if value is None:
        return ""
    return f"{Decimal(value) / 100:.2f} %"
