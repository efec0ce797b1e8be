"""Routes of the single-call, OpenAI-compatible and convenience surfaces (full paths)."""
urlpatterns: list = []
