from django.urls import path

from catalogs.views import store_menu

app_name = "store-menu"

# Mounted at /stores/<uuid:store_id>/menu/: every view takes `store_id`.
urlpatterns = [
    path("snooze/", store_menu.snooze_list, name="snooze"),
    path("snooze/<uuid:item_id>/", store_menu.snooze_item, name="snooze-item"),
    path("versions/", store_menu.version_list, name="versions"),
    path("versions/compare/", store_menu.version_compare, name="version-compare"),
    path(
        "versions/<uuid:version_id>/download/",
        store_menu.version_download,
        name="version-download",
    ),
    path("versions/<uuid:version_id>/resend/", store_menu.version_resend, name="version-resend"),
    path(
        "versions/<uuid:old_id>/diff/<uuid:new_id>/",
        store_menu.version_diff,
        name="version-diff",
    ),
]
