"""Settings for `make bench`: the test settings, with a fresh database the benchmark creates.

SQLite: a file in the system temp folder, removed afterwards. With DATABASE_URL pointing at
PostgreSQL, Django's test database (test_<name>) is created and dropped the same way.
"""

import os
import tempfile

from tests.settings import *  # noqa: F403

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"gett-bench-{os.getpid()}.sqlite3")
    }

LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405

# The webhook benchmark (bench/webhooks.py) serves the portal plus a bare baseline view from a
# gunicorn child process, pointed at the database the benchmark created (BENCH_DATABASE_NAME).
ROOT_URLCONF = "bench.urls"
if os.environ.get("BENCH_DATABASE_NAME"):
    DATABASES["default"]["NAME"] = os.environ["BENCH_DATABASE_NAME"]  # noqa: F405
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
        # Writers queue for the lock instead of failing when a read turns into a write.
        DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"  # noqa: F405
