"""Pricing and checking a cart against what the store sells now: the one place orders are priced.

validateOrder and placeOrder both call `cart_quote`, so the same cart at the same moment gets the
same verdict and the same amounts. Prices come from the store's menu as it sells now (catalogs it
sells, open at this hour in its time zone, snoozes applied), read through the menu read model
(`catalogs.selectors.menu_rows_for_pricing`, kept between requests until the menu changes)
— never from the request.

Rules (REFERENCE §15 and §17.6, inferred, decided here once):

* unit price of a line = item price + Σ (option unit price × option quantity), recursively
  through nested modifier groups; line total = unit price × line quantity; subTotal = Σ lines.
* taxes = subTotal × the store's tax rate, rounded half up to the minor unit, once per order
  (not per line: a per-line rounding would make a 3-line cart differ from Gett's by a cent).
  Fees and the tip are not taxed.
* fees = the store's delivery fee for delivery orders, else 0.
* promotions and adjustments are 0 unless Gett sends them; the tip is Gett's, passed through.
* total = subTotal + fees − promotions + taxes + adjustments + tip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from catalogs.selectors import MenuRows, menu_rows_for_pricing
from gett.problems import field_error
from gett.wire import minor_digits, money_to_wire, to_major
from orders.webhooks.parsing import GroupSelection, OrderBody, Selection
from stores.models import Store

# Gett's vocabulary for refusals (REFERENCE §13). Which code a case gets is inferred: Gett
# documents the codes for its own consumers, not for partner webhooks.
STORE_CLOSED = "STORE_CLOSED"
ITEM_UNAVAILABLE = "ITEM_UNAVAILABLE"
MODIFIER_REQUIRED = "MODIFIER_REQUIRED"
ORDER_BELOW_MINIMUM = "ORDER_BELOW_MINIMUM"
ORDER_TOTAL_DIFFERENT = "ORDER_TOTAL_DIFFERENT"
INVALID_REQUEST = "INVALID_REQUEST"
# Which refusal names the whole reply when a cart has several: the first in this list.
SEVERITY = (STORE_CLOSED, ITEM_UNAVAILABLE, MODIFIER_REQUIRED, INVALID_REQUEST, ORDER_BELOW_MINIMUM)


class CartRefused(Exception):
    """The store will not take this cart now. 400, one `errors[]` entry per offending line."""

    def __init__(self, error_code: str, detail: str, errors: list[dict[str, str]]) -> None:
        super().__init__(detail)
        self.error_code = error_code
        self.detail = detail
        self.errors = errors


@dataclass
class PricedSelection:
    """An item in the cart, priced: a line, or a modifier (with its group's name)."""

    item_public_id: str
    name: str
    group_name: str
    quantity: int
    own_price: int  # the item's own price, minor units
    unit_total: int  # own price + its modifiers, for one of it
    total: int  # unit_total × quantity
    modifiers: list[PricedSelection] = field(default_factory=list)


@dataclass
class PricedLine:
    line_item_id: str
    special_instructions: str
    selection: PricedSelection


@dataclass
class Quote:
    currency: str
    lines: list[PricedLine]
    subtotal: int
    fees: int
    promotions: int
    taxes: int
    adjustments: int
    tip: int
    total: int

    def amounts_minor(self) -> dict[str, int]:
        return {
            "subTotal": self.subtotal,
            "fees": self.fees,
            "promotions": self.promotions,
            "taxes": self.taxes,
            "adjustments": self.adjustments,
            "tip": self.tip,
            "total": self.total,
        }

    def amounts_wire(self) -> dict[str, float]:
        """Amounts as Gett reads them: decimal major units (gett.wire)."""
        return {
            name: money_to_wire(value, self.currency)
            for name, value in self.amounts_minor().items()
        }


def tax_for(subtotal: int, rate_bp: int) -> int:
    """subTotal × rate (basis points), rounded half up to the minor unit: the one tax rule."""
    exact = Decimal(subtotal) * Decimal(rate_bp) / Decimal(10_000)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cart_quote(*, store: Store, body: OrderBody, now: datetime | None = None) -> Quote:
    """Check and price `body` for `store`, or raise `CartRefused` saying every problem."""
    now = now or timezone.now()
    if not store.is_connected:
        raise _closed("This store is not on Gett yet.")
    if store.is_paused:
        raise _closed(f"{store.name} is paused and is not taking orders right now.")
    if body.fulfillment_type == "delivery" and not store.delivery_allowed:
        raise CartRefused(
            INVALID_REQUEST,
            f"{store.name} does not deliver; order for pickup.",
            [field_error("$.fulfillmentType", "This store does not deliver.", INVALID_REQUEST)],
        )
    if body.fulfillment_type == "pickup" and not store.pickup_allowed:
        raise CartRefused(
            INVALID_REQUEST,
            f"{store.name} does not offer pickup; order for delivery.",
            [
                field_error(
                    "$.fulfillmentType", "This store does not offer pickup.", INVALID_REQUEST
                )
            ],
        )

    rows = menu_rows_for_pricing(store=store, now=now)
    open_catalogs = rows.catalogs_open_at(now.astimezone(store.tzinfo))
    if not open_catalogs:
        raise _closed(f"{store.name} is closed at this hour.")
    pricer = _Pricer(rows, on_sale=rows.items_reachable(open_catalogs))
    lines = []
    for line in body.lines:
        priced = pricer.line(line.selection)
        if priced is not None:
            lines.append(PricedLine(line.line_item_id, line.special_instructions, priced))
    if pricer.errors:
        raise _refusal(pricer.errors)

    currency = store.currency
    subtotal = sum(line.selection.total for line in lines)
    if subtotal < store.minimum_order:
        minimum = f"{to_major(store.minimum_order, currency):.{minor_digits(currency)}f}"
        message = f"The minimum order at {store.name} is {minimum} {currency}."
        raise CartRefused(
            ORDER_BELOW_MINIMUM,
            message,
            [field_error("$.cart.lineItems", message, ORDER_BELOW_MINIMUM)],
        )
    sent = _SentAmounts(body.amounts, currency)
    fees = store.delivery_fee if body.fulfillment_type == "delivery" else 0
    promotions = sent.minor("promotions")
    adjustments = sent.minor("adjustments")
    tip = sent.minor("tip")
    if sent.errors:
        raise CartRefused(INVALID_REQUEST, sent.errors[0]["message"], sent.errors)
    taxes = tax_for(subtotal, store.tax_rate_bp)
    total = subtotal + fees - promotions + taxes + adjustments + tip
    return Quote(currency, lines, subtotal, fees, promotions, taxes, adjustments, tip, total)


def quote_check_sent_amounts(quote: Quote, body: OrderBody) -> None:
    """placeOrder: Gett's amounts must be ours to the minor unit, else ORDER_TOTAL_DIFFERENT."""
    ours = quote.amounts_minor()
    errors = []
    for name, value in body.amounts.items():
        theirs = _to_minor_exact(value, quote.currency)
        if theirs is None or theirs != ours[name]:
            expected = f"{to_major(ours[name], quote.currency):.{minor_digits(quote.currency)}f}"
            errors.append(
                field_error(
                    f"$.amounts.{name}",
                    f"{name} is {value}; the store's price is {expected}.",
                    ORDER_TOTAL_DIFFERENT,
                )
            )
    if errors:
        raise CartRefused(
            ORDER_TOTAL_DIFFERENT,
            "The amounts differ from the store's prices now: validate the cart again.",
            errors,
        )


# --- internals --------------------------------------------------------------------------------


def _closed(detail: str) -> CartRefused:
    return CartRefused(STORE_CLOSED, detail, [field_error("$.cart.storeId", detail, STORE_CLOSED)])


def _refusal(errors: list[dict[str, str]]) -> CartRefused:
    codes = [error["code"] for error in errors]
    code = next((c for c in SEVERITY if c in codes), codes[0])
    first = next(error for error in errors if error["code"] == code)
    detail = first["message"]
    if len(errors) > 1:
        detail += f" ({len(errors)} problems in the cart.)"
    return CartRefused(code, detail, errors)


def _to_minor_exact(value: Decimal, currency: str) -> int | None:
    scaled = value.scaleb(minor_digits(currency))
    if scaled != scaled.to_integral_value():
        return None
    return int(scaled)


class _SentAmounts:
    def __init__(self, amounts: dict[str, Decimal], currency: str) -> None:
        self.amounts = amounts
        self.currency = currency
        self.errors: list[dict[str, str]] = []

    def minor(self, name: str) -> int:
        value = self.amounts.get(name)
        if value is None:
            return 0
        minor = _to_minor_exact(value, self.currency)
        if minor is None:
            digits = minor_digits(self.currency)
            self.errors.append(
                field_error(
                    f"$.amounts.{name}",
                    f"{name} has more than {digits} decimal places for {self.currency}.",
                    INVALID_REQUEST,
                )
            )
            return 0
        return minor


class _Pricer:
    def __init__(self, rows: MenuRows, *, on_sale: set[int]) -> None:
        self.rows = rows
        self.on_sale = on_sale
        self.errors: list[dict[str, str]] = []

    def error(self, path: str, message: str, code: str, item_id: str = "") -> None:
        entry = field_error(path, message, code)
        if item_id:
            entry["itemId"] = item_id
        self.errors.append(entry)

    def line(self, selection: Selection) -> PricedSelection | None:
        pk = self.rows.item_pk(selection.item_id)
        if pk is None:
            self.error(
                f"{selection.path}.itemId",
                "This item is not on the store's menu.",
                ITEM_UNAVAILABLE,
                selection.item_id,
            )
            return None
        name = self.rows.item_name(pk)
        if pk in self.rows.unavailable:
            self.error(
                f"{selection.path}.itemId",
                f"{name} is sold out.",
                ITEM_UNAVAILABLE,
                selection.item_id,
            )
            return None
        if pk not in self.on_sale:
            self.error(
                f"{selection.path}.itemId",
                f"{name} is not on the menu at this hour.",
                ITEM_UNAVAILABLE,
                selection.item_id,
            )
            return None
        return self.priced(pk, selection, group_name="")

    def priced(self, pk: int, selection: Selection, *, group_name: str) -> PricedSelection | None:
        rows = self.rows
        own = rows.item_price(pk)
        modifiers: list[PricedSelection] = []
        offered = rows.item_groups.get(pk, [])
        chosen_groups: dict[int, GroupSelection] = {}
        ok = True
        for group in selection.groups:
            group_pk = rows.group_pk(group.group_id)
            if group_pk is None or group_pk not in offered:
                self.error(
                    f"{group.path}.modifierGroupId",
                    f"{rows.item_name(pk)} has no such modifier group.",
                    ITEM_UNAVAILABLE,
                    selection.item_id,
                )
                ok = False
                continue
            if group_pk in chosen_groups:
                self.error(
                    f"{group.path}.modifierGroupId",
                    f"{rows.group_name(group_pk)} is listed twice.",
                    INVALID_REQUEST,
                )
                ok = False
                continue
            chosen_groups[group_pk] = group
            priced = self.group(group_pk, group)
            if priced is None:
                ok = False
            else:
                modifiers += priced
        for group_pk in offered:
            minimum, _ = rows.group_limits(group_pk)
            if minimum > 0 and group_pk not in chosen_groups:
                self.error(
                    f"{selection.path}.modifierGroups",
                    f"Choose {minimum} from {rows.group_name(group_pk)} for {rows.item_name(pk)}.",
                    MODIFIER_REQUIRED,
                    selection.item_id,
                )
                ok = False
        if not ok:
            return None
        unit_total = own + sum(modifier.total for modifier in modifiers)
        return PricedSelection(
            item_public_id=selection.item_id,
            name=rows.item_name(pk),
            group_name=group_name,
            quantity=selection.quantity,
            own_price=own,
            unit_total=unit_total,
            total=unit_total * selection.quantity,
            modifiers=modifiers,
        )

    def group(self, group_pk: int, group: GroupSelection) -> list[PricedSelection] | None:
        rows = self.rows
        name = rows.group_name(group_pk)
        options = rows.options.get(group_pk, [])
        minimum, maximum = rows.group_limits(group_pk)
        found: list[PricedSelection] = []
        ok = True
        for modifier in group.modifiers:
            option_pk = rows.item_pk(modifier.item_id)
            if option_pk is None or option_pk not in options:
                self.error(
                    f"{modifier.path}.itemId",
                    f"This is not an option of {name}.",
                    ITEM_UNAVAILABLE,
                    modifier.item_id,
                )
                ok = False
                continue
            if option_pk in rows.unavailable:
                self.error(
                    f"{modifier.path}.itemId",
                    f"{rows.item_name(option_pk)} is sold out.",
                    ITEM_UNAVAILABLE,
                    modifier.item_id,
                )
                ok = False
                continue
            priced = self.priced(option_pk, modifier, group_name=name)
            if priced is None:
                ok = False
            else:
                found.append(priced)
        if not ok:
            return None
        count = sum(modifier.quantity for modifier in group.modifiers)
        if count < minimum:
            self.error(
                f"{group.path}.selectedModifiers",
                f"Choose at least {minimum} from {name}.",
                MODIFIER_REQUIRED,
            )
            return None
        if maximum is not None and count > maximum:
            self.error(
                f"{group.path}.selectedModifiers",
                f"Choose at most {maximum} from {name}.",
                INVALID_REQUEST,
            )
            return None
        return found
