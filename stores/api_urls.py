from django.urls import path

from stores import api

app_name = "api"

urlpatterns = [
    path("stores/", api.StoreListApi.as_view(), name="store-list"),
    path("stores/<uuid:public_id>/", api.StoreDetailApi.as_view(), name="store-detail"),
    path("stores/<uuid:public_id>/pause/", api.StorePauseApi.as_view(), name="store-pause"),
    path("stores/<uuid:public_id>/resume/", api.StoreResumeApi.as_view(), name="store-resume"),
    path("stores/<uuid:public_id>/busy/", api.StoreBusyApi.as_view(), name="store-busy"),
]
