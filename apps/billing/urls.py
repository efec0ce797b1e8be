"""API routes of the billing area (full paths, included at the site root)."""
urlpatterns: list = []
