"""Random and hostile posts to both SendGrid webhooks, signed and unsigned: never a
5xx or a traceback, always a clear answer, and nothing written for a refused post."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from campaign.core.extensions import db
from campaign.models import Letter

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
EVENT_NAMES = st.sampled_from(
    ["processed", "delivered", "bounce", "dropped", "deferred", "open", "click", "spamreport",
     "unsubscribe", "group_unsubscribe", "blocked", "", "DELIVERED", "bounce\r\n"]
)  # fmt: skip
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
EVENT = st.fixed_dictionaries(
    {},
    optional={
        "event": EVENT_NAMES | SCALARS,
        "email": st.emails().map(str) | SCALARS,
        "timestamp": st.integers(min_value=-(2**63), max_value=2**63) | SCALARS,
        "sg_event_id": TEXT | SCALARS,
        "sg_message_id": TEXT | SCALARS,
        "letter_id": st.sampled_from(["1", "2", "-1", "0", "99999999999999999999999", "1.5", "x"])
        | SCALARS,
        "type": st.sampled_from(["bounce", "blocked", "soft", "hard"]) | SCALARS,
        "reason": TEXT | SCALARS,
        "status": TEXT | SCALARS,
        "bounce_classification": TEXT | SCALARS,
    },
)
JSON = st.recursive(
    SCALARS, lambda c: st.lists(c, max_size=4) | st.dictionaries(TEXT, c, max_size=4), max_leaves=20
)


def rows() -> dict[str, int]:
    db.session.expire_all()
    with db.engine.connect() as conn:
        counts = {
            t.name: conn.execute(text(f'SELECT COUNT(*) FROM "{t.name}"')).scalar()
            for t in db.metadata.sorted_tables
        }
    counts["letter states"] = tuple(
        db.session.execute(db.select(Letter.state).order_by(Letter.id)).scalars()
    )
    return counts


def assert_clean(response, where: str) -> None:
    assert response.status_code < 500, where
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and 'File "' not in body, where


@pytest.fixture
def tracked(make_app):
    th = pytest.importorskip("tests.tracking_helpers")
    private, public = th.keypair()
    app = make_app(
        SENDGRID_WEBHOOK_PUBLIC_KEY=public,
        INBOUND_SECRET=th.INBOUND_SECRET,
        INBOUND_DOMAIN=th.INBOUND_DOMAIN,
    )
    with app.app_context():
        from campaign.seed import seed_demo

        seed_demo()
        letters = th.send_letters(th.reps_of("DE")[:2])
        yield app, th, private, letters


def test_events_webhook_fuzz(tracked):
    app, th, private, letters = tracked
    if not any(r.rule == "/webhooks/sendgrid/events" for r in app.url_map.iter_rules()):
        pytest.skip("no event webhook in this build")
    client = app.test_client()
    ids = [str(letter.id) for letter in letters]

    @FUZZ
    @given(
        body=st.one_of(
            st.lists(EVENT, max_size=5).map(lambda items: json.dumps(items).encode()),
            st.lists(
                EVENT.map(lambda e: {**e, "letter_id": e.get("letter_id", ids[0])}),
                min_size=1,
                max_size=3,
            ).map(lambda items: json.dumps(items).encode()),
            JSON.map(lambda v: json.dumps(v).encode()),
            st.binary(max_size=500),
        ),
        signing=st.sampled_from(["good", "good", "none", "bad", "stale", "garbage"]),
    )
    def run(body, signing):
        now = str(int(time.time()))
        headers = {"X-Twilio-Email-Event-Webhook-Timestamp": now}
        if signing == "good":
            headers["X-Twilio-Email-Event-Webhook-Signature"] = th.sign(private, now, body)
        elif signing == "bad":
            headers["X-Twilio-Email-Event-Webhook-Signature"] = th.sign(private, now, body + b" ")
        elif signing == "stale":
            old = str(int(time.time()) - 3600)
            headers = {
                "X-Twilio-Email-Event-Webhook-Timestamp": old,
                "X-Twilio-Email-Event-Webhook-Signature": th.sign(private, old, body),
            }
        elif signing == "garbage":
            headers["X-Twilio-Email-Event-Webhook-Signature"] = "!!not base64!!"
        before = rows()
        response = client.post(
            "/webhooks/sendgrid/events", data=body, headers=headers, content_type="application/json"
        )
        assert_clean(response, f"{signing} {body[:80]!r}")
        if signing != "good":
            assert response.status_code == 403
        assert response.status_code in (200, 400, 403, 413)
        if response.status_code >= 400:
            assert rows() == before

    run()


def test_inbound_webhook_fuzz(tracked):
    app, th, _private, letters = tracked
    if not any(r.rule.startswith("/webhooks/sendgrid/inbound/") for r in app.url_map.iter_rules()):
        pytest.skip("no inbound webhook in this build")
    from campaign.delivery.reply_tokens import reply_address

    client = app.test_client()
    address = reply_address(letters[0].id)
    header_value = (
        st.sampled_from(
            [address, "reply+forged@" + th.INBOUND_DOMAIN, "", "\r\nBcc: x@example.org"]
        )
        | TEXT
    )

    @st.composite
    def raw_messages(draw):
        headers = draw(
            st.dictionaries(
                st.sampled_from(
                    [
                        "From",
                        "To",
                        "Cc",
                        "Subject",
                        "In-Reply-To",
                        "References",
                        "Content-Type",
                        "Message-ID",
                        "Auto-Submitted",
                    ]
                ),
                header_value,
                max_size=6,
            )
        )
        body = draw(
            TEXT | st.sampled_from(["<p>hi</p><script>x</script>", "=?utf-8?q?broken", "\x00\x01"])
        )
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return (head + "\r\n" + body).encode("utf-8", "surrogateescape")

    @FUZZ
    @given(
        fields=st.lists(
            st.tuples(
                st.sampled_from(
                    [
                        "email",
                        "to",
                        "from",
                        "envelope",
                        "subject",
                        "text",
                        "html",
                        "headers",
                        "charsets",
                        "attachments",
                        "attachment-info",
                    ]
                )
                | TEXT,
                st.binary(max_size=300) | raw_messages() | TEXT.map(str.encode),
            ),
            max_size=8,
        ),
        secret=st.sampled_from(["good", "good", "good", "bad"]),
        shape=st.sampled_from(["multipart", "urlencoded", "raw"]),
    )
    def run(fields, secret, shape):
        url = th.inbound_url() if secret == "good" else th.inbound_url("wrong-" + th.INBOUND_SECRET)
        if shape == "multipart":
            clean = [
                (name.replace('"', "").replace("\r", "").replace("\n", ""), value)
                for name, value in fields
            ]
            body, ctype = th.multipart(clean)
        elif shape == "urlencoded":
            from urllib.parse import urlencode

            body, ctype = (
                urlencode([(n, v) for n, v in fields]).encode(),
                "application/x-www-form-urlencoded",
            )
        else:
            body, ctype = b"".join(v for _, v in fields), "application/octet-stream"
        before = rows()
        response = client.post(url, data=body, content_type=ctype)
        assert_clean(response, f"{shape} {fields!r:.200}")
        if secret == "bad":
            assert response.status_code == 404
        if response.status_code >= 400:
            assert rows() == before

    run()


@pytest.mark.parametrize("letter_id", ["2147483648", "99999999999999999", "0", "-1", "١٢"])
def test_an_event_naming_an_id_no_row_can_have_is_taken_and_ignored(tracked, letter_id):
    # A number wider than the database's integer once failed the whole batch (500).
    app, th, private, letters = tracked
    body = json.dumps(
        [
            {"event": "delivered", "letter_id": letter_id, "timestamp": int(time.time())},
            {"event": "delivered", "letter_id": str(letters[0].id), "timestamp": int(time.time())},
        ]
    ).encode()
    now = str(int(time.time()))
    headers = {
        "X-Twilio-Email-Event-Webhook-Timestamp": now,
        "X-Twilio-Email-Event-Webhook-Signature": th.sign(private, now, body),
    }
    response = app.test_client().post(
        "/webhooks/sendgrid/events", data=body, headers=headers, content_type="application/json"
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Letter, letters[0].id).state == "delivered"
