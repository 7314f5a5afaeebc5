"""Token authentication for the merchant API, with a cap on bad tokens per client address.

DRF authenticates before it throttles, so a wrong token is a 401 that no throttle ever counts:
guessing tokens would be free. Here each address may present only so many bad tokens a minute
(the `bad_token` rate); past that, every token from it gets a 429 until the window moves on.
"""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle


class BadTokenThrottle(SimpleRateThrottle):
    """Counts bad tokens per client address (not requests): checking does not count."""

    scope = "bad_token"
    num_requests: int
    duration: int

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def exhausted(self, request: Request) -> bool:
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def record(self) -> None:
        self.throttle_success()


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request: Request) -> Any:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # no token: session auth or anonymous, throttled as such
        throttle = BadTokenThrottle()
        if throttle.exhausted(request):
            raise exceptions.Throttled(wait=throttle.wait())
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.record()
            raise
