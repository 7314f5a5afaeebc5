"""Strict JSON decoding for every body the sandbox reads: requests, catalog files, replies.

Python's `json` is lenient where JSON (RFC 8259) and Gett are not: it keeps the last of two
members with the same name, reads NaN and Infinity, and lets a lone UTF-16 surrogate (`"\\ud800"`)
through as a string that cannot be encoded again (and fails later, deep in the database or a
reply). `loads` refuses all three with a ValueError saying which.
"""

from __future__ import annotations

import json
from typing import Any


def loads(text: str) -> Any:
    document = json.loads(text, object_pairs_hook=_unique_members, parse_constant=_no_constant)
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            "it contains a lone UTF-16 surrogate escape (such as \\ud800), which is not text"
        ) from None
    return document


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for name, value in pairs:
        if name in document:
            raise ValueError(f"the member {name!r} appears more than once in one object")
        document[name] = value
    return document


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")
