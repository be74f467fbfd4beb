"""What both checks read: a classification's verdict (Classification), phrases
compared the way subjects are (case-folded, accents and punctuation ignored),
the null sender, the content type, and whether a message is plainly a reply."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from campaign.tracking.inbound.message import InboundMessage, header_value


@dataclass(frozen=True)
class Classification:
    kind: str  # "human" | "automatic" | "bounce"
    bounce: str  # "" | "hard" | "soft"; set only when kind == "bounce"
    reason: str  # short evidence for staff


_NON_WORD_RE = re.compile(r"[\W_]+")


def normalise_phrase(value: str) -> str:
    """Case-folded, accent-free, punctuation collapsed to single spaces."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD_RE.sub(" ", stripped.casefold()).strip()


def is_null_sender(msg: InboundMessage) -> bool:
    if msg.envelope_from == "<>":
        return True
    for name in ("Return-Path", "X-Envelope-From"):
        value = header_value(msg.headers, name).replace(" ", "")
        if value == "<>":
            return True
    return False


def content_type(msg: InboundMessage) -> tuple[str, str]:
    try:
        ctype = msg.headers.get_content_type()
        report = str(msg.headers.get_param("report-type") or "").strip().lower()
    except Exception:
        return "text/plain", ""
    return ctype, report


_REPLY_SUBJECT_RE = re.compile(
    r"^\s*(?:re|aw|sv|vs|odp|antw|atb|ats|réf|ref|rif|r|отв|ответ|адк|адказ|від)\s*(?:\[\d+\])?\s*:",
    re.IGNORECASE,
)


def plainly_a_reply(msg: InboundMessage) -> bool:
    """A reply subject and a reference to what it answers: what a person's mail
    program writes. Forwarding hops and lists add ``Precedence: bulk`` to it."""
    return bool(_REPLY_SUBJECT_RE.match(msg.subject or "")) and bool(
        msg.in_reply_to or msg.references
    )
