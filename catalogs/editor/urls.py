"""The merchant menu editor, mounted at /menu/ (owners and managers)."""

from django.urls import path

from catalogs.editor.views.bulk import bulk_price
from catalogs.editor.views.catalogs import (
    catalog_create,
    catalog_delete,
    catalog_edit,
    catalog_move,
)
from catalogs.editor.views.groups import (
    group_create,
    group_delete,
    group_edit,
    group_option_add,
    group_option_create,
    group_option_move,
)
from catalogs.editor.views.items import (
    item_create,
    item_delete,
    item_duplicate,
    item_edit,
    item_group_move,
)
from catalogs.editor.views.overview import overview
from catalogs.editor.views.sections import (
    section_create,
    section_delete,
    section_edit,
    section_item_add,
    section_item_move,
    section_move,
)

app_name = "menu"

urlpatterns = [
    path("", overview, name="overview"),
    path("prices/", bulk_price, name="bulk-price"),
    # catalogs
    path("catalogs/new/", catalog_create, name="catalog-create"),
    path("catalogs/<uuid:public_id>/", catalog_edit, name="catalog-edit"),
    path("catalogs/<uuid:public_id>/delete/", catalog_delete, name="catalog-delete"),
    path("catalogs/<uuid:public_id>/move/", catalog_move, name="catalog-move"),
    # sections
    path("sections/new/", section_create, name="section-create"),
    path("sections/<uuid:public_id>/", section_edit, name="section-edit"),
    path("sections/<uuid:public_id>/delete/", section_delete, name="section-delete"),
    path("sections/<uuid:public_id>/move/", section_move, name="section-move"),
    path("sections/<uuid:public_id>/items/add/", section_item_add, name="section-item-add"),
    path(
        "sections/<uuid:public_id>/items/<uuid:item_id>/move/",
        section_item_move,
        name="section-item-move",
    ),
    # items
    path("items/new/", item_create, name="item-create"),
    path("items/<uuid:public_id>/", item_edit, name="item-edit"),
    path("items/<uuid:public_id>/delete/", item_delete, name="item-delete"),
    path("items/<uuid:public_id>/duplicate/", item_duplicate, name="item-duplicate"),
    path(
        "items/<uuid:public_id>/groups/<uuid:group_id>/move/",
        item_group_move,
        name="item-group-move",
    ),
    # modifier groups
    path("groups/new/", group_create, name="group-create"),
    path("groups/<uuid:public_id>/", group_edit, name="group-edit"),
    path("groups/<uuid:public_id>/delete/", group_delete, name="group-delete"),
    path("groups/<uuid:public_id>/options/add/", group_option_add, name="group-option-add"),
    path("groups/<uuid:public_id>/options/new/", group_option_create, name="group-option-create"),
    path(
        "groups/<uuid:public_id>/options/<uuid:item_id>/move/",
        group_option_move,
        name="group-option-move",
    ),
]
