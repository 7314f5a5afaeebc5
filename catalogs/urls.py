from django.urls import path

from catalogs.views import files

app_name = "catalogs"

urlpatterns = [
    # Public, for Gett's catalog fetcher (anonymous).
    path(
        "catalogsets/<uuid:partner_store_id>/latest.json",
        files.catalogset_latest,
        name="catalogset_latest",
    ),
    path(
        "catalogsets/<uuid:partner_store_id>/<uuid:catalog_set_id>.json",
        files.catalogset_file,
        name="catalogset_file",
    ),
]
