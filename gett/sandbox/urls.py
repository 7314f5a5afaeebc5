from django.urls import path, re_path

from gett.sandbox import views

app_name = "sandbox"

# Mounted at /sandbox/gett/, so the sandbox's base URL stands in for https://api.gett-tech.com.
urlpatterns = [
    path("v1/commerce/stores", views.store_list, name="store-list"),
    path("v1/commerce/stores/<uuid:store_id>", views.store_detail, name="store-detail"),
    path("v1/commerce/stores/<uuid:store_id>/status", views.store_status, name="store-status"),
    # Anything else under the sandbox is Gett's NOT_FOUND problem, never Django's HTML 404.
    re_path(r"^.*$", views.not_found, name="not-found"),
]
