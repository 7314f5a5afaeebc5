"""The merchant API schema says what the API really answers: every error is problem+json.

A drf-spectacular postprocessing hook (settings `SPECTACULAR_SETTINGS`). One translation gives
every API error the same shape (`portal.api_errors`), so the schema documents it in one place
rather than on each view: any operation can answer 401 (no or bad token), 403 (a role that may
not), 429 (throttled); one with a path id or a page 404; one with input 400 (and 413 for a body
too large). A view's own description of a status is kept; only the body is added.
"""

from __future__ import annotations

from typing import Any

from gett.problems import PROBLEM_CONTENT_TYPE, PROBLEM_JSON_SCHEMA, PROBLEM_SCHEMA_NAME

API_PREFIX = "/api/"
METHODS = ("get", "put", "post", "patch", "delete")

DESCRIPTIONS = {
    "400": "Invalid input: problem+json with one errors[] entry (jsonPath) per problem.",
    "401": "No token, or not a valid one.",
    "403": "Your role cannot do this.",
    "404": "No such object among your merchants (or a malformed id, or a page past the end).",
    "413": "Request body too large.",
    "429": "Too many requests: slow down (Retry-After).",
}

# JSON Schema's `time` format is RFC 3339 `full-time`, which needs an offset; the API's times are
# a store's wall-clock times ("11:00:00"), so they are described by a pattern instead.
LOCAL_TIME = {
    "type": "string",
    "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$",
    "example": "11:00:00",
}


def _statuses(path: str, operation: dict) -> list[str]:
    parameters = operation.get("parameters", [])
    has_input = "requestBody" in operation or any(p.get("in") == "query" for p in parameters)
    paged = any(p.get("in") == "query" and p.get("name") == "page" for p in parameters)
    found = ["401", "403", "429"]
    if has_input:
        found.append("400")
    if "requestBody" in operation:
        found.append("413")
    if "{" in path or paged:
        found.append("404")
    return found


def _local_times(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            del node["format"]
            for key, value in LOCAL_TIME.items():
                node.setdefault(key, value)
        for value in node.values():
            _local_times(value)
    elif isinstance(node, list):
        for value in node:
            _local_times(value)


def problems_postprocess(result: dict, generator: Any, request: Any, public: bool) -> dict:
    schema = {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA_NAME}"}
    content = {PROBLEM_CONTENT_TYPE: {"schema": schema}}
    for path, item in result.get("paths", {}).items():
        if not path.startswith(API_PREFIX):
            continue
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, operation):
                responses.setdefault(status, {"description": DESCRIPTIONS[status]})
            for status, response in responses.items():
                if status.startswith("4") and "content" not in response:
                    response["content"] = content
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(PROBLEM_SCHEMA_NAME, PROBLEM_JSON_SCHEMA)
    _local_times(schemas)
    return result
