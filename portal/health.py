"""Health endpoints for a load balancer or an orchestrator.

- `/healthz`: the process is up and answers (liveness). Touches nothing else, so a database
  outage never makes a load balancer kill healthy web processes.
- `/readyz`: the process can do its work (readiness): the database, Redis (cache and Celery's
  broker) and the storage published menus go to are reachable. 200 with the checks as JSON, or
  503 naming what failed. Each check runs with a short timeout, all of them at once, so the
  answer comes within `READY_TIMEOUT_SECONDS` even when something hangs.

Both are public GETs with no session, no CSRF and no throttling. Behind a proxy that ends TLS
they are exempt from the https redirect (`SECURE_REDIRECT_EXEMPT`); the probe must still send a
Host that is in ALLOWED_HOSTS.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 2.0
# Each network call inside a check gives up before the overall deadline.
CHECK_TIMEOUT_SECONDS = 1.5


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = run_checks(CHECKS)
    ready = all(result == "ok" for result in checks.values())
    failed = [name for name, result in checks.items() if result != "ok"]
    if failed:
        logger.warning("not ready: %s", ", ".join(f"{n} ({checks[n]})" for n in failed))
    body: dict[str, object] = {"status": "ok" if ready else "unavailable", "checks": checks}
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=200 if ready else 503)


def run_checks(
    checks: dict[str, Callable[[], None]], *, timeout: float = READY_TIMEOUT_SECONDS
) -> dict[str, str]:
    """Run every check at once; each gives "ok", or why it failed, within `timeout`."""
    results: dict[str, str] = {}
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    futures = {name: pool.submit(_run_one, check) for name, check in checks.items()}
    deadline = time.monotonic() + timeout
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=max(deadline - time.monotonic(), 0))
        except FutureTimeout:
            results[name] = f"timed out after {timeout:g}s"
    # A check still hanging keeps its thread; it is not waited for.
    pool.shutdown(wait=False, cancel_futures=True)
    return results


def _run_one(check: Callable[[], None]) -> str:
    try:
        check()
    except Exception as exc:  # any failure of a dependency is "not ready", never a 500
        return f"{type(exc).__name__}: {str(exc)[:200]}".strip()
    return "ok"


# --- the checks ------------------------------------------------------------------------------


def check_database() -> None:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        # This thread's connection: never left open behind a request thread.
        connection.close()


def check_redis() -> None:
    """The cache's Redis and Celery's broker, when they are Redis (else nothing to reach)."""
    import redis

    urls = {
        url
        for url in (settings.REDIS_URL, settings.CELERY_BROKER_URL)
        if url and url.startswith(("redis://", "rediss://"))
    }
    for url in sorted(urls):
        client = redis.Redis.from_url(
            url,
            socket_timeout=CHECK_TIMEOUT_SECONDS,
            socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
        )
        try:
            client.ping()
        finally:
            client.close()


def check_storage() -> None:
    """The bucket published menus and uploads go to; without one, the local media directory."""
    if not settings.CATALOG_STORAGE_BUCKET:
        media = Path(settings.MEDIA_ROOT)
        if not media.is_dir() and not media.parent.is_dir():
            raise RuntimeError(f"{media} does not exist")
        if not os.access(media if media.is_dir() else media.parent, os.W_OK):
            raise RuntimeError(f"{media} is not writable")
        return
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=settings.CATALOG_STORAGE_ENDPOINT_URL or None,
        region_name=settings.CATALOG_STORAGE_REGION or None,
        aws_access_key_id=settings.CATALOG_STORAGE_ACCESS_KEY_ID or None,
        aws_secret_access_key=settings.CATALOG_STORAGE_SECRET_ACCESS_KEY or None,
        config=Config(
            connect_timeout=CHECK_TIMEOUT_SECONDS,
            read_timeout=CHECK_TIMEOUT_SECONDS,
            retries={"max_attempts": 1},
            s3={"addressing_style": settings.CATALOG_STORAGE_ADDRESSING_STYLE or "auto"},
        ),
    )
    client.head_bucket(Bucket=settings.CATALOG_STORAGE_BUCKET)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
}
