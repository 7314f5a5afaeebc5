"""Check JSON against the shared Gett OpenAPI description (gett/spec/commerce-api.openapi.yaml).

    assert_valid(body, "StoreStatusUpdate")                      # one components.schemas entry
    assert_valid_response(response, "/v1/commerce/stores/{storeId}", "get")   # reply of an operation
    assert_valid_request(body, "/v1/commerce/stores/{storeId}/status", "post")
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from django.conf import settings
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_DIR = Path(settings.BASE_DIR) / "gett" / "spec"
# The CatalogSet schema's own $id sits in this folder, so the spec's './catalogset.schema.json'
# reference resolves against it.
SPEC_URI = "https://example.invalid/gett-api/commerce-api.openapi.yaml"

FORMAT_CHECKER = FormatChecker()


@FORMAT_CHECKER.checks("uri")
def _is_uri(value: object) -> bool:
    # jsonschema checks "uri" only with rfc3987 installed; an absolute URI is all Gett asks.
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path) and " " not in value


@cache
def spec() -> dict[str, Any]:
    return yaml.safe_load((SPEC_DIR / "commerce-api.openapi.yaml").read_text())


@cache
def _registry() -> Registry:
    catalogset = json.loads((SPEC_DIR / "catalogset.schema.json").read_text())
    return Registry().with_resources(
        [
            (SPEC_URI, Resource.from_contents(spec(), default_specification=DRAFT202012)),
            (catalogset["$id"], Resource.from_contents(catalogset)),
        ]
    )


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    # Schemas taken out of the spec keep their '#/components/...' refs: give them the spec's URI.
    return Draft202012Validator(
        {"$id": SPEC_URI, **schema}, registry=_registry(), format_checker=FORMAT_CHECKER
    )


def _check(instance: Any, schema: dict[str, Any], what: str) -> None:
    errors = sorted(_validator(schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]
        raise AssertionError(f"{what} does not match the OpenAPI schema:\n" + "\n".join(lines))


def _deref(ref: str) -> dict[str, Any]:
    node: Any = spec()
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def assert_valid(instance: Any, schema_name: str) -> None:
    """Validate against `components.schemas[schema_name]`."""
    assert schema_name in spec()["components"]["schemas"], schema_name
    _check(instance, {"$ref": f"#/components/schemas/{schema_name}"}, schema_name)


def response_schema(path: str, method: str, status: int) -> tuple[str, dict[str, Any]] | None:
    """(media type, schema) the spec gives for this reply, or None when it has no body."""
    responses = spec()["paths"][path][method]["responses"]
    reply = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    if reply is None:
        raise AssertionError(f"{method.upper()} {path} has no documented {status} reply")
    if "$ref" in reply:
        reply = _deref(reply["$ref"])
    content = reply.get("content")
    if not content:
        return None
    media_type, body = next(iter(content.items()))
    return media_type, body["schema"]


def assert_valid_response(response: Any, path: str, method: str) -> Any:
    """Validate a Django test response's status, Content-Type and body against the operation."""
    found = response_schema(path, method, response.status_code)
    if found is None:
        assert not response.content, response.content
        return None
    media_type, schema = found
    assert response["Content-Type"].split(";")[0] == media_type, response["Content-Type"]
    body = json.loads(response.content)
    _check(body, schema, f"{method.upper()} {path} {response.status_code} reply")
    return body


def assert_valid_request(body: Any, path: str, method: str) -> None:
    """Validate a request body we send against the operation's requestBody schema."""
    content = spec()["paths"][path][method]["requestBody"]["content"]
    _check(body, content["application/json"]["schema"], f"{method.upper()} {path} request")
