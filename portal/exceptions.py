"""The portal's own exceptions. Views turn them into form errors, messages or 4xx replies."""


class PortalError(Exception):
    """Base class for errors a person can act on."""


class PermissionDenied(PortalError):
    """The user's role does not allow this action."""


class InvalidStateError(PortalError):
    """The action does not apply to the object in its current state."""
