"""System checks for production settings (`manage.py check --deploy`).

PUBLIC_BASE_URL is what Gett is told to call and fetch: the webhook URL, catalog callback URLs,
logo and item image URLs. Gett is on the internet, so it must be https on a public host.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

HINT = "Set PUBLIC_BASE_URL to the https address Gett reaches this portal at, e.g. https://portal.example.com."


def public_url_problem(url: str) -> str:
    """Why Gett could not reach `url` from the internet, or "" when it could."""
    if not url:
        return "is not set"
    parts = urlsplit(url)
    if parts.scheme != "https":
        return "must use https (Gett sends webhooks and fetches files there)"
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return "has no host name"
    if host == "localhost" or host.endswith(".localhost"):
        return "points at this machine (localhost), which Gett cannot reach"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return ""
    if address.is_loopback:
        return "points at this machine (a loopback address), which Gett cannot reach"
    if address.is_link_local:
        return "is a link-local address, which Gett cannot reach"
    if address.is_private or address.is_reserved or address.is_unspecified:
        return "is a private network address, which Gett cannot reach"
    return ""


@register(Tags.security, deploy=True)
def public_base_url_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    url = getattr(settings, "PUBLIC_BASE_URL", "")
    problem = public_url_problem(url)
    if not problem:
        return []
    return [Error(f"PUBLIC_BASE_URL {url!r} {problem}.", hint=HINT, id="portal.E001")]
