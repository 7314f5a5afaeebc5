"""Where a CatalogSet problem is, in words a merchant reads.

The four entity kinds of a CatalogSet and the references between them, `CatalogProblem`, and the
JSONPaths and labels (`Item “Classic Burger”`) that problems carry.
"""

from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CatalogProblem:
    code: str
    message: str
    json_path: str
    entity: str | None = None
    entity_id: str | None = None


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: cheap graph nodes
class Kind:
    dictionary: str
    id_field: str
    entity: str
    noun: str
    title: str


CATALOG = Kind("catalogs", "catalogId", "catalog", "catalog", "Catalog")
SECTION = Kind("sections", "sectionId", "section", "section", "Section")
ITEM = Kind("items", "itemId", "item", "item", "Item")
GROUP = Kind(
    "modifierGroups", "modifierGroupId", "modifierGroup", "modifier group", "Modifier group"
)
KINDS = (CATALOG, SECTION, ITEM, GROUP)
_BY_DICTIONARY = {kind.dictionary: kind for kind in KINDS}

# The five reference kinds (REFERENCE §17.2): entity kind, id-list field, kind it points at.
REFERENCES = (
    (CATALOG, "sectionIds", SECTION),
    (SECTION, "sectionIds", SECTION),
    (SECTION, "itemIds", ITEM),
    (ITEM, "modifierGroupIds", GROUP),
    (GROUP, "itemIds", ITEM),
)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def json_path(*parts: Any, rooted: bool = True) -> str:
    """JSONPath for a location: `$.items['<id>'].modifierGroupIds[0]`.

    Entity ids (the keys of the four dictionaries) are always in brackets, so paths look the same
    whatever the id; other names use dots when they can. `rooted=False` is for a path inside one
    entity, where no part is an entity id.
    """
    out = ["$"]
    for position, part in enumerate(parts):
        if rooted and position == 1 and parts[0] in _BY_DICTIONARY:
            out.append(_bracketed(part))
        elif isinstance(part, int) and not isinstance(part, bool):
            out.append(f"[{part}]")
        elif isinstance(part, str) and _IDENTIFIER.fullmatch(part):
            out.append("." + part)
        else:
            out.append(_bracketed(part))
    return "".join(out)


def _bracketed(part: object) -> str:
    escaped = str(part).replace("\\", "\\\\").replace("'", "\\'")
    return f"['{escaped}']"


def entity_label(kind: Kind, key: object, entity: object) -> str:
    """`Item “Classic Burger”`, or the id when the entity has no name."""
    name = entity.get("name") if isinstance(entity, dict) else None
    shown = name if isinstance(name, str) and name.strip() else key
    return f"{kind.title} “{truncate(str(shown), 80)}”"


def describe(parts: list[Any], doc: object) -> tuple[str, str | None, str | None]:
    """Who a schema error is about: ("Item “Fries”: basePrice", "item", id) and the like."""
    kind = _BY_DICTIONARY.get(parts[0]) if parts and isinstance(parts[0], str) else None
    if kind is not None and len(parts) >= 2 and isinstance(doc, dict):
        entries = doc.get(kind.dictionary)
        entity = entries.get(parts[1]) if isinstance(entries, dict) else None
        label = entity_label(kind, parts[1], entity)
        field = json_path(*parts[2:], rooted=False)[1:].lstrip(".")
        return (f"{label}: {field}" if field else label), kind.entity, str(parts[1])
    field = json_path(*parts)[1:].lstrip(".")
    return (f"The CatalogSet: {field}" if field else "The CatalogSet"), None, None


def shown(value: object) -> str:
    if isinstance(value, str):
        return f"“{truncate(value, 80)}”"
    return truncate(reprlib.repr(value), 80)


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
