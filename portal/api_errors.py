"""Every error of the merchant API as problem+json: one translation for the whole API.

Services raise `PortalError`s; DRF raises its own (validation, authentication, throttling); the
URL resolver gives Django's 404 for a malformed id. All of them reach the client in one shape
(`gett.problems`), with one `errors[]` entry per field problem carrying its `jsonPath`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from gett.problems import PROBLEM_CONTENT_TYPE, field_error, problem_body, problem_response
from portal.exceptions import PortalError

API_PREFIX = "/api/"


def _json_path(parts: list[str | int]) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _flatten(detail: Any, parts: list[str | int]) -> list[dict[str, str]]:
    """DRF's nested error detail -> one errors[] entry per message, each with its jsonPath."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            here = parts if key in ("non_field_errors", "detail") else [*parts, str(key)]
            found += _flatten(value, here)
        return found
    if isinstance(detail, list):
        if all(not isinstance(x, dict | list) for x in detail):
            return [
                field_error(_json_path(parts), str(x), getattr(x, "code", "invalid"))
                for x in detail
            ]
        found = []
        for index, value in enumerate(detail):
            found += _flatten(value, [*parts, index])
        return found
    return [field_error(_json_path(parts), str(detail), getattr(detail, "code", "invalid"))]


def _summary(errors: list[dict[str, str]]) -> str:
    if len(errors) == 1:
        return errors[0]["message"]
    return f"{len(errors)} problems with the request: see errors."


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, PortalError):
        errors = [field_error(_json_path([exc.field] if exc.field else []), exc.message)]
        body = problem_body(
            status=exc.status, detail=exc.message, error_code=exc.error_code, errors=errors
        )
        return Response(body, status=exc.status, content_type=PROBLEM_CONTENT_TYPE)
    if isinstance(exc, RequestDataTooBig):
        body = problem_body(status=413, detail="Request body too large.")
        return Response(body, status=413, content_type=PROBLEM_CONTENT_TYPE)
    if isinstance(exc, RecursionError):
        # DRF's JSON parser catches ValueError only: deeply nested arrays would be a 500.
        exc = exceptions.ParseError("JSON parse error - nested too deeply.")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500 handling, logged with its traceback
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail, [])
        detail = _summary(errors) if errors else "Invalid request."
    else:
        detail = str(getattr(exc, "detail", "")) or "Request failed."
        errors = []
    response.data = problem_body(status=response.status_code, detail=detail, errors=errors)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 for pages; problem+json under /api/ (e.g. a malformed id in the URL)."""
    if request.path.startswith(API_PREFIX):
        return problem_response(status=status.HTTP_404_NOT_FOUND, detail="Not found.")
    return defaults.page_not_found(request, exception)
