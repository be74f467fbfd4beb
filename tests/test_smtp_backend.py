"""The SMTP backend against a real SMTP server (aiosmtpd) started here: login, TLS,
refused and deferred recipients, a kept connection; and a wrong SMTP_URL stopping
the app at start with one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from campaign import create_app
from campaign.core.config import ConfigError
from campaign.core.mail import get_backend
from campaign.core.redaction import without_addresses
from campaign.devtools.backlog import make_backlog
from campaign.devtools.smtp_handler import SMTPHandler
from campaign.devtools.smtp_server import SMTPLoopback

from .delivery_support import dispatch_all, drain_jobs, letter

ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "campaign", "s3cret-pass"


@pytest.fixture
def smtp():
    server = SMTPLoopback(require_auth=(USER, PASSWORD)).start()
    yield server
    server.stop()


def smtp_app(make_app, url: str):
    return make_app(MAIL_BACKEND="smtp", SMTP_URL=url, THROTTLE_ENABLED=False, SMTP_TIMEOUT=5)


def test_letters_go_out_over_one_authenticated_session(make_app, smtp):
    app = smtp_app(make_app, f"smtp://{USER}:{PASSWORD}@127.0.0.1:{smtp.port}")
    with app.app_context():
        backlog = make_backlog(3, 3)
        assert dispatch_all()["sent"] == 3
        received = smtp.wait_for(3)
        assert {m.login for m in received} == {USER}
        first = letter(backlog.letter_ids[0])
        message = next(m for m in received if m.message["X-Campaign-Letter-Id"] == str(first.id))
        assert message.rcpt_tos == [first.representative.email]
        assert message.message["Subject"] == first.subject
        assert message.text.strip() == first.body.strip()
        assert first.provider_message_id == message.message["Message-ID"].strip("<>")
        assert get_backend().connections_opened == 1


def test_a_refused_recipient_fails_the_letter(make_app, smtp):
    app = smtp_app(make_app, f"smtp://{USER}:{PASSWORD}@127.0.0.1:{smtp.port}")
    with app.app_context():
        backlog = make_backlog(2, 2)
        refused = letter(backlog.letter_ids[0]).representative.email
        smtp.refuse = {refused}
        dispatch_all()
        failed = letter(backlog.letter_ids[0])
        assert failed.state == "failed"
        assert failed.last_error.startswith("SMTP recipient refused: 550 5.1.1")
        # The server quoted the address it refused; the record does not.
        assert refused not in failed.last_error and "[address]" in failed.last_error
        assert letter(backlog.letter_ids[1]).state == "sent"


def test_a_supporters_refused_address_reaches_no_log_and_no_job_record(make_app, smtp, caplog):
    """The confirmation mail fails in the worker: RQ logs the error and keeps it
    with the failed job in Redis (shown on the staff queue pages). Neither may
    name the supporter, though the server's answer did."""
    from rq.registry import FailedJobRegistry

    from campaign.core.queues import NOTIFICATIONS, get_queue
    from campaign.seed import seed_demo

    from . import flow

    app = smtp_app(make_app, f"smtp://{USER}:{PASSWORD}@127.0.0.1:{smtp.port}")
    supporter = flow.Details(email="aliaksandra.k@example.org")
    smtp.refuse = {supporter.email}
    with app.app_context():
        seed_demo()
        rep = flow.representatives_of("IE")[0]
        flow.submit(app.test_client(), "IE", [rep.id], supporter)
        with caplog.at_level("INFO"):
            drain_jobs()
        failed = FailedJobRegistry(queue=get_queue(NOTIFICATIONS))
        [job_id] = failed.get_job_ids()
        record = get_queue(NOTIFICATIONS).fetch_job(job_id).latest_result().exc_string
    assert smtp.stats["refused_recipients"] == 1
    assert "SMTP recipient refused: 550 5.1.1 <[address]>" in record
    assert supporter.email not in record
    # The loopback server runs in this process and logs what it received, as any
    # mail server does: that is its log, not the worker's.
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in ours)
    assert "550 5.1.1" in logged
    assert supporter.email not in logged


def test_a_temporary_refusal_is_retried(make_app, smtp, monkeypatch):
    app = smtp_app(make_app, f"smtp://{USER}:{PASSWORD}@127.0.0.1:{smtp.port}")
    with app.app_context():
        backlog = make_backlog(1, 1)
        deferred = letter(backlog.letter_ids[0]).representative.email
        real = SMTPHandler.handle_RCPT

        async def greylist(self, server, session, envelope, address, options):
            if address == deferred and not getattr(self, "greylisted", False):
                self.greylisted = True
                return "451 4.7.1 Greylisted, try again later"
            return await real(self, server, session, envelope, address, options)

        monkeypatch.setattr(SMTPHandler, "handle_RCPT", greylist)
        dispatch_all()
        waiting = letter(backlog.letter_ids[0])
        assert waiting.state == "queued"
        assert (
            waiting.last_error == "SMTP recipient deferred: 451 4.7.1 Greylisted, try again later"
        )
        from .delivery_support import make_due

        make_due()
        dispatch_all()
        assert letter(backlog.letter_ids[0]).state == "sent"


def test_a_wrong_password_fails_with_the_servers_answer(make_app, smtp):
    app = smtp_app(make_app, f"smtp://{USER}:wrong@127.0.0.1:{smtp.port}")
    with app.app_context():
        backlog = make_backlog(1, 1)
        dispatch_all()
        failed = letter(backlog.letter_ids[0])
        assert failed.state == "failed"
        assert failed.last_error.startswith("SMTP login refused: 535")


def test_a_server_that_is_down_is_retried_later(make_app):
    with SMTPLoopback() as server:
        port = server.port
    app = smtp_app(make_app, f"smtp://127.0.0.1:{port}")
    with app.app_context():
        backlog = make_backlog(1, 1)
        dispatch_all()
        waiting = letter(backlog.letter_ids[0])
        assert waiting.state == "queued"
        assert waiting.last_error.startswith("SMTP connection failed: ConnectionRefusedError")


@pytest.mark.parametrize(
    "mode, scheme, query", [("starttls", "smtp", "?starttls=1"), ("implicit", "smtps", "")]
)
def test_tls(make_app, tmp_path, monkeypatch, mode, scheme, query):
    with SMTPLoopback(require_auth=(USER, PASSWORD), tls=mode) as server:
        certificate = tmp_path / "loopback.pem"
        certificate.write_text(server.certificate_pem)
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
        app = smtp_app(make_app, f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{server.port}{query}")
        with app.app_context():
            make_backlog(1, 1)
            assert dispatch_all()["sent"] == 1
            (received,) = server.wait_for(1)
            assert received.login == USER
            get_backend().close()


BAD_URLS = [
    ("http://mail.example.org", "SMTP_URL must start with smtp:// or smtps://"),
    ("smtp://", "SMTP_URL has no host name"),
    ("smtp://mail.example.org:99999", "SMTP_URL has an invalid port (a number from 1 to 65535)"),
    (
        "smtp://mail.example.org:twenty-five",
        "SMTP_URL has an invalid port (a number from 1 to 65535)",
    ),
    ("smtp://mail.example.org?starttls=maybe", "SMTP_URL: starttls must be 1 or 0"),
    ("smtp://mail.example.org?tls=1", "SMTP_URL has unknown option(s): tls"),
    (
        "smtps://mail.example.org?starttls=1",
        "SMTP_URL: smtps:// is TLS already; starttls=1 is for smtp://",
    ),
]


@pytest.mark.parametrize("url, message", BAD_URLS, ids=[m for _, m in BAD_URLS])
def test_a_wrong_smtp_url_stops_the_app_at_start(url, message, redis_url):
    config = {
        "ENV": "testing",
        "SECRET_KEY": "k" * 32,
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "REDIS_URL": redis_url,
        "MAIL_BACKEND": "smtp",
        "SMTP_URL": url,
    }
    with pytest.raises(ConfigError) as raised:
        create_app(config)
    assert str(raised.value) == message


def test_the_worker_says_what_is_wrong_in_one_line(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "CAMPAIGN_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "MAIL_BACKEND": "smtp",
        "SMTP_URL": "smtp://mail.example.org:0",
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "worker.py")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "configuration error: SMTP_URL has an invalid port (a number from 1 to 65535)"
    )


@pytest.mark.parametrize(
    "said",
    [
        "550 5.1.1 <alice@example.org>: Recipient address rejected",
        "553 sender a.b+c@mail.example.org not allowed; to bob@example.org",
        "550 mailbox 'алеся@прыклад.бел' unavailable",
        "550 [user@example.org] (quota)",
    ],
)
def test_addresses_in_a_servers_words_are_replaced(said):
    cleaned = without_addresses(said)
    assert "@" not in cleaned and "[address]" in cleaned
    assert cleaned.split()[0] == said.split()[0]  # the code stays
