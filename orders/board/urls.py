"""A store's orders board and order pages, mounted at /stores/<uuid:store_id>/orders/."""

from django.urls import path

from orders.board import views

app_name = "orders"

# Every view takes `store_id` from the mount point.
urlpatterns = [
    path("", views.board, name="board"),
    path("busy/", views.busy, name="busy"),
    path("<uuid:order_id>/", views.detail, name="detail"),
    path("<uuid:order_id>/ticket/", views.ticket, name="ticket"),
    path("<uuid:order_id>/seen/", views.acknowledge, name="acknowledge"),
    path("<uuid:order_id>/status/", views.step, name="step"),
    path("<uuid:order_id>/cancel/", views.cancel, name="cancel"),
    path(
        "<uuid:order_id>/gett/<uuid:message_id>/retry/",
        views.gett_retry,
        name="gett-retry",
    ),
]
