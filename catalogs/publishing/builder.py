"""The CatalogSet document we publish for a store (REFERENCE §17), and how it is checked.

Every wire choice REFERENCE marks "(inferred)" that the menu makes is taken here, once:

* `storeId` is the partner store id (our `Store.public_id`), the id the notification carries.
* Entity ids are the `public_id` of each catalog, section, item and modifier group.
* `catalogSetId` is derived from the content (`catalogset_id_for`): identical menus get the
  same id, so an unchanged menu is never re-sent, and a new menu always gets a new one.
* Money: `Item.price` is integer minor units; on the wire `basePrice` goes through
  `gett.wire.money_to_wire` in the currency of the store being published. A merchant's menu
  is shared by its stores, so the same number is read in each store's own currency (1450 is
  14.50 GBP in a GBP store and 14.50 EUR in a EUR store): merchants with stores in several
  currencies price in the smallest units of each.
* Modifier group limits go out in both spellings, `minSelections`/`maxSelections` and
  `minimumAllowed`/`maximumAllowed`, with the same values.
* `dayOfWeek` is the English weekday name; times are `HH:mm:ss` in the store's local time;
  a window past midnight is split in two at 00:00:00.
* Snoozed items are left out of `items` and of every list that names them; their ids stay.
  An item that cannot be ordered because snoozes left one of its required groups short of
  options is left out the same way; a group whose maximum is above the options still on sale
  (because of snoozes) is capped at that number.

Canonical JSON (what is hashed and uploaded): sorted keys, no spaces, UTF-8.
"""

from __future__ import annotations

import gc
import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time

from django.conf import settings
from django.utils import timezone

from catalogs.models import MIDNIGHT, Item
from catalogs.selectors import MenuRows, menu_rows_get
from gett.catalogset.paths import CatalogProblem
from gett.catalogset.validation import catalogset_problems
from gett.wire import money_to_wire
from stores.models import Store

# Fixed forever: catalogSetIds of published menus are derived from it.
CATALOGSET_NAMESPACE = uuid.UUID("5b0e2f7c-9a43-4c55-8d0e-6f1a7c3b2d90")

# AvailabilityWindow.weekday (0 = Monday, as date.weekday()) -> Gett's dayOfWeek.
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- identity ------------------------------------------------------------------------------


def catalogset_canonical_json(document: dict) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def catalogset_content_hash(document: dict) -> str:
    """SHA-256 of the document's canonical JSON, leaving out its own catalogSetId."""
    content = {key: value for key, value in document.items() if key != "catalogSetId"}
    return hashlib.sha256(catalogset_canonical_json(content)).hexdigest()


def catalogset_id_for(content_hash: str) -> str:
    return str(uuid.uuid5(CATALOGSET_NAMESPACE, content_hash))


def _canonical_json_with_id(document: dict, content_json: bytes) -> bytes:
    """`catalogset_canonical_json(document)`, from that of the document without its id.

    Keys are sorted and "catalogSetId" sorts before every key the builder writes ("S" < "s"),
    so it is the first member: the one serialisation of the content serves for both.
    """
    content_keys = [key for key in document if key != "catalogSetId"]
    if not content_keys or min(content_keys) <= "catalogSetId" or content_json[:1] != b"{":
        return catalogset_canonical_json(document)  # never for our documents
    head = catalogset_canonical_json({"catalogSetId": document["catalogSetId"]})
    return head[:-1] + b"," + content_json[1:]


# --- building --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltCatalogSet:
    """A built CatalogSet with what publishing needs of it, each computed once."""

    document: dict
    content_hash: str  # catalogset_content_hash(document)
    body: bytes  # catalogset_canonical_json(document): what is uploaded


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: building a large menu allocates hundreds of
    thousands of containers, and every collection would walk them all (about doubling the
    time). The document holds no cycles, so reference counting frees it all the same."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def catalog_build(*, store: Store, now: datetime | None = None) -> dict:
    """The CatalogSet of everything `store` sells right now.

    Nine queries whatever the size of the menu: the merchant's whole menu is read as rows,
    then walked from the catalogs the store sells.
    """
    return catalog_build_for_publish(store=store, now=now).document


def catalog_build_for_publish(*, store: Store, now: datetime | None = None) -> BuiltCatalogSet:
    """`catalog_build`, with the content hash and the canonical JSON (serialised once)."""
    with gc_paused():
        menu = menu_rows_get(merchant_id=store.merchant_id, store=store, now=now or timezone.now())
        content = {
            # (inferred) storeId: the partner store id, as in the notification's query string.
            "storeId": store.partner_store_id,
            **entities(menu, currency=store.currency),
        }
        content_json = catalogset_canonical_json(content)
        content_hash = hashlib.sha256(content_json).hexdigest()
        document = content  # the same dictionary, now with its id (the last key, as before)
        document["catalogSetId"] = catalogset_id_for(content_hash)
        body = _canonical_json_with_id(document, content_json)
    return BuiltCatalogSet(document=document, content_hash=content_hash, body=body)


def entities(rows: MenuRows, *, currency: str) -> dict:
    """The four dictionaries, holding what the sold catalogs reach.

    Sections are walked depth first from the catalogs, then items (and the groups and
    options they reach) last in, first out: the order of every dictionary and list is
    part of the output (the canonical JSON sorts only keys).
    """
    catalogs: dict[str, dict] = {}
    sections: dict[str, dict] = {}
    items: dict[str, dict] = {}
    groups: dict[str, dict] = {}
    all_items = rows.items
    all_groups = rows.groups
    unavailable = rows.unavailable
    item_queue: list[int] = []
    queue_item = item_queue.append
    none: tuple[int, ...] = ()

    def section_ids(ids: list[int]) -> list[str]:
        return [str(rows.sections[pk]["public_id"]) for pk in ids]

    def item_ids(ids: list[int] | tuple[int, ...]) -> list[str]:
        out = []
        for pk in ids:
            if pk in unavailable:
                continue  # snoozed
            item = all_items.get(pk)
            if item is None:
                continue  # (never by our services) another merchant's item
            out.append(item[0])
            queue_item(pk)
        return out

    section_queue: list[int] = []
    for catalog in rows.catalogs:
        roots = rows.root_sections.get(catalog["id"], [])
        section_queue.extend(roots)
        catalog_id = str(catalog["public_id"])
        catalogs[catalog_id] = {
            "catalogId": catalog_id,
            "name": catalog["name"],
            "description": catalog["description"],
            "sectionIds": section_ids(roots),
            "availability": wire_availability(rows.windows.get(catalog["id"], [])),
        }

    seen_sections: set[int] = set()
    while section_queue:
        pk = section_queue.pop()
        if pk in seen_sections:
            continue
        seen_sections.add(pk)
        section = rows.sections[pk]
        children = rows.child_sections.get(pk, [])
        section_queue.extend(children)
        section_id = str(section["public_id"])
        sections[section_id] = {
            "sectionId": section_id,
            "name": section["name"],
            "description": section["description"],
            "itemIds": item_ids(rows.section_items.get(pk, [])),
            "sectionIds": section_ids(children),
        }

    item_groups = rows.item_groups
    options_of = rows.options
    wire_prices: dict[int, float] = {}  # money_to_wire per price: menus repeat prices
    seen_items: set[int] = set()
    seen_groups: set[int] = set()
    pop_item = item_queue.pop
    while item_queue:
        pk = pop_item()
        if pk in seen_items:
            continue
        seen_items.add(pk)
        item_id, name, description, image, price = all_items[pk]
        group_pks = [g for g in item_groups.get(pk, none) if g in all_groups]
        base_price = wire_prices.get(price)
        if base_price is None:
            base_price = wire_prices[price] = money_to_wire(price, currency)
        item = items[item_id] = {
            "itemId": item_id,
            "name": name,
            "description": description,
            "basePrice": base_price,
            "modifierGroupIds": [all_groups[g][0] for g in group_pks],
        }
        if image:
            item["imageUrl"] = _image_url(image)
        for group_pk in group_pks:
            if group_pk in seen_groups:
                continue
            seen_groups.add(group_pk)
            group_id, group_name, minimum, maximum = all_groups[group_pk]
            all_options = options_of.get(group_pk, none)
            options = item_ids(all_options)
            if len(options) < maximum <= len(all_options):
                maximum = len(options)  # snoozed options cannot be chosen
            groups[group_id] = {
                "modifierGroupId": group_id,
                "name": group_name,
                "itemIds": options,
                # (inferred) both spellings of the limits, REFERENCE §17.3.
                "minSelections": minimum,
                "maxSelections": maximum,
                "minimumAllowed": minimum,
                "maximumAllowed": maximum,
            }
    return {
        "catalogs": catalogs,
        "sections": sections,
        "items": items,
        "modifierGroups": groups,
    }


def wire_availability(windows: list[tuple[int, time, time]]) -> list[dict]:
    """Gett's availability list: one entry per day, windows past midnight split at 00:00:00."""
    split: set[tuple[int, time, time]] = set()
    for weekday, start, end in windows:
        if end != MIDNIGHT and start > end:
            split.add((weekday, start, MIDNIGHT))
            split.add(((weekday + 1) % 7, MIDNIGHT, end))
        else:
            split.add((weekday, start, end))
    ordered = sorted(split, key=lambda w: (w[0], w[1], w[2] == MIDNIGHT, w[2]))
    return [
        {"dayOfWeek": WEEKDAY_NAMES[weekday], "start": _wire_time(start), "end": _wire_time(end)}
        for weekday, start, end in ordered
    ]


def _wire_time(value: time) -> str:
    return value.strftime("%H:%M:%S")


def _image_url(name: str) -> str:
    url = Item._meta.get_field("image").storage.url(name)
    return url if "://" in url else f"{settings.PUBLIC_BASE_URL}{url}"


# --- checking ------------------------------------------------------------------------------


def catalog_validate(*, store: Store, document: dict) -> list[CatalogProblem]:
    """Everything that stops `document` from being published for `store` (empty: publish)."""
    with gc_paused():
        problems = catalogset_problems(
            document,
            store={
                "deliveryAllowed": store.delivery_allowed,
                "pickupAllowed": store.pickup_allowed,
            },
        )
    catalogs = document.get("catalogs")
    if isinstance(catalogs, dict) and catalogs:
        if not any(isinstance(c, dict) and c.get("availability") for c in catalogs.values()):
            problems.append(
                CatalogProblem(
                    "NO_OPENING_HOURS",
                    "None of the catalogs this store sells has opening hours, so the store is "
                    "never open on Gett. Add opening hours to at least one catalog.",
                    "$.catalogs",
                )
            )
    return problems


def problem_as_dict(problem: CatalogProblem) -> dict:
    return {
        "code": problem.code,
        "message": problem.message,
        "jsonPath": problem.json_path,
        "entity": problem.entity,
        "entityId": problem.entity_id,
    }
