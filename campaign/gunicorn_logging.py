"""gunicorn's logger for the web process (Procfile: --logger-class): its access
log prints the path the app marked for logs, without the secret parts of links
(security.logged_path)."""

from __future__ import annotations

from gunicorn.glogging import Logger

from .security import logged_path


class PrivateAccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = logged_path(environ)
        return atoms
