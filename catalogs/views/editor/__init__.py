"""The merchant menu editor at /menu/: catalogs, sections, items and modifier groups.

Owners and managers only (`Membership.can_edit_stores`); anyone else gets a 404, as on the store
pages. Every lookup goes through a `get_<model>_for_user` helper (`common`) that filters by the
merchant the user works on, so another merchant's object is a 404. Views parse the request, call
one service from `catalogs.services` (each schedules a debounced publish of the stores it
affects) and render; the menu is read through `catalogs.selectors`.

One module per part of the menu: `overview`, `catalogs`, `sections`, `items`, `groups` and
`bulk` (the bulk price change).
"""

from catalogs.views.editor.bulk import bulk_price
from catalogs.views.editor.catalogs import (
    catalog_create,
    catalog_delete,
    catalog_edit,
    catalog_move,
)
from catalogs.views.editor.groups import (
    group_create,
    group_delete,
    group_edit,
    group_option_add,
    group_option_create,
    group_option_move,
)
from catalogs.views.editor.items import (
    item_create,
    item_delete,
    item_duplicate,
    item_edit,
    item_group_move,
)
from catalogs.views.editor.overview import overview
from catalogs.views.editor.sections import (
    section_create,
    section_delete,
    section_edit,
    section_item_add,
    section_item_move,
    section_move,
)

__all__ = [
    "bulk_price",
    "catalog_create",
    "catalog_delete",
    "catalog_edit",
    "catalog_move",
    "group_create",
    "group_delete",
    "group_edit",
    "group_option_add",
    "group_option_create",
    "group_option_move",
    "item_create",
    "item_delete",
    "item_duplicate",
    "item_edit",
    "item_group_move",
    "overview",
    "section_create",
    "section_delete",
    "section_edit",
    "section_item_add",
    "section_item_move",
    "section_move",
]
