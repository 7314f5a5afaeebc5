"""Test settings: production settings with test secrets and the sandbox switched on."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("GETT_API_KEY", "test-key")
os.environ.setdefault("GETT_WEBHOOK_SECRETS", "whsec_test_current,whsec_test_previous")
os.environ.setdefault("GETT_SANDBOX_ENABLED", "true")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("GETT_API_BASE_URL", "https://gett.test")
# Required without DEBUG; the local address, as the tests' sandbox and live server use it.
os.environ.setdefault("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

from portal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The login lockout stays on; only the test client's request-less login() skips its check.
AUTHENTICATION_BACKENDS = [
    "tests.portal.auth_backends.AxesBackendAllowingTestClientLogin",
    "django.contrib.auth.backends.ModelBackend",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# SQLite: Django's default in-memory test database, one per process (so per xdist worker).
# The end-to-end tests switch to a file (tests/conftest.py), because their web server and Celery
# worker are other processes that must share the test database.

# The end-to-end web server runs without DEBUG: WhiteNoise serves static files from the finders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
