"""Bounce evidence: a delivery-status report, X-Failed-Recipients, a mailer daemon
or the null sender with a failure's subject or text, and failing that Mailman's
detectors (flufl.bounce). Hard for a permanent failure, soft for a temporary one."""

from __future__ import annotations

import logging
import re
from email import message_from_bytes
from email.message import Message
from email.policy import compat32

from flufl.bounce import all_failures

from campaign.tracking.inbound.classification import (
    Classification,
    content_type,
    is_null_sender,
    normalise_phrase,
    plainly_a_reply,
)
from campaign.tracking.inbound.message import InboundMessage, header_value

log = logging.getLogger(__name__)
# flufl.bounce logs every detector it runs, for every message, at INFO.
logging.getLogger("flufl.bounce").setLevel(logging.WARNING)

# --------------------------------------------------------------------------
# Bounce evidence

_DAEMON_LOCAL_RE = re.compile(
    r"^(mailer[-_.]?daemon|mail[-_.]?daemon|postmaster|mdaemon|microsoftexchange[0-9a-f]*"
    # Carriers' notices come from no-reply senders (au by KDDI: no-reply@…dion.ne.jp).
    r"|no[-_.]?reply)$"
)
_DAEMON_NAME_RE = re.compile(
    r"mailer[- ]?daemon|mail delivery|delivery subsystem|postmaster|mail system",
    re.IGNORECASE,
)

_BOUNCE_SUBJECTS = tuple(
    normalise_phrase(s)
    for s in (
        "Undeliverable",
        "Undelivered Mail",
        "Undelivered message",
        "Delivery Status Notification",
        "Delivery Notification",
        "Delivery failure",
        "Delivery has failed",
        "Delivery failed",
        "Mail delivery failed",
        "Mail delivery failure",
        "Mail System Error",
        "Returned mail",
        "Returned to sender",
        "Failure notice",
        "Message delayed",
        "Delayed Mail",
        "Warning: could not send message",
        "Nondeliverable",
        "Non remis",
        "Unzustellbar",
        "Nicht zustellbar",
        "Niedostarczalne",
        "Nie można dostarczyć",
        "Onbestelbaar",
        "Non recapitabile",
        "No se puede entregar",
        "Kan inte levereras",
        "Nedoručitelné",
        "Недоставлено",
        "Не доставлено",
        "Не вдалося доставити",
    )
)

_BODY_EVIDENCE_RE = re.compile(
    r"(?<![\d.])[45]\d\d[ -](?:#\s*)?[45]\.\d{1,3}\.\d{1,3}(?![\d.])"
    r"|\buser unknown\b|\bunknown user\b|\bno such user\b|\bunknown recipient\b"
    r"|\bmailbox (?:is )?(?:unavailable|full|not found)\b|\bmailbox exceeds\b"
    r"|\bover quota\b|\bquota exceeded\b|\bexceeded (?:the )?(?:storage|quota)\b"
    r"|\brecipient address rejected\b|\bhost unknown\b"
    r"|\bcould not be delivered\b|\bcouldn'?t be delivered\b|\bwasn'?t delivered\b"
    r"|\bnot delivered within\b|\baccount is (?:disabled|temporarily limited)\b"
    r"|\bundeliverable\b|\bdelivery (?:to the following recipients? )?(?:has )?failed\b"
    r"|\bfailed permanently\b|\bpermanent (?:fatal )?(?:error|failure)\b"
    r"|\bdelivery (?:has been|is) delayed\b|\bhas been delayed\b|\bmessage delayed\b"
    r"|\bwill (?:continue|keep) trying\b|\bwill retry\b",
    re.IGNORECASE,
)

_STATUS_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")

_FULL_RE = re.compile(
    r"\bmailbox (?:is )?full\b|\bmailbox exceeds\b|\bexceeds (?:the )?allowed size\b"
    r"|\bquota\b|\bover ?quota\b|\binsufficient (?:system )?storage\b"
    r"|\bmailbox size limit\b|\bstorage (?:space )?exceeded\b",
    re.IGNORECASE,
)
_DELAY_RE = re.compile(
    r"\bdelay(?:ed)?\b|\bwill (?:continue|keep) trying\b|\bwill retry\b|\bstill trying\b"
    r"|\btemporar(?:y|ily)\b|\btransient\b|\bnot yet been delivered\b",
    re.IGNORECASE,
)


def _status(value: str) -> str:
    m = _STATUS_RE.search(value or "")
    return ".".join(m.groups()) if m else ""


def _severity_from_text(text: str) -> tuple[str, str]:
    """(hard|soft, evidence) from free text: a subject and a bounce body."""
    m = _FULL_RE.search(text)
    if m:
        return "soft", m.group(0).lower()
    codes = [".".join(g) for g in _STATUS_RE.findall(text)]
    permanent = [c for c in codes if c.startswith("5.")]
    if "5.2.2" in permanent:
        return "soft", "Status 5.2.2"
    if permanent:
        return "hard", "Status " + permanent[0]
    temporary = [c for c in codes if c.startswith("4.")]
    if temporary:
        return "soft", "Status " + temporary[0]
    m = _DELAY_RE.search(text)
    if m:
        return "soft", m.group(0).lower()
    m = re.search(r"(?<!\d)5\d\d(?!\d)[ -]", text)
    if m:
        return "hard", "SMTP " + m.group(0).strip(" -")
    return "hard", "no sign of a temporary failure"


def _recipient_verdict(fields: dict[str, str]) -> tuple[str, str]:
    """(hard|soft|ok|"", detail) for one recipient's delivery-status fields."""
    action = (fields.get("action") or "").strip().lower().split(" ")[0]
    status_field = fields.get("status") or ""
    status = _status(status_field)
    diagnostic = fields.get("diagnostic-code") or ""
    detail = f"Action {action or '?'}" + (f", Status {status}" if status else "")
    if action == "delayed":
        return "soft", detail
    if action in ("delivered", "relayed", "expanded"):
        return "ok", detail
    if action != "failed" and not status.startswith(("4.", "5.")):
        return "", detail
    if status.startswith("4."):
        return "soft", detail
    if status == "5.2.2" or _FULL_RE.search(status_field + " " + diagnostic):
        return "soft", detail + " (mailbox full)"
    return "hard", detail


def _dsn_verdict(msg: InboundMessage) -> tuple[str, str]:
    verdicts = [_recipient_verdict(f) for f in msg.dsn_fields if isinstance(f, dict)]
    for wanted in ("hard", "soft"):
        for verdict, detail in verdicts:
            if verdict == wanted:
                return verdict, detail
    if verdicts and all(v == "ok" for v, _ in verdicts):
        return "ok", verdicts[0][1]
    return "", ""


def _is_daemon_sender(msg: InboundMessage) -> bool:
    local = msg.from_addr.split("@")[0]
    return bool(_DAEMON_LOCAL_RE.match(local) or _DAEMON_NAME_RE.search(msg.from_name))


def _bounce_subject(subject: str) -> str:
    norm = " " + normalise_phrase(subject)
    for phrase in _BOUNCE_SUBJECTS:
        if " " + phrase in norm:
            return phrase
    return ""


def check_bounce(msg: InboundMessage) -> Classification | None:
    subject = msg.subject or ""
    text = msg.text or ""
    ctype, report_type = content_type(msg)

    if msg.is_dsn or (ctype == "multipart/report" and report_type == "delivery-status"):
        verdict, detail = _dsn_verdict(msg)
        prefix = "multipart/report delivery-status"
        if verdict in ("hard", "soft"):
            return Classification("bounce", verdict, f"{prefix}, {detail}")
        if verdict == "ok":
            return Classification("automatic", "", f"{prefix}, {detail} (delivery notice)")
        severity, evidence = _severity_from_text(subject + "\n" + text)
        return Classification("bounce", severity, f"{prefix}, {evidence}")

    failed = header_value(msg.headers, "X-Failed-Recipients")
    if failed:
        severity, evidence = _severity_from_text(subject + "\n" + text)
        return Classification("bounce", severity, f"X-Failed-Recipients, {evidence}")

    daemon = _is_daemon_sender(msg)
    if daemon or is_null_sender(msg):
        sender = f"from {msg.from_addr or msg.from_name}" if daemon else "null sender"
        phrase = _bounce_subject(subject)
        body = _BODY_EVIDENCE_RE.search(text)
        if phrase or body:
            severity, evidence = _severity_from_text(subject + "\n" + text)
            what = f"subject: {subject}" if phrase else f"text: {body.group(0)}"
            return Classification("bounce", severity, f"{sender}, {what}, {evidence}")
    return _mailman_detectors(msg)


def _as_email(msg: InboundMessage) -> Message:
    """The whole message as the standard library holds it, for flufl.bounce."""
    if msg.raw.strip():
        raw = msg.raw
        if raw.startswith(b"From "):  # an mbox line
            raw = raw.split(b"\n", 1)[-1]
        return message_from_bytes(raw, policy=compat32)
    whole = Message()
    for name, value in msg.headers.items():
        whole[name] = value
    whole.set_payload(msg.text or "")
    return whole


def _mailman_detectors(msg: InboundMessage) -> Classification | None:
    """Mailman's bounce detectors (flufl.bounce), for formats the rules above do
    not know. Mailman runs them on its bounce address only; here a person's reply
    (a reply subject answering a message) is not given to them. Severity: a
    temporary failure is soft; a permanent one is read from the text as for any
    bounce (a full mailbox is soft)."""
    if plainly_a_reply(msg):
        return None
    try:
        temporary, permanent = all_failures(_as_email(msg))
    except Exception:  # noqa: BLE001 - a detector choking on odd input is no verdict
        log.info("flufl.bounce could not read a message", exc_info=True)
        return None
    if not (temporary or permanent):
        return None
    if permanent:
        severity, evidence = _severity_from_text((msg.subject or "") + "\n" + (msg.text or ""))
        if severity == "soft" and not _FULL_RE.search(evidence):
            # flufl.bounce says permanent; only a full mailbox makes that soft here.
            severity, evidence = "hard", "a permanent failure"
        elif severity == "hard" and evidence.startswith("no sign"):
            evidence = "a permanent failure"
    else:
        severity, evidence = "soft", "a temporary failure"
    return Classification("bounce", severity, f"Mailman's bounce detectors: {evidence}")
