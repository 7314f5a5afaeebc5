"""Order history across the merchant's stores, mounted at /orders/."""

from django.urls import path

from orders.history import views

app_name = "orders-history"

urlpatterns = [
    path("", views.order_list, name="list"),
]
