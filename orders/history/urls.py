app_name = "orders-history"

urlpatterns: list = []
