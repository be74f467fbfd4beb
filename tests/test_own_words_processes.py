"""The supporter's own words across real processes, as the Procfile starts them
(gunicorn web, RQ worker), with the loopback SendGrid server: a supporter answers
the campaign's questions, confirms from the mail, and the letter that arrives
carries their words; a second supporter's near-copy is refused at the field, and
nothing of theirs is stored or sent."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

import html
import re
import time
from urllib.parse import urlencode, urlsplit

import pytest

from campaign.core.extensions import db
from campaign.models import Letter, Supporter
from campaign.seed import seed_demo

from . import flow, procfile
from . import own_words_support as ow
from .conftest import csrf_token
from .delivery_support import sendgrid, sendgrid_settings  # noqa: F401 - fixture

ANSWERS = [
    "My schoolfriend Aliaksei from Hrodna has been held in a penal colony since 2020.",
    "Yes: his mother writes to him every week and has had no answer for months.",
]


def _write(person: procfile.Browser, rep_id: int, answers: list[str], email: str) -> str:
    page = person.get(f"/write/IE/letters?rep={rep_id}")
    fields = [
        ("csrf_token", csrf_token(page)),
        ("representatives", str(rep_id)),
        ("name", "Maryja Kowalska"),
        ("email", email),
        ("city", "Dublin"),
        ("consent", "y"),
        ("keep_language", "y"),
        ("send", "1"),
    ] + [(f"answer_{n}", answer) for n, answer in enumerate(answers, start=1)]
    with person.opener.open(person.base + "/write/IE/letters", urlencode(fields).encode()) as r:
        return r.read().decode()


def _confirmation_path(mail_text: str) -> str:
    link = re.search(r"https?://\S+/confirm/\S+", mail_text).group(0)
    return urlsplit(link).path


@pytest.mark.slow
def test_answers_reach_the_office_and_a_near_copy_is_refused(
    make_app, sendgrid, _schema, redis_url, tmp_path
):
    app = make_app(**sendgrid_settings(sendgrid))
    env = procfile.environment(
        _schema, redis_url, sendgrid.host, PORT=procfile.free_port(), WEB_CONCURRENCY=1
    )
    with app.app_context():
        seed_demo()
        ow.set_up(min_matches=1)
        rep = flow.representatives_of("IE")[0]
        logs = {name: tmp_path / f"{name}.log" for name in ("web", "worker")}
        processes = [procfile.start(name, env, log) for name, log in logs.items()]
        try:
            first = procfile.Browser(f"http://127.0.0.1:{env['PORT']}")
            first.wait_until_up(processes[0], logs["web"])
            page = _write(first, rep.id, ANSWERS, "first@example.org")
            assert "check-your-email" in page or "Check your email" in page

            (confirmation,) = sendgrid.wait_for(1, timeout=60)
            assert confirmation.to == ["first@example.org"]
            path = _confirmation_path(confirmation.text)
            button = first.get(path)
            first.post(path, {"csrf_token": csrf_token(button)})

            received = sendgrid.wait_for(2, timeout=60)
            (letter,) = [m for m in received if m.to == [rep.email]]
            assert "\n\n".join(ANSWERS) in letter.text
            assert "Why does this matter to you?" not in letter.text

            # Another supporter sends nearly the same words: refused at the field.
            second = procfile.Browser(first.base)
            near_copy = [ANSWERS[0].replace("2020", "2021"), ANSWERS[1]]
            page = html.unescape(_write(second, rep.id, near_copy, "second@example.org"))
            error = re.search(r'id="personal_paragraph-error"[^>]*>([^<]*)<', page)
            assert error and "nearly identical" in error.group(1)
            time.sleep(2)  # nothing more leaves
            assert len(sendgrid.messages) == 2
        finally:
            procfile.stop(processes)
        db.session.expire_all()
        assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 1
        assert not db.session.execute(
            db.select(Supporter).filter_by(email="second@example.org")
        ).scalar()
        output = logs["web"].read_text() + logs["worker"].read_text()
        assert "Traceback" not in output, output
        assert "Aliaksei" not in output  # the words never reach a log
