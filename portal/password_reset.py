"""Password reset with a cap on emails: per email address and per client address, per hour.

Over either cap the request is answered exactly like any other (the "check your email" page),
but no email goes out, so the form can neither flood an inbox nor tell who has an account.
"""

from __future__ import annotations

import hashlib
import logging

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseRedirect

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 3600


def _take(key: str, limit: int) -> bool:
    """One more in this hour's count under `key`; False once the count is past `limit`."""
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        count = 1
    return count <= limit


def password_reset_email_allowed(*, email: str, client_ip: str | None) -> bool:
    """Whether a reset email may go to `email` for a request from `client_ip` (counts it)."""
    if not _take(f"password-reset:ip:{client_ip}", settings.PASSWORD_RESET_EMAILS_PER_CLIENT_IP):
        return False
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return _take(f"password-reset:email:{digest}", settings.PASSWORD_RESET_EMAILS_PER_ADDRESS)


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        client_ip = get_client_ip_address(self.request)
        if password_reset_email_allowed(email=form.cleaned_data["email"], client_ip=client_ip):
            return super().form_valid(form)
        logger.warning(
            "password reset email held back (rate limit) for a request from %s", client_ip
        )
        return HttpResponseRedirect(self.get_success_url())
