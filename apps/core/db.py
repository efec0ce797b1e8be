"""Giving a pooled database connection back early."""
from __future__ import annotations

from django.db import connections


def connection_release() -> None:
    """Returns this context's connections to the pool (PostgreSQL) unless a transaction is open.

    Under ASGI a request keeps the connection it first used until the response ends; a request
    that then waits (a task, a stream) must not sit on it, or a few hundred waiting clients
    exhaust the pool. Worker threads do the same around a provider call. A no-op inside
    atomic() (tests run in one), and the next query simply takes a connection again."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and not conn.in_atomic_block:
            conn.close()
