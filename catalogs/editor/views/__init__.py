"""The merchant menu editor at /menu/: catalogs, sections, items and modifier groups.

Owners and managers only (`Membership.can_edit_stores`); anyone else gets a 404, as on the store
pages. Every lookup goes through a `get_<model>_for_user` helper (`common`) that filters by the
merchant the user works on, so another merchant's object is a 404. Views parse the request, call
one service from `catalogs.services` or `catalogs.editor.services` (each schedules a debounced
publish of the stores it affects) and render; the menu is read through `catalogs.selectors`.

One module per part of the menu: `overview`, `catalogs`, `sections`, `items`, `groups` and
`bulk` (the bulk price change); `catalogs.editor.urls` routes to them.
"""
