"""RFC 9457 problem+json replies in Gett's shape (REFERENCE §12-13), for what we answer.

Gett's webhooks get these, and so does every error of the merchant API: one shape for both.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"

# What `problem_body` writes, as a JSON Schema: the OpenAPI schema's one "Problem" component,
# which the merchant API's errors (portal.api_schema) and Gett's webhooks (orders.webhooks.schema)
# both point at.
PROBLEM_SCHEMA_NAME = "Problem"
PROBLEM_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details, in Gett's shape (gett.problems).",
    "required": ["type", "title", "status", "detail", "errorCode", "errors"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errorCode": {"type": "string", "description": "Gett's vocabulary (REFERENCE §13)."},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "message", "jsonPath"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "jsonPath": {"type": "string", "example": "$.cart.lineItems[0].quantity"},
                },
            },
        },
    },
}

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

# Our HTTP statuses in Gett's errorCode vocabulary (REFERENCE §13), where the caller gives none.
DEFAULT_CODES = {
    400: "INVALID_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    422: "VALIDATION_FAILED",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


def field_error(json_path: str, message: str, code: str = "invalid") -> dict[str, str]:
    """One entry of a problem's `errors[]`: `$.price`, `$.cart.items[2].quantity`, `$`."""
    return {"code": code, "message": message, "jsonPath": json_path}


def problem_body(
    *,
    status: int,
    detail: str,
    error_code: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    instance: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "errorCode": error_code or DEFAULT_CODES.get(status, "INVALID_REQUEST"),
        "errors": errors or [],
    }
    if instance:
        body["instance"] = instance
    return body


def problem_response(
    *,
    status: int,
    detail: str,
    error_code: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body = problem_body(
        status=status, detail=detail, error_code=error_code, errors=errors, instance=instance
    )
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response
