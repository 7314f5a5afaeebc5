"""Whether a CatalogSet document is valid: the JSON Schema, then the rules it cannot express.

This is the one place that decides (REFERENCE §17.7). The Gett sandbox uses it to reject what
Gett rejects, and the menu publisher uses it so that it never publishes a broken menu. It imports
no other app of ours and never raises on bad input: every finding comes back as a
`CatalogProblem`.
"""

from __future__ import annotations

from gett.catalogset.paths import KINDS, CatalogProblem
from gett.catalogset.rules import Menu, store_problems
from gett.catalogset.schema import schema_problems


def catalogset_problems(doc: object, *, store: dict | None = None) -> list[CatalogProblem]:
    """Everything wrong with `doc`, schema problems first; an empty list means it is valid.

    `store` is `{"deliveryAllowed": bool, "pickupAllowed": bool}` when the caller knows them.
    """
    problems = schema_problems(doc)
    if isinstance(doc, dict) and all(isinstance(doc.get(k.dictionary), dict) for k in KINDS):
        problems += Menu(doc).problems()
    if store is not None:
        problems += store_problems(store)
    return problems


def catalogset_counts(doc: dict) -> dict[str, int]:
    """How many entities each dictionary holds (0 when it is missing or not a dictionary)."""
    counts = {}
    for kind in KINDS:
        value = doc.get(kind.dictionary) if isinstance(doc, dict) else None
        counts[kind.dictionary] = len(value) if isinstance(value, dict) else 0
    return counts
