"""The CatalogSet JSON Schema, checked fast.

fastjsonschema (and, for large menus, a plain-Python gate) decides whether a document is valid;
jsonschema writes the messages, only for the entities that fail.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from gett.catalogset.paths import KINDS, CatalogProblem, describe, json_path, shown, truncate

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "spec" / "catalogset.schema.json"


@cache
def load_schema() -> dict:
    """The CatalogSet JSON Schema (draft 2020-12). Shared and cached: do not mutate it."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


# Format is only an annotation in draft 2020-12 unless a checker asserts it. The schema's one
# format is imageUrl's "uri": Gett downloads the image, so a relative or broken URL is a problem.
FORMAT_CHECKER = FormatChecker(formats=())


@FORMAT_CHECKER.checks("uri")
def _is_uri(value: object) -> bool:
    # jsonschema's own "uri" check needs rfc3987; an absolute URI is all we ask.
    if not isinstance(value, str):
        return True
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "http://[" (an unclosed IPv6 literal)
        return False
    return bool(parts.scheme) and bool(parts.netloc or parts.path) and " " not in value


@cache
def _schema_validator() -> Draft202012Validator:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


def schema_problems(doc: object) -> list[CatalogProblem]:
    try:
        if _plainly_valid(doc) or _is_valid(_fast_schema(), doc):
            return []
        errors = list(_schema_validator().iter_errors(_entities_to_check(doc)))
    except RecursionError:
        return [
            CatalogProblem("SCHEMA", "The CatalogSet is nested too deeply to be read.", "$"),
        ]
    return [_schema_problem(error, doc) for error in errors]


# jsonschema takes about 6 s on a 5,000-item menu; fastjsonschema compiles the same schema file to
# Python and only answers "valid or not". It is the gate; jsonschema writes the messages, and only
# for the entities fastjsonschema rejects. (fastjsonschema also takes a tuple for an array, which
# jsonschema does not; parsed JSON has no tuples.)


@cache
def _fast_schema() -> Callable[[Any], Any]:
    """The whole document's fastjsonschema validator: raises `JsonSchemaValueException`."""
    return _fast_compile(load_schema())


@cache
def _fast_dictionary(name: str) -> Callable[[Any], Any]:
    """The validator of one root dictionary of entities (key and value), e.g. "items"."""
    schema = load_schema()
    return _fast_compile({"$defs": schema["$defs"], **schema["properties"][name]})


def _fast_compile(schema: dict) -> Callable[[Any], Any]:
    # fastjsonschema may write into the schema it compiles; the cached one is shared.
    return fastjsonschema.compile(
        copy.deepcopy(schema),
        formats={"uri": _is_uri},
        use_default=False,
        detailed_exceptions=False,
    )


def _is_valid(validate: Callable[[Any], Any], value: object) -> bool:
    try:
        validate(value)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


# A large menu's items and modifier groups are most of the work of fastjsonschema, whose generated
# code formats an error path for every entity and every id it visits. `_plainly_valid` checks them
# in plain Python, accepting only plain values (exact dict, list, str, int, float; no tuples,
# subclasses, bools for numbers or NaN): whatever it accepts, fastjsonschema accepts, so the answer
# is the same, and whatever it does not accept goes to fastjsonschema as before. It is written
# against one version of the schema file: any other version turns it off (then fastjsonschema
# alone decides, as before).
SCHEMA_FILE_SHA256 = "69da5e08ddbf38e88c11014ea52ac8e5d59733442e687ddb5d2aacdad55bc027"


@cache
def _plain_gate_applies() -> bool:
    return hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_FILE_SHA256


def _plainly_valid(doc: object) -> bool:
    """True only when `doc` is schema-valid and made of plain values (see above)."""
    if doc.__class__ is not dict or not _plain_gate_applies():
        return False
    for field in ("catalogSetId", "storeId"):
        if field in doc and not _plain_id(doc[field]):
            return False
    catalogs, sections = doc.get("catalogs"), doc.get("sections")
    items, groups = doc.get("items"), doc.get("modifierGroups")
    if not (
        catalogs.__class__ is dict
        and sections.__class__ is dict
        and items.__class__ is dict
        and groups.__class__ is dict
    ):
        return False
    # Catalogs and sections are few: fastjsonschema checks them, dictionary by dictionary.
    return (
        _plain_items(items)
        and _plain_groups(groups)
        and _is_valid(_fast_dictionary("catalogs"), catalogs)
        and _is_valid(_fast_dictionary("sections"), sections)
    )


def _plain_id(value: object) -> bool:
    return value.__class__ is str and value != ""


def _plain_id_list(value: object) -> bool:
    if value.__class__ is not list:
        return False
    for ref in value:
        if ref.__class__ is not str or not ref:
            return False
    return True


def _plain_items(items: dict) -> bool:
    """Every entry an Item of $defs, under an Id (propertyNames)."""
    is_uri = _is_uri
    id_list = _plain_id_list
    for key, item in items.items():
        if key.__class__ is not str or not key or item.__class__ is not dict:
            return False
        get = item.get
        value = get("itemId")
        if value.__class__ is not str or not value:
            return False
        if get("name", "").__class__ is not str:
            return False
        value = get("description")
        if value is not None and value.__class__ is not str:
            return False
        value = get("imageUrl")
        if value is not None and (value.__class__ is not str or not is_uri(value)):
            return False
        value = get("basePrice", 0)
        if (value.__class__ is not float and value.__class__ is not int) or not value >= 0:
            return False  # not a plain number, negative or NaN
        if "modifierGroupIds" in item and not id_list(item["modifierGroupIds"]):
            return False
    return True


_SELECTION_COUNTS = ("minSelections", "maxSelections", "minimumAllowed", "maximumAllowed")


def _plain_groups(groups: dict) -> bool:
    """Every entry a ModifierGroup of $defs, under an Id (propertyNames)."""
    id_list = _plain_id_list
    for key, group in groups.items():
        if key.__class__ is not str or not key or group.__class__ is not dict:
            return False
        get = group.get
        value = get("modifierGroupId")
        if value.__class__ is not str or not value:
            return False
        if get("name", "").__class__ is not str:
            return False
        if "itemIds" not in group or not id_list(group["itemIds"]):
            return False
        for field in _SELECTION_COUNTS:
            value = get(field, 0)
            if value.__class__ is not int or value < 0:
                return False
    return True


def _entities_to_check(doc: object) -> object:
    """`doc` without the entities fastjsonschema finds valid, one by one.

    Dictionary keys are kept, so jsonschema's error paths are those of a whole-document run.
    """
    if not isinstance(doc, dict):
        return doc
    pruned = dict(doc)
    for kind in KINDS:
        entries = doc.get(kind.dictionary)
        if isinstance(entries, dict):
            validate = _fast_dictionary(kind.dictionary)
            pruned[kind.dictionary] = {
                key: value
                for key, value in entries.items()
                if not _is_valid(validate, {key: value})
            }
    return pruned


def _schema_problem(error: ValidationError, doc: object) -> CatalogProblem:
    parts: list[Any] = list(error.absolute_path)
    instance = error.instance
    keyword = error.validator
    where, entity, entity_id = describe(parts, doc)
    if "propertyNames" in error.schema_path:
        # The error is about a dictionary key: point at the key itself.
        parts.append(instance)
        where, entity, entity_id = describe(parts, doc)
        dictionary = parts[0] if len(parts) > 1 else "a dictionary"
        message = (
            f"An entry in {dictionary} has an invalid id {shown(instance)}; ids are non-empty text."
        )
    elif keyword == "required":
        missing = [
            name
            for name in error.validator_value
            if isinstance(instance, dict)
            and name not in instance
            and error.message.startswith(repr(name))
        ]
        if missing:
            parts.append(missing[0])
            message = f"{where} is missing “{missing[0]}”."
        else:
            message = f"{where}: {truncate(error.message, 200)}"
    elif keyword == "type":
        expected = error.validator_value
        expected = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_TYPE_NAMES.get(name, name) for name in expected)
        message = f"{where} must be {wanted} (got {_type_name(instance)})."
    elif keyword == "minimum":
        message = f"{where} must be at least {error.validator_value} (got {shown(instance)})."
    elif keyword == "minLength":
        message = f"{where} must not be empty."
    elif keyword == "pattern" and error.validator_value == _time_pattern():
        message = f"{where} must be a time written HH:mm:ss, like 09:30:00 (got {shown(instance)})."
    elif keyword == "enum":
        allowed = ", ".join(str(value) for value in error.validator_value)
        message = f"{where} must be one of {allowed} (got {shown(instance)})."
    elif keyword == "format" and error.validator_value == "uri":
        message = f"{where} must be a full web address such as https://… (got {shown(instance)})."
    else:
        message = f"{where}: {truncate(error.message, 200)}"
    return CatalogProblem("SCHEMA", message, json_path(*parts), entity, entity_id)


@cache
def _time_pattern() -> str | None:
    return load_schema().get("$defs", {}).get("TimeOfDay", {}).get("pattern")


_TYPE_NAMES = {
    "object": "an object",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "null": "null",
    "boolean": "true or false",
}


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | float):
        return f"the number {value}"
    return type(value).__name__
