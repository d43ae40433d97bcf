"""Pages of enrollment (batches, allocations, participants)."""

app_name = "enrollment"

urlpatterns: list = []
