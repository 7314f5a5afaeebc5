"""Menu CSV export and import, mounted at /menu/csv/ (owners and managers)."""

from django.urls import path

from catalogs.csv import views

app_name = "menu-csv"

urlpatterns = [
    path("export/", views.csv_export, name="export"),
    path("import/", views.csv_import, name="import"),
    path("import/confirm/", views.csv_import_confirm, name="confirm"),
    path("import/changes/", views.csv_import_changes, name="changes"),
]
