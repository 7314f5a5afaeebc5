"""Content-Security-Policy on every page (no inline script anywhere), DRF's browsable API off
in production, and the API docs and schema behind a login in production."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.I)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def test_pages_send_a_policy_that_allows_no_inline_script(client):
    policy = _policy(client.get(reverse("login")))

    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe" not in policy.get("style-src", "")


def test_no_template_has_inline_script_event_handlers_or_style_elements():
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)[:80]}"
        for path in TEMPLATES.rglob("*.html")
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, STYLE_ELEMENT)
        for match in pattern.finditer(path.read_text())
    ]

    assert offenders == []


def test_the_browsable_api_is_off_in_production(owner):
    api = APIClient()
    api.force_authenticate(owner.user)

    response = api.get(reverse("api:store-list"), HTTP_ACCEPT="text/html")

    assert response["Content-Type"].startswith(("application/json", "application/problem+json"))


def test_api_docs_and_schema_need_a_login_in_production(client, owner):
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 302
    assert docs["Location"].startswith(reverse("login"))
    assert APIClient().get(reverse("api-schema")).status_code in (401, 403)

    client.force_login(owner.user)
    page = client.get(reverse("api-docs"))
    assert page.status_code == 200
    assert not INLINE_SCRIPT.search(page.content.decode())
    assert not STYLE_ELEMENT.search(page.content.decode())
    script = client.get(reverse("api-docs"), {"script": ""})
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()
