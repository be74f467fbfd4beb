"""What the loopback SendGrid server receives: the mail send body checked the way
SendGrid checks the fields this project sends (``validate_mail``, its error texts),
and each accepted message as recorded (``ReceivedMail``).
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

MAX_PERSONALIZATIONS = 1000
MAX_RECIPIENTS = 1000

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL_RE = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+$")

AUTH_MISSING = "authorization required"
AUTH_INVALID = "The provided authorization grant is invalid, expired, or revoked"
MSG_BAD_REQUEST = "Bad Request"
_MSG_NO_PERSONALIZATIONS = (
    "The personalizations field is required and must have at least one personalization."
)
_MSG_NO_TO = (
    "The to array is required for all personalization objects, and must have at least "
    "one email object with a valid email address."
)
_MSG_NO_FROM = (
    "The from object must be provided for every email send. It is an object that "
    'requires the email parameter, e.g. {"email": "example@example.com"}.'
)
_MSG_NO_SUBJECT = (
    "The subject is required. You can get around this requirement if you use a template "
    "with a subject defined or if every personalization has a subject defined."
)
_MSG_NO_CONTENT = (
    "Unless a valid template_id is provided, the content parameter is required. There "
    "must be at least one defined content block."
)
_MSG_BAD_ADDRESS = "Does not contain a valid address."


def error_body(message: str, field: str | None = None) -> dict[str, Any]:
    return {"message": message, "field": field, "help": None}


def errors_json(errors: Iterable[Mapping[str, Any]]) -> bytes:
    return json.dumps({"errors": list(errors)}).encode()


def new_message_id() -> str:
    # SendGrid's ids are 22 URL-safe characters (16 random bytes).
    return secrets.token_urlsafe(16)


def is_valid_address(address: Any) -> bool:
    return isinstance(address, str) and len(address) <= 254 and bool(_EMAIL_RE.match(address))


# ---------------------------------------------------------------------------------------
# Recorded messages


@dataclasses.dataclass(frozen=True)
class ReceivedMail:
    """One accepted ``POST /v3/mail/send``: HTTP headers and the parsed JSON body."""

    message_id: str
    received_at: datetime
    headers: dict[str, str]
    payload: dict[str, Any]

    @property
    def personalizations(self) -> list[dict[str, Any]]:
        return list(self.payload.get("personalizations") or [])

    def _addresses(self, kind: str) -> list[str]:
        return [
            entry["email"]
            for personalization in self.personalizations
            for entry in personalization.get(kind) or []
        ]

    @property
    def to(self) -> list[str]:
        return self._addresses("to")

    @property
    def cc(self) -> list[str]:
        return self._addresses("cc")

    @property
    def bcc(self) -> list[str]:
        return self._addresses("bcc")

    @property
    def recipients(self) -> list[str]:
        return self.to + self.cc + self.bcc

    @property
    def from_email(self) -> str:
        return self.payload["from"]["email"]

    @property
    def from_name(self) -> str | None:
        return self.payload["from"].get("name")

    @property
    def reply_to(self) -> str | None:
        reply_to = self.payload.get("reply_to")
        return reply_to.get("email") if reply_to else None

    @property
    def reply_to_name(self) -> str | None:
        reply_to = self.payload.get("reply_to")
        return reply_to.get("name") if reply_to else None

    @property
    def subject(self) -> str | None:
        """The first personalization's subject if it has one, else the message's."""
        personalizations = self.personalizations
        if personalizations and personalizations[0].get("subject"):
            return personalizations[0]["subject"]
        return self.payload.get("subject")

    def _content(self, mime_type: str) -> str | None:
        for block in self.payload.get("content") or []:
            if block.get("type") == mime_type:
                return block.get("value")
        return None

    @property
    def text(self) -> str | None:
        return self._content("text/plain")

    @property
    def html(self) -> str | None:
        return self._content("text/html")

    @property
    def custom_args(self) -> dict[str, str]:
        """Message-level custom_args overlaid with the first personalization's."""
        merged = dict(self.payload.get("custom_args") or {})
        personalizations = self.personalizations
        if personalizations:
            merged.update(personalizations[0].get("custom_args") or {})
        return merged

    @property
    def tracking_settings(self) -> dict[str, Any]:
        return dict(self.payload.get("tracking_settings") or {})

    @property
    def categories(self) -> list[str]:
        return list(self.payload.get("categories") or [])

    @property
    def email_headers(self) -> dict[str, str]:
        """The ``headers`` of the message (not of the HTTP request)."""
        merged = dict(self.payload.get("headers") or {})
        personalizations = self.personalizations
        if personalizations:
            merged.update(personalizations[0].get("headers") or {})
        return merged

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "received_at": self.received_at.isoformat(),
            "headers": self.headers,
            "payload": self.payload,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReceivedMail:
        return cls(
            message_id=data["message_id"],
            received_at=datetime.fromisoformat(data["received_at"]),
            headers=dict(data["headers"]),
            payload=dict(data["payload"]),
        )


# ---------------------------------------------------------------------------------------
# Validation, as SendGrid does it for the fields this project sends


def validate_mail(payload: Any) -> list[dict[str, Any]]:
    """SendGrid-style error objects for ``payload``; empty when it would be accepted."""
    if not isinstance(payload, dict):
        return [error_body(MSG_BAD_REQUEST)]
    errors: list[dict[str, Any]] = []
    has_template = bool(payload.get("template_id"))

    personalizations = payload.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        errors.append(error_body(_MSG_NO_PERSONALIZATIONS, "personalizations"))
        personalizations = []
    elif len(personalizations) > MAX_PERSONALIZATIONS:
        errors.append(
            error_body(
                f"The personalization block is limited to {MAX_PERSONALIZATIONS} "
                f"personalizations per API request. You have provided "
                f"{len(personalizations)} personalizations.",
                "personalizations",
            )
        )
    total_recipients = 0
    for i, personalization in enumerate(personalizations):
        if not isinstance(personalization, dict):
            errors.append(error_body(MSG_BAD_REQUEST, f"personalizations.{i}"))
            continue
        to = personalization.get("to")
        if not isinstance(to, list) or not to:
            errors.append(error_body(_MSG_NO_TO, f"personalizations.{i}.to"))
        seen: set[str] = set()
        for kind in ("to", "cc", "bcc"):
            entries = personalization.get(kind) or []
            if not isinstance(entries, list):
                errors.append(error_body(MSG_BAD_REQUEST, f"personalizations.{i}.{kind}"))
                continue
            for j, entry in enumerate(entries):
                field = f"personalizations.{i}.{kind}.{j}.email"
                address = entry.get("email") if isinstance(entry, dict) else None
                if not is_valid_address(address):
                    errors.append(error_body(_MSG_BAD_ADDRESS, field))
                    continue
                total_recipients += 1
                if address.lower() in seen:
                    errors.append(
                        error_body(
                            "Each email address in the personalization block should be "
                            f"unique between to, cc, and bcc. We found the first duplicate "
                            f"instance of [{address}] in the personalizations.{i}.{kind} "
                            "field.",
                            f"personalizations.{i}",
                        )
                    )
                seen.add(address.lower())
        errors.extend(_check_custom_args(personalization, f"personalizations.{i}."))
    if total_recipients > MAX_RECIPIENTS:
        errors.append(
            error_body(
                f"There is a limit of {MAX_RECIPIENTS} total recipients (to + cc + bcc) "
                "per request.",
                "personalizations",
            )
        )

    sender = payload.get("from")
    sender_email = sender.get("email") if isinstance(sender, dict) else None
    if not sender_email:
        errors.append(error_body(_MSG_NO_FROM, "from.email"))
    elif not is_valid_address(sender_email):
        errors.append(error_body("The from email does not contain a valid address.", "from.email"))

    reply_to = payload.get("reply_to")
    if reply_to is not None:
        reply_email = reply_to.get("email") if isinstance(reply_to, dict) else None
        if not is_valid_address(reply_email):
            errors.append(
                error_body("The reply_to email does not contain a valid address.", "reply_to.email")
            )

    subject = payload.get("subject")
    if subject is not None and not isinstance(subject, str):
        errors.append(error_body("The subject must be a string.", "subject"))
    elif not has_template and not subject:
        every_personalization_has_one = bool(personalizations) and all(
            isinstance(p, dict) and isinstance(p.get("subject"), str) and p["subject"]
            for p in personalizations
        )
        if not every_personalization_has_one:
            errors.append(error_body(_MSG_NO_SUBJECT, "subject"))

    content = payload.get("content")
    if content is None or content == []:
        if not has_template:
            errors.append(error_body(_MSG_NO_CONTENT, "content"))
    elif not isinstance(content, list):
        errors.append(error_body(MSG_BAD_REQUEST, "content"))
    else:
        types = []
        for k, block in enumerate(content):
            if not isinstance(block, dict):
                errors.append(error_body(MSG_BAD_REQUEST, f"content.{k}"))
                continue
            if not isinstance(block.get("type"), str) or not block["type"]:
                errors.append(
                    error_body(
                        "The content type must be a string at least one character in length.",
                        f"content.{k}.type",
                    )
                )
            if not isinstance(block.get("value"), str) or not block["value"]:
                errors.append(
                    error_body(
                        "The content value must be a string at least one character in length.",
                        f"content.{k}.value",
                    )
                )
            types.append(block.get("type"))
        if "text/plain" in types and types.index("text/plain") != 0:
            errors.append(
                error_body(
                    "If present, text/plain must be first, followed by text/html, followed "
                    "by any other content.",
                    "content",
                )
            )

    errors.extend(_check_custom_args(payload, ""))
    return errors


def _check_custom_args(container: Mapping[str, Any], prefix: str) -> list[dict[str, Any]]:
    custom_args = container.get("custom_args")
    if custom_args is None:
        return []
    if not isinstance(custom_args, dict):
        return [error_body(MSG_BAD_REQUEST, f"{prefix}custom_args")]
    return [
        error_body(
            f"Invalid type. Expected: string, given: {type(value).__name__}.",
            f"{prefix}custom_args.{key}",
        )
        for key, value in custom_args.items()
        if not isinstance(value, str)
    ]
