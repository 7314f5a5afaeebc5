"""A store logo goes through the same picture limits (portal.images) on the store page and in
the admin."""

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from stores.models import Store
from tests.portal.images import BOMB, upload
from tests.stores.test_views import _edit_data

pytestmark = pytest.mark.django_db


def test_the_store_page_refuses_a_decompression_bomb_as_a_logo(owner_client, store):
    response = owner_client.post(
        reverse("stores:edit", args=[store.public_id]), {**_edit_data(store), "logo": upload(BOMB)}
    )

    assert response.status_code == 200
    assert "12000 × 12000 pixels" in response.content.decode()
    store.refresh_from_db()
    assert not store.logo


def test_the_admin_refuses_a_decompression_bomb_as_a_logo(admin_user):
    request = RequestFactory().get("/")
    request.user = admin_user
    form_class = admin.site._registry[Store].get_form(request)

    with pytest.raises(ValidationError) as refused:
        form_class.base_fields["logo"].clean(upload(BOMB), None)

    assert "12000 × 12000 pixels" in refused.value.messages[0]
