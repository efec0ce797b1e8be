"""The web launcher: the uvicorn command line, with TCP_NODELAY on the listening socket.

``uvicorn --workers N`` binds its socket as ``socket.socket(family)`` (protocol 0), and asyncio
only turns Nagle's algorithm off for sockets whose protocol is ``IPPROTO_TCP``: on a kept-alive
connection each response's body (a second small write after the headers) then waits for the
client's delayed ACK, about 40 ms on Linux (measured: docs/benchmarks.md, "Nagle"). Linux copies
TCP_NODELAY from the listening socket to the connections it accepts, so setting it on the
listener fixes every worker.

    python -m apps.core.webserver config.asgi:application --workers 4 --port 8000   # same options as uvicorn
"""
import socket
import sys

from uvicorn.config import Config
from uvicorn.main import main

_bind_socket = Config.bind_socket


def _bind_socket_nodelay(self: Config) -> socket.socket:
    sock = _bind_socket(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


Config.bind_socket = _bind_socket_nodelay

if __name__ == "__main__":
    sys.exit(main())
