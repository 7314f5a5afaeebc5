from django.urls import path

from catalogs import views

app_name = "catalogs"

urlpatterns = [
    # Public, for Gett's catalog fetcher (anonymous).
    path(
        "catalogsets/<uuid:partner_store_id>/latest.json",
        views.catalogset_latest,
        name="catalogset_latest",
    ),
    path(
        "catalogsets/<uuid:partner_store_id>/<uuid:catalog_set_id>.json",
        views.catalogset_file,
        name="catalogset_file",
    ),
]
