"""A store's sold-out page, mounted at /stores/<uuid:store_id>/menu/snooze/."""

from django.urls import path

from catalogs.snoozes import views

app_name = "snoozes"

# Every view takes `store_id` from the mount point.
urlpatterns = [
    path("", views.snooze_list, name="list"),
    path("sections/<uuid:section_id>/", views.snooze_section, name="section"),
    path("sections/options/", views.snooze_section_options, name="options"),
    path("<uuid:item_id>/", views.snooze_item, name="item"),
]
