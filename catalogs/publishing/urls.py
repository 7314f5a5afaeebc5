"""What went to Gett, mounted at the site root: public CatalogSet files and a store's versions."""

from django.urls import path

from catalogs.publishing import views

app_name = "publishing"

urlpatterns = [
    # Public, for Gett's catalog fetcher (anonymous).
    path(
        "catalogsets/<uuid:partner_store_id>/latest.json",
        views.catalogset_latest,
        name="catalogset-latest",
    ),
    path(
        "catalogsets/<uuid:partner_store_id>/<uuid:catalog_set_id>.json",
        views.catalogset_file,
        name="catalogset-file",
    ),
    # A store's menu versions (its people).
    path("stores/<uuid:store_id>/menu/versions/", views.version_list, name="versions"),
    path(
        "stores/<uuid:store_id>/menu/versions/compare/",
        views.version_compare,
        name="version-compare",
    ),
    path(
        "stores/<uuid:store_id>/menu/versions/<uuid:version_id>/download/",
        views.version_download,
        name="version-download",
    ),
    path(
        "stores/<uuid:store_id>/menu/versions/<uuid:version_id>/resend/",
        views.version_resend,
        name="version-resend",
    ),
    path(
        "stores/<uuid:store_id>/menu/versions/<uuid:old_id>/diff/<uuid:new_id>/",
        views.version_diff,
        name="version-diff",
    ),
]
