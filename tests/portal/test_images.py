"""Uploaded pictures (store logos, item pictures) are capped in bytes, sides and pixels by one
validator (portal.images), whichever door they come through; a decompression bomb is refused
with a clear message, without being decoded."""

import tracemalloc

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from catalogs.models import Item
from portal.images import ImageField, validate_image
from tests.catalogs.menus import build_menu
from tests.portal.images import BOMB, blank_png, small_png, upload

pytestmark = pytest.mark.django_db


def test_a_normal_picture_passes():
    validate_image(upload(small_png()))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BOMB, "12000 × 12000 pixels"),
        (blank_png(5000, 100), "at most 4096 pixels on each side"),
        (
            blank_png(4096, 4096),
            "4096 × 4096 pixels; it may have at most 4096 pixels on each side and 16 megapixels",
        ),
    ],
    ids=["bomb", "too-wide", "too-many-pixels"],
)
def test_pictures_too_large_are_refused_with_their_size(data, message):
    with pytest.raises(ValidationError) as refused:
        validate_image(upload(data))

    assert message in refused.value.messages[0]


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read():
    with pytest.raises(ValidationError, match="2 MB or smaller"):
        validate_image(upload(small_png() + b"\0" * (2 * 1024 * 1024)))


def test_a_decompression_bomb_is_refused_without_decoding_it():
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError):
            ImageField().clean(upload(BOMB))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 5 * 1024 * 1024  # decoded, it would be 144 MB or more


def test_a_bomb_beyond_pillows_own_limit_still_gets_the_clear_message():
    with pytest.raises(ValidationError) as refused:
        ImageField().clean(upload(blank_png(15_000, 15_000)))

    assert "far too large" in refused.value.messages[0]
    assert "at most 4096 pixels on each side" in refused.value.messages[0]


def test_the_menu_editor_refuses_a_bomb_next_to_the_field(client, owner, store):
    menu = build_menu(store.merchant)
    client.force_login(owner.user)

    response = client.post(
        reverse("menu:item-edit", args=[menu.cola.public_id]),
        {"name": "Cola", "price": "3.00", "description": "", "image": upload(BOMB)},
    )

    assert response.status_code == 400
    assert "12000 × 12000 pixels" in response.content.decode()
    menu.cola.refresh_from_db()
    assert not menu.cola.image


def test_the_admin_refuses_a_bomb_as_an_item_picture(admin_user):
    request = RequestFactory().get("/")
    request.user = admin_user
    form_class = admin.site._registry[Item].get_form(request)

    with pytest.raises(ValidationError) as refused:
        form_class.base_fields["image"].clean(upload(BOMB), None)

    assert "12000 × 12000 pixels" in refused.value.messages[0]
