"""The username the login lockout (django-axes, `AXES_USERNAME_CALLABLE`) counts failures under.

Django's login form does not hold the username to its length, so a person (or a script) can send
any length; axes would write it whole into its 255-character columns, which PostgreSQL refuses.
No real username is that long (`User.username` holds 150), so cutting it loses nothing.
"""

from __future__ import annotations

from axes.conf import settings
from axes.models import AccessAttempt
from django.http import HttpRequest


def lockout_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The username typed (axes' own reading: the credentials, else the POST), cut to fit."""
    source = credentials or getattr(request, "data", request.POST)
    username = source.get(settings.AXES_USERNAME_FORM_FIELD)
    if not isinstance(username, str):
        return username
    limit = AccessAttempt._meta.get_field("username").max_length
    return username[:limit]
