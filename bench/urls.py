"""URLs of the benchmark settings: the whole site plus the floor, a bare Django view.

The floor is what any request costs on this box (ASGI server, Django middleware, URL routing,
a JSON response) with no auth, database or Redis: the billed path's added latency and
throughput are read against it."""
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from config.urls import handler404, handler500  # noqa: F401  (same error pages as the site)


def floor(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


async def floor_async(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/floor", floor, name="bench-floor"),
    path("bench/floor-async", floor_async, name="bench-floor-async"),
    path("", include("config.urls")),
]
