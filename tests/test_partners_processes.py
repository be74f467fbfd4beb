"""Partners across real processes (web and worker as the Procfile starts them, the
loopback SendGrid server): a supporter writes through a partner's link, another
inside its embedded form with no cookie at all; each confirms from the mail that
arrived at SendGrid, and the letters arrive there too, the submissions recorded
for the partner, the ticked consent with its words."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

import re
import time
import urllib.request
from urllib.parse import urlencode

import pytest

from campaign.core.extensions import db
from campaign.models import Letter, PartnerConsent, Submission
from campaign.seed import seed_demo

from . import partner_pages_support as ps
from . import procfile
from .conftest import csrf_token
from .delivery_support import sendgrid, sendgrid_settings  # noqa: F401 - fixture

SENTENCE = "Viasna Friends may email me about this campaign and its work."


def _confirmation_path(sendgrid, email: str, base: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for mail in sendgrid.messages:
            if email in mail.to:
                link = re.search(r"https?://\S+/confirm/\S+", mail.text).group(0)
                assert link.startswith(base), link
                return link[len(base) :]
        time.sleep(0.2)
    raise AssertionError(f"no confirmation mail to {email}")


def _letters_form(details: dict, reps: list[int]) -> list[tuple[str, str]]:
    return [("representatives", str(r)) for r in reps] + list(details.items())


def _wait_until_sent(email: str, timeout: float = 30) -> list[Letter]:
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        letters = list(
            db.session.execute(
                db.select(Letter)
                .join(Submission, Letter.submission_id == Submission.id)
                .filter(Submission.supporter.has(email=email))
            ).scalars()
        )
        if letters and all(x.state == "sent" for x in letters) or time.monotonic() > deadline:
            return letters
        time.sleep(0.2)


@pytest.mark.slow
def test_letters_through_a_partners_link_and_frame_arrive_recorded_for_it(
    make_app, sendgrid, _schema, redis_url, tmp_path
):
    port = procfile.free_port()
    base = f"http://127.0.0.1:{port}"
    app = make_app(**sendgrid_settings(sendgrid), PUBLIC_URL=base)
    env = procfile.environment(
        _schema, redis_url, sendgrid.host, PORT=port, WEB_CONCURRENCY=1, PUBLIC_URL=base
    )
    with app.app_context():
        seed_demo()
        partner = ps.make_partner()
        reps = ps.rep_ids("LT")
        logs = {name: tmp_path / f"{name}.log" for name in ("web", "worker")}
        processes = [procfile.start(name, env, log) for name, log in logs.items()]
        try:
            via = f"/c/{ps.CAMPAIGN}/via/viasna"
            person = procfile.Browser(base)
            person.wait_until_up(processes[0], logs["web"])

            # Through the partner's link: first-party, with the session's CSRF token.
            page = person.get(ps.letters_path(via, "LT", reps))
            assert "with Viasna Friends" in page
            details = {
                "csrf_token": csrf_token(page),
                "name": "Maryja Kowalska",
                "email": "via-link@example.org",
                "consent": "y",
                "partner_consent": "y",
                "send": "1",
            }
            sent = person.post(f"{via}/write/LT/letters", dict(_letters_form(details, reps)))
            assert "via-link@example.org" in sent  # "check your email", after the redirect
            confirm = _confirmation_path(sendgrid, "via-link@example.org", base)
            token = csrf_token(person.get(confirm))
            person.post(confirm, {"csrf_token": token})

            # Inside the frame: no cookie jar at all, the form token and the frame's Origin.
            bare = urllib.request.build_opener()
            embed = f"{via}/embed"
            with bare.open(base + ps.letters_path(embed, "LT", reps), timeout=20) as answer:
                assert "Set-Cookie" not in answer.headers
                form_token = ps.form_token(answer.read().decode())
            framed = {
                "form_token": form_token,
                "name": "Alesia Kovalchyk",
                "email": "in-frame@example.org",
                "consent": "y",
                "send": "1",
            }
            request = urllib.request.Request(
                f"{base}{embed}/write/LT/letters",
                data=urlencode(_letters_form(framed, reps)).encode(),
                headers={"Origin": base, "Sec-Fetch-Site": "same-origin"},
            )
            with bare.open(request, timeout=20) as answer:
                assert "in-frame@example.org" in answer.read().decode()
                assert "Set-Cookie" not in answer.headers
            confirm = _confirmation_path(sendgrid, "in-frame@example.org", base)
            other = procfile.Browser(base)  # the mail's link opens first-party
            other.post(confirm, {"csrf_token": csrf_token(other.get(confirm))})

            via_letters = _wait_until_sent("via-link@example.org")
            framed_letters = _wait_until_sent("in-frame@example.org")
        finally:
            procfile.stop(processes)
        output = logs["web"].read_text() + logs["worker"].read_text()
        assert "Traceback" not in output, output

        for letters in (via_letters, framed_letters):
            assert letters and {x.state for x in letters} == {"sent"}
            assert {x.submission.partner_id for x in letters} == {partner.id}
        arrived = {address for mail in sendgrid.messages for address in mail.to}
        assert {x.representative.email for x in via_letters + framed_letters} <= arrived
        (given,) = db.session.execute(db.select(PartnerConsent)).scalars().all()
        assert given.supporter.email == "via-link@example.org" and given.wording == SENTENCE
        assert given.submission.confirmed_at is not None
