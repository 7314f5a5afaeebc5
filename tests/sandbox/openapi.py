"""Check JSON against the shared Gett OpenAPI description (gett/spec/commerce-api.openapi.yaml).

`assert_valid(body, "Store")` checks one `components.schemas` entry;
`assert_valid_response(response, "/v1/commerce/stores/{storeId}", "get")` checks a test-client
reply (status, Content-Type and body) against what the operation documents, and
`assert_valid_request(body, path, "post")` checks a body we are about to send.
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


def _pointer(*parts: str) -> str:
    """A JSON pointer into the spec, as a full URI, so refs inside resolve against the spec."""
    escaped = (part.replace("~", "~0").replace("/", "~1") for part in parts)
    return SPEC_URI + "#/" + "/".join(escaped)


def _check(instance: Any, pointer: str, what: str) -> None:
    validator = Draft202012Validator(
        {"$ref": pointer}, registry=_registry(), format_checker=FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
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
    _check(instance, _pointer("components", "schemas", schema_name), schema_name)


# REFERENCE §3: "Common error statuses on all of them: 400, 401, 403, 404, 409, 422, 429, 500,
# 503". The spec lists them per operation and leaves some out (no 422 on the catalog
# notification, no 500/503 on most reads), so an error reply with one of these statuses is
# checked against the shared response of that name. Success replies get no such fallback.
COMMON_ERROR_RESPONSES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    422: "Unprocessable",
    429: "TooManyRequests",
    500: "ServerError",
    503: "Unavailable",
}


def response_schema(path: str, method: str, status: int) -> tuple[str, str] | None:
    """(media type, schema pointer) the spec gives for this reply, or None when it has no body."""
    responses = spec()["paths"][path][method]["responses"]
    key = str(status) if str(status) in responses else f"{str(status)[0]}XX"
    if key not in responses and status in COMMON_ERROR_RESPONSES:
        key = str(status)
        responses = {key: {"$ref": f"#/components/responses/{COMMON_ERROR_RESPONSES[status]}"}}
    if key not in responses:
        raise AssertionError(f"{method.upper()} {path} has no documented {status} reply")
    parts = ["paths", path, method, "responses", key]
    reply = responses[key]
    if "$ref" in reply:
        parts = reply["$ref"].removeprefix("#/").split("/")
        reply = _deref(reply["$ref"])
    content = reply.get("content")
    if not content:
        return None
    media_type = next(iter(content))
    return media_type, _pointer(*parts, "content", media_type, "schema")


def assert_valid_response(response: Any, path: str, method: str) -> Any:
    """Validate a Django test response's status, Content-Type and body against the operation.

    Also works for a `requests.Response` (live-server tests): it has the same three parts.
    """
    status = response.status_code
    found = response_schema(path, method, status)
    if found is None:
        assert not response.content, response.content
        return None
    media_type, pointer = found
    content_type = response.headers.get("Content-Type", "")
    assert content_type.split(";")[0] == media_type, content_type
    body = json.loads(response.content)
    _check(body, pointer, f"{method.upper()} {path} {status} reply")
    return body


def assert_valid_request(body: Any, path: str, method: str) -> None:
    """Validate a request body we send against the operation's requestBody schema."""
    assert "application/json" in spec()["paths"][path][method]["requestBody"]["content"]
    pointer = _pointer(
        "paths", path, method, "requestBody", "content", "application/json", "schema"
    )
    _check(body, pointer, f"{method.upper()} {path} request")
