"""ASGI entry point (uvicorn): async views hold waiting and streaming requests without a
thread each."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_asgi_application()
