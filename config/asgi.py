"""ASGI entry point (uvicorn): async views hold waiting and streaming requests without a
thread each. ``apps.core.asgi`` is Django's handler without the reference cycle and the second
(joining) thread it leaves per request, and it sets the garbage collector up for a server process."""
import os

from apps.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_asgi_application()
