"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import sys

from campaign import create_app
from campaign.core.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    # A wrong setting stops the process with one line naming it, not a traceback.
    sys.exit(f"configuration error: {exc}")
