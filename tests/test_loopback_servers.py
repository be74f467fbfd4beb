"""The loopback SendGrid and SMTP servers, driven by the real clients."""

from __future__ import annotations

import gc
import http.client
import json
import os
import selectors
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
from email.message import EmailMessage
from pathlib import Path

import pytest
from python_http_client import exceptions as http_errors
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    ClickTracking,
    CustomArg,
    From,
    Mail,
    OpenTracking,
    ReplyTo,
    SubscriptionTracking,
    To,
    TrackingSettings,
)

from campaign.devtools.sendgrid_server import (
    Faults,
    RemoteSendGridLoopback,
    SendGridLoopback,
)
from campaign.devtools.smtp_server import SMTPLoopback

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "SG.loopback-test-key"
CONNECTION_ERRORS = (ConnectionError, urllib.error.URLError, http.client.HTTPException)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch):
    # urllib (under the sendgrid client) honours proxy variables: keep requests local.
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def sendgrid_server(request):
    server = SendGridLoopback(api_key=API_KEY).start()

    def finish():
        server.stop()
        assert server.stats["server_errors"] == 0

    request.addfinalizer(finish)
    return server


@pytest.fixture
def client(sendgrid_server):
    sg = SendGridAPIClient(API_KEY, host=sendgrid_server.host)
    # SendGridAPIClient has no timeout argument; the python_http_client Client it wraps
    # has one, and passes it on to the per-path clients that make the requests.
    sg.client.timeout = 5
    return sg


def letter(to: str = "mp@parliament.example.org", **overrides) -> Mail:
    """A letter built the way the delivery backend builds one."""
    fields = {
        "subject": "Free the political prisoners",
        "text": "Dear Member of Parliament,\n\nPlease speak up.\n",
        "letter_id": "1234",
    }
    fields.update(overrides)
    mail = Mail(
        from_email=From("letters@campaign.example.org", "Free Them Campaign"),
        to_emails=To(to, "A. Member"),
        subject=fields["subject"],
        plain_text_content=fields["text"],
    )
    mail.reply_to = ReplyTo("supporter@example.com", "Some Supporter")
    mail.add_custom_arg(CustomArg("letter_id", fields["letter_id"]))
    mail.add_custom_arg(CustomArg("campaign", "belarus"))
    mail.tracking_settings = TrackingSettings(
        click_tracking=ClickTracking(False, False),
        open_tracking=OpenTracking(False),
        subscription_tracking=SubscriptionTracking(False),
    )
    return mail


def post_raw(server: SendGridLoopback, body: bytes, headers: dict | None = None):
    """POST /v3/mail/send with http.client; returns (status, headers, parsed body)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request(
            "POST",
            "/v3/mail/send",
            body=body,
            headers={
                "Authorization": f"Bearer {API_KEY}",
                "Content-Type": "application/json",
                **(headers or {}),
            },
        )
        response = conn.getresponse()
        raw = response.read()
        return response.status, response.headers, json.loads(raw) if raw else None
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------
# SendGrid: accepted mail


def test_send_is_recorded_field_by_field(sendgrid_server, client):
    response = client.send(letter())

    assert response.status_code == 202
    assert response.body == b""
    message_id = response.headers["X-Message-Id"]
    assert len(message_id) == 22

    (mail,) = sendgrid_server.wait_for(1, timeout=2)
    assert mail.message_id == message_id
    assert mail.to == ["mp@parliament.example.org"]
    assert mail.payload["personalizations"][0]["to"] == [
        {"email": "mp@parliament.example.org", "name": "A. Member"}
    ]
    assert mail.from_email == "letters@campaign.example.org"
    assert mail.from_name == "Free Them Campaign"
    assert mail.reply_to == "supporter@example.com"
    assert mail.reply_to_name == "Some Supporter"
    assert mail.subject == "Free the political prisoners"
    assert mail.text == "Dear Member of Parliament,\n\nPlease speak up.\n"
    assert mail.payload["content"] == [{"type": "text/plain", "value": mail.text}]
    assert mail.custom_args == {"letter_id": "1234", "campaign": "belarus"}
    assert mail.tracking_settings == {
        "click_tracking": {"enable": False, "enable_text": False},
        "open_tracking": {"enable": False},
        "subscription_tracking": {"enable": False},
    }
    assert mail.headers["Authorization"] == f"Bearer {API_KEY}"
    assert mail.headers["Content-Type"] == "application/json"
    assert mail.headers["User-Agent"].startswith("sendgrid/")
    assert mail.received_at.tzinfo is not None
    assert sendgrid_server.stats["requests"] == 1
    assert sendgrid_server.stats["accepted"] == 1


def test_message_ids_are_unique(sendgrid_server, client):
    ids = {client.send(letter(letter_id=str(n))).headers["X-Message-Id"] for n in range(25)}
    assert len(ids) == 25
    assert {mail.message_id for mail in sendgrid_server.wait_for(25)} == ids


def test_wait_for_blocks_until_messages_arrive_and_clear_forgets(sendgrid_server, client):
    timer = threading.Timer(0.2, client.send, args=(letter(),))
    timer.start()
    try:
        started = time.monotonic()
        assert len(sendgrid_server.wait_for(1, timeout=5)) == 1
        assert time.monotonic() - started >= 0.1
    finally:
        timer.join()
    with pytest.raises(TimeoutError, match="expected 2"):
        sendgrid_server.wait_for(2, timeout=0.1)

    sendgrid_server.clear()
    assert sendgrid_server.messages == []
    assert sendgrid_server.stats["requests"] == 0


# ---------------------------------------------------------------------------------------
# SendGrid: refusals


def test_wrong_api_key_is_401(sendgrid_server):
    wrong = SendGridAPIClient("SG.wrong", host=sendgrid_server.host)
    wrong.client.timeout = 5

    with pytest.raises(http_errors.UnauthorizedError) as caught:
        wrong.send(letter())

    assert caught.value.status_code == 401
    assert caught.value.to_dict == {
        "errors": [
            {
                "message": "The provided authorization grant is invalid, expired, or revoked",
                "field": None,
                "help": None,
            }
        ]
    }
    assert sendgrid_server.messages == []
    assert sendgrid_server.stats["unauthorized"] == 1


def test_missing_or_malformed_authorization_is_401(sendgrid_server):
    body = json.dumps(letter().get()).encode()
    for headers, message in [
        ({"Authorization": ""}, "authorization required"),
        ({"Authorization": API_KEY}, "The provided authorization grant"),
        ({"Authorization": f"Basic {API_KEY}"}, "The provided authorization grant"),
    ]:
        status, _, error = post_raw(sendgrid_server, body, headers)
        assert status == 401
        assert error["errors"][0]["message"].startswith(message)
    assert sendgrid_server.messages == []


def test_missing_subject_is_400(sendgrid_server, client):
    payload = letter().get()
    del payload["subject"]

    with pytest.raises(http_errors.BadRequestsError) as caught:
        client.send(payload)

    (error,) = caught.value.to_dict["errors"]
    assert error["field"] == "subject"
    assert error["message"].startswith("The subject is required.")
    assert error["help"] is None
    assert sendgrid_server.messages == []
    assert sendgrid_server.stats["invalid"] == 1


def test_subject_may_come_from_every_personalization(sendgrid_server, client):
    payload = letter().get()
    payload["personalizations"][0]["subject"] = payload.pop("subject")
    client.send(payload)
    assert sendgrid_server.wait_for(1)[0].subject == "Free the political prisoners"


def test_invalid_recipient_address_is_400(sendgrid_server, client):
    with pytest.raises(http_errors.BadRequestsError) as caught:
        client.send(letter(to="mp@localhost"))

    assert caught.value.status_code == 400
    assert caught.value.to_dict == {
        "errors": [
            {
                "message": "Does not contain a valid address.",
                "field": "personalizations.0.to.0.email",
                "help": None,
            }
        ]
    }
    assert sendgrid_server.messages == []


def _without(path: str):
    def edit(payload: dict) -> None:
        *parents, last = path.split(".")
        target = payload
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        del target[last]

    return edit


def _set(path: str, value):
    def edit(payload: dict) -> None:
        *parents, last = path.split(".")
        target = payload
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[last] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "field", "message"),
    [
        (_without("personalizations"), "personalizations", "The personalizations field"),
        (_set("personalizations", []), "personalizations", "The personalizations field"),
        (_without("personalizations.0.to"), "personalizations.0.to", "The to array"),
        (_without("from.email"), "from.email", "The from object must be provided"),
        (_set("from", {"email": "letters@"}), "from.email", "The from email does not"),
        (_set("reply_to", {"email": "x"}), "reply_to.email", "The reply_to email does not"),
        (_without("content"), "content", "Unless a valid template_id is provided"),
        (_set("content", [{"type": "text/plain", "value": ""}]), "content.0.value", "The"),
        (_set("custom_args", {"letter_id": 1234}), "custom_args.letter_id", "Invalid type"),
        (
            _set("personalizations.0.cc", [{"email": "MP@parliament.example.org"}]),
            "personalizations.0",
            "Each email address in the personalization block should be unique",
        ),
    ],
)
def test_validation_errors(sendgrid_server, client, edit, field, message):
    payload = letter().get()
    edit(payload)

    with pytest.raises(http_errors.BadRequestsError) as caught:
        client.send(payload)

    errors = caught.value.to_dict["errors"]
    assert {"message", "field", "help"} == set(errors[0])
    assert (field, True) in [(e["field"], e["message"].startswith(message)) for e in errors]
    assert sendgrid_server.messages == []


@pytest.mark.parametrize("body", [b"", b"{not json", b"[]", b'"text"', b"\xff\xfe"])
def test_body_that_is_not_a_json_object_is_400(sendgrid_server, body):
    status, _, error = post_raw(sendgrid_server, body)
    assert status == 400
    assert error == {"errors": [{"message": "Bad Request", "field": None, "help": None}]}


def test_other_paths_and_methods(sendgrid_server):
    conn = http.client.HTTPConnection("127.0.0.1", sendgrid_server.port, timeout=5)
    try:
        for method, path, status in [
            ("GET", "/v3/mail/send", 405),
            ("POST", "/v3/mail/batch", 404),
            ("GET", "/v3/__loopback/messages", 404),
            ("DELETE", "/__loopback/nothing", 404),
        ]:
            conn.request(method, path)
            response = conn.getresponse()
            assert response.status == status, (method, path)
            assert "errors" in json.loads(response.read())
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------
# SendGrid: faults


def test_429_carries_rate_limit_headers(sendgrid_server, client):
    sendgrid_server.faults = Faults(retry_after=7)
    sendgrid_server.script(["429"])

    with pytest.raises(http_errors.TooManyRequestsError) as caught:
        client.send(letter())

    headers = caught.value.headers
    assert headers["X-RateLimit-Limit"].isdigit()
    assert headers["X-RateLimit-Remaining"] == "0"
    assert abs(int(headers["X-RateLimit-Reset"]) - (time.time() + 7)) <= 2
    assert caught.value.to_dict["errors"][0]["message"] == "too many requests"
    assert sendgrid_server.messages == []
    assert sendgrid_server.stats["fault_429"] == 1


@pytest.mark.parametrize(
    ("kind", "exception"),
    [("500", http_errors.InternalServerError), ("503", http_errors.ServiceUnavailableError)],
)
def test_server_errors(sendgrid_server, client, kind, exception):
    sendgrid_server.script([kind])

    with pytest.raises(exception) as caught:
        client.send(letter())

    assert caught.value.status_code == int(kind)
    assert caught.value.to_dict["errors"][0]["message"]
    assert sendgrid_server.messages == []
    # The next request is served normally.
    assert client.send(letter()).status_code == 202


def test_hang_makes_the_client_time_out(sendgrid_server, client):
    sendgrid_server.faults = Faults(hang_seconds=3)
    sendgrid_server.script(["hang"])
    client.client.timeout = 1

    started = time.monotonic()
    with pytest.raises((TimeoutError, urllib.error.URLError)) as caught:
        client.send(letter())
    elapsed = time.monotonic() - started

    if isinstance(caught.value, urllib.error.URLError):
        assert isinstance(caught.value.reason, TimeoutError)
    assert 0.9 <= elapsed < 2.5
    assert sendgrid_server.stats["fault_hang"] == 1
    # Other requests are not held up by the hanging one.
    assert client.send(letter()).status_code == 202
    assert len(sendgrid_server.messages) == 1


def test_hang_then_answers_504_without_recording(sendgrid_server, client):
    sendgrid_server.faults = Faults(hang_seconds=0.1)
    sendgrid_server.script(["hang"])

    with pytest.raises(http_errors.GatewayTimeoutError):
        client.send(letter())
    assert sendgrid_server.messages == []


def test_reset_is_a_connection_error(sendgrid_server, client):
    sendgrid_server.script(["reset"])

    with pytest.raises(CONNECTION_ERRORS) as caught:
        client.send(letter())

    error = caught.value
    if isinstance(error, urllib.error.URLError):
        assert isinstance(error.reason, ConnectionError)
    assert sendgrid_server.messages == []
    assert sendgrid_server.stats["fault_reset"] == 1
    assert client.send(letter()).status_code == 202


def test_scripted_answers_come_in_order_then_normal_service(sendgrid_server, client):
    sendgrid_server.faults = Faults(rate=1.0, kinds=("503",))
    sendgrid_server.script(["429", "500", "ok"])

    outcomes = []
    for _ in range(4):
        try:
            outcomes.append(client.send(letter()).status_code)
        except http_errors.HTTPError as exc:
            outcomes.append(exc.status_code)

    # "ok" bypasses the random faults; afterwards rate=1.0 applies again.
    assert outcomes == [429, 500, 202, 503]
    stats = sendgrid_server.stats
    assert stats["scripted"] == 3
    assert stats["faults"] == 3
    assert (stats["fault_429"], stats["fault_500"], stats["fault_503"]) == (1, 1, 1)


def test_unknown_fault_kinds_are_rejected(sendgrid_server):
    with pytest.raises(ValueError):
        Faults(kinds=("418",))
    with pytest.raises(ValueError):
        sendgrid_server.script(["teapot"])


def _statuses(server: SendGridLoopback, count: int) -> list[int]:
    body = json.dumps(letter().get()).encode()
    return [post_raw(server, body)[0] for _ in range(count)]


def test_random_faults_are_reproducible_with_a_seed():
    faults = Faults(rate=0.5, kinds=("429", "500", "503"), seed=11)
    with SendGridLoopback(api_key=API_KEY, faults=faults) as first:
        outcomes = _statuses(first, 40)
        stats = first.stats
    with SendGridLoopback(api_key=API_KEY, faults=faults) as second:
        assert _statuses(second, 40) == outcomes

    assert set(outcomes) == {202, 429, 500, 503}
    assert stats["requests"] == 40
    assert stats["faults"] == sum(status != 202 for status in outcomes)
    assert stats["accepted"] == outcomes.count(202)


def test_permanent_refusal_is_decided_per_recipient(sendgrid_server, client):
    sendgrid_server.faults = Faults(permanent_rate=0.3, seed=5, refuse={"Gone@Example.org"})
    addresses = [f"mp{n}@parliament.example.org" for n in range(30)]
    refused = {a for a in addresses if sendgrid_server.is_refused(a)}
    assert 0 < len(refused) < len(addresses)
    assert sendgrid_server.is_refused("gone@example.org")

    for _attempt in range(2):  # a retry meets the same answer
        for address in [*addresses, "gone@example.org"]:
            if address in refused or address == "gone@example.org":
                with pytest.raises(http_errors.BadRequestsError) as caught:
                    client.send(letter(to=address))
                (error,) = caught.value.to_dict["errors"]
                assert address in error["message"]
                assert error["field"] == "personalizations.0.to.0.email"
            else:
                assert client.send(letter(to=address)).status_code == 202

    accepted = {mail.to[0] for mail in sendgrid_server.messages}
    assert accepted == set(addresses) - refused
    assert sendgrid_server.stats["refused"] == 2 * (len(refused) + 1)
    # The same seed refuses the same addresses in a fresh configuration.
    assert {a for a in addresses if Faults(permanent_rate=0.3, seed=5).refuses(a)} == refused


# ---------------------------------------------------------------------------------------
# SendGrid: keep-alive, side API, own process


def test_keep_alive_serves_500_requests_on_one_connection(sendgrid_server):
    body = json.dumps(letter().get()).encode()
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", sendgrid_server.port, timeout=5)
    try:
        conn.connect()
        sock = conn.sock
        for _ in range(500):
            conn.request("POST", "/v3/mail/send", body=body, headers=headers)
            response = conn.getresponse()
            assert response.status == 202
            assert response.read() == b""
            assert response.getheader("Content-Length") == "0"
            assert not response.will_close
        assert conn.sock is sock  # never reconnected
    finally:
        conn.close()
    assert len(sendgrid_server.wait_for(500)) == 500


def test_stop_closes_idle_keep_alive_connections():
    server = SendGridLoopback(api_key=API_KEY).start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("GET", "/__loopback/stats")
        conn.getresponse().read()
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2
    finally:
        conn.close()
        server.stop()


def test_stop_releases_a_hanging_request():
    server = SendGridLoopback(api_key=API_KEY, faults=Faults(hang_seconds=30)).start()
    server.script(["hang"])
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("POST", "/v3/mail/send", body=json.dumps(letter().get()))
        deadline = time.monotonic() + 5
        while server.stats["fault_hang"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2
        with pytest.raises(CONNECTION_ERRORS):
            conn.getresponse().read()
    finally:
        conn.close()
        server.stop()
    assert server.messages == []
    gc.collect()  # an unclosed server-side socket would warn here


def test_side_api_in_process(sendgrid_server, client):
    remote = RemoteSendGridLoopback(sendgrid_server.host, timeout=5)
    for n in range(3):
        client.send(letter(letter_id=str(n)))

    received = remote.messages()
    assert [m.custom_args["letter_id"] for m in received] == ["0", "1", "2"]
    assert [m.message_id for m in received] == [m.message_id for m in sendgrid_server.messages]
    assert received[0].received_at == sendgrid_server.messages[0].received_at
    assert [m.custom_args["letter_id"] for m in remote.messages(since=2)] == ["2"]
    assert remote.stats()["accepted"] == 3

    remote.set_faults(Faults(rate=0.25, kinds=("500",), seed=3))
    assert sendgrid_server.faults == Faults(rate=0.25, kinds=("500",), seed=3)
    assert remote.get_faults() == sendgrid_server.faults

    remote.clear()
    assert sendgrid_server.messages == []
    with pytest.raises(urllib.error.HTTPError) as caught:
        remote._call("GET", "messages?since=-1")
    caught.value.close()
    assert caught.value.code == 400


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _read_line(stream, timeout: float) -> str:
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise TimeoutError("the server printed nothing")
    return stream.readline().strip()


@pytest.fixture
def sendgrid_process(request):
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "campaign.devtools.sendgrid_server",
            "--port",
            str(port),
            "--api-key",
            API_KEY,
            "--seed",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def finish():
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()

    request.addfinalizer(finish)
    line = _read_line(proc.stdout, timeout=30)
    assert line == f"listening on http://127.0.0.1:{port}", proc.stderr.read()
    return proc, f"http://127.0.0.1:{port}"


def test_standalone_process(sendgrid_process):
    proc, host = sendgrid_process
    sg = SendGridAPIClient(API_KEY, host=host)
    sg.client.timeout = 5
    remote = RemoteSendGridLoopback(host, timeout=5)

    response = sg.send(letter())
    assert response.status_code == 202
    (mail,) = remote.wait_for(1, timeout=5)
    assert mail.message_id == response.headers["X-Message-Id"]
    assert mail.to == ["mp@parliament.example.org"]
    assert mail.custom_args["letter_id"] == "1234"

    remote.script(["429"])
    with pytest.raises(http_errors.TooManyRequestsError):
        sg.send(letter())
    stats = remote.stats()
    assert (stats["requests"], stats["accepted"], stats["fault_429"]) == (2, 1, 1)

    remote.clear()
    assert remote.messages() == []

    proc.terminate()
    _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0, stderr
    assert stderr == ""


# ---------------------------------------------------------------------------------------
# SMTP


def smtp_message(to: str = "mp@parliament.example.org") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Free Them Campaign <letters@campaign.example.org>"
    message["To"] = to
    message["Reply-To"] = "supporter@example.com"
    message["Subject"] = "Свабоду палітвязням"
    message.set_content("Dear Member of Parliament,\n\nPlease speak up.\n")
    return message


@pytest.fixture
def smtp_server(request):
    server = SMTPLoopback(refuse={"Gone@Example.org"}).start()
    request.addfinalizer(server.stop)
    return server


@pytest.fixture
def smtp_auth_server(request):
    server = SMTPLoopback(require_auth=("mailer", "s3cret")).start()
    request.addfinalizer(server.stop)
    return server


def test_smtp_send_is_recorded(smtp_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as smtp:
        smtp.send_message(smtp_message())

    (received,) = smtp_server.wait_for(1, timeout=2)
    assert received.mail_from == "letters@campaign.example.org"
    assert received.rcpt_tos == ["mp@parliament.example.org"]
    assert received.message["Subject"] == "Свабоду палітвязням"
    assert received.subject == "Свабоду палітвязням"
    assert received.message["Reply-To"] == "supporter@example.com"
    assert received.text == "Dear Member of Parliament,\n\nPlease speak up.\n"
    assert b"Subject: =?utf-8?" in received.data
    assert received.login is None
    assert received.tls is False
    assert smtp_server.stats["messages"] == 1


def test_smtp_refused_recipient_is_550(smtp_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as caught:
            smtp.send_message(smtp_message(to="gone@example.org"))

    code, _ = caught.value.recipients["gone@example.org"]
    assert code == 550
    assert smtp_server.messages == []
    assert smtp_server.stats["refused_recipients"] == 1


def test_smtp_auth_is_checked(smtp_auth_server):
    server = smtp_auth_server
    with smtplib.SMTP(server.host, server.port, timeout=5) as smtp:
        smtp.ehlo()
        assert {"PLAIN", "LOGIN"} <= set(smtp.esmtp_features["auth"].split())
        with pytest.raises(smtplib.SMTPSenderRefused) as caught:
            smtp.send_message(smtp_message())
        assert caught.value.smtp_code == 530

    with smtplib.SMTP(server.host, server.port, timeout=5) as smtp:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            smtp.login("mailer", "wrong")

    with smtplib.SMTP(server.host, server.port, timeout=5) as smtp:
        smtp.login("mailer", "s3cret")
        smtp.send_message(smtp_message())

    (received,) = server.wait_for(1, timeout=2)
    assert received.login == "mailer"
    assert received.rcpt_tos == ["mp@parliament.example.org"]
    assert server.stats["auth_failures"] >= 1


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_smtp_auth_mechanisms(smtp_auth_server, mechanism):
    server = smtp_auth_server
    with smtplib.SMTP(server.host, server.port, timeout=5) as smtp:
        smtp.ehlo()
        smtp.user, smtp.password = "mailer", "s3cret"
        code, _ = smtp.auth(mechanism, getattr(smtp, f"auth_{mechanism.lower()}"))
        assert code == 235
        smtp.send_message(smtp_message())
    assert server.wait_for(1)[0].login == "mailer"


def test_smtp_starttls_with_auth():
    with SMTPLoopback(require_auth=("mailer", "s3cret"), tls=True) as server:
        with smtplib.SMTP(server.host, server.port, timeout=5) as smtp:
            smtp.ehlo()
            assert "auth" not in smtp.esmtp_features  # only after STARTTLS
            with pytest.raises(smtplib.SMTPSenderRefused):
                smtp.send_message(smtp_message())

        with smtplib.SMTP(server.host, server.port, timeout=5) as smtp:
            smtp.starttls(context=server.client_ssl_context())
            smtp.login("mailer", "s3cret")
            smtp.send_message(smtp_message())

        (received,) = server.wait_for(1, timeout=2)
        assert received.tls is True
        assert received.login == "mailer"


def test_smtp_implicit_tls():
    with SMTPLoopback(require_auth=("mailer", "s3cret"), tls="implicit") as server:
        with smtplib.SMTP_SSL(
            server.host, server.port, timeout=5, context=server.client_ssl_context()
        ) as smtp:
            smtp.login("mailer", "s3cret")
            smtp.send_message(smtp_message())
        (received,) = server.wait_for(1, timeout=2)
        assert received.tls is True
        assert received.login == "mailer"


def test_smtp_certificate_can_be_trusted_through_ssl_cert_file(tmp_path, monkeypatch):
    cert_file = tmp_path / "loopback.pem"
    with SMTPLoopback(tls=True) as server:
        cert_file.write_text(server.certificate_pem)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
        with smtplib.SMTP(server.host, server.port, timeout=5) as smtp:
            smtp.starttls(context=ssl.create_default_context())
            smtp.send_message(smtp_message())
        assert server.wait_for(1)[0].tls is True


@pytest.mark.parametrize("tls", [False, "starttls", "implicit"])
def test_smtp_stop_drops_open_connections(tls):
    server = SMTPLoopback(tls=tls).start()
    if tls == "implicit":
        smtp = smtplib.SMTP_SSL(
            server.host, server.port, timeout=5, context=server.client_ssl_context()
        )
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=5)
    try:
        if tls == "starttls":
            smtp.starttls(context=server.client_ssl_context())
        smtp.ehlo()
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2
        with pytest.raises(smtplib.SMTPServerDisconnected):
            smtp.noop()
    finally:
        smtp.close()
        server.stop()
    gc.collect()  # an unclosed server-side transport would warn here


def test_smtp_fixed_port_and_wait_for_timeout():
    port = _free_port()
    with SMTPLoopback(port=port) as server:
        assert server.port == port
        with pytest.raises(TimeoutError):
            server.wait_for(1, timeout=0.05)
        server.refuse = ["late@example.org"]
        with smtplib.SMTP(server.host, server.port, timeout=5) as smtp:
            refused = smtp.sendmail(
                "a@example.org",
                ["late@example.org", "mp@parliament.example.org"],
                smtp_message().as_bytes(),
            )
        assert set(refused) == {"late@example.org"}
        assert server.wait_for(1)[0].rcpt_tos == ["mp@parliament.example.org"]
        server.clear()
        assert server.messages == []


def test_a_taken_port_fails_at_once():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(OSError):
            SMTPLoopback(port=port).start()
        with pytest.raises(OSError):
            SendGridLoopback(port=port).start()
        assert time.monotonic() - started < 2
