app_name = "orders-board"

urlpatterns: list = []
