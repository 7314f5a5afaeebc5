from django.urls import path

from orders import api

app_name = "orders-api"

urlpatterns = [
    path("orders/", api.OrderListApi.as_view(), name="order-list"),
    path("orders/<uuid:public_id>/", api.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<uuid:public_id>/status/", api.OrderStatusApi.as_view(), name="order-status"),
    path("orders/<uuid:public_id>/cancel/", api.OrderCancelApi.as_view(), name="order-cancel"),
]
