"""Decide whether an inbound message was written by a person.

:func:`classify` returns one of three kinds:

``bounce``
    A delivery failure or delay notice. Checked first, because many bounces
    also carry ``Auto-Submitted: auto-replied`` or, when relayed through a
    mailing list, ``Precedence: bulk``. Evidence: a delivery-status report
    (RFC 3464), an ``X-Failed-Recipients`` header, or a message from a mailer
    daemon, a postmaster, a no-reply sender or the null sender whose subject or
    text reads like a delivery failure; failing that, Mailman's bounce detectors
    (``flufl.bounce``: DSNs and some twenty MTAs' plain-text formats) finding a
    failed recipient. ``bounce`` is ``"hard"`` for a permanent failure and
    ``"soft"`` for a temporary one (delay, mailbox full, over quota).
``automatic``
    Out-of-office notices, autoresponders, read receipts, challenge-response
    requests (TMDA, SpamArrest, Boxbe and the like) and other machine-generated
    mail (RFC 3834 ``Auto-Submitted``, vendor headers, out-of-office subjects,
    the null sender). ``Precedence: bulk`` (or ``junk``) alone does
    not make a reply automatic when the message is plainly a reply (a reply
    subject and In-Reply-To/References): forwarding hops and lists add it to
    what people write.
``human``
    Everything else.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from email.policy import compat32

from flufl.bounce import all_failures

from campaign.tracking.inbound.message import InboundMessage, header_value, header_values

log = logging.getLogger(__name__)
# flufl.bounce logs every detector it runs, for every message, at INFO.
logging.getLogger("flufl.bounce").setLevel(logging.WARNING)

__all__ = ["DEFAULT_OOO_SUBJECTS", "Classification", "classify", "normalise_phrase"]


@dataclass(frozen=True)
class Classification:
    kind: str  # "human" | "automatic" | "bounce"
    bounce: str  # "" | "hard" | "soft"; set only when kind == "bounce"
    reason: str  # short evidence for staff


# Subjects of out-of-office notices and autoresponders, in the languages the
# campaign writes in. A subject matches when one of these phrases starts a word
# of it, ignoring case, accents and punctuation ("Automatic reply:",
# "[Out of Office]", "RE: Abwesenheitsnotiz").
DEFAULT_OOO_SUBJECTS: tuple[str, ...] = (
    # English
    "Automatic reply",
    "Automatic response",
    "Auto reply",
    "Autoreply",
    "Auto response",
    "Autoresponse",
    "Out of office",
    "Out of the office",
    # German
    "Abwesenheitsnotiz",
    "Automatische Antwort",
    # French
    "Réponse automatique",
    "Absence du bureau",
    # Polish
    "Odpowiedź automatyczna",
    "Automatyczna odpowiedź",
    # Lithuanian
    "Automatinis atsakymas",
    # Latvian
    "Automātiskā atbilde",
    # Estonian
    "Automaatne vastus",
    # Dutch
    "Automatisch antwoord",
    "Afwezig",
    # Swedish
    "Automatiskt svar",
    "Frånvaro",
    # Czech
    "Automatická odpověď",
    # Italian
    "Risposta automatica",
    "Fuori sede",
    # Spanish
    "Respuesta automática",
    "Fuera de la oficina",
    # Russian
    "Автоматический ответ",
    "Автоответ",
    # Ukrainian
    "Автоматична відповідь",
    "Автовідповідь",
    # Belarusian
    "Аўтаматычны адказ",
    "Аўтаадказ",
)

_NON_WORD_RE = re.compile(r"[\W_]+")


def normalise_phrase(value: str) -> str:
    """Case-folded, accent-free, punctuation collapsed to single spaces."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD_RE.sub(" ", stripped.casefold()).strip()


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


def _is_null_sender(msg: InboundMessage) -> bool:
    if msg.envelope_from == "<>":
        return True
    for name in ("Return-Path", "X-Envelope-From"):
        value = header_value(msg.headers, name).replace(" ", "")
        if value == "<>":
            return True
    return False


def _is_daemon_sender(msg: InboundMessage) -> bool:
    local = msg.from_addr.split("@")[0]
    return bool(_DAEMON_LOCAL_RE.match(local) or _DAEMON_NAME_RE.search(msg.from_name))


def _bounce_subject(subject: str) -> str:
    norm = " " + normalise_phrase(subject)
    for phrase in _BOUNCE_SUBJECTS:
        if " " + phrase in norm:
            return phrase
    return ""


def _content_type(msg: InboundMessage) -> tuple[str, str]:
    try:
        ctype = msg.headers.get_content_type()
        report = str(msg.headers.get_param("report-type") or "").strip().lower()
    except Exception:
        return "text/plain", ""
    return ctype, report


def _check_bounce(msg: InboundMessage) -> Classification | None:
    subject = msg.subject or ""
    text = msg.text or ""
    ctype, report_type = _content_type(msg)

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
    if daemon or _is_null_sender(msg):
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
    if _plainly_a_reply(msg):
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


# --------------------------------------------------------------------------
# Automatic replies

_AUTO_HEADERS = (
    "X-Autoreply",
    "X-Autorespond",
    "X-Autoresponder",
    "X-AutoReply-From",
    "X-Mail-Autoreply",
    "X-Autogenerated",
)
_NEGATIVE = {"no", "false", "0", "off"}


def _ooo_subject(subject: str, phrases: Iterable[str]) -> str:
    norm = " " + normalise_phrase(subject)
    for phrase in phrases:
        wanted = normalise_phrase(phrase)
        if wanted and " " + wanted in norm:
            return phrase
    return ""


# Challenge-response systems answer a stranger's mail with a request to prove
# they are a person before it is delivered: not an answer from the office.
_CHALLENGE_HEADERS = ("X-TMDA-Fingerprint", "X-TMDA-Confirm", "X-Boxbe-Verified", "X-Boxbe-Action")
_CHALLENGE_AGENT_RE = re.compile(r"\b(?:tmda|spam ?arrest|boxbe|choicemail|mailblocks)\b", re.I)
# TMDA's confirmation address: local-confirm-<timestamp>.<pid>.<hmac>@domain
_CHALLENGE_SENDER_RE = re.compile(
    r"-confirm-\d+\.\d+\.[0-9a-f]+@|@(?:[\w.-]+\.)?(?:spamarrest|boxbe|mailblocks)\.com$", re.I
)
_CHALLENGE_SUBJECTS = tuple(
    normalise_phrase(s)
    for s in (
        "Please confirm your message",
        "Please confirm your e-mail",
        "Please confirm your email",
        "Please verify your email",
        "Please verify your e-mail",
        "Verify your email address",
        "Sender verification",
        "Sender authentication request",
        "Request to join my Guest List",
        "SpamArrest",
        "Spam Arrest",
    )
)
_CHALLENGE_TEXT_RE = re.compile(
    r"\bone[- ]time (?:sender )?verification\b|\bguest list\b|\bchallenge[-/ ]response\b"
    r"|\bverify (?:that )?you are (?:a )?(?:human|real person|person)\b"
    r"|\bprove (?:that )?you are (?:a )?(?:human|real person|person)\b"
    r"|\b(?:added|add you) to (?:my|the) (?:whitelist|approved senders?(?: list)?)\b"
    r"|\bspam ?arrest\b|\bboxbe\b|\bchoicemail\b"
    r"|\bmessage (?:is|will be) (?:being )?held until you\b",
    re.IGNORECASE,
)


def _challenge_evidence(msg: InboundMessage) -> str:
    headers = msg.headers
    for name in _CHALLENGE_HEADERS:
        if header_values(headers, name):
            return name
    for name in ("X-Delivery-Agent", "X-Mailer", "X-Challenge"):
        value = header_value(headers, name)
        if value and (name == "X-Challenge" or _CHALLENGE_AGENT_RE.search(value)):
            return f"{name}: {value[:60]}"
    if _CHALLENGE_SENDER_RE.search(msg.from_addr or ""):
        return f"from {msg.from_addr}"
    norm = " " + normalise_phrase(msg.subject or "")
    subject = next((p for p in _CHALLENGE_SUBJECTS if " " + p in norm), "")
    text = _CHALLENGE_TEXT_RE.search(msg.text or "")
    if subject and text:
        return f"subject: {msg.subject[:60]}, text: {text.group(0)}"
    return ""


_REPLY_SUBJECT_RE = re.compile(
    r"^\s*(?:re|aw|sv|vs|odp|antw|atb|ats|réf|ref|rif|r|отв|ответ|адк|адказ|від)\s*(?:\[\d+\])?\s*:",
    re.IGNORECASE,
)


def _plainly_a_reply(msg: InboundMessage) -> bool:
    """A reply subject and a reference to what it answers: what a person's mail
    program writes. Forwarding hops and lists add ``Precedence: bulk`` to it."""
    return bool(_REPLY_SUBJECT_RE.match(msg.subject or "")) and bool(
        msg.in_reply_to or msg.references
    )


def _check_automatic(msg: InboundMessage, ooo_subjects: Iterable[str]) -> Classification | None:
    headers = msg.headers
    ctype, report_type = _content_type(msg)
    if ctype == "multipart/report":
        if report_type == "disposition-notification":
            return Classification("automatic", "", "read receipt (disposition-notification)")
        return Classification("automatic", "", f"multipart/report {report_type or ''}".strip())

    auto = header_value(headers, "Auto-Submitted").split(";")[0].strip()
    if auto and auto.lower() != "no":
        return Classification("automatic", "", f"Auto-Submitted: {auto[:60]}")

    for name in _AUTO_HEADERS:
        values = header_values(headers, name)
        if values and values[0].strip().lower() not in _NEGATIVE:
            return Classification("automatic", "", f"{name}: {values[0][:60]}".strip())

    apple = header_value(headers, "X-Apple-Action")
    if "vacation" in apple.lower():
        return Classification("automatic", "", "X-Apple-Action: VACATION")

    if header_values(headers, "X-Auto-Response-Suppress"):
        for marker in ("X-MS-Exchange-Inbox-Rules-Loop", "X-MS-Exchange-Generated-Message-Source"):
            if header_values(headers, marker):
                return Classification(
                    "automatic", "", f"Exchange rule reply (X-Auto-Response-Suppress, {marker})"
                )

    phrase = _ooo_subject(msg.subject or "", ooo_subjects)
    if phrase:
        return Classification("automatic", "", f"subject: {phrase}")

    challenge = _challenge_evidence(msg)
    if challenge:
        return Classification("automatic", "", f"challenge-response: {challenge}")

    precedence = header_value(headers, "Precedence").strip().lower()
    if precedence in ("auto_reply", "auto-reply"):
        return Classification("automatic", "", f"Precedence: {precedence}")
    if precedence in ("bulk", "junk") and not _plainly_a_reply(msg):
        return Classification("automatic", "", f"Precedence: {precedence}")

    if _is_null_sender(msg):
        return Classification("automatic", "", "null sender (Return-Path: <>)")
    return None


def classify(
    msg: InboundMessage, ooo_subjects: Iterable[str] = DEFAULT_OOO_SUBJECTS
) -> Classification:
    """Classify ``msg`` as a bounce, an automatic reply or a human reply."""
    phrases = tuple(ooo_subjects)
    return (
        _check_bounce(msg)
        or _check_automatic(msg, phrases)
        or Classification("human", "", "no bounce or automatic-reply evidence")
    )
