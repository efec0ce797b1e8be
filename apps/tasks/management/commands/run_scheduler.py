"""Sends the sweep actor every TOLLGATE_SWEEP_INTERVAL_SECONDS. Several schedulers are safe:
a Redis lock (SET NX EX) lets one send per interval."""
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.core.redis import redis_client


class Command(BaseCommand):
    help = "Periodic scheduler: sends the task sweep (re-send lost messages, expire, purge)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Send one sweep (if the lock allows) and exit")

    def handle(self, *args, once=False, **options):
        from apps.tasks.actors import tasks_sweep

        interval = settings.TOLLGATE_SWEEP_INTERVAL_SECONDS
        lock = f"{settings.CACHE_KEY_PREFIX}:scheduler:sweep"
        while True:
            if redis_client().set(lock, "1", nx=True, ex=max(interval - 1, 1)):
                tasks_sweep.send()
            if once:
                return
            time.sleep(interval)
