"""API routes of the tasks area (full paths, included at the site root)."""
urlpatterns: list = []
