"""Mounted at /webhooks/gett/ (the `webhookUrl` given to Gett is <PUBLIC_BASE_URL>/webhooks/gett).

Both spellings of each path are answered (REFERENCE §9.1, inferred): `validateOrder`/`validate`
and `placeOrder`/`place`.
"""

from django.urls import path

from orders.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("validateOrder", views.validate_order, name="validate-order"),
    path("validate", views.validate_order, name="validate"),
    path("placeOrder", views.place_order, name="place-order"),
    path("place", views.place_order, name="place"),
]
