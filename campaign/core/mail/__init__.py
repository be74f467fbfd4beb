"""Mail behind one interface; the backend is chosen by MAIL_BACKEND."""

from flask import current_app

from campaign.core.mail.base import (
    MailBackend,
    MailError,
    OutgoingMessage,
    PermanentMailError,
    TransientMailError,
)

__all__ = [
    "MailBackend",
    "MailError",
    "OutgoingMessage",
    "PermanentMailError",
    "TransientMailError",
    "backend_from_config",
    "get_backend",
]


def backend_from_config(config) -> MailBackend:
    name = config["MAIL_BACKEND"]
    if name == "outbox":
        from campaign.core.mail.outbox import OutboxBackend

        return OutboxBackend(config["OUTBOX_DIR"])
    if name == "sendgrid":
        from campaign.core.mail.sendgrid_backend import SendGridBackend

        return SendGridBackend(
            config["SENDGRID_API_KEY"],
            config["SENDGRID_API_HOST"],
            config["SENDGRID_TIMEOUT"],
            concurrency=config.get("SENDGRID_CONCURRENCY", 8),
        )
    from campaign.core.mail.smtp_backend import SMTPBackend

    return SMTPBackend(config["SMTP_URL"], config["SMTP_TIMEOUT"])


def get_backend() -> MailBackend:
    """The current app's backend, built once per app."""
    ext = current_app.extensions
    if "mail_backend" not in ext:
        ext["mail_backend"] = backend_from_config(current_app.config)
    return ext["mail_backend"]
