"""Helpers for the reply, event, survey and report tests: letters in the `sent`
state, signed Event Webhook posts, and Inbound Parse posts in both modes built
from real messages."""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from datetime import timedelta
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from campaign.core.extensions import db
from campaign.delivery.reply_tokens import reply_address
from campaign.models import (
    Body,
    Campaign,
    Letter,
    LetterState,
    LetterTemplate,
    Representative,
    Submission,
    Supporter,
)
from campaign.models.base import utcnow

from .conftest import SHARED

MAIL = SHARED / "data" / "mail"
INBOUND_DOMAIN = "reply.campaign.example.org"
INBOUND_SECRET = "inbound-secret-" + "s" * 24


# -- letters ------------------------------------------------------------------


def send_letters(
    reps: list[Representative],
    email: str | None = None,
    sent_ago: timedelta = timedelta(0),
    name: str = "Maryja Kowalska",
) -> list[Letter]:
    """One supporter's letters to ``reps``, recorded as sent ``sent_ago`` ago
    (through Letter.transition, as the worker records them)."""
    letters = new_letters(reps, email, name, LetterState.SENDING)
    for letter in letters:
        letter.provider_message_id = (
            f"{secrets.token_hex(8)}.{secrets.token_hex(4)}@campaign.example.org"
        )
        letter.sent_at = utcnow() - sent_ago
        letter.transition(LetterState.SENT, "accepted by the mail provider")
    db.session.commit()
    return letters


def new_letters(
    reps: list[Representative], email: str | None, name: str, state: LetterState
) -> list[Letter]:
    """One new supporter's confirmed letters to ``reps`` in ``state``, flushed."""
    campaign = db.session.execute(db.select(Campaign)).scalars().first()
    supporter = Supporter(
        email=email or f"supporter-{secrets.token_hex(4)}@example.org", name=name, locale="en"
    )
    submission = Submission(campaign=campaign, supporter=supporter, confirmed_at=utcnow())
    db.session.add_all([supporter, submission])
    db.session.flush()
    letters = []
    for rep in reps:
        template = db.session.execute(
            db.select(LetterTemplate).filter_by(
                campaign_id=campaign.id, language=rep.language, body_kind=rep.body.kind
            )
        ).scalar_one()
        letter = Letter(
            campaign_id=campaign.id,
            submission_id=submission.id,
            supporter_id=supporter.id,
            representative_id=rep.id,
            template_version_id=template.published_version_id,
            language=rep.language,
            subject="The time for release is now",
            body=f"Dear {rep.name}, please act.",
            state=state.value,
        )
        db.session.add(letter)
        db.session.flush()
        letters.append(letter)
    return letters


def survey_yes(letter: Letter) -> None:
    """The letter's supporter answers "yes" (they got a reply) in a survey about it."""
    from campaign.models import SurveyAnswer, SurveyInvitation
    from campaign.tracking import surveys

    invitation = SurveyInvitation(supporter_id=letter.supporter_id)
    db.session.add(invitation)
    db.session.flush()
    db.session.add(SurveyAnswer(invitation_id=invitation.id, letter_id=letter.id))
    db.session.commit()
    (answer,) = invitation.answers
    surveys.record_answers(invitation, {answer.id: ("yes", "")})


def reps_of(country: str) -> list[Representative]:
    return list(
        db.session.execute(
            db.select(Representative)
            .join(Body)
            .filter(Representative.country == country)
            .order_by(Representative.id)
        ).scalars()
    )


def state_of(letter_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Letter, letter_id).state


# -- signed delivery events -----------------------------------------------------


def keypair() -> tuple[ec.EllipticCurvePrivateKey, str]:
    """A P-256 key and its public half as SendGrid shows it (base64 DER)."""
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(der).decode()


def sign(private: ec.EllipticCurvePrivateKey, timestamp: str, payload: bytes) -> str:
    """What SendGrid sends: ECDSA/SHA-256 over timestamp + payload, base64 DER."""
    signature = private.sign(timestamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode()


def post_events(client, private, events, *, timestamp=None, body=None, signature=None):
    payload = body if body is not None else json.dumps(events).encode()
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    headers = {"X-Twilio-Email-Event-Webhook-Timestamp": timestamp}
    headers["X-Twilio-Email-Event-Webhook-Signature"] = (
        signature if signature is not None else sign(private, timestamp, payload)
    )
    return client.post(
        "/webhooks/sendgrid/events", data=payload, headers=headers, content_type="application/json"
    )


def event(letter: Letter | None, name: str, **extra) -> dict:
    item = {
        "email": letter.representative.email if letter else "someone@example.org",
        "timestamp": int(time.time()),
        "event": name,
        "sg_event_id": secrets.token_urlsafe(16),
        "sg_message_id": f"{secrets.token_urlsafe(16)}.filter0001.1.0",
    }
    if letter is not None:
        item["letter_id"] = str(letter.id)
    item.update(extra)
    return item


# -- Inbound Parse --------------------------------------------------------------


def mail(name: str) -> bytes:
    (path,) = MAIL.glob(f"*/{name}")
    return path.read_bytes()


def multipart(fields: list[tuple[str, bytes]], files=()) -> tuple[bytes, str]:
    """A multipart/form-data body as SendGrid posts it (CRLF), and its content type."""
    boundary = "xYzZY" + secrets.token_hex(8)
    out = []
    for name, value in fields:
        out.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        )
        out.append(value + b"\r\n")
    for name, filename, ctype, value in files:
        out.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
        )
        out.append(value + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def _without_mbox_line(raw: bytes) -> bytes:
    raw = raw.lstrip(b"\r\n")
    return raw.split(b"\n", 1)[1] if raw.startswith(b"From ") else raw


def _header(msg, name: str) -> str:
    value = msg.get(name)
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except Exception:  # noqa: BLE001 - keep what is there
        return str(value)


def _envelope(to: list[str], sender: str) -> bytes:
    return json.dumps({"to": to, "from": sender}).encode()


def raw_mode(raw: bytes, envelope_to: list[str], sender: str = "office@example.org"):
    """Inbound Parse "raw" mode: the whole message in `email`."""
    msg = BytesParser(policy=policy.compat32).parsebytes(_without_mbox_line(raw))
    fields = [
        ("dkim", b"{@example.org : pass}"),
        ("email", raw),
        ("to", _header(msg, "To").encode()),
        ("from", _header(msg, "From").encode()),
        ("sender_ip", b"192.0.2.1"),
        ("envelope", _envelope(envelope_to, sender)),
        ("subject", _header(msg, "Subject").encode()),
        ("charsets", b'{"to":"UTF-8","subject":"UTF-8","from":"UTF-8"}'),
        ("SPF", b"pass"),
    ]
    return multipart(fields)


def parsed_mode(raw: bytes, envelope_to: list[str], sender: str = "office@example.org"):
    """Inbound Parse default mode: headers, text, html and attachments apart."""
    body = _without_mbox_line(raw)
    header_block = re.split(rb"\r?\n\r?\n", body, maxsplit=1)[0]
    msg = BytesParser(policy=policy.compat32).parsebytes(body)
    text = html = None
    attachments = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        payload = part.get_payload(decode=True)
        if payload is None:  # message/* parts: their serialised content
            payload = re.split(rb"\r?\n\r?\n", part.as_bytes(), maxsplit=1)[-1]
        charset = part.get_content_charset() or "utf-8"
        if ctype == "text/plain" and text is None and part.get_filename() is None:
            text = payload.decode(charset, "replace").encode()
        elif ctype == "text/html" and html is None:
            html = payload.decode(charset, "replace").encode()
        else:
            attachments.append(
                (ctype, part.get_filename() or f"part{len(attachments) + 1}", payload)
            )
    files = [
        (f"attachment{i}", name, ctype, payload)
        for i, (ctype, name, payload) in enumerate(attachments, start=1)
    ]
    info = {
        f"attachment{i}": {"filename": name, "name": name, "type": ctype}
        for i, (ctype, name, _) in enumerate(attachments, start=1)
    }
    fields = [
        ("headers", header_block),
        ("dkim", b"{@example.org : pass}"),
        ("to", _header(msg, "To").encode()),
        ("from", _header(msg, "From").encode()),
        ("sender_ip", b"192.0.2.1"),
        ("envelope", _envelope(envelope_to, sender)),
        ("attachments", str(len(attachments)).encode()),
        ("subject", _header(msg, "Subject").encode()),
        (
            "charsets",
            b'{"to":"UTF-8","html":"UTF-8","subject":"UTF-8","from":"UTF-8","text":"UTF-8"}',
        ),
        ("SPF", b"pass"),
    ]
    if text is not None:
        fields.append(("text", text))
    if html is not None:
        fields.append(("html", html))
    if attachments:
        fields.append(("attachment-info", json.dumps(info).encode()))
    return multipart(fields, files)


def inbound_url(secret: str = INBOUND_SECRET) -> str:
    return f"/webhooks/sendgrid/inbound/{secret}"


def post_inbound(client, body_and_type, secret: str = INBOUND_SECRET):
    body, content_type = body_and_type
    return client.post(inbound_url(secret), data=body, content_type=content_type)


def address_of(letter: Letter) -> str:
    return reply_address(letter.id)


def path_of(name: str) -> Path:
    (path,) = MAIL.glob(f"*/{name}")
    return path


def drain() -> None:
    """Run a real RQ worker over the project's queues until they are empty
    (in the current app)."""
    from .delivery_support import drain_jobs

    drain_jobs()
    # Requests made by the test client share this app context: the account
    # Flask-Login cached belonged to the session the jobs just ended.
    from flask import g

    g.pop("_login_user", None)


def outbox(app) -> list:
    """Messages in the outbox, oldest first, parsed."""
    directory = Path(app.config["OUTBOX_DIR"])
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in sorted(directory.glob("*.eml"))]


def all_reps() -> list[Representative]:
    return list(db.session.execute(db.select(Representative).order_by(Representative.id)).scalars())
