"""Django-level 404/500 handlers: JSON on API paths, the dashboard's pages elsewhere."""
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from apps.core.errors import API_ERROR, NOT_FOUND, error_body, is_api_path


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return JsonResponse(error_body(f"No route for {request.method} {request.path}", type=NOT_FOUND, code="not_found"), status=404)
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return JsonResponse(error_body("Internal server error", type=API_ERROR, code="internal_error"), status=500)
    return render(request, "errors/500.html", status=500)
