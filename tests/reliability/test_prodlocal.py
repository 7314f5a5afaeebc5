"""The local production stack's own rules (the stack itself runs in test_ledger.py)."""

import stat

from portal.prodlocal import SECRET_NAMES, Ports, ProdStack, load_or_create_secrets


def test_secrets_are_generated_once_private_and_kept(tmp_path):
    path = tmp_path / ".env.prod"
    first = load_or_create_secrets(path)
    assert set(first) == set(SECRET_NAMES)
    assert all(len(value) >= 32 for value in first.values())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secrets(path) == first


def test_secrets_are_made_again_when_one_is_missing(tmp_path):
    path = tmp_path / ".env.prod"
    path.write_text("SECRET_KEY=abc\n")
    values = load_or_create_secrets(path)
    assert values["SECRET_KEY"] != "abc"
    assert set(values) == set(SECRET_NAMES)


def test_portal_environment_is_production_with_this_stacks_services(tmp_path):
    stack = ProdStack(ports=Ports(7790), run_dir=tmp_path, env_file=tmp_path / ".env.prod")
    env = stack.env()
    assert env["DEBUG"] == "false"
    assert env["DATABASE_URL"] == "postgres://postgres@127.0.0.1:7790/portal"
    assert env["REDIS_URL"] == env["CELERY_BROKER_URL"] == "redis://127.0.0.1:7791/0"
    assert env["CATALOG_STORAGE_ENDPOINT_URL"] == "http://127.0.0.1:7792"
    assert env["GETT_API_BASE_URL"] == "http://127.0.0.1:7793/sandbox/gett"
    assert env["PUBLIC_BASE_URL"] == "http://127.0.0.1:7794"
    assert env["GETT_SANDBOX_ENABLED"] == "false"
    for name in SECRET_NAMES:
        assert env[name] == stack.secrets[name]
    sandbox = stack.env_for_sandbox()
    assert sandbox["GETT_SANDBOX_ENABLED"] == "true"
    assert sandbox["GETT_SANDBOX_API_KEYS"] == stack.secrets["GETT_API_KEY"]
    assert sandbox["DATABASE_URL"].startswith("sqlite:///")
