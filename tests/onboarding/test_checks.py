import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from catalogs.models import PublishState, Trigger
from catalogs.publishing.services import catalog_publish
from onboarding import checks
from tests.catalogs.menus import build_menu
from tests.factories import AvailabilityWindowFactory, CatalogFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_store(owner):
    return StoreFactory(merchant=owner.merchant, gett_store_id=None)


def _by_name(store):
    return {check.name: check for check in checks.store_checks(store)}


def test_menu_check_fails_without_a_menu(new_store):
    check = checks.menu_check(new_store)
    assert not check.ok and check.required
    assert check.fix_url == "/menu/catalogs/new/"


def test_menu_check_offers_to_publish_a_menu_never_published(new_store):
    build_menu(new_store.merchant)
    check = checks.menu_check(new_store)
    assert not check.ok
    assert check.fix_post
    assert check.fix_url == f"/stores/{new_store.public_id}/gett/publish/"


def test_menu_check_passes_once_the_menu_is_published(new_store):
    build_menu(new_store.merchant)
    catalog_publish(store_id=new_store.pk, trigger=Trigger.REPUBLISH)
    check = checks.menu_check(new_store)
    assert check.ok, check.message


def test_menu_check_fails_with_publish_problems_and_links_to_them(new_store):
    build_menu(new_store.merchant)
    PublishState.objects.create(
        store=new_store,
        is_valid=False,
        last_problems=[{"code": "X", "message": "Burger has no price", "entityId": None}],
    )
    check = checks.menu_check(new_store)
    assert not check.ok
    assert "1 problem " in check.message
    assert check.fix_url == f"/stores/{new_store.public_id}/menu/versions/"


def test_hours_check_both_ways(new_store):
    catalog = CatalogFactory(merchant=new_store.merchant)
    check = checks.hours_check(new_store)
    assert not check.ok
    assert check.fix_url == f"/menu/catalogs/{catalog.public_id}/"
    AvailabilityWindowFactory(catalog=catalog)
    assert checks.hours_check(new_store).ok


def test_hours_check_ignores_catalogs_the_store_does_not_sell(new_store):
    other = StoreFactory(merchant=new_store.merchant)
    sold = CatalogFactory(merchant=new_store.merchant)
    not_sold = CatalogFactory(merchant=new_store.merchant)
    AvailabilityWindowFactory(catalog=not_sold)
    new_store.store_catalogs.create(catalog=sold)
    other.store_catalogs.create(catalog=not_sold)
    assert not checks.hours_check(new_store).ok


def test_fulfilment_check_both_ways(new_store):
    assert checks.fulfilment_check(new_store).ok
    new_store.delivery_allowed = new_store.pickup_allowed = False  # unsaved: the DB forbids it
    check = checks.fulfilment_check(new_store)
    assert not check.ok
    assert check.fix_url == f"/stores/{new_store.public_id}/edit/"


def test_address_check_both_ways(new_store):
    assert checks.address_check(new_store).ok
    new_store.city = ""
    new_store.postal_code = " "
    check = checks.address_check(new_store)
    assert not check.ok
    assert "city, postal code" in check.message


def test_phone_check_both_ways(new_store):
    assert checks.phone_check(new_store).ok
    new_store.phone = ""
    assert not checks.phone_check(new_store).ok


def test_logo_is_recommended_not_required(new_store):
    check = checks.logo_check(new_store)
    assert not check.ok and not check.required
    new_store.logo = SimpleUploadedFile("logo.png", b"png")
    assert checks.logo_check(new_store).ok


@override_settings(DEBUG=False, GETT_SANDBOX_ENABLED=False, PUBLIC_BASE_URL="http://127.0.0.1:8000")
def test_public_url_check_refuses_loopback_outside_debug():
    check = checks.public_url_check()
    assert not check.ok and check.required
    assert "PUBLIC_BASE_URL" in check.message


@override_settings(DEBUG=True, GETT_SANDBOX_ENABLED=False, PUBLIC_BASE_URL="http://127.0.0.1:8000")
def test_public_url_check_allows_loopback_in_debug():
    assert checks.public_url_check().ok


@override_settings(
    DEBUG=False, GETT_SANDBOX_ENABLED=False, PUBLIC_BASE_URL="https://portal.example.com"
)
def test_public_url_check_passes_a_public_https_address():
    assert checks.public_url_check().ok


@override_settings(DEBUG=False, GETT_SANDBOX_ENABLED=False, PUBLIC_BASE_URL="https://10.0.0.5")
def test_public_url_check_refuses_a_private_address():
    assert not checks.public_url_check().ok


def test_required_checks_pass_ignores_recommendations(new_store):
    build_menu(new_store.merchant)
    catalog_publish(store_id=new_store.pk, trigger=Trigger.REPUBLISH)
    with override_settings(DEBUG=True):
        result = checks.store_checks(new_store)
    assert not _by_name(new_store)["Logo"].ok
    assert checks.required_checks_pass(result)
    result[0] = checks.Check("Menu", False, "no")
    assert not checks.required_checks_pass(result)


@override_settings(DEBUG=False, GETT_SANDBOX_ENABLED=True, PUBLIC_BASE_URL="http://127.0.0.1:8000")
def test_public_url_check_allows_a_local_address_when_gett_is_the_sandbox():
    check = checks.public_url_check()
    assert check.ok
    assert "sandbox" in check.message
