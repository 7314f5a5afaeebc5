from django.urls import path

from catalogs import api

app_name = "menu-api"

urlpatterns = [
    path("menu/", api.MenuApi.as_view(), name="menu"),
    path("menu/items/", api.MenuItemListApi.as_view(), name="item-list"),
    path("menu/items/<uuid:public_id>/", api.MenuItemApi.as_view(), name="item-detail"),
    path("menu/items/<uuid:public_id>/price/", api.MenuItemPriceApi.as_view(), name="item-price"),
    path(
        "stores/<uuid:public_id>/snoozes/",
        api.StoreSnoozeListApi.as_view(),
        name="store-snooze-list",
    ),
    path(
        "stores/<uuid:public_id>/snoozes/<uuid:item_id>/",
        api.StoreSnoozeDetailApi.as_view(),
        name="store-snooze-detail",
    ),
]
