"""A merchant's items and prices as CSV: export, edit in a spreadsheet, import back.

Columns (one header row; names are matched case-insensitively, in any order; other columns are
ignored and reported):

=================  ========  ==================================================================
column             needed    meaning
=================  ========  ==================================================================
item_id            yes       the item's `public_id`; empty for a new item
name               yes       at most 200 characters
description        no        at most 2,000 characters
price              yes       major units, as the menu editor shows them: 12.50 (a lone comma
                             as decimal separator is accepted too: 12,50)
sections           no        the sections the item is in, by name, separated by ``|``
modifier_groups    no        the modifier groups offered on the item, by name, separated by
                             ``|``, in the order customers see them
=================  ========  ==================================================================

Rules of the import:

* All or nothing. Every row is checked before anything is written; with one error (reported
  with its row, column and message) nothing is written. Rows are numbered as a spreadsheet
  shows them: the header is row 1.
* A cell is the whole truth for its column: a section left out of `sections` takes the item out
  of that section, an empty `sections` cell takes it out of every section (modifier options
  usually sit in none). A column that is not in the file leaves that field alone.
* Sections and modifier groups are matched by name and never created (the menu editor does
  that). A name several sections or groups share is written ``Drinks [1a2b3c4d]`` (the start of
  its id), so every label names one; ``|`` and ``\\`` inside a name are escaped with ``\\``.
* Items missing from the file are left alone: an import never deletes.
* An unchanged row writes nothing, so importing an export changes nothing and publishes nothing.
* Cells that start with ``= + - @`` are exported with a leading ``'`` so spreadsheets do not
  run them as formulas; the import drops that ``'`` again.
* Files: UTF-8 (with or without the BOM Excel writes) or UTF-16 with a BOM; comma, semicolon or
  tab separated (seen from the header). Exports are UTF-8 with a BOM, comma separated.

Applying an import runs in one transaction and goes through the menu services with trigger
"import", so each affected store publishes once however many rows change (`menu_changed`
debounces on commit).

Prices: `Item.price` is integer minor units, read in each store's currency. The file has major
units as the menu editor shows them (`portal.money`, the one module that parses and formats menu
prices, also for this file): in the currency of the merchant's stores, or as plain decimals when
the stores use different currencies.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field

from catalogs import services
from catalogs.models import Item, ModifierGroup, Section, Trigger
from catalogs.selectors import menu_rows_get, model_from_row
from portal.exceptions import PortalError
from portal.money import MenuMoney, menu_money, price_parse
from stores.models import Merchant

COLUMNS = ("item_id", "name", "description", "price", "sections", "modifier_groups")
REQUIRED_COLUMNS = ("item_id", "name", "price")
# What a row can change, in the order the summary lists them.
CHANGE_KINDS = {
    "new": ("new item", "new items"),
    "name": ("name change", "name changes"),
    "description": ("description change", "description changes"),
    "price": ("price change", "price changes"),
    "sections": ("section change", "section changes"),
    "modifier_groups": ("modifier group change", "modifier group changes"),
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --- export ----------------------------------------------------------------------------------


def menu_csv_export(*, merchant: Merchant) -> str:
    """Every item of the merchant as CSV text (no BOM; callers writing for Excel add one).

    Six queries whatever the size of the menu.
    """
    menu = _MenuIndex.load(merchant=merchant)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for item in menu.items.values():
        writer.writerow(
            [
                str(item.public_id),
                _cell_out(item.name),
                _cell_out(item.description),
                menu.money.text(item.price),
                _cell_out(_join(menu.section_labels[pk] for pk in menu.item_sections[item.pk])),
                _cell_out(_join(menu.group_labels[pk] for pk in menu.item_groups[item.pk])),
            ]
        )
    return out.getvalue()


# --- import: read and check ----------------------------------------------------------------


class CsvFileError(ValueError):
    """The file cannot be read as CSV text at all."""


@dataclass(frozen=True)
class RowError:
    row: int | None  # None: the file as a whole
    column: str  # "" for the whole row
    message: str

    def __str__(self) -> str:
        where = "File" if self.row is None else f"Row {self.row}"
        return f"{where}{f', {self.column}' if self.column else ''}: {self.message}"


@dataclass
class RowChange:
    """One row that changes the menu. `item` is None for a new item until it is applied."""

    row: int
    item: Item | None
    name: str
    description: str
    price: int
    sections: list[Section] | None  # None: leave as they are
    groups: list[ModifierGroup] | None
    kinds: tuple[str, ...]  # keys of CHANGE_KINDS

    @property
    def is_new(self) -> bool:
        return "new" in self.kinds


@dataclass
class ImportPlan:
    """What an import file would change. Reading it writes nothing; `menu_csv_apply` does."""

    merchant: Merchant
    money: MenuMoney
    rows: int = 0
    changes: list[RowChange] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # item pk -> section pks it is in now; section pk -> its item pks in order.
    _item_sections: dict[int, list[int]] = field(default_factory=dict, repr=False)
    _section_items: dict[int, list[int]] = field(default_factory=dict, repr=False)
    _section_labels: dict[int, str] = field(default_factory=dict, repr=False)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def section_names_of(self, item_pk: int) -> list[str]:
        """The labels of the sections an item is in now, for a summary by section."""
        return [self._section_labels[pk] for pk in self._item_sections.get(item_pk, [])]

    def counts(self) -> dict[str, int]:
        counted = Counter(kind for change in self.changes for kind in change.kinds)
        return {kind: counted[kind] for kind in CHANGE_KINDS if counted[kind]}

    def summary(self) -> str:
        """ "12 changes: 3 new items, 9 price changes" (a row counts once as a change)."""
        if not self.changes:
            return "No changes."
        parts = [
            f"{count} {CHANGE_KINDS[kind][0 if count == 1 else 1]}"
            for kind, count in self.counts().items()
        ]
        total = len(self.changes)
        return f"{total} change{'' if total == 1 else 's'}: {', '.join(parts)}"

    def digest(self) -> str:
        """A fingerprint of the changes: a confirmed preview applies only what it showed."""
        rows = [
            [
                change.row,
                str(change.item.public_id) if change.item else "",
                change.name,
                change.description,
                change.price,
                None if change.sections is None else [s.pk for s in change.sections],
                None if change.groups is None else [g.pk for g in change.groups],
                list(change.kinds),
            ]
            for change in self.changes
        ]
        body = json.dumps([self.merchant.pk, self.money.digits, rows], separators=(",", ":"))
        return hashlib.sha256(body.encode("utf-8")).hexdigest()


def menu_csv_read(*, merchant: Merchant, data: bytes | str) -> ImportPlan:
    """Check an import file against the merchant's menu; nothing is written.

    Reads the menu with a fixed number of queries, whatever the number of rows.
    """
    menu = _MenuIndex.load(merchant=merchant)
    plan = ImportPlan(
        merchant=merchant,
        money=menu.money,
        _item_sections={pk: list(pks) for pk, pks in menu.item_sections.items()},
        _section_items={pk: list(pks) for pk, pks in menu.section_items.items()},
        _section_labels=menu.section_labels,
    )
    try:
        text = csv_decode(data)
        records = _records(text)
    except CsvFileError as exc:
        plan.errors.append(RowError(None, "", str(exc)))
        return plan

    header_at, header = next(((n, r) for n, r in records if any(c.strip() for c in r)), (0, []))
    if not header:
        plan.errors.append(RowError(None, "", "The file is empty: export the menu to start."))
        return plan
    columns = _header_columns(header_at, header, plan)
    if columns is None:
        return plan
    width = len(header)

    seen_items: dict[int, int] = {}  # item pk -> row
    for number, record in records:
        if number <= header_at or not any(cell.strip() for cell in record):
            continue
        plan.rows += 1
        if len(record) != width and (len(record) < width or any(c.strip() for c in record[width:])):
            # Short rows would read as empty cells (an empty `sections` empties them); long
            # ones usually hold a comma that needed quotes (1,250.00): never guess.
            plan.errors.append(
                RowError(number, "", f"This row has {len(record)} cells; the header has {width}.")
            )
            continue
        _read_row(number, record, columns, menu, plan, seen_items)

    new_names = Counter(c.name.casefold() for c in plan.changes if c.is_new)
    existing = {item.name.strip().casefold() for item in menu.items.values()}
    for name in sorted(n for n in new_names if n in existing):
        plan.warnings.append(
            f"“{_original_name(plan, name)}” is a new row but an item of that name exists "
            "already: the import adds another one. Copy the item_id from an export to change "
            "the existing item instead."
        )
    return plan


def csv_decode(data: bytes | str) -> str:
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise CsvFileError("This file says it is UTF-16 but is not.") from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CsvFileError(
                "This file is not UTF-8 text. In Excel, save it as “CSV UTF-8 (Comma delimited)”."
            ) from None
    if "\x00" in text:  # PostgreSQL cannot store it; a binary file (.xlsx) looks like this
        raise CsvFileError("This is not a CSV text file (it holds NUL characters).")
    return text


def _records(text: str) -> list[tuple[int, list[str]]]:
    """(row number, cells) for every record; numbers count records (a cell may hold newlines)."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        return [(number, record) for number, record in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise CsvFileError(f"This is not a CSV file we can read ({exc}).") from None


def _header_columns(number: int, header: list[str], plan: ImportPlan) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = cell.strip().lstrip("\ufeff").lower().replace(" ", "_")
        if not name:
            continue
        if name in columns:
            plan.errors.append(RowError(number, name, "This column appears twice in the header."))
        elif name in COLUMNS:
            columns[name] = index
        else:
            plan.ignored_columns.append(cell.strip())
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            plan.errors.append(
                RowError(
                    number,
                    name,
                    f"The header has no “{name}” column. Columns: {', '.join(COLUMNS)}.",
                )
            )
    return None if plan.errors else columns


def _read_row(
    number: int,
    record: list[str],
    columns: dict[str, int],
    menu: _MenuIndex,
    plan: ImportPlan,
    seen_items: dict[int, int],
) -> None:
    errors: list[RowError] = []

    def error(column: str, message: str) -> None:
        errors.append(RowError(number, column, message))

    def cell(name: str) -> str | None:
        return record[columns[name]] if name in columns else None

    def required_cell(name: str) -> str:
        # One of REQUIRED_COLUMNS: `_header_columns` made sure the header has it.
        return record[columns[name]]

    # item_id
    item: Item | None = None
    raw_id = required_cell("item_id").strip()
    if raw_id:
        try:
            public_id = uuid.UUID(raw_id)
        except ValueError:
            error("item_id", "Not an item id. Leave it empty to add a new item.")
        else:
            # Another merchant's item is "no such item" too: ids are never confirmed.
            item = menu.items_by_public_id.get(public_id)
            if item is None:
                error("item_id", "No item with this id in this menu. Leave it empty to add one.")
            elif item.pk in seen_items:
                error("item_id", f"This item is on row {seen_items[item.pk]} already.")
            else:
                seen_items[item.pk] = number

    name = _cell_in(required_cell("name")).strip()
    if not name:
        error("name", "A name is required.")
    elif len(name) > (limit := _max_length(Item._meta.get_field("name"))):
        error("name", f"At most {limit} characters (this has {len(name)}).")

    description_cell = cell("description")
    if description_cell is not None:
        description = _cell_in(description_cell).strip()
        # A TextField's max_length is not checked by the model; the editor's form checks it.
        limit = _max_length(Item._meta.get_field("description"))
        if len(description) > limit:
            error("description", f"At most {limit:,} characters (this has {len(description):,}).")
    else:
        description = item.description if item else ""

    price: int | None = None
    try:
        price = price_parse(required_cell("price"), plan.money, decimal_comma=True)
    except PortalError as exc:
        error("price", exc.message)

    sections = _resolve(cell("sections"), menu.sections_by_label, "section", "sections", error)
    groups = _resolve(
        cell("modifier_groups"), menu.groups_by_label, "modifier group", "modifier_groups", error
    )

    # price is None only after a price error.
    if not errors and price is not None:
        # Any other rule of the model's fields, so the services cannot fail half-way (field by
        # field: building a model object per row is most of the cost of a big file).
        for column, value in (("name", name), ("description", description), ("price", price)):
            try:
                _ITEM_FIELDS[column].clean(value, None)
            except ValidationError as exc:
                for message in exc.messages:
                    error(column, message)
    if errors or price is None:
        plan.errors.extend(errors)
        return

    kinds: tuple[str, ...]
    if item is None:
        kinds = ("new",)
    else:
        changed = []
        if not _same_text(name, item.name):
            changed.append("name")
        if description_cell is not None and not _same_text(description, item.description):
            changed.append("description")
        if price != item.price:
            changed.append("price")
        now_in = set(menu.item_sections[item.pk])
        if sections is not None and {s.pk for s in sections} != now_in:
            changed.append("sections")
        if groups is not None and [g.pk for g in groups] != menu.item_groups[item.pk]:
            changed.append("modifier_groups")
        if not changed:
            return
        kinds = tuple(changed)
        # Only what changed is written; unchanged text keeps its stored form (line endings...).
        if "name" not in changed:
            name = item.name
        if "description" not in changed:
            description = item.description
    plan.changes.append(
        RowChange(
            row=number,
            item=item,
            name=name,
            description=description,
            price=price,
            sections=sections,
            groups=groups,
            kinds=kinds,
        )
    )


def _item_field(name: str) -> Field:
    field = Item._meta.get_field(name)
    assert isinstance(field, Field), name
    return field


_ITEM_FIELDS = {name: _item_field(name) for name in ("name", "description", "price")}


def _max_length(field: Field) -> int:
    """The max_length of one of Item's text fields (name and description both have one)."""
    limit = field.max_length
    assert limit is not None, field.name
    return limit


def _resolve(cell, by_label, noun: str, column: str, error) -> list | None:
    """The objects a `sections` or `modifier_groups` cell names (None: no such column)."""
    if cell is None:
        return None
    found, seen = [], set()
    for label in _split(_cell_in(cell)):
        match = by_label(label)
        if isinstance(match, str):
            error(column, match)
        elif match is None:
            error(column, f"No {noun} called “{label}”. Add it in the menu editor first.")
        elif match.pk not in seen:
            seen.add(match.pk)
            found.append(match)
    return found


# --- import: apply -----------------------------------------------------------------------------


@transaction.atomic
def menu_csv_apply(*, plan: ImportPlan, user: AbstractBaseUser | None = None) -> ImportPlan:
    """Write a checked plan through the menu services, in one transaction (trigger "import")."""
    if plan.errors:
        raise ValueError("An import with errors cannot be applied.")
    merchant, trigger = plan.merchant, Trigger.IMPORT
    section_adds: dict[int, list[Item]] = defaultdict(list)
    section_removes: dict[int, set[int]] = defaultdict(set)
    sections_by_pk: dict[int, Section] = {}

    for change in plan.changes:
        item = change.item
        if item is None:
            item = services.item_create(
                merchant=merchant,
                name=change.name,
                description=change.description,
                price=change.price,
                user=user,
                trigger=trigger,
            )
            change.item = item
        else:
            if "name" in change.kinds or "description" in change.kinds:
                services.item_update(
                    item=item,
                    name=change.name,
                    description=change.description,
                    user=user,
                    trigger=trigger,
                )
            if "price" in change.kinds:
                services.item_price_set(item=item, price=change.price, user=user, trigger=trigger)
        # A "modifier_groups" change always has its groups (None: the file has no such column).
        if change.groups is not None and (
            (change.is_new and change.groups) or "modifier_groups" in change.kinds
        ):
            services.item_groups_set(item=item, groups=change.groups, user=user, trigger=trigger)
        if change.sections is not None and ("sections" in change.kinds or change.is_new):
            now_in = set(plan._item_sections.get(item.pk, []))
            wanted = {section.pk for section in change.sections}
            for section in change.sections:
                sections_by_pk[section.pk] = section
                if section.pk not in now_in:
                    section_adds[section.pk].append(item)
            for section_pk in now_in - wanted:
                section_removes[section_pk].add(item.pk)

    touched = sorted(set(section_adds) | set(section_removes))
    if touched:
        # Whole lists per section, in their order, new items at the end.
        kept_pks = {pk for section_pk in touched for pk in plan._section_items.get(section_pk, [])}
        kept = Item.objects.in_bulk(kept_pks)
        missing = [pk for pk in touched if pk not in sections_by_pk]
        sections_by_pk.update(Section.objects.in_bulk(missing))
        for section_pk in touched:
            items = [
                kept[pk]
                for pk in plan._section_items.get(section_pk, [])
                if pk in kept and pk not in section_removes[section_pk]
            ]
            services.section_items_set(
                section=sections_by_pk[section_pk],
                items=items + section_adds[section_pk],
                user=user,
                trigger=trigger,
            )
    return plan


# --- the menu, indexed for reading and writing CSV ----------------------------------------------


class _MenuIndex:
    def __init__(self, merchant: Merchant) -> None:
        self.merchant = merchant
        self.money: MenuMoney
        self.items: dict[int, Item] = {}
        self.items_by_public_id: dict[uuid.UUID, Item] = {}
        self.item_sections: dict[int, list[int]] = defaultdict(list)
        self.section_items: dict[int, list[int]] = defaultdict(list)
        self.item_groups: dict[int, list[int]] = defaultdict(list)
        self.section_labels: dict[int, str] = {}
        self.group_labels: dict[int, str] = {}
        self._sections: _Labels
        self._groups: _Labels

    @classmethod
    def load(cls, *, merchant: Merchant) -> _MenuIndex:
        """The menu rows (`menu_rows_get`), with model objects for the services to write."""
        menu = cls(merchant)
        menu.money = menu_money(merchant)
        rows = menu_rows_get(merchant_id=merchant.pk)
        for pk, (public_id, name, description, _image, price) in rows.items.items():
            item = model_from_row(
                Item,
                id=pk,
                merchant_id=merchant.pk,
                public_id=uuid.UUID(public_id),
                name=name,
                description=description,
                price=price,
            )
            menu.items[pk] = item
            menu.items_by_public_id[item.public_id] = item
        sections = [
            model_from_row(
                Section,
                id=pk,
                merchant_id=merchant.pk,
                **{key: row[key] for key in ("public_id", "name", "description")},
                catalog_id=row["catalog_id"],
                parent_id=row["parent_id"],
            )
            for pk, row in sorted(rows.sections.items())
        ]
        groups = [
            model_from_row(
                ModifierGroup,
                id=pk,
                merchant_id=merchant.pk,
                public_id=uuid.UUID(public_id),
                name=name,
                min_selections=minimum,
                max_selections=maximum,
            )
            for pk, (public_id, name, minimum, maximum) in sorted(rows.groups.items())
        ]
        menu._sections = _Labels(sections, "section")
        menu._groups = _Labels(groups, "modifier group")
        menu.section_labels = menu._sections.labels
        menu.group_labels = menu._groups.labels
        for section_id in sorted(rows.section_items):
            for item_id in rows.section_items[section_id]:
                menu.section_items[section_id].append(item_id)
                menu.item_sections[item_id].append(section_id)
        for item_id, group_ids in rows.item_groups.items():
            menu.item_groups[item_id].extend(group_ids)
        return menu

    def sections_by_label(self, label: str):
        return self._sections.find(label)

    def groups_by_label(self, label: str):
        return self._groups.find(label)


class _Labels:
    """Each object's label: its name, or "name [1a2b3c4d]" when several share the name."""

    _SUFFIX = re.compile(r"^(?P<name>.*?)\s*\[(?P<id>[0-9a-fA-F]{4,32})\]$")

    def __init__(self, objects: list, noun: str) -> None:
        self.noun = noun
        self.objects = objects
        self.by_name: dict[str, list] = defaultdict(list)
        self.by_folded: dict[str, list] = defaultdict(list)
        for obj in objects:
            self.by_name[obj.name.strip()].append(obj)
            self.by_folded[obj.name.strip().casefold()].append(obj)
        self.labels = {
            obj.pk: obj.name.strip()
            if len(self.by_name[obj.name.strip()]) == 1
            else f"{obj.name.strip()} [{obj.public_id.hex[:8]}]"
            for obj in objects
        }

    def find(self, label: str):
        """The object, None if nothing matches, or a message if the label is ambiguous."""
        for index in (self.by_name.get(label), self.by_folded.get(label.casefold())):
            if index and len(index) == 1:
                return index[0]
            if index:
                return (
                    f"Several {self.noun}s are called “{label}”: add the start of its id as in "
                    f"an export, e.g. “{label} [{index[0].public_id.hex[:8]}]”."
                )
        suffix = self._SUFFIX.match(label)
        if suffix:
            wanted = suffix["id"].lower()
            name = suffix["name"].strip().casefold()
            matches = [
                obj for obj in self.by_folded.get(name, []) if obj.public_id.hex.startswith(wanted)
            ]
            if len(matches) == 1:
                return matches[0]
        return None


# --- cells -------------------------------------------------------------------------------------


def _join(labels) -> str:
    return "|".join(label.replace("\\", "\\\\").replace("|", "\\|") for label in labels)


def _split(cell: str) -> list[str]:
    """Labels of a ``|``-separated cell; ``\\`` escapes the next character."""
    parts, current, escaped = [], [], False
    for char in cell:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _cell_out(text: str) -> str:
    # Spreadsheets run cells starting like formulas (CSV injection): make them text.
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _cell_in(text: str) -> str:
    if len(text) > 1 and text[0] == "'" and text[1] in "".join(_FORMULA_START):
        return text[1:]
    return text


def _same_text(new: str, old: str) -> bool:
    """Equal once line endings and surrounding blanks are set aside (spreadsheets change them)."""

    def norm(value: str) -> str:
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()

    return norm(new) == norm(old)


def _original_name(plan: ImportPlan, folded: str) -> str:
    return next(c.name for c in plan.changes if c.is_new and c.name.casefold() == folded)
