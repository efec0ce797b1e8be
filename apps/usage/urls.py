"""API routes of the usage area (full paths, included at the site root)."""
urlpatterns: list = []
