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
