"""RFC 9457 problem+json replies, shaped like Gett's (REFERENCE §12-13)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://developer.gett-tech.com/errors/"


@dataclass(frozen=True)
class ErrorCode:
    status: int
    title: str
    category: str
    retryable: bool


# Gett's vocabulary (REFERENCE §13). 405 and 413 have no documented code of their own: the sandbox
# answers them as INVALID_REQUEST with the real HTTP status (the status decides, see `Problem`).
ERROR_CODES: dict[str, ErrorCode] = {
    "INVALID_REQUEST": ErrorCode(400, "Bad Request", "validation", False),
    "UNAUTHENTICATED": ErrorCode(401, "Unauthorized", "authentication", False),
    "FORBIDDEN": ErrorCode(403, "Forbidden", "authorization", False),
    "NOT_FOUND": ErrorCode(404, "Not Found", "not_found", False),
    "STORE_NOT_FOUND": ErrorCode(404, "Not Found", "not_found", False),
    "CONFLICT": ErrorCode(409, "Conflict", "conflict", False),
    "VALIDATION_FAILED": ErrorCode(422, "Unprocessable Content", "validation", False),
    "RATE_LIMITED": ErrorCode(429, "Too Many Requests", "rate_limit", True),
    "INTERNAL_ERROR": ErrorCode(500, "Internal Server Error", "server_error", True),
    "SERVICE_UNAVAILABLE": ErrorCode(503, "Service Unavailable", "availability", True),
}

STATUS_TITLES = {405: "Method Not Allowed", 413: "Content Too Large", 415: "Unsupported Media Type"}


def field_error(json_path: str, message: str, code: str = "invalid") -> dict[str, str]:
    """One entry of a problem's errors[]."""
    return {"code": code, "message": message, "jsonPath": json_path}


class Problem(Exception):
    """An error the sandbox answers with problem+json. Raised by services and views alike."""

    def __init__(
        self,
        error_code: str,
        detail: str,
        *,
        status: int | None = None,
        errors: list[dict[str, str]] | None = None,
        retry_after: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        code = ERROR_CODES[error_code]
        self.error_code = error_code
        self.detail = detail
        self.status = status or code.status
        self.title = STATUS_TITLES.get(self.status, code.title)
        self.category = code.category
        self.retryable = code.retryable
        self.errors = errors or []
        self.retry_after = retry_after
        self.headers = headers or {}

    def as_dict(self, *, instance: str, request_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_BASE + self.error_code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            "requestId": request_id,
            "timestamp": timestamp_ms(datetime.now(UTC)),
            "errorCode": self.error_code,
            "errorCategory": self.category,
            "retryable": self.retryable,
        }
        if self.retry_after is not None:
            body["retryAfter"] = self.retry_after
        if self.errors:
            body["errors"] = self.errors
        return body


def validation_failed(errors: list[dict[str, str]]) -> Problem:
    detail = errors[0]["message"] if len(errors) == 1 else f"{len(errors)} fields are invalid."
    return Problem("VALIDATION_FAILED", detail, errors=errors)


def invalid_request(errors: list[dict[str, str]]) -> Problem:
    """400: the body is not the documented shape (a wrong type, a value outside an enum)."""
    detail = errors[0]["message"] if len(errors) == 1 else f"{len(errors)} fields are invalid."
    return Problem("INVALID_REQUEST", detail, errors=errors)


def new_request_id() -> str:
    return "req_" + secrets.token_hex(8)


def timestamp_ms(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _wants_markdown(request: HttpRequest) -> bool:
    # Gett answers JSON for problem+json, json, */* or no Accept at all; Markdown only when asked.
    accept = request.headers.get("Accept", "").lower()
    if "text/markdown" not in accept:
        return False
    return not any(kind in accept for kind in ("json", "*/*"))


def _markdown(body: dict[str, Any]) -> str:
    # YAML front matter: JSON scalars are valid YAML, so json.dumps keeps every value safe.
    lines = ["---"]
    lines += [f"{key}: {json.dumps(value)}" for key, value in body.items() if key != "errors"]
    lines += ["---", "", f"# {body['title']}", "", body["detail"], ""]
    if body.get("errors"):
        lines += ["## Errors", ""]
        lines += [f"- `{e['jsonPath']}` ({e['code']}): {e['message']}" for e in body["errors"]]
        lines.append("")
    return "\n".join(lines)


def problem_response(
    request: HttpRequest, problem: Problem, *, instance: str, request_id: str
) -> HttpResponse:
    body = problem.as_dict(instance=instance, request_id=request_id)
    if _wants_markdown(request):
        response = HttpResponse(
            _markdown(body), status=problem.status, content_type="text/markdown"
        )
    else:
        response = HttpResponse(
            json.dumps(body), status=problem.status, content_type=PROBLEM_CONTENT_TYPE
        )
    for name, value in problem.headers.items():
        response[name] = value
    return response
