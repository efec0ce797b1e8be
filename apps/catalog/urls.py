"""API routes of the catalog area (full paths, included at the site root)."""
from django.urls import path

from apps.catalog.apis import ModelDetailApi, ModelListApi

urlpatterns = [
    path("v1/models", ModelListApi.as_view(), name="model-list"),
    path("models", ModelListApi.as_view(), name="model-list-short"),
    path("v1/models/<path:model_id>", ModelDetailApi.as_view(), name="model-detail"),
    path("models/<path:model_id>", ModelDetailApi.as_view(), name="model-detail-short"),
]
