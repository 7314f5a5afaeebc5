"""validateOrder / placeOrder bodies, parsed at the edge into typed data (REFERENCE §9, inferred).

Everything a body can get wrong is found here, each problem with its `jsonPath`, before any rule
of the store or the menu is asked: malformed JSON, wrong types, missing members, absurd sizes.
Unknown members are ignored (the payload is expected to grow). Money is read as exact decimals
(never floats). The limits below are ours: far above any real cart, low enough that no body can
make us do unbounded work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gett.problems import field_error

MAX_LINES = 100
MAX_QUANTITY = 99
# Modifiers within modifiers. Deeper than any menu we publish (the CatalogSet checks refuse
# cycles, and real menus nest two or three levels); the menu itself decides what is allowed.
MAX_DEPTH = 8
MAX_SELECTIONS = 50  # modifiers chosen in one group
MAX_ID = 100
MAX_TEXT = 500
MAX_AMOUNT = Decimal("10000000")  # 10 million major units: no consumer pays that
FULFILLMENT_TYPES = ("delivery", "pickup")
AMOUNT_NAMES = ("subTotal", "fees", "promotions", "taxes", "adjustments", "tip", "total")


class BodyInvalid(Exception):
    """The body is not a cart we can read: one `errors[]` entry per problem."""

    def __init__(self, errors: list[dict[str, str]], detail: str | None = None) -> None:
        self.errors = errors
        self.detail = detail or (
            errors[0]["message"] if len(errors) == 1 else f"{len(errors)} problems in the body."
        )
        super().__init__(self.detail)


@dataclass(frozen=True)
class Selection:
    """An item chosen in the cart: a line, or a modifier within a line or a modifier."""

    item_id: str
    quantity: int
    groups: tuple[GroupSelection, ...]
    path: str  # jsonPath of this entry, e.g. $.cart.lineItems[0]


@dataclass(frozen=True)
class GroupSelection:
    group_id: str
    modifiers: tuple[Selection, ...]
    path: str


@dataclass(frozen=True)
class Line:
    line_item_id: str
    selection: Selection
    special_instructions: str


@dataclass(frozen=True)
class OrderBody:
    store_ref: str
    catalog_set_id: str
    lines: tuple[Line, ...]
    fulfillment_type: str
    delivery_address: dict[str, str]
    customer: dict[str, str]
    amounts: dict[str, Decimal]  # what Gett sent: the tip on validate, everything on place
    order_id: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def cart_canonical(self) -> dict[str, Any]:
        """What makes two placeOrder bodies the same order: the cart and how it is fulfilled."""
        return {
            "cart": self.raw.get("cart"),
            "fulfillmentType": self.fulfillment_type,
            "tip": str(self.amounts.get("tip", Decimal(0))),
        }


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def json_load(raw: bytes) -> Any:
    """The body as JSON, strictly: UTF-8, no NaN/Infinity, no lone surrogates, no NUL."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyInvalid(
            [field_error("$", "The body is not UTF-8 text.", "invalid_json")]
        ) from None
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        message = f"The body is not valid JSON: {exc}"[:MAX_TEXT]
        raise BodyInvalid([field_error("$", message, "invalid_json")]) from None
    return data


class _Reader:
    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def error(self, path: str, message: str, code: str = "invalid") -> None:
        self.errors.append(field_error(path, message, code))

    def text(
        self, obj: dict, name: str, path: str, *, required: bool, limit: int = MAX_TEXT
    ) -> str:
        value = obj.get(name)
        here = f"{path}.{name}"
        if value is None:
            if required:
                self.error(here, f"{name} is required.", "required")
            return ""
        if not isinstance(value, str):
            self.error(here, f"{name} must be a string.", "type")
            return ""
        if len(value) > limit:
            self.error(here, f"{name} is longer than {limit} characters.", "too_long")
            return ""
        if "\x00" in value or not _encodable(value):
            self.error(here, f"{name} has characters that are not text.", "invalid")
            return ""
        if required and not value.strip():
            self.error(here, f"{name} must not be empty.", "required")
        return value

    def quantity(self, obj: dict, path: str) -> int:
        value = obj.get("quantity", 1)
        here = f"{path}.quantity"
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            self.error(here, "quantity must be a whole number.", "type")
            return 0
        if isinstance(value, Decimal) and value != value.to_integral_value():
            self.error(here, "quantity must be a whole number.", "type")
            return 0
        # Compared before int(): int(Decimal("1e1000000")) alone takes most of a minute.
        if not 1 <= value <= MAX_QUANTITY:
            self.error(here, f"quantity must be from 1 to {MAX_QUANTITY}.", "out_of_range")
            return 0
        return int(value)

    def groups(self, obj: dict, path: str, depth: int) -> tuple[GroupSelection, ...]:
        value = obj.get("modifierGroups")
        here = f"{path}.modifierGroups"
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(here, "modifierGroups must be an array.", "type")
            return ()
        if depth > MAX_DEPTH:
            self.error(here, f"Modifiers are nested deeper than {MAX_DEPTH} levels.", "too_deep")
            return ()
        if len(value) > MAX_SELECTIONS:
            self.error(here, f"More than {MAX_SELECTIONS} modifier groups.", "too_many")
            return ()
        found = []
        for index, group in enumerate(value):
            group_path = f"{here}[{index}]"
            if not isinstance(group, dict):
                self.error(group_path, "A modifier group must be an object.", "type")
                continue
            group_id = self.text(group, "modifierGroupId", group_path, required=True, limit=MAX_ID)
            modifiers = group.get("selectedModifiers", [])
            mods_path = f"{group_path}.selectedModifiers"
            chosen: list[Selection] = []
            if not isinstance(modifiers, list):
                self.error(mods_path, "selectedModifiers must be an array.", "type")
            elif len(modifiers) > MAX_SELECTIONS:
                self.error(mods_path, f"More than {MAX_SELECTIONS} modifiers chosen.", "too_many")
            else:
                for m_index, modifier in enumerate(modifiers):
                    selection = self.selection(modifier, f"{mods_path}[{m_index}]", depth + 1)
                    if selection is not None:
                        chosen.append(selection)
            found.append(
                GroupSelection(group_id=group_id, modifiers=tuple(chosen), path=group_path)
            )
        return tuple(found)

    def selection(self, obj: Any, path: str, depth: int) -> Selection | None:
        if not isinstance(obj, dict):
            self.error(path, "Must be an object.", "type")
            return None
        item_id = self.text(obj, "itemId", path, required=True, limit=MAX_ID)
        quantity = self.quantity(obj, path)
        groups = self.groups(obj, path, depth)
        return Selection(item_id=item_id, quantity=quantity, groups=groups, path=path)

    def amounts(self, obj: dict) -> dict[str, Decimal]:
        value = obj.get("amounts")
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error("$.amounts", "amounts must be an object.", "type")
            return {}
        found = {}
        for name in AMOUNT_NAMES:
            amount = value.get(name)
            if amount is None:
                continue
            here = f"$.amounts.{name}"
            if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
                self.error(here, f"{name} must be a number.", "type")
                continue
            amount = Decimal(amount)
            # Compared, not abs(): abs(Decimal("1e999999999")) raises decimal.Overflow.
            if not amount.is_finite() or not -MAX_AMOUNT <= amount <= MAX_AMOUNT:
                self.error(here, f"{name} is out of range.", "out_of_range")
                continue
            if name != "adjustments" and amount < 0:
                self.error(here, f"{name} cannot be negative.", "out_of_range")
                continue
            found[name] = amount
        return found

    def strings(self, obj: dict, name: str, path: str, names: tuple[str, ...]) -> dict[str, str]:
        value = obj.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(f"{path}.{name}", f"{name} must be an object.", "type")
            return {}
        found = {}
        for member in names:
            text = self.text(value, member, f"{path}.{name}", required=False)
            if text:
                found[member] = text
        return found


ADDRESS_MEMBERS = ("address1", "address2", "city", "state", "postalCode", "country", "instructions")
CUSTOMER_MEMBERS = ("firstName", "lastName", "email", "phone")


def order_body_parse(raw: bytes, *, place: bool) -> OrderBody:
    """The body of a validateOrder (`place=False`) or placeOrder call, or `BodyInvalid`.

    Its size is bounded before it gets here, by the webhook edge (`gett.webhooks`).
    """
    data = json_load(raw)
    if not isinstance(data, dict):
        raise BodyInvalid([field_error("$", "The body must be a JSON object.", "type")])
    reader = _Reader()
    order_id = reader.text(data, "orderId", "$", required=place, limit=MAX_ID) if place else ""
    cart = data.get("cart")
    store_ref = catalog_set_id = ""
    lines: list[Line] = []
    if not isinstance(cart, dict):
        reader.error("$.cart", "cart is required and must be an object.", "required")
    else:
        store_ref = reader.text(cart, "storeId", "$.cart", required=True, limit=MAX_ID)
        catalog_set_id = reader.text(cart, "catalogSetId", "$.cart", required=False, limit=MAX_ID)
        raw_lines = cart.get("lineItems")
        if not isinstance(raw_lines, list):
            reader.error("$.cart.lineItems", "lineItems is required and must be an array.", "type")
        elif not raw_lines:
            reader.error("$.cart.lineItems", "The cart is empty.", "CART_EMPTY")
        elif len(raw_lines) > MAX_LINES:
            reader.error("$.cart.lineItems", f"A cart has at most {MAX_LINES} lines.", "too_many")
        else:
            for index, entry in enumerate(raw_lines):
                path = f"$.cart.lineItems[{index}]"
                selection = reader.selection(entry, path, depth=1)
                if selection is None:
                    continue
                line_item_id = reader.text(entry, "lineItemId", path, required=False, limit=MAX_ID)
                notes = reader.text(entry, "specialInstructions", path, required=False)
                lines.append(Line(line_item_id or f"li-{index + 1}", selection, notes))
    fulfillment = data.get("fulfillmentType")
    if fulfillment not in FULFILLMENT_TYPES:
        reader.error(
            "$.fulfillmentType", "fulfillmentType must be delivery or pickup.", "invalid_enum"
        )
    address = reader.strings(data, "deliveryAddress", "$", ADDRESS_MEMBERS)
    customer = reader.strings(data, "customer", "$", CUSTOMER_MEMBERS)
    amounts = reader.amounts(data)
    if reader.errors:
        raise BodyInvalid(reader.errors)
    return OrderBody(
        store_ref=store_ref,
        catalog_set_id=catalog_set_id,
        lines=tuple(lines),
        fulfillment_type=str(fulfillment),
        delivery_address=address,
        customer=customer,
        amounts=amounts,
        order_id=order_id,
        raw=data,
    )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800") JSON allows but no database does
        return False
    return True
