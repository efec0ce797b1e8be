"""The production web launcher (``apps.core.webserver``: the uvicorn CLI plus TCP_NODELAY on the
listening socket), under the name the benchmark has always used.

    python -m bench.web config.asgi:application --workers 2 --port 8000   # same options as uvicorn
"""
import sys

from apps.core.webserver import main

if __name__ == "__main__":
    sys.exit(main())
