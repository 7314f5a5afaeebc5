"""Steps the end-to-end tests share."""

from playwright.sync_api import Page

from tests.factories import PASSWORD


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def search_type(page: Page, label: str, text: str) -> None:
    """Type into a search box that answers while typing (htmx). htmx is a deferred script that
    wires the page up on DOMContentLoaded, so a field can be on screen before typing in it does
    anything: wait for the page to finish loading first, as a person's eyes would."""
    field = page.get_by_label(label)
    field.wait_for()
    page.wait_for_load_state("load")
    field.fill(text)
