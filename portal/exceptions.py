"""Refusals a person should see, raised by services and translated once per edge.

A page shows one as a form error (on `field` when it names one) or a message; the API answers it
as problem+json with the status below (`portal.api_errors`). Never raise these for bugs.
"""

from __future__ import annotations


class PortalError(Exception):
    """The request cannot be done as asked; `message` says why in words a merchant understands."""

    status = 400
    error_code = "INVALID_REQUEST"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(PortalError):
    """The user's role does not allow this action (403). Another merchant's object is a 404."""

    status = 403
    error_code = "FORBIDDEN"


class InvalidStateError(PortalError):
    """The action does not apply to the object in its current state (409)."""

    status = 409
    error_code = "CONFLICT"
