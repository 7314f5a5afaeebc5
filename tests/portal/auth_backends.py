"""The login lockout for the test suite.

Django's test `Client.login()` (and a bare `authenticate()`) passes no request, which
django-axes refuses outright. Those calls skip the lockout check here; every login through the
login pages still goes through it, exactly as in production (tests/portal/test_login_lockout.py).
"""

from axes.backends import AxesStandaloneBackend


class AxesBackendAllowingTestClientLogin(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None  # the next backend authenticates
        return super().authenticate(request, username=username, password=password, **kwargs)
