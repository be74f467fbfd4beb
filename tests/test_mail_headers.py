"""M1: no name, subject or imported value becomes an address or another header,
encoded words included. The review's request (a supporter named
"=?utf-8?q?Bcc=3A_bcc9=40evil=2Eexample?=" wrote a letter) and a list of RFC 2047
variants go through the real processes' mail paths: SMTP to aiosmtpd, whose bytes
are read with email.policy.strict, and the SendGrid client to the loopback API,
whose JSON is read field by field."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest

from campaign.core.extensions import db
from campaign.core.mail.base import one_line
from campaign.devtools.backlog import make_backlog
from campaign.devtools.smtp_server import SMTPLoopback
from campaign.models import Letter
from campaign.people import import_plan, imports
from campaign.seed import seed_demo

from . import flow
from .delivery_support import dispatch_all, drain_jobs, sendgrid_settings
from .delivery_support import sendgrid as sendgrid  # noqa: F401 - fixture

REVIEW_NAME = "=?utf-8?q?Bcc=3A_bcc9=40evil=2Eexample?="
EVIL = "evil.example"
VARIANTS = [
    REVIEW_NAME,
    "=?UTF-8?Q?Bcc=3A_bcc9=40evil=2Eexample?=",
    "=?utf-8?b?QmNjOiBiY2M5QGV2aWwuZXhhbXBsZQ==?=",
    "=?iso-8859-1?q?bcc9=40evil=2Eexample=2C_x?=",
    "=?utf-8*en?q?bcc9=40evil=2Eexample?=",
    "=?utf-7?q?bcc9+AEA-evil.example?=",
    "=?unknown-8bit?b?YmNjOUBldmlsLmV4YW1wbGU=?=",
    "=?utf-8?q?bcc9=40evil=2Eexample?= =?utf-8?q?=2C_Cc=3A_x=40evil=2Eexample?=",
    "=?utf-8?q?Bcc=3A?=\r\n =?utf-8?q?_bcc9=40evil=2Eexample?=",
    "=?utf-8?q?a=0D=0ABcc=3A_bcc9=40evil=2Eexample?=",
    "Smith, John <bcc9@evil.example>",
    '"bcc9@evil.example" <bcc9@evil.example>',
    "Łukasz =?utf-8?q?=3Cbcc9=40evil=2Eexample=3E?=",
]
OTHER_HEADERS = {"bcc", "cc", "sender", "resent-to", "resent-cc", "resent-bcc", "return-path"}


def squashed(text: str) -> str:
    return "".join(text.split())


def assert_strict_mailbox(message, header: str, name: str, address: str) -> None:
    """Exactly one mailbox, the intended address, the name as given. Python's
    parser keeps the space between two encoded words of a display name (RFC 2047
    drops it), so a name longer than one encoded word is compared without spaces."""
    (mailbox,) = message[header].addresses
    assert mailbox.addr_spec == address, (header, str(message[header]))
    shown, given = mailbox.display_name, one_line(name)
    assert shown == given or squashed(shown) == squashed(given), (header, shown, given)


def assert_received_over_smtp(received, letter: Letter, reply_to: str) -> None:
    assert received.rcpt_tos == [letter.representative.email]
    raw = received.data.replace(b"\r\n", b"\n")
    message = BytesParser(policy=policy.strict).parsebytes(raw)
    assert not {name.lower() for name in message.keys()} & OTHER_HEADERS, message.keys()
    assert EVIL not in message["Return-Path"] if message["Return-Path"] else True
    assert_strict_mailbox(message, "From", letter.supporter.name, "letters@campaign.example.org")
    assert_strict_mailbox(message, "To", letter.representative.name, letter.representative.email)
    assert_strict_mailbox(message, "Reply-To", letter.supporter.name, reply_to)
    assert message["Subject"] == one_line(letter.subject)


def emails_in(payload) -> list[str]:
    """Every "email" value anywhere in the JSON the API received."""
    if isinstance(payload, dict):
        found = [payload["email"]] if "email" in payload else []
        return found + [e for value in payload.values() for e in emails_in(value)]
    if isinstance(payload, list):
        return [e for item in payload for e in emails_in(item)]
    return []


def assert_received_by_sendgrid(mail, letter: Letter, reply_to: str) -> None:
    payload = mail.payload
    assert sorted(emails_in(payload)) == sorted(
        ["letters@campaign.example.org", letter.representative.email, reply_to]
    )
    assert not {"cc", "bcc"} & set(payload["personalizations"][0])
    assert payload["from"] == {
        "email": "letters@campaign.example.org",
        "name": one_line(letter.supporter.name),
    }
    assert payload["personalizations"][0]["to"] == [
        {"email": letter.representative.email, "name": one_line(letter.representative.name)}
    ]
    assert payload["reply_to"] == {"email": reply_to, "name": one_line(letter.supporter.name)}
    assert payload["subject"] == one_line(letter.subject)


@pytest.fixture
def smtp():
    server = SMTPLoopback().start()
    yield server
    server.stop()


def mail_app(make_app, backend: str, smtp, sendgrid):
    if backend == "smtp":
        return make_app(
            MAIL_BACKEND="smtp",
            SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
            SMTP_TIMEOUT=5,
            THROTTLE_ENABLED=False,
        )
    return make_app(**sendgrid_settings(sendgrid))


def received_letters(backend: str, smtp, sendgrid, count: int):
    if backend == "smtp":
        return [m for m in smtp.wait_for(count, timeout=10) if m.message["X-Campaign-Letter-Id"]]
    return [m for m in sendgrid.wait_for(count, timeout=10) if m.payload.get("custom_args")]


IMPORTED = (
    "external_id,country,body,name,email\n"
    f"m1-review,IE,Dáil Éireann,{REVIEW_NAME},m1.review@example.org\n"
).encode()


@pytest.mark.parametrize("backend", ["smtp", "sendgrid"])
def test_the_reviewers_supporter_and_imported_names_stay_names(make_app, smtp, sendgrid, backend):
    """The review's request: a supporter named with an encoded word writes to a
    representative imported with one; the letter that leaves names them, and only
    the intended addresses are addresses."""
    app = mail_app(make_app, backend, smtp, sendgrid)
    with app.app_context():
        seed_demo()
        imports.run_import(IMPORTED, import_plan.ImportOptions(fmt="csv"), source="m1.csv")
        rep = next(r for r in flow.representatives_of("IE") if r.external_id == "m1-review")
        client = app.test_client()
        response = flow.submit(client, "IE", [rep.id], flow.Details(name=REVIEW_NAME))
        assert response.status_code == 302, response.get_data(as_text=True)
        drain_jobs()
        confirmations = (
            smtp.wait_for(1, timeout=10) if backend == "smtp" else sendgrid.wait_for(1, timeout=10)
        )
        text = (
            confirmations[0].text
            if backend == "smtp"
            else confirmations[0].payload["content"][0]["value"]
        )
        link = next(word for word in text.split() if "/confirm/" in word)
        assert flow.confirm(client, link).status_code in (200, 302)
        drain_jobs()
        dispatch_all()
        (received,) = received_letters(backend, smtp, sendgrid, 2)
        letter = db.session.execute(db.select(Letter)).scalar_one()
        assert letter.supporter.name == REVIEW_NAME
        reply_to = (
            received.message["Reply-To"].addresses[0].addr_spec
            if backend == "smtp"
            else received.payload["reply_to"]["email"]
        )
        assert EVIL not in reply_to
        if backend == "smtp":
            assert_received_over_smtp(received, letter, reply_to)
        else:
            assert_received_by_sendgrid(received, letter, reply_to)


@pytest.mark.parametrize("backend", ["smtp", "sendgrid"])
def test_encoded_word_variants_in_every_name_and_subject(make_app, smtp, sendgrid, backend):
    app = mail_app(make_app, backend, smtp, sendgrid)
    with app.app_context():
        backlog = make_backlog(len(VARIANTS), len(VARIANTS))
        letters = [db.session.get(Letter, letter_id) for letter_id in backlog.letter_ids]
        for letter, variant in zip(letters, VARIANTS, strict=True):
            letter.supporter.name = variant
            letter.representative.name = variant
            letter.subject = f"A letter from {variant}"
        db.session.commit()
        assert dispatch_all()["sent"] == len(VARIANTS)
        received = received_letters(backend, smtp, sendgrid, len(VARIANTS))
        assert len(received) == len(VARIANTS)
        for item in received:
            if backend == "smtp":
                letter_id = int(item.message["X-Campaign-Letter-Id"])
            else:
                letter_id = int(item.payload["custom_args"]["letter_id"])
            letter = db.session.get(Letter, letter_id)
            reply_to = letter.supporter.email
            if backend == "smtp":
                reply_to = item.message["Reply-To"].addresses[0].addr_spec
                assert_received_over_smtp(item, letter, reply_to)
            else:
                reply_to = item.payload["reply_to"]["email"]
                assert_received_by_sendgrid(item, letter, reply_to)
            assert EVIL not in reply_to
