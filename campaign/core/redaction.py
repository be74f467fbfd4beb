"""Keeping supporters' addresses out of what operators read: logs and the records
RQ keeps of failed jobs.

The app never logs a supporter by itself, but other parties' words can quote one:
a mail server refusing an address ("550 5.1.1 <alice@example.org>: ..."), the
database reporting a duplicate ("Key (email)=(alice@example.org) already exists").
Those texts pass through without_addresses() before they are written anywhere an
operator, a log service or the staff queue pages would show them.
"""

from __future__ import annotations

import logging
import re

# Anything shaped like an email address (not a validator: whatever a server or the
# database may quote, in angle brackets, quotes, parentheses or bare).
_ADDRESS = re.compile(r"[^\s<>\[\]\"'(),;:=]+@[^\s<>\[\]\"'(),;:=]+")


def without_addresses(text: str) -> str:
    """``text`` with every email address in it replaced by ``[address]``."""
    return _ADDRESS.sub("[address]", text)


class WithoutAddresses(logging.Filter):
    """A handler filter: the record's message (clean_message), traceback and stack
    without email addresses."""

    def clean_message(self, message: str) -> str:
        return without_addresses(message)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: logging must not raise, nor print its arguments
            message = f"unformattable log message ({record.pathname}:{record.lineno})"
        record.msg, record.args = self.clean_message(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = without_addresses(record.exc_text)
        if record.stack_info:
            record.stack_info = without_addresses(record.stack_info)
        return True


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: int | str = logging.INFO) -> None:
    """The processes' logging (web, worker, clock): one line a record, on standard
    error, every handler of the root logger filtered by WithoutAddresses."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, WithoutAddresses) for f in handler.filters):
            handler.addFilter(WithoutAddresses())
