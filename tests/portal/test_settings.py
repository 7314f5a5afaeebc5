"""Settings as production and `make run` see them: each case starts a fresh interpreter."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 60,
    "GETT_API_KEY": "live-key",
    "GETT_WEBHOOK_SECRETS": "whsec_live",
    "PUBLIC_BASE_URL": "https://portal.example.com",
}


def _settings(env: dict, expression: str) -> str:
    # Only what a shell gives; the test run's own settings variables must not leak in.
    clean = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    result = subprocess.run(
        [sys.executable, "-c", f"from portal import settings as s; print({expression})"],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode:
        return result.stderr.strip().splitlines()[-1]
    return result.stdout.strip()


def test_production_talks_to_real_gett_without_the_sandbox():
    value = _settings(
        PRODUCTION,
        "(s.GETT_SANDBOX_ENABLED, s.GETT_API_BASE_URL, 'gett.sandbox' in s.INSTALLED_APPS)",
    )

    assert ast.literal_eval(value) == (False, "https://api.gett-tech.com", False)


def test_development_uses_the_sandbox_by_default():
    value = _settings(
        {"DEBUG": "true"}, "(s.GETT_SANDBOX_ENABLED, s.GETT_API_BASE_URL, s.GETT_USES_SANDBOX)"
    )

    assert ast.literal_eval(value) == (True, "http://127.0.0.1:8000/sandbox/gett", True)


def test_the_sandbox_can_never_run_beside_production_gett():
    value = _settings(
        {
            **PRODUCTION,
            "GETT_SANDBOX_ENABLED": "true",
            "GETT_API_BASE_URL": "https://api.gett-tech.com",
        },
        "s.GETT_SANDBOX_ENABLED",
    )

    assert "GETT_SANDBOX_ENABLED must be off when talking to production Gett" in value


@pytest.mark.parametrize("name", ["SECRET_KEY", "GETT_API_KEY", "PUBLIC_BASE_URL"])
def test_production_refuses_to_start_without_its_secrets(name):
    env = {k: v for k, v in PRODUCTION.items() if k != name}

    assert f"Set the {name} environment variable" in _settings(env, "1")


def test_development_keeps_the_local_public_base_url():
    assert _settings({"DEBUG": "true"}, "s.PUBLIC_BASE_URL") == "http://127.0.0.1:8000"


def _check_deploy(public_base_url: str | None) -> subprocess.CompletedProcess:
    clean = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    env = {**clean, **PRODUCTION, "ALLOWED_HOSTS": "portal.example.com"}
    env["SECRET_KEY"] = "check-deploy-only-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGH"
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    if public_base_url is None:
        env.pop("PUBLIC_BASE_URL")
    else:
        env["PUBLIC_BASE_URL"] = public_base_url
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://127.0.0.1:8000", "must use https"),
        ("https://127.0.0.1:8000", "loopback"),
        ("https://localhost", "localhost"),
        ("http://portal.example.com", "must use https"),
        ("https://10.0.0.5", "private network"),
        ("https://192.168.1.20", "private network"),
        ("https://169.254.169.254", "link-local"),
        ("https://[::1]", "loopback"),
    ],
)
def test_check_deploy_fails_on_a_public_base_url_gett_cannot_reach(url, said):
    result = _check_deploy(url)

    assert result.returncode != 0
    assert "portal.E001" in result.stderr
    assert said in result.stderr


def test_check_deploy_passes_on_an_https_public_base_url():
    result = _check_deploy("https://portal.example.com")

    assert result.returncode == 0, result.stderr
    assert "portal.E001" not in result.stderr


def test_production_refuses_to_start_without_a_public_base_url():
    result = _check_deploy(None)

    assert result.returncode != 0
    assert "Set the PUBLIC_BASE_URL environment variable" in result.stderr


def test_the_sandbox_imports_nothing_from_the_portal_apps():
    for path in (BASE_DIR / "gett").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"stores", "catalogs", "orders", "onboarding"}, (
                    f"{path.relative_to(BASE_DIR)} imports {name}"
                )


def test_with_a_bucket_uploaded_images_go_to_it_under_media():
    env = {
        **PRODUCTION,
        "CATALOG_STORAGE_BUCKET": "menus",
        "CATALOG_STORAGE_PUBLIC_BASE_URL": "https://cdn.example.com/menus",
    }
    value = _settings(
        env,
        "(s.STORAGES['default']['BACKEND'], s.STORAGES['default']['OPTIONS']['location'],"
        " s.STORAGES['default']['OPTIONS']['custom_domain'])",
    )

    assert ast.literal_eval(value) == (
        "storages.backends.s3.S3Storage",
        "media",
        "cdn.example.com/menus",
    )


def test_a_delivery_time_limit_shorter_than_one_call_to_gett_is_refused():
    said = _settings({"DEBUG": "true", "GETT_READ_TIMEOUT": "30"}, "s.OUTBOX_DELIVERY_TIME_LIMIT")

    assert "ImproperlyConfigured" in said
    assert "OUTBOX_DELIVERY_TIME_LIMIT (25 s) must be longer than one call to Gett" in said
