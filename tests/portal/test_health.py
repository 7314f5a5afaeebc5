import time

import boto3
import pytest
from django.db import connections
from django.urls import reverse

from portal import health


@pytest.fixture
def live_checks(monkeypatch):
    """Only the database check is real by default; Redis and storage are set per test."""
    monkeypatch.setitem(health.CHECKS, "redis", lambda: None)
    monkeypatch.setitem(health.CHECKS, "storage", lambda: None)


def test_healthz_answers_ok_without_touching_the_database(client):
    # No django_db mark: any database access here would raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]
    assert "Set-Cookie" not in response


def test_health_urls_are_the_documented_paths():
    assert reverse("healthz") == "/healthz"
    assert reverse("readyz") == "/readyz"


def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_readyz_is_200_with_every_check_when_all_are_reachable(client, live_checks):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "storage": "ok"},
    }
    assert "Set-Cookie" not in response


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_naming_the_check_that_failed(client, live_checks, monkeypatch):
    def broken() -> None:
        raise ConnectionError("Connection refused")

    monkeypatch.setitem(health.CHECKS, "redis", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["redis"]
    assert body["checks"]["redis"] == "ConnectionError: Connection refused"
    assert body["checks"]["database"] == "ok"


def test_readyz_answers_within_its_deadline_when_a_check_hangs(monkeypatch):
    started = time.monotonic()
    results = health.run_checks({"fast": lambda: None, "stuck": lambda: time.sleep(3)}, timeout=0.3)
    assert time.monotonic() - started < 1.0
    assert results == {"fast": "ok", "stuck": "timed out after 0.3s"}


def test_redis_check_fails_fast_on_a_closed_port(settings):
    from portal.devrun import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port(0)}/0"
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    started = time.monotonic()
    with pytest.raises(Exception, match="(?i)connect"):
        health.check_redis()
    assert time.monotonic() - started < 2.0


def test_storage_check_reaches_the_bucket(settings, s3_endpoint):
    settings.CATALOG_STORAGE_BUCKET = "health-bucket"
    settings.CATALOG_STORAGE_ENDPOINT_URL = s3_endpoint
    settings.CATALOG_STORAGE_REGION = "us-east-1"
    settings.CATALOG_STORAGE_ACCESS_KEY_ID = "testing"
    settings.CATALOG_STORAGE_SECRET_ACCESS_KEY = "testing"
    with pytest.raises(Exception, match="404|Not Found"):
        health.check_storage()
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket="health-bucket")
    health.check_storage()


def test_storage_check_without_a_bucket_needs_a_writable_media_directory(settings, tmp_path):
    settings.CATALOG_STORAGE_BUCKET = ""
    settings.MEDIA_ROOT = tmp_path / "media"
    health.check_storage()  # not there yet, but its parent is writable: created on first write
    settings.MEDIA_ROOT = tmp_path / "missing" / "media"
    with pytest.raises(RuntimeError, match="does not exist"):
        health.check_storage()


@pytest.mark.django_db(transaction=True)
def test_database_check_closes_its_connection():
    health.run_checks({"database": health.check_database})
    # The check ran in its own thread and closed what it opened there; ours is untouched.
    assert connections["default"].connection is None or connections["default"].is_usable()


def test_health_endpoints_skip_the_https_redirect_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301
