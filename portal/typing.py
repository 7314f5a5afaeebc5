"""Request types for views: what middleware and decorators add to `HttpRequest`.

Django's `HttpRequest` does not know about `request.htmx` (django-htmx's middleware) or
`request.membership` (`stores.middleware.CurrentMerchantMiddleware`), and types `request.user`
as `User | AnonymousUser`. Views annotate their request with the class that says what holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from stores.models import Membership


class HtmxHttpRequest(HttpRequest):
    """Any request: django-htmx's middleware sets `request.htmx`."""

    htmx: HtmxDetails
    membership: Membership | None


class AuthedHttpRequest(HtmxHttpRequest):
    """A request to a `login_required` view: the user is logged in."""

    user: User


class EditorHttpRequest(AuthedHttpRequest):
    """A request to a menu editor view (`editor_required`): the user works on a merchant."""

    membership: Membership
