"""API routes of the catalog area (full paths, included at the site root)."""
urlpatterns: list = []
