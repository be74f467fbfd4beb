"""Daily digests across real processes, as the Procfile starts them (gunicorn web,
RQ worker, clock), with the loopback SendGrid server: three supporters write to
one representative of a campaign that sends digests and confirm from their mail;
the clock gathers the day's digest, the worker sends it, and the office receives
one mail carrying the three letters; the office's reply, posted to the inbound
webhook, is recorded for every letter and forwarded to each supporter without
the others' names."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

import pytest

from campaign.core.extensions import db
from campaign.models import Campaign, Letter, LetterState, Reply
from campaign.seed import seed_demo

from . import flow, procfile
from . import tracking_helpers as th
from .conftest import csrf_token
from .delivery_support import sendgrid, sendgrid_settings, wait_until  # noqa: F401 - fixture

WRITERS = [
    ("Hanna Example", "hanna@example.org", "Cork", "My uncle has been held in Navapolatsk."),
    ("Ihar Example", "ihar@example.org", "Galway", "I left Minsk in 2021; my friends did not."),
    ("Olga Example", "olga@example.org", "Sligo", "Please ask about the journalists."),
]


def _write(person: procfile.Browser, rep_id: int, writer: tuple[str, str, str, str]) -> None:
    name, email, city, words = writer
    page = person.get(f"/write/IE/letters?rep={rep_id}")
    fields = {
        "csrf_token": csrf_token(page),
        "representatives": str(rep_id),
        "name": name,
        "email": email,
        "city": city,
        "personal_paragraph": words,
        "consent": "y",
        "keep_language": "y",
        "send": "1",
    }
    with person.opener.open(person.base + "/write/IE/letters", urlencode(fields).encode()) as r:
        r.read()


@pytest.mark.slow
def test_the_clock_gathers_a_digest_the_worker_sends_it_and_a_reply_reaches_every_letter(
    make_app, sendgrid, _schema, redis_url, tmp_path
):
    inbound = {"INBOUND_DOMAIN": th.INBOUND_DOMAIN, "INBOUND_SECRET": th.INBOUND_SECRET}
    app = make_app(**sendgrid_settings(sendgrid), **inbound)
    env = procfile.environment(
        _schema,
        redis_url,
        sendgrid.host,
        PORT=procfile.free_port(),
        WEB_CONCURRENCY=1,
        DIGEST_TIME="00:00",
        **inbound,
    )
    with app.app_context():
        seed_demo()
        campaign = db.session.execute(db.select(Campaign)).scalars().first()
        campaign.digest_kinds = {"parliament": 0}
        db.session.commit()
        rep = [r for r in flow.representatives_of("IE") if r.body.kind == "parliament"][0]
        rep_id, office = rep.id, rep.email
        logs = {name: tmp_path / f"{name}.log" for name in ("web", "worker", "clock")}
        processes = [procfile.start(name, env, logs[name]) for name in ("web", "worker")]
        try:
            person = procfile.Browser(f"http://127.0.0.1:{env['PORT']}")
            person.wait_until_up(processes[0], logs["web"])
            for writer in WRITERS:
                _write(person, rep_id, writer)
            confirmations = sendgrid.wait_for(3, timeout=60)
            for mail in confirmations:
                link = re.search(r"https?://\S+/confirm/\S+", mail.text).group(0)
                path = urlsplit(link).path
                person.post(path, {"csrf_token": csrf_token(person.get(path))})

            def waiting() -> bool:
                db.session.expire_all()
                states = db.session.execute(db.select(Letter.state)).scalars().all()
                return len(states) == 3 and set(states) == {LetterState.AWAITING_DIGEST.value}

            wait_until(waiting, 30, what="three letters waiting for the digest")
            assert [m for m in sendgrid.messages if office in m.to] == []

            processes.append(procfile.start("clock", env, logs["clock"]))
            wait_until(
                lambda: [m for m in sendgrid.messages if office in m.to], 120, what="the digest"
            )
            (digest,) = [m for m in sendgrid.messages if office in m.to]
            for name, email, city, words in WRITERS:
                assert f"{name}, {city}" in digest.text and words in digest.text
                assert email not in digest.text
            assert "(letters: 3)" in digest.subject
            assert digest.reply_to.startswith("reply+")

            def all_sent() -> bool:
                db.session.expire_all()
                states = set(db.session.execute(db.select(Letter.state)).scalars())
                return states == {LetterState.SENT.value}

            wait_until(all_sent, 30, what="the three letters recorded as sent")
            # The office answers the digest, quoting it.
            quoted = "\n".join("> " + line for line in digest.text.splitlines())
            raw = (
                f"From: Office <{office}>\r\nTo: {digest.reply_to}\r\n"
                f"Subject: Re: {digest.subject}\r\nMessage-ID: <answer@example.org>\r\n"
                f"In-Reply-To: <{digest.message_id}@geopod-ismtpd-1>\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                "Thank you. The member has written to the ministry about these cases.\r\n\r\n"
                f"On Friday you wrote:\r\n{quoted}\r\n"
            ).encode()
            body, content_type = th.raw_mode(raw, [digest.reply_to], office)
            request = person.opener.open(
                _request(person.base + th.inbound_url(), body, content_type)
            )
            assert request.status == 200
            try:
                wait_until(lambda: len(_forwards(sendgrid)) == 3, 60, what="three forwards")
            except AssertionError as exc:
                db.session.expire_all()
                replies = db.session.execute(db.select(Reply)).scalars().all()
                seen = [(r.letter_id, r.kind, r.forward_status) for r in replies]
                worker_log = logs["worker"].read_text()[-3000:]
                raise AssertionError(f"{exc}; replies {seen}; worker log: {worker_log}") from None
        finally:
            procfile.stop(processes)
        db.session.expire_all()
        letters = db.session.execute(db.select(Letter)).scalars().all()
        assert {letter.state for letter in letters} == {LetterState.REPLIED.value}
        assert len({letter.provider_message_id for letter in letters}) == 1
        replies = db.session.execute(db.select(Reply)).scalars().all()
        assert sorted(r.letter_id for r in replies) == sorted(letter.id for letter in letters)
        forwards = _forwards(sendgrid)
        assert sorted(m.to[0] for m in forwards) == sorted(w[1] for w in WRITERS)
        for message in forwards:
            for name, email, _city, _words in WRITERS:
                if email not in message.to:
                    assert name not in message.text
        output = "".join(log.read_text() for log in logs.values())
        assert "Traceback" not in output, output
        assert "Navapolatsk" not in output  # no supporter's words in a log


def _forwards(server) -> list:
    return [m for m in server.messages if "The member has written" in (m.text or "")]


def _request(url: str, body: bytes, content_type: str):
    from urllib.request import Request

    return Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
