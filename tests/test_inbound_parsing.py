"""Inbound mail parsing and classification, against real messages.

The messages live in ``shared/data/mail`` beside the repository (see its
README.md for where each one comes from and why it is in its class).
"""

from __future__ import annotations

import email
import json
import re
import time
from email import policy
from email.message import Message

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.tracking.inbound import (
    DEFAULT_OOO_SUBJECTS,
    Classification,
    InboundMessage,
    InboundParseError,
    classify,
    from_inbound_parse,
    from_mime,
    html_to_text,
    quoted_part,
    sanitize_html,
    split_quoted,
    strip_quoted,
)
from campaign.tracking.inbound.message import header_value

from .conftest import SHARED

MAIL_DIR = SHARED / "data" / "mail"

# file -> (kind, bounce)
EXPECTED = {
    "autoreply/sis_rfc3834-01.eml": ("automatic", ""),
    "autoreply/sis_rfc3834-02.eml": ("automatic", ""),
    "autoreply/sis_rfc3834-03.eml": ("automatic", ""),
    "autoreply/dsbp_autoreply.msg": ("automatic", ""),
    "bounce/sis_lhost-postfix-01.eml": ("bounce", "hard"),
    "bounce/sis_lhost-gmail-01.eml": ("bounce", "hard"),
    "bounce/dsbp_quota.msg": ("bounce", "soft"),
    "bounce/flufl_dsn_05.txt": ("bounce", "soft"),
    "bounce/flanker_mailbox-full.eml": ("bounce", "soft"),
    # Action failed, Status 5.0.0, but the reason is "recipient reached disk
    # quota": a full mailbox, which may empty again.
    "bounce/cpython_msg_16.txt": ("bounce", "soft"),
    "human/talon_apple_mail.eml": ("human", ""),
    "human/talon_gmail.eml": ("human", ""),
    "human/talon_outlook.eml": ("human", ""),
    "human/talon_thunderbird.eml": ("human", ""),
    "human/zammad_mail005.box": ("human", ""),
}

# file -> the reply's own text, after strip_quoted
OWN_TEXT = {
    "human/talon_apple_mail.eml": "Hello",
    "human/talon_gmail.eml": "Hello",
    "human/talon_outlook.eml": "Hello",
    "human/talon_thunderbird.eml": "Hello",
}

NO_AUTO = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def read_mail(name: str) -> bytes:
    return (MAIL_DIR / name).read_bytes()


def parse_form_data(body: bytes, boundary: str = "xYzZY") -> dict[str, str]:
    """Fields of a multipart/form-data body, as the webhook's form dict."""
    if not body.strip():
        return {}
    head = f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n".encode()
    container = email.message_from_bytes(head + body, policy=policy.compat32)
    fields: dict[str, str] = {}
    for part in container.get_payload():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        fields[str(name)] = data.decode("utf-8", "replace")
    return fields


def sendgrid_form(name: str, crlf: bool = False) -> dict[str, str]:
    body = read_mail(f"sendgrid/{name}")
    if crlf:
        body = body.replace(b"\n", b"\r\n")
    return parse_form_data(body)


def kind_of(msg: InboundMessage) -> tuple[str, str]:
    result = classify(msg)
    return result.kind, result.bounce


# --------------------------------------------------------------------------
# The corpus


def test_corpus_is_present_and_fully_covered():
    assert MAIL_DIR.is_dir(), f"expected the shared mail corpus at {MAIL_DIR}"
    on_disk = {
        f"{p.parent.name}/{p.name}"
        for sub in ("autoreply", "bounce", "human")
        for p in (MAIL_DIR / sub).iterdir()
        if p.is_file()
    }
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_message_classification(name):
    msg = from_mime(read_mail(name))
    result = classify(msg)
    assert isinstance(result, Classification)
    assert (result.kind, result.bounce) == EXPECTED[name], result.reason
    assert result.reason


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_message_parsed_mode_matches_raw_mode(name):
    raw = read_mail(name)
    msg = from_mime(raw)
    expected = kind_of(msg)

    # Split the message the way Inbound Parse does in parsed mode.
    body = raw.lstrip(b"\r\n")
    if body.startswith(b"From "):
        body = body.split(b"\n", 1)[1]
    header_block = re.split(rb"\r?\n\r?\n", body, maxsplit=1)[0]
    envelope: dict[str, object] = {"to": msg.to}
    if msg.envelope_from:  # SendGrid sends "" for the null sender
        envelope["from"] = "" if msg.envelope_from == "<>" else msg.envelope_from
    form = {
        "headers": header_block.decode("utf-8", "replace"),
        "text": msg.text,
        "html": msg.html,
        "from": header_value(msg.headers, "From"),
        "to": header_value(msg.headers, "To"),
        "cc": header_value(msg.headers, "Cc"),
        "subject": msg.subject,
        "envelope": json.dumps(envelope),
        "charsets": json.dumps({"text": "UTF-8", "html": "UTF-8", "subject": "UTF-8"}),
        "SPF": "pass",
    }
    parsed = from_inbound_parse(form)
    assert kind_of(parsed) == expected
    assert parsed.subject == msg.subject
    assert parsed.from_addr == msg.from_addr
    assert parsed.in_reply_to == msg.in_reply_to

    # With the delivery report passed on as an attachment, the per-recipient
    # fields come through as well.
    report = email.message_from_bytes(body, policy=policy.compat32)
    reports = [p for p in report.walk() if p.get_content_type() == "message/delivery-status"]
    if reports:
        text = reports[0].as_string().replace("\r\n", "\n").split("\n\n", 1)[1]
        form["attachments"] = "1"
        form["attachment-info"] = json.dumps(
            {"attachment1": {"filename": "status", "type": "message/delivery-status"}}
        )
        form["attachment1"] = text
        with_report = from_inbound_parse(form)
        assert with_report.is_dsn
        assert with_report.dsn_fields == msg.dsn_fields
        assert kind_of(with_report) == expected


def test_reasons_name_the_evidence():
    def reason(name):
        return classify(from_mime(read_mail(name))).reason

    assert "Status 5.1.1" in reason("bounce/sis_lhost-postfix-01.eml")
    assert "delivery-status" in reason("bounce/sis_lhost-postfix-01.eml")
    assert "Action delayed" in reason("bounce/flufl_dsn_05.txt")
    assert "Auto-Submitted: auto-replied" in reason("autoreply/sis_rfc3834-01.eml")
    assert "VACATION" in reason("autoreply/sis_rfc3834-03.eml")
    assert "Precedence: bulk" in reason("autoreply/dsbp_autoreply.msg")


def test_bounce_evidence_beats_list_precedence_and_auto_submitted():
    # Relayed through Mailman: Precedence: bulk and List-* headers.
    relayed = from_mime(read_mail("bounce/cpython_msg_16.txt"))
    assert header_value(relayed.headers, "Precedence") == "bulk"
    assert classify(relayed).kind == "bounce"
    # Postfix bounce with Auto-Submitted: auto-replied.
    postfix = from_mime(read_mail("bounce/sis_lhost-postfix-01.eml"))
    assert header_value(postfix.headers, "Auto-Submitted") == "auto-replied"
    assert classify(postfix).kind == "bounce"


# --------------------------------------------------------------------------
# from_mime details


def test_mbox_line_8bit_and_flowed_text():
    msg = from_mime(read_mail("human/zammad_mail005.box"))
    assert msg.from_addr == "marc.smith@example.com"
    assert msg.from_name == "Marc Smith"
    assert msg.to == ["support@znuny.com"]
    assert msg.subject == "Re: XXXX Betatest Ticket Templates [Ticket#11162]"
    assert msg.message_id == "<4FA76F9A.3060602@example.com>"
    assert msg.in_reply_to == "<20120507061007.259.822311@portal.znuny.com>"
    assert msg.references == ["<20120507061007.259.822311@portal.znuny.com>"]
    assert "Grüße aus Bonn" in msg.text
    # format=flowed soft breaks are joined.
    assert "nächste Woche bereits Termine haben." in msg.text
    assert msg.raw == read_mail("human/zammad_mail005.box")


def test_crlf_message():
    msg = from_mime(read_mail("bounce/dsbp_quota.msg"))
    assert msg.subject == "Undeliverable Mail"
    assert msg.from_addr == "postmaster@b.c"
    assert msg.envelope_from == "<>"
    assert "\r" not in msg.text
    assert msg.text.startswith("User mailbox exceeds allowed size: a@b.c")


def test_delivery_status_fields():
    postfix = from_mime(read_mail("bounce/sis_lhost-postfix-01.eml"))
    assert postfix.is_dsn
    assert len(postfix.dsn_fields) == 1
    fields = postfix.dsn_fields[0]
    assert fields["action"] == "failed"
    assert fields["status"] == "5.1.1"
    assert fields["final-recipient"] == "rfc822; r@p351355.pool.example.ne.jp"
    assert "No such user" in fields["diagnostic-code"]
    # The notification, not the returned original, is the text.
    assert postfix.text.startswith("This is the mail system")

    delayed = from_mime(read_mail("bounce/flufl_dsn_05.txt"))
    assert delayed.is_dsn
    assert delayed.dsn_fields[0]["action"] == "delayed"

    # multipart/report without report-type, still a delivery report.
    sims = from_mime(read_mail("bounce/cpython_msg_16.txt"))
    assert sims.is_dsn
    assert sims.dsn_fields[0]["status"].startswith("5.0.0")

    gmail = from_mime(read_mail("bounce/sis_lhost-gmail-01.eml"))
    assert not gmail.is_dsn
    assert gmail.dsn_fields == []


def test_html_only_message_gets_text():
    raw = (
        b"From: A <a@example.org>\r\nSubject: Re: letter\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Thank you</p><div>On Mon, Apr 2, 2012 at 6:26 PM, B &lt;b@example.org&gt; wrote:"
        b"<blockquote>Please release them</blockquote></div>"
    )
    msg = from_mime(raw)
    assert msg.html.startswith("<p>Thank you</p>")
    assert msg.text.startswith("Thank you")
    assert "> Please release them" in msg.text
    assert strip_quoted(msg.text) == "Thank you"


def test_header_injection_is_neutralised():
    raw = (
        b"From: =?utf-8?q?Evil=0D=0ABcc:_victim@example.org?= <evil@example.org>\r\n"
        b"To: rep@example.org\r\n"
        b"Subject: =?utf-8?q?hello=0D=0ABcc:_victim@example.org?=\r\n"
        b"Message-ID: <a@b>\r\n\r\nbody\r\n"
    )
    msg = from_mime(raw)
    for value in (msg.subject, msg.from_name, msg.from_addr, msg.message_id):
        assert "\r" not in value and "\n" not in value
    assert msg.subject == "hello Bcc: victim@example.org"
    assert msg.from_addr == "evil@example.org"


def test_undecodable_charsets_degrade():
    raw = (
        b"From: a@example.org\nSubject: =?x-nonexistent?q?caf=E9?=\n"
        b"Content-Type: text/plain; charset=x-nonexistent\n\ncaf\xe9 \xff\n"
    )
    msg = from_mime(raw)
    assert msg.subject.startswith("caf")
    assert msg.text.startswith("caf")


def test_obsolete_from_header_is_not_an_mbox_line():
    msg = from_mime(b"From : Anna <anna@example.org>\nSubject: Re: letter\n\nThank you")
    assert msg.from_addr == "anna@example.org"
    assert msg.text == "Thank you"


def test_pathological_input_is_fast():
    started = time.perf_counter()
    html_to_text("<a " * 50000)
    html_to_text("<!--" * 50000)
    sanitize_html("<a " * 50000)
    from_mime(b"From: " + b"a" * 100000 + b"\nTo: <" + b"a@" * 50000 + b"\n\nx")
    from_mime(b"Subject: " + b"=?utf-8?q?a?= " * 50000 + b"\n\nx")
    from_inbound_parse({"from": "(" * 50000, "text": "x"})
    split_quoted("On " + "1:11 " * 50000 + "wrote:\n" + "> q\n" * 50000)
    split_quoted("On 2 Apr 2012 at 18:26, Jan wrote:\n" * 20000)
    split_quoted("From: x\n" * 20000)
    assert time.perf_counter() - started < 10


def test_empty_message_raises():
    for raw in (b"", b"   \r\n\r\n", b"From MAILER-DAEMON Mon May  7 07:45:48 2012\n"):
        with pytest.raises(InboundParseError):
            from_mime(raw)


# --------------------------------------------------------------------------
# SendGrid Inbound Parse


@pytest.mark.parametrize("crlf", [False, True])
def test_sendgrid_parsed_mode(crlf):
    form = sendgrid_form("sg_default_data.txt", crlf=crlf)
    assert "email" not in form and "headers" in form
    msg = from_inbound_parse(form)
    assert msg.envelope_to == ["inbound@inbound.example.com"]
    assert msg.envelope_from == "test@example.com"
    assert msg.from_addr == "test@example.com"
    assert msg.from_name == "Example User"
    assert msg.to == ["inbound@inbound.example.com"]
    assert msg.subject == "Testing non-raw"
    assert msg.text.strip() == "Hello Twilio SendGrid!"
    assert "<strong>Hello Twilio SendGrid!" in msg.html
    assert msg.raw == b""
    assert header_value(msg.headers, "Subject") == "Inbound Parse Test Data"
    assert classify(msg).kind == "human"
    assert strip_quoted(msg.text) == "Hello Twilio SendGrid!"


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("sg_raw_data.txt", "Inbound Parse Test Raw Data"),
        ("sg_raw_data_with_attachments.txt", "Inbound Parse Test Raw Data with Attachment"),
    ],
)
@pytest.mark.parametrize("crlf", [False, True])
def test_sendgrid_raw_mode(name, subject, crlf):
    form = sendgrid_form(name, crlf=crlf)
    msg = from_inbound_parse(form)
    assert msg.envelope_to == ["inbound@inbound.inbound.com"]
    assert msg.envelope_from == "test@example.com"
    assert msg.from_addr == "test@example.com"
    assert msg.from_name == "Example User"
    assert msg.to == ["inbound@inbound.inbound.com"]
    assert msg.subject == subject
    assert msg.text.strip() == "Hello Twilio SendGrid!"
    assert "<strong>Hello Twilio SendGrid!" in msg.html
    assert msg.raw.startswith(b"MIME-Version: 1.0")
    assert "/9j/" not in msg.text  # the JPEG attachment is not body text
    assert classify(msg).kind == "human"


def test_sendgrid_empty_payload():
    form = sendgrid_form("sg_default_data_with_attachments.txt")
    assert form == {}
    with pytest.raises(InboundParseError):
        from_inbound_parse(form)


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"envelope": '{"to": ["a@example.org"]}', "SPF": "pass"},
        {"email": "", "headers": "  ", "text": "\n"},
        {"charsets": "{}", "dkim": "none"},
    ],
)
def test_inbound_parse_without_a_message_raises(form):
    with pytest.raises(InboundParseError):
        from_inbound_parse(form)


def test_inbound_parse_malformed_fields_degrade():
    msg = from_inbound_parse(
        {
            "text": "Hello",
            "from": "not an address <<<",
            "to": "",
            "envelope": "{not json",
            "charsets": "[1, 2",
            "attachment-info": "nope",
        }
    )
    assert msg.text == "Hello"
    assert msg.envelope_to == []
    assert msg.envelope_from == ""
    assert classify(msg).kind == "human"

    msg = from_inbound_parse({"text": "x", "envelope": '{"to": "A@Example.org", "from": 5}'})
    assert msg.envelope_to == ["a@example.org"]

    msg = from_inbound_parse({"text": "x", "envelope": '["a@example.org"]'})
    assert msg.envelope_to == []


def test_inbound_parse_charsets():
    # A field decoded one byte per character is decoded again with its charset.
    assert from_inbound_parse({"text": "cafÃ©", "charsets": '{"text": "UTF-8"}'}).text == "café"
    cp1251 = "Добрый день".encode("cp1251")
    msg = from_inbound_parse(
        {"text": cp1251.decode("latin-1"), "charsets": '{"text": "windows-1251"}'}
    )
    assert msg.text == "Добрый день"
    # Bytes values are decoded with the declared charset.
    assert from_inbound_parse({"text": cp1251, "charsets": '{"text": "cp1251"}'}).text == (
        "Добрый день"
    )
    # Correctly decoded text is left alone; unknown charsets change nothing.
    assert from_inbound_parse({"text": "Добрый день", "charsets": '{"text": "koi8-r"}'}).text == (
        "Добрый день"
    )
    assert from_inbound_parse({"text": "café", "charsets": '{"text": "x-bogus"}'}).text == "café"


def test_inbound_parse_null_sender_bounce():
    msg = from_inbound_parse(
        {
            "headers": "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n"
            "Subject: Mail delivery failed: returning message to sender\n",
            "text": "A message that you sent could not be delivered.\n\n"
            "  rep@parliament.example\n    host mx.parliament.example said: 550 5.1.1 "
            "User unknown\n",
            "envelope": '{"to": ["bounces+123@campaign.example"], "from": ""}',
        }
    )
    assert msg.envelope_from == "<>"
    assert kind_of(msg) == ("bounce", "hard")


# --------------------------------------------------------------------------
# Classification rules on synthetic messages


def make(headers: str, text: str = "Thank you for your letter.") -> InboundMessage:
    form = {"headers": headers, "text": text}
    return from_inbound_parse(form)


BASE = "From: Anna <anna@parliament.example>\nTo: supporter@campaign.example\n"


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: Free the political prisoners",
        "AUTO REPLY: letter",
        "Out of Office: letter",
        "[Out of office] letter",
        "Abwesenheitsnotiz: Brief",
        "Automatische Antwort: Brief",
        "Réponse automatique : lettre",
        "Reponse automatique: lettre",
        "Absence du bureau",
        "Odpowiedź automatyczna: list",
        "Automatinis atsakymas: laiškas",
        "Automātiskā atbilde: vēstule",
        "Automaatne vastus: kiri",
        "Automatisch antwoord: brief",
        "Afwezig: brief",
        "Automatiskt svar: brev",
        "Frånvaro",
        "Automatická odpověď: dopis",
        "Risposta automatica: lettera",
        "Fuori sede",
        "Respuesta automática: carta",
        "Fuera de la oficina",
        "Автоматический ответ: письмо",
        "Автоматична відповідь: лист",
        "Аўтаматычны адказ: ліст",
        "RE: Automatic reply: letter",
    ],
)
def test_out_of_office_subjects(subject):
    result = classify(make(BASE + f"Subject: {subject}\n"))
    assert result.kind == "automatic", subject
    assert result.reason.startswith("subject:")


@pytest.mark.parametrize(
    "subject",
    ["Re: Free the political prisoners", "Re: Letter about the office", "Thanks"],
)
def test_ordinary_subjects_are_human(subject):
    assert classify(make(BASE + f"Subject: {subject}\n")).kind == "human"


def test_custom_ooo_subjects():
    msg = make(BASE + "Subject: Urlop do 5 maja\n")
    assert classify(msg).kind == "human"
    assert classify(msg, ooo_subjects=["Urlop"]).kind == "automatic"
    assert "Out of office" in DEFAULT_OOO_SUBJECTS


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("Auto-Submitted: auto-generated", "automatic"),
        ("Auto-Submitted: auto-replied; owner-email=x@example.org", "automatic"),
        ("Auto-Submitted: no", "human"),
        ("X-Autoreply: yes", "automatic"),
        ("X-Autorespond: Thank you", "automatic"),
        ("Precedence: auto_reply", "automatic"),
        ("Precedence: junk", "automatic"),
        ("Precedence: bulk", "automatic"),
        ("Precedence: list", "human"),
        ("X-Apple-Action: VACATION", "automatic"),
        ("X-Auto-Response-Suppress: All", "human"),
        (
            "X-Auto-Response-Suppress: All\nX-MS-Exchange-Generated-Message-Source: Mailbox Rules",
            "automatic",
        ),
        ("Return-Path: <>", "automatic"),
        (
            "Content-Type: multipart/report; report-type=disposition-notification; boundary=x",
            "automatic",
        ),
    ],
)
def test_automatic_headers(header, kind):
    result = classify(make(BASE + "Subject: Re: letter\n" + header + "\n"))
    assert result.kind == kind, result.reason


def test_plain_text_bounces():
    failed = make(
        "From: MAILER-DAEMON@mx.example.org\nSubject: Returned mail: see transcript\n",
        "----- Transcript -----\n550 5.1.1 <rep@example.org>... User unknown\n",
    )
    assert kind_of(failed) == ("bounce", "hard")

    full = make(
        "From: postmaster@example.org\nSubject: Delivery has failed\n",
        "The recipient's mailbox is full.\n",
    )
    assert kind_of(full) == ("bounce", "soft")

    delayed = make(
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
        "Subject: Delivery Status Notification (Delay)\n",
        "Delivery to the following recipient has been delayed:\n\n rep@example.org\n",
    )
    assert kind_of(delayed) == ("bounce", "soft")

    # A person writing about a failed delivery is not a bounce.
    person = make(
        BASE + "Subject: Re: Undeliverable letter\n",
        "Your letter was undeliverable, says our IT, 550 5.1.1.\n",
    )
    assert kind_of(person) == ("human", "")


def test_successful_delivery_report_is_automatic():
    raw = (
        b"From: MAILER-DAEMON@example.org\nSubject: Successful Mail Delivery Report\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nDelivered.\n"
        b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n"
        b"Final-Recipient: rfc822; rep@example.org\nAction: delivered\nStatus: 2.0.0\n"
        b"--b--\n"
    )
    result = classify(from_mime(raw))
    assert (result.kind, result.bounce) == ("automatic", "")


# --------------------------------------------------------------------------
# Quote stripping


@pytest.mark.parametrize("name", sorted(OWN_TEXT))
def test_strip_quoted_real_replies(name):
    text = from_mime(read_mail(name)).text
    own, quoted = split_quoted(text)
    assert own == OWN_TEXT[name]
    assert strip_quoted(text) == own
    assert quoted_part(text) == quoted
    assert ">" not in own
    assert "wrote" not in own
    assert quoted


def test_strip_quoted_outlook_block():
    text = from_mime(read_mail("human/talon_outlook.eml")).text
    quoted = quoted_part(text)
    assert quoted.startswith("From: xxx@xxx.mailgun.org")
    assert "The manager's comment" in quoted
    assert "Unsubscribe" in quoted


def test_strip_quoted_bottom_posted_german():
    text = from_mime(read_mail("human/zammad_mail005.box")).text
    own, quoted = split_quoted(text)
    assert own.startswith("Hallo Martin,")
    assert own.endswith("John & Marc")
    assert "Freitag vormerken" in own
    assert "schrieb" not in own
    assert "Edenhofer" not in own
    assert quoted.startswith("Am 07.05.2012 08:10, schrieb Martin Edenhofer via Znuny Team:")
    assert "> super! Ich freu mich!" in quoted
    assert "Hallo Martin" not in quoted


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, Apr 2, 2012 at 6:26 PM, Anna <anna@example.org> wrote:",
        "Am 02.04.2012 um 18:26 schrieb Anna <anna@example.org>:",
        "Le lun. 2 avr. 2012 à 18:26, Anna <anna@example.org> a écrit :",
        "W dniu 02.04.2012 18:26, Anna pisze:",
        "Op 2 apr. 2012, om 18:26 heeft Anna het volgende geschreven, Anna schreef:",
        "Den 2 apr. 2012 kl. 18:26 skrev Anna <anna@example.org>:",
        "Dne 2. 4. 2012 18:26 napsal(a) Anna <anna@example.org>:",
        "Il giorno lun 2 apr 2012 alle ore 18:26 Anna <anna@example.org> ha scritto:",
        "El lun, 2 abr 2012 a las 18:26, Anna (<anna@example.org>) escribió:",
        "2 апреля 2012 г., 18:26 пользователь Anna <anna@example.org> написал:",
        "02.04.2012 18:26, Anna пишет:",
        "2 квітня 2012 р. о 18:26 Anna <anna@example.org> написав:",
        "2 красавіка 2012 г. у 18:26 Anna <anna@example.org> напісаў:",
        "2012-04-02, pr, 18:26 Anna <anna@example.org> rašė:",
        "pirmd., 2012. g. 2. apr., plkst. 18:26 — lietotājs Anna rakstīja:",
        "E, 2. aprill 2012 kell 18:26 Anna <anna@example.org> kirjutas:",
        "пн, 2 апр. 2012 г. в 18:26, Anna <anna@example.org>:",
    ],
)
def test_attribution_languages(attribution):
    top = f"Thank you, we will raise it.\n\n{attribution}\n\n> Please help free them.\n> Jan\n"
    own, quoted = split_quoted(top)
    assert own == "Thank you, we will raise it."
    assert quoted.startswith(attribution)

    bottom = f"{attribution}\n> Please help free them.\n\nWe will raise it.\n"
    assert strip_quoted(bottom) == "We will raise it."


def test_attribution_without_quote_marks_cuts_the_rest():
    text = (
        "We have forwarded your letter.\n\n"
        "On Mon, Apr 2, 2012 at 6:26 PM, Jan <jan@example.org> wrote:\n"
        "Please help free the political prisoners.\n"
    )
    own, quoted = split_quoted(text)
    assert own == "We have forwarded your letter."
    assert quoted.endswith("Please help free the political prisoners.")


def test_wrapped_attribution_and_adjacent_answer():
    text = "Hello\nOn Mon, Apr 2, 2012 at 6:26 PM, Megan One <xxx@gmail.com>\nwrote:\n> Hi\n"
    own, quoted = split_quoted(text)
    assert own == "Hello"
    assert quoted.startswith("On Mon, Apr 2, 2012")


def test_interleaved_reply_keeps_every_answer():
    text = (
        "On 2 Apr 2012, at 18:26, Jan wrote:\n"
        "> Will you raise the case?\n"
        "Yes, next week.\n"
        "> And the letter?\n"
        "Sent on.\n"
    )
    assert strip_quoted(text) == "Yes, next week.\nSent on."


@pytest.mark.parametrize(
    "block",
    [
        "-----Original Message-----\nFrom: Jan\nSent: Monday\nTo: Anna\nSubject: Letter",
        "-----Ursprüngliche Nachricht-----\nVon: Jan\nGesendet: Montag\nAn: Anna",
        "________________________________\nFrom: Jan <jan@example.org>\n"
        "Sent: Monday, April 2, 2012 6:26 PM\nTo: Anna\nSubject: Letter",
        "Von: Jan [mailto:jan@example.org]\nGesendet: Montag, 2. April 2012 18:26\n"
        "An: Anna\nBetreff: Brief",
        "De : Jan\nEnvoyé : lundi 2 avril 2012 18:26\nÀ : Anna\nObjet : Lettre",
        "Od: Jan\nWysłano: poniedziałek\nDo: Anna\nTemat: List",
        "От: Jan\nОтправлено: 2 апреля 2012 г. 18:26\nКому: Anna\nТема: Письмо",
        "*From:* Jan\n*Sent:* Monday\n*To:* Anna\n*Subject:* Letter",
    ],
)
def test_outlook_style_quotation(block):
    text = f"Thank you for your letter.\n\n{block}\n\nPlease help free the prisoners.\n"
    own, quoted = split_quoted(text)
    assert own == "Thank you for your letter."
    assert quoted.endswith("Please help free the prisoners.")


def test_signature_is_removed():
    text = "We will raise it.\n\n-- \nAnna Example\nMember of Parliament\n"
    own, quoted = split_quoted(text)
    assert own == "We will raise it."
    assert quoted == "-- \nAnna Example\nMember of Parliament"


def test_plain_text_is_untouched():
    text = "Dear supporter,\n\nWe raised the case on Monday: it is on the agenda.\n\nAnna"
    assert strip_quoted(text) == text
    assert quoted_part(text) == ""
    assert split_quoted("") == ("", "")


def _nonblank(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


@NO_AUTO
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "> quoted",
                    ">",
                    "",
                    "-- ",
                    "On Mon, Apr 2, 2012 at 6:26 PM, Jan <j@example.org> wrote:",
                    "From: Jan",
                    "Sent: Monday",
                    "To: Anna",
                    "-----Original Message-----",
                    "Hello",
                ]
            ),
            st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40),
        ),
        max_size=30,
    )
)
def test_split_quoted_partitions_the_lines(lines):
    text = "\n".join(lines)
    own, quoted = split_quoted(text)
    source = _nonblank(text.replace("\r\n", "\n").replace("\r", "\n"))
    assert sorted(_nonblank(own) + _nonblank(quoted)) == sorted(source)
    assert not any(re.match(r" {0,3}>", line) for line in _nonblank(own))


# --------------------------------------------------------------------------
# HTML


def test_sanitize_html_removes_active_content():
    dirty = (
        '<p onclick="steal()">Dear <b>supporter</b></p>'
        "<script>alert(1)</script><style>p{color:red}</style>"
        '<img src="https://tracker.example/open.gif" width="1">'
        '<img src=x onerror="alert(1)">'
        '<a href="javascript:alert(1)">click</a>'
        '<a href="JaVaScRiPt:alert(1)">click2</a>'
        '<a href="&#106;avascript:alert(1)">click3</a>'
        '<a href="data:text/html,<script>alert(1)</script>">click4</a>'
        '<a href="https://example.org/case">case</a>'
        '<div style="background:url(https://tracker.example/bg.png)">styled</div>'
        '<iframe src="https://evil.example"></iframe>'
        '<form action="https://evil.example"><input name="x"></form>'
        '<table background="https://tracker.example/t.png"><tr><td>cell</td></tr></table>'
    )
    clean = sanitize_html(dirty)
    lowered = clean.lower()
    for banned in (
        "<script",
        "alert",
        "onclick",
        "onerror",
        "<img",
        "javascript",
        "data:",
        "<style",
        "style=",
        "tracker.example",
        "<iframe",
        "<form",
        "<input",
    ):
        assert banned not in lowered, banned
    assert "<b>supporter</b>" in clean
    assert 'href="https://example.org/case"' in clean
    assert 'rel="noopener noreferrer nofollow"' in clean
    assert "styled" in clean and "cell" in clean


def test_sanitize_real_html():
    msg = from_mime(read_mail("human/talon_outlook.eml"))
    clean = sanitize_html(msg.html)
    assert "Allo! Follow up MIME!" in clean
    assert "<style" not in clean and "mso-" not in clean and "font-family" not in clean
    assert sanitize_html("") == ""


def test_html_to_text():
    assert html_to_text("<p>One</p><p>Two<br>Three</p>") == "One\nTwo\nThree"
    assert html_to_text("<div>A</div><blockquote><p>B</p></blockquote>") == "A\n> B"
    assert html_to_text("<style>x{}</style>Hi &amp; bye") == "Hi & bye"


# --------------------------------------------------------------------------
# Hostile input never raises anything but InboundParseError


def _exercise(msg: InboundMessage) -> None:
    result = classify(msg)
    assert result.kind in ("human", "automatic", "bounce")
    assert result.bounce in (("hard", "soft") if result.kind == "bounce" else ("",))
    strip_quoted(msg.text)
    quoted_part(msg.text)
    sanitize_html(msg.html)
    assert isinstance(msg.headers, Message)
    for value in (msg.subject, msg.from_name, msg.message_id, msg.in_reply_to):
        assert "\n" not in value and "\r" not in value
    for addr in [msg.from_addr, *msg.to, *msg.cc, *msg.envelope_to]:
        assert not re.search(r"[\s<>]", addr)


HEADER_NAMES = [
    "From",
    "To",
    "Cc",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Return-Path",
    "Auto-Submitted",
    "Precedence",
    "Content-Type",
    "Content-Transfer-Encoding",
    "X-Failed-Recipients",
]


@st.composite
def mime_like(draw):
    headers = draw(
        st.lists(
            st.tuples(
                st.sampled_from(HEADER_NAMES),
                st.one_of(
                    st.binary(max_size=60),
                    st.sampled_from(
                        [
                            b"multipart/report; report-type=delivery-status; boundary=b",
                            b"multipart/mixed; boundary=b",
                            b"text/plain; charset=x-bogus; format=flowed; delsp=yes",
                            b"base64",
                            b"quoted-printable",
                            b"=?utf-8?b?////?= <a@b>",
                            b"=?bogus?q?=FF=0D=0ABcc: x@y?=",
                            b"<>",
                        ]
                    ),
                ),
            ),
            max_size=8,
        )
    )
    body = draw(
        st.one_of(
            st.binary(max_size=200),
            st.sampled_from(
                [
                    b"--b\nContent-Type: message/delivery-status\n\n"
                    b"Action: failed\nStatus: 5.1.1\n",
                    b"--b\nContent-Type: text/html\n\n<img src=x onerror=alert(1)>\n--b--",
                    b"--b\nContent-Type: message/rfc822\n\nFrom: x\n\n--b",
                ]
            ),
        )
    )
    lines = b"\r\n".join(name.encode() + b": " + value for name, value in headers)
    return draw(st.sampled_from([b"", b"From x@y Mon Jan  1 00:00:00 2024\n"])) + (
        lines + b"\r\n\r\n" + body
    )


@NO_AUTO
@given(st.one_of(st.binary(max_size=500), mime_like()))
def test_from_mime_never_raises(raw):
    try:
        msg = from_mime(raw)
    except InboundParseError:
        return
    _exercise(msg)


FORM_KEYS = [
    "email",
    "headers",
    "text",
    "html",
    "from",
    "to",
    "cc",
    "subject",
    "envelope",
    "charsets",
    "SPF",
    "dkim",
    "attachments",
    "attachment-info",
    "attachment1",
]
FORM_VALUES = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            '{"to": ["A@Example.org", 5, null], "from": null}',
            '{"to": "x", "from": ["y"]}',
            '{"text": "x-bogus", "html": 7, "subject": "utf-16"}',
            '{"attachment1": {"type": "message/delivery-status"}}',
            "Action: failed\nStatus: 4.2.2\n",
            "From: a@b\r\nSubject: =?utf-8?q?x=0D=0Ay?=\r\nContent-Type: multipart/report\r\n",
            "[]",
            "null",
            "\x00\ud800",
        ]
    ),
)


@NO_AUTO
@given(st.dictionaries(st.sampled_from(FORM_KEYS), FORM_VALUES, max_size=10))
def test_from_inbound_parse_never_raises(form):
    try:
        msg = from_inbound_parse(form)
    except InboundParseError:
        return
    _exercise(msg)


@NO_AUTO
@given(st.text(max_size=300))
def test_sanitize_html_never_raises(html):
    clean = sanitize_html(html)
    assert "<script" not in clean.lower()
    assert "<img" not in clean.lower()
    html_to_text(html)
