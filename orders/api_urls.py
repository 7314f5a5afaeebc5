app_name = "orders-api"

urlpatterns: list = []
