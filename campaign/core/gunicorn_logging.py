"""gunicorn's logger for the web process (Procfile: --logger-class).

Its access log prints the path the app marked for logs, without the secret parts
of links (security.logged_path). Its error log is gunicorn's own, which names the
client's address when a request is malformed ("Invalid request from ip=...") and
the whole URI, query string included, when handling one failed: both are taken
out, as are email addresses (campaign.core.redaction).
"""

from __future__ import annotations

import ipaddress
import re

from gunicorn.glogging import Logger

from campaign.core.redaction import WithoutAddresses, without_addresses
from campaign.core.security import loggable_path, logged_path

# A word that may be an IP address (IPv4, or IPv6 with its colons).
_ADDRESS_LIKE = re.compile(r"(?<![\w.:])[0-9A-Fa-f.:]*[.:][0-9A-Fa-f.:]+(?![\w.:])")
# A path or a URL, with its query string.
_URI = re.compile(r"(?<!\w)(?:https?://[^/\s]+)?(/[^\s?'\"]*)(\?[^\s'\"]*)?")


def _without_ip(match: re.Match) -> str:
    word = match.group(0)
    for candidate in dict.fromkeys((word, word.rstrip(":"))):
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            continue
        return "[ip]" + word[len(candidate) :]
    return word


def private_error_text(text: str) -> str:
    """A line of gunicorn's error log without client addresses, query strings,
    secret path segments or email addresses."""
    text = _ADDRESS_LIKE.sub(_without_ip, text)
    text = _URI.sub(lambda m: loggable_path(m.group(1)), text)
    return without_addresses(text)


class PrivateErrorText(WithoutAddresses):
    """A handler filter for gunicorn's error log: private_error_text() on every
    line, and no email address in tracebacks."""

    def clean_message(self, message: str) -> str:
        return private_error_text(message)


class PrivateAccessLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.addFilter(PrivateErrorText())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = logged_path(environ)
        return atoms
