"""The merchant menu editor, mounted at /menu/ (owners and managers)."""

from django.urls import path

from catalogs.views import editor

app_name = "menu"

urlpatterns = [
    path("", editor.overview, name="overview"),
    path("prices/", editor.bulk_price, name="bulk-price"),
    # catalogs
    path("catalogs/new/", editor.catalog_create, name="catalog-create"),
    path("catalogs/<uuid:public_id>/", editor.catalog_edit, name="catalog-edit"),
    path("catalogs/<uuid:public_id>/delete/", editor.catalog_delete, name="catalog-delete"),
    path("catalogs/<uuid:public_id>/move/", editor.catalog_move, name="catalog-move"),
    # sections
    path("sections/new/", editor.section_create, name="section-create"),
    path("sections/<uuid:public_id>/", editor.section_edit, name="section-edit"),
    path("sections/<uuid:public_id>/delete/", editor.section_delete, name="section-delete"),
    path("sections/<uuid:public_id>/move/", editor.section_move, name="section-move"),
    path("sections/<uuid:public_id>/items/add/", editor.section_item_add, name="section-item-add"),
    path(
        "sections/<uuid:public_id>/items/<uuid:item_id>/move/",
        editor.section_item_move,
        name="section-item-move",
    ),
    # items
    path("items/new/", editor.item_create, name="item-create"),
    path("items/<uuid:public_id>/", editor.item_edit, name="item-edit"),
    path("items/<uuid:public_id>/delete/", editor.item_delete, name="item-delete"),
    path("items/<uuid:public_id>/duplicate/", editor.item_duplicate, name="item-duplicate"),
    path(
        "items/<uuid:public_id>/groups/<uuid:group_id>/move/",
        editor.item_group_move,
        name="item-group-move",
    ),
    # modifier groups
    path("groups/new/", editor.group_create, name="group-create"),
    path("groups/<uuid:public_id>/", editor.group_edit, name="group-edit"),
    path("groups/<uuid:public_id>/delete/", editor.group_delete, name="group-delete"),
    path("groups/<uuid:public_id>/options/add/", editor.group_option_add, name="group-option-add"),
    path(
        "groups/<uuid:public_id>/options/new/",
        editor.group_option_create,
        name="group-option-create",
    ),
    path(
        "groups/<uuid:public_id>/options/<uuid:item_id>/move/",
        editor.group_option_move,
        name="group-option-move",
    ),
]
