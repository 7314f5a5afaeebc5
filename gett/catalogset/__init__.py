"""The CatalogSet document Gett fetches: is it valid, and if not, what a merchant should fix.

`validation` is the entry point (`catalogset_problems`, `catalogset_counts`); it runs `schema`
(the JSON Schema, fast) and then `rules` (REFERENCE §17.7); `paths` says where each problem is.
It imports no other app of ours.
"""
