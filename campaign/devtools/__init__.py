"""Loopback stand-ins for the mail services the project delivers through.

* ``SendGridLoopback``: SendGrid's v3 ``POST /v3/mail/send`` on 127.0.0.1, with
  validation, recording and fault injection (see ``sendgrid_server``).
* ``SMTPLoopback``: an SMTP server on 127.0.0.1 built on aiosmtpd, with optional AUTH,
  STARTTLS and refused recipients (see ``smtp_server``).

Used by the test suite and by the delivery benchmarks. The names below are imported on
first use, so that ``python -m campaign.devtools.sendgrid_server`` runs cleanly and so
that the SendGrid server works where aiosmtpd (a test dependency) is not installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from campaign.devtools.sendgrid_server import (
        Faults,
        ReceivedMail,
        RemoteSendGridLoopback,
        SendGridLoopback,
    )
    from campaign.devtools.smtp_server import ReceivedSMTP, SMTPLoopback

_EXPORTS = {
    "Faults": "sendgrid_server",
    "ReceivedMail": "sendgrid_server",
    "RemoteSendGridLoopback": "sendgrid_server",
    "SendGridLoopback": "sendgrid_server",
    "ReceivedSMTP": "smtp_server",
    "SMTPLoopback": "smtp_server",
}

__all__ = [
    "Faults",
    "ReceivedMail",
    "ReceivedSMTP",
    "RemoteSendGridLoopback",
    "SMTPLoopback",
    "SendGridLoopback",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
