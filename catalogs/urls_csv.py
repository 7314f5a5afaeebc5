from django.urls import path

from catalogs.views import csv

app_name = "menu-csv"

urlpatterns = [
    path("export/", csv.csv_export, name="export"),
    path("import/", csv.csv_import, name="import"),
    path("import/confirm/", csv.csv_import_confirm, name="confirm"),
]
