"""Run the whole service on one machine with nothing installed but Python:
SQLite, an embedded Redis, mail kept in the local outbox, the web app on
http://127.0.0.1:5000, one worker and the periodic clock.

    python -m campaign.devserver        (what `make run` does)
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def dev_secret_key() -> str:
    """A key kept in the instance folder, so the web, the worker and a restart all
    sign and check links with the same key."""
    path = INSTANCE / "dev_secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _stop(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    os.environ.setdefault("CAMPAIGN_ENV", "development")
    os.environ.setdefault("SECRET_KEY", dev_secret_key())
    port = int(os.environ.get("PORT", "5000"))
    os.environ.setdefault("PUBLIC_URL", f"http://127.0.0.1:{port}")

    with ExitStack() as stack:
        if not os.environ.get("REDIS_URL"):
            from .embedded_redis import embedded_redis

            os.environ["REDIS_URL"] = stack.enter_context(embedded_redis(INSTANCE / "redis"))

        from flask_migrate import upgrade

        from . import create_app
        from .services.seed import seed_demo

        app = create_app()
        with app.app_context():
            upgrade()
            print(f"demo data: {seed_demo()}", flush=True)

        # Our own interpreter running our own scripts: no untrusted input.
        worker = [sys.executable, str(ROOT / "worker.py")]
        children = [
            subprocess.Popen(worker, cwd=ROOT),  # noqa: S603
            subprocess.Popen([*worker, "--clock"], cwd=ROOT),  # noqa: S603
        ]

        def stop_children():
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()

        stack.callback(stop_children)
        print(
            f"open http://127.0.0.1:{port}  (mail: http://127.0.0.1:{port}/dev/outbox)", flush=True
        )
        try:
            from .security import PrivateRequestHandler

            # The request log names neither the client's address nor query strings.
            app.run(
                host="127.0.0.1",
                port=port,
                use_reloader=False,
                threaded=True,
                request_handler=PrivateRequestHandler,
            )
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
