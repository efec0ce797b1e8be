from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from apps.core.health import healthz, readyz

handler404 = "apps.core.handlers.not_found"
handler500 = "apps.core.handlers.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("v1/openapi.json", SpectacularAPIView.as_view(), name="openapi-schema"),
    path("docs", SpectacularRedocView.as_view(url_name="openapi-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    # API areas: each urls module holds full paths (/v1/..., /api/v1/..., /chat/..., ...).
    # The task surfaces come first: they take nearly all the traffic, and every include tried
    # before the matching one costs a failed resolve (Django builds its "tried" list each time).
    path("", include("apps.tasks.surfaces.urls")),
    path("", include("apps.tasks.urls")),
    path("", include("apps.accounts.urls")),
    path("", include("apps.catalog.urls")),
    path("", include("apps.billing.urls")),
    path("", include("apps.usage.urls")),
    path("", include(("apps.dashboard.urls", "dashboard"), namespace="dashboard")),
]
