"""API routes of the usage area (full paths, included at the site root)."""
from django.urls import path

from apps.usage.apis import UsageSummaryApi

urlpatterns = [
    path("v1/usage", UsageSummaryApi.as_view(), name="usage-summary"),
]
