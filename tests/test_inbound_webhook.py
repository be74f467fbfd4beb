"""SendGrid Inbound Parse: real replies, out-of-office notices and bounces, in both
modes, addressed to real letters' reply addresses; what is stored, classified,
forwarded and reported."""

from __future__ import annotations

import base64
import json

import pytest

from campaign.core.extensions import db
from campaign.delivery.reply_tokens import letter_ids_in, make_token, read_token, reply_address
from campaign.models import AddressFlag, Campaign, Letter, Reply
from campaign.tracking import reply_forwarding, reply_inbox, reports

from . import flow
from . import tracking_helpers as th
from .test_auth import login, make_user

HUMAN = [
    "talon_apple_mail.eml",
    "talon_gmail.eml",
    "talon_outlook.eml",
    "talon_thunderbird.eml",
    "zammad_mail005.box",
]
AUTOMATIC = ["sis_rfc3834-01.eml", "sis_rfc3834-02.eml", "sis_rfc3834-03.eml", "dsbp_autoreply.msg"]
HARD_BOUNCES = ["sis_lhost-postfix-01.eml", "sis_lhost-gmail-01.eml"]
SOFT_BOUNCES = [
    "dsbp_quota.msg",
    "flufl_dsn_05.txt",
    "flanker_mailbox-full.eml",
    "cpython_msg_16.txt",
]
MODES = {"raw": th.raw_mode, "parsed": th.parsed_mode}


@pytest.fixture
def tracked(make_app):
    app = make_app(INBOUND_DOMAIN=th.INBOUND_DOMAIN, INBOUND_SECRET=th.INBOUND_SECRET)
    with app.app_context():
        from campaign.seed import seed_demo

        seed_demo()
        yield app


def _replies(**filters) -> list[Reply]:
    return list(
        db.session.execute(db.select(Reply).filter_by(**filters).order_by(Reply.id)).scalars()
    )


def _deliver(client, name: str, mode: str, letter: Letter):
    response = th.post_inbound(client, MODES[mode](th.mail(name), [th.address_of(letter)]))
    assert response.status_code == 200, (name, mode, response.get_data(as_text=True))
    return response


def test_reply_tokens_are_short_signed_and_survive_lower_or_upper_case(tracked):
    token = make_token(123456)
    address = reply_address(123456)
    assert address == f"reply+{token}@{th.INBOUND_DOMAIN}"
    assert len(address.split("@")[0]) <= 64 and token == token.lower()
    assert read_token(token) == read_token(token.upper()) == 123456
    forged = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert read_token(forged) is None
    assert read_token(make_token(1)[:5] + token[5:]) is None  # another id, this MAC
    assert "123456" not in token
    # L2: the id cannot be read from the token (it was its first 5 bytes in clear).
    raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
    assert (123456).to_bytes(5, "big") not in raw and (123456).to_bytes(3, "big") not in raw
    assert make_token(123456) == token  # one reply address per letter


def test_reply_addresses_of_letters_sent_before_the_change_still_match(tracked):
    import hashlib
    import hmac

    key = hmac.new(
        tracked.config["SECRET_KEY"].encode(), b"campaign reply address", hashlib.sha256
    ).digest()
    ident = (4242).to_bytes(5, "big")
    legacy = base64.b32encode(ident + hmac.new(key, ident, hashlib.sha256).digest()[:10])
    legacy = legacy.decode().lower()
    assert len(legacy) == 24 and read_token(legacy) == 4242
    assert letter_ids_in([f"reply+{legacy}@{th.INBOUND_DOMAIN}"]) == [4242]


def test_real_human_replies_in_both_modes_are_stored_forwarded_and_counted(tracked):
    client = tracked.test_client()
    reps = th.all_reps()
    cases = [(name, mode) for name in HUMAN for mode in MODES]
    letters = th.send_letters(reps[: len(cases)], email="maryja@example.org")
    rep_ids = [letter.representative_id for letter in letters]
    for (name, mode), letter in zip(cases, letters, strict=True):
        _deliver(client, name, mode, letter)
        (reply,) = _replies(letter_id=letter.id)
        assert (reply.kind, reply.classified_kind, reply.matched_by) == (
            "human",
            "human",
            "envelope",
        )
        assert reply.own_text.startswith(("Hello", "Hallo Martin")), (name, mode, reply.own_text)
        assert "wrote:" not in reply.own_text and "schrieb" not in reply.own_text
        assert reply.from_addr and reply.subject is not None
        assert reply.forward_status == "pending"
        if mode == "raw":
            assert reply.raw == th.mail(name)
        assert th.state_of(letter.id) == "replied"

    th.drain()
    forwarded = th.outbox(tracked)
    assert len(forwarded) == len(cases)  # each human reply once, to its supporter only
    for message in forwarded:
        assert [a.addr_spec for a in message["To"].addresses] == ["maryja@example.org"]
        assert message["From"].addresses[0].addr_spec == "letters@campaign.example.org"
        assert message["Subject"].strip().startswith("Reply from ")
    stored = _replies()
    assert all(r.forward_status == "sent" and r.forwarded_at is not None for r in stored)
    # The conversation goes on between them: each forward answers to the reply's sender.
    assert {m["Reply-To"].addresses[0].addr_spec for m in forwarded} == {
        r.from_addr for r in stored
    }
    for message in forwarded:
        assert "Hello" in message.get_body(preferencelist=("plain",)).get_content()

    # Forwarding runs once however often the job is asked to run.
    for reply in _replies():
        assert reply_forwarding.forward_reply(reply.id) == "skipped"

    rows = {row.ident: row for row in reports.responses("representative")}
    for rep_id in rep_ids:
        counts = rows[rep_id].counts
        assert counts["replied"] == counts["replied_captured"] == 1
        assert rows[rep_id].median_days_to_reply is not None


def test_real_automatic_replies_change_nothing_and_are_not_forwarded(tracked):
    client = tracked.test_client()
    cases = [(name, mode) for name in AUTOMATIC for mode in MODES]
    letters = th.send_letters(th.all_reps()[: len(cases)])
    for (name, mode), letter in zip(cases, letters, strict=True):
        _deliver(client, name, mode, letter)
        (reply,) = _replies(letter_id=letter.id)
        assert reply.kind == "automatic", (name, mode, reply.classification_reason)
        assert reply.forward_status == ""
        assert th.state_of(letter.id) == "sent"
    th.drain()
    assert th.outbox(tracked) == []
    rows = reports.responses("representative")
    assert sum(r.counts["automatic"] for r in rows) == len(cases)
    assert sum(r.counts["replied"] for r in rows) == 0


def test_real_bounces_hard_ones_bounce_the_letter_and_flag_the_address(tracked):
    client = tracked.test_client()
    cases = [(name, mode) for name in HARD_BOUNCES + SOFT_BOUNCES for mode in MODES]
    letters = th.send_letters(th.all_reps()[: len(cases)])
    for (name, mode), letter in zip(cases, letters, strict=True):
        _deliver(client, name, mode, letter)
        (reply,) = _replies(letter_id=letter.id)
        assert reply.kind == "bounce", (name, mode, reply.classification_reason)
        hard = name in HARD_BOUNCES
        assert reply.bounce == ("hard" if hard else "soft"), (
            name,
            mode,
            reply.classification_reason,
        )
        assert th.state_of(letter.id) == ("bounced" if hard else "sent"), (name, mode)
        flag = db.session.execute(
            db.select(AddressFlag).filter_by(representative_id=letter.representative_id)
        ).scalar_one_or_none()
        assert (flag is not None) == hard, (name, mode)
        if hard:
            assert flag.source == "reply" and flag.email == letter.representative.email.lower()
    th.drain()
    assert th.outbox(tracked) == []
    assert sum(r.counts["bounced"] for r in reports.responses("representative")) == 2 * len(
        HARD_BOUNCES
    )


@pytest.mark.parametrize("line_ending", ["lf", "crlf"])
def test_sendgrids_own_inbound_parse_samples_are_kept_unmatched(tracked, line_ending):
    client = tracked.test_client()
    for name in ("sg_default_data.txt", "sg_raw_data.txt", "sg_raw_data_with_attachments.txt"):
        body = th.mail(name)
        if line_ending == "crlf":
            body = body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        response = client.post(
            th.inbound_url(), data=body, content_type="multipart/form-data; boundary=xYzZY"
        )
        assert response.status_code == 200, name
    stored = _replies()
    assert [r.kind for r in stored] == ["human", "human", "human"]
    assert all(r.letter_id is None and r.matched_by == "" for r in stored)
    assert stored[0].own_text.strip() == "Hello Twilio SendGrid!"
    assert stored[1].raw.startswith(b"MIME-Version: 1.0")
    assert "Hello Twilio SendGrid!" in stored[2].text


def test_an_empty_or_unreadable_post_is_kept_never_refused(tracked):
    client = tracked.test_client()
    empty = client.post(
        th.inbound_url(),
        data=th.mail("sg_default_data_with_attachments.txt"),
        content_type="multipart/form-data; boundary=xYzZY",
    )
    assert empty.status_code == 200
    garbage = client.post(th.inbound_url(), data=b"\x00\xffnot a form", content_type="text/plain")
    assert garbage.status_code == 200
    broken = client.post(
        th.inbound_url(), data=b"--b\r\nno end", content_type="multipart/form-data; boundary=b"
    )
    assert broken.status_code == 200
    stored = _replies()
    assert len(stored) == 3
    assert all(r.kind is None and r.letter_id is None and r.parse_error for r in stored)
    assert stored[1].raw == b"\x00\xffnot a form"
    rows = reply_inbox.inbox_rows(reply_inbox.InboxFilters(matched="unmatched"))
    assert {row["letter_id"] for row in rows} == {""}


def test_matching_falls_back_to_to_cc_then_in_reply_to_then_references(tracked):
    client = tracked.test_client()
    by_to, by_cc, by_irt, by_refs, by_sendgrid_id = th.send_letters(th.all_reps()[:5])
    by_sendgrid_id.provider_message_id = "Gm8nTJYrRqy9M4Z7Q1Cjzg"  # an X-Message-Id
    db.session.commit()
    human = th.mail("talon_apple_mail.eml").replace(b"\r\n", b"\n")
    head, rest = human.split(b"\n\n", 1)

    def with_headers(*extra: str) -> bytes:
        return head + b"\n" + "\n".join(extra).encode() + b"\n\n" + rest

    elsewhere = ["inbox@" + th.INBOUND_DOMAIN]
    posts = [
        (with_headers(f"Cc: Nobody <x@example.org>, {th.address_of(by_to).upper()}"), by_to, "cc"),
        (with_headers(f"Cc: {th.address_of(by_cc)}"), by_cc, "cc"),
        (with_headers(f"In-Reply-To: <{by_irt.provider_message_id}>"), by_irt, "in_reply_to"),
        (
            with_headers(f"References: <a@b.example> <{by_refs.provider_message_id}>"),
            by_refs,
            "references",
        ),
        (
            with_headers("In-Reply-To: <Gm8nTJYrRqy9M4Z7Q1Cjzg@geopod-ismtpd-1>"),
            by_sendgrid_id,
            "in_reply_to",
        ),
    ]
    for raw, letter, how in posts:
        assert th.post_inbound(client, th.raw_mode(raw, elsewhere)).status_code == 200
        (reply,) = _replies(letter_id=letter.id)
        assert reply.matched_by == how
    # A forged token names no letter: the reply waits in the staff inbox.
    forged = (
        th.address_of(by_to).replace("reply+", "reply+a", 1)[: -len(th.INBOUND_DOMAIN) - 2]
        + "@"
        + th.INBOUND_DOMAIN
    )
    th.post_inbound(client, th.raw_mode(th.mail("talon_gmail.eml"), [forged]))
    assert _replies(letter_id=None)[0].matched_by == ""


def test_the_same_delivery_twice_is_stored_once(tracked):
    client = tracked.test_client()
    (letter,) = th.send_letters(th.all_reps()[:1])
    post = th.raw_mode(th.mail("talon_gmail.eml"), [th.address_of(letter)])
    assert th.post_inbound(client, post).get_json() == {"stored": 1, "duplicates": 0}
    assert th.post_inbound(client, post).get_json() == {"stored": 0, "duplicates": 1}
    assert len(_replies()) == 1
    th.drain()
    assert len(th.outbox(tracked)) == 1


def test_wrong_or_missing_secret_is_not_found(tracked, make_app):
    client = tracked.test_client()
    post = th.raw_mode(th.mail("talon_gmail.eml"), ["x@example.org"])
    assert th.post_inbound(client, post, secret="wrong-secret-" + "x" * 20).status_code == 404
    without = make_app()  # no INBOUND_SECRET: the route does not exist
    with without.app_context():
        assert th.post_inbound(without.test_client(), post, secret="x").status_code == 404
    assert _replies() == []


def test_database_down_answers_503_so_sendgrid_retries(make_app):
    app = make_app(
        INBOUND_SECRET=th.INBOUND_SECRET,
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none",
    )
    with app.app_context():
        post = th.raw_mode(th.mail("talon_gmail.eml"), ["x@example.org"])
        assert th.post_inbound(app.test_client(), post).status_code == 503


def test_a_large_message_is_accepted(tracked):
    (letter,) = th.send_letters(th.all_reps()[:1])
    big = th.mail("talon_gmail.eml").replace(
        b"Hello", b"Hello\n" + b"long line of text " * 200_000, 1
    )
    assert len(big) > 3_000_000
    response = th.post_inbound(tracked.test_client(), th.raw_mode(big, [th.address_of(letter)]))
    assert response.status_code == 200
    (reply,) = _replies(letter_id=letter.id)
    assert reply.raw == big


def test_a_message_with_nul_characters_is_stored(tracked):
    (letter,) = th.send_letters(th.all_reps()[:1])
    odd = th.mail("talon_gmail.eml").replace(b"Hello", b"Hel\x00lo", 1)
    response = th.post_inbound(tracked.test_client(), th.parsed_mode(odd, [th.address_of(letter)]))
    assert response.status_code == 200
    (reply,) = _replies(letter_id=letter.id)
    assert "\x00" not in reply.text and reply.kind == "human"


def test_through_the_whole_flow_replies_reach_the_supporter(tracked):
    """A letter sent through the real flow asks for replies at its own address; a
    reply to it there is forwarded to the supporter, answering to the representative."""
    client = tracked.test_client()
    rep = flow.representatives_of("IE")[0]
    rep_email = rep.email
    flow.submit(client, "IE", [rep.id], flow.Details(email="aoife.supporter@example.org"))
    th.drain()
    flow.confirm(client, flow.confirmation_link(th.outbox(tracked)[0]))
    th.drain()
    letter = db.session.execute(db.select(Letter)).scalar_one()
    sent = [m for m in th.outbox(tracked) if m["X-Campaign-Letter-Id"]]
    (message,) = sent
    reply_to = message["Reply-To"].addresses[0].addr_spec
    assert reply_to == reply_address(letter.id)
    assert "aoife" not in reply_to

    letter_id = letter.id
    answer = th.mail("talon_gmail.eml").replace(b"bob@example.com", rep_email.encode())
    assert th.post_inbound(client, th.parsed_mode(answer, [reply_to.upper()])).status_code == 200
    th.drain()
    forward = th.outbox(tracked)[-1]
    assert [a.addr_spec for a in forward["To"].addresses] == ["aoife.supporter@example.org"]
    assert th.state_of(letter_id) == "replied"
    (reply,) = _replies(letter_id=letter_id)
    assert forward["Reply-To"].addresses[0].addr_spec == reply.from_addr


def test_staff_correct_kinds_record_stances_and_match_by_hand(tracked):
    client = tracked.test_client()
    auto_letter, unmatched_letter = th.send_letters(th.all_reps()[:2])
    auto_rep_id, unmatched_letter_id = auto_letter.representative_id, unmatched_letter.id
    th.post_inbound(
        client, th.raw_mode(th.mail("sis_rfc3834-01.eml"), [th.address_of(auto_letter)])
    )
    th.post_inbound(client, th.parsed_mode(th.mail("talon_outlook.eml"), ["inbox@example.org"]))
    auto, stray = _replies()
    make_user("staff@example.org", "staff")
    login(client, "staff@example.org")
    page = client.get(f"/staff/replies/{auto.id}").get_data(as_text=True)
    token = flow.csrf_token(page)

    # An out-of-office that was in fact written by a person: corrected, it counts and is forwarded.
    client.post(
        f"/staff/replies/{auto.id}", data={"csrf_token": token, "action": "kind", "kind": "human"}
    )
    client.post(
        f"/staff/replies/{auto.id}",
        data={"csrf_token": token, "action": "stance", "stance": "supportive"},
    )
    db.session.expire_all()
    auto = db.session.get(Reply, auto.id)
    assert (auto.kind, auto.classified_kind, auto.stance) == ("human", "automatic", "supportive")
    assert th.state_of(auto_letter.id) == "replied" and auto.forward_status == "pending"

    # The unmatched one is matched by hand.
    client.post(
        f"/staff/replies/{stray.id}",
        data={"csrf_token": token, "action": "assign", "letter_id": unmatched_letter.id},
    )
    db.session.expire_all()
    stray = db.session.get(Reply, stray.id)
    assert stray.letter_id == unmatched_letter.id and stray.matched_by == "staff"
    assert th.state_of(unmatched_letter.id) == "replied"

    auto_id, stray_id = auto.id, stray.id
    th.drain()
    assert len(th.outbox(tracked)) == 2
    row = {r.ident: r for r in reports.responses("representative")}[auto_rep_id]
    assert row.counts["supportive"] == 1 and row.counts["replied_captured"] == 1

    # The inbox and its filters, as a page and as CSV.
    inbox = client.get("/staff/replies?kind=human&stance=supportive").get_data(as_text=True)
    assert f"/staff/replies/{auto_id}" in inbox and f"/staff/replies/{stray_id}" not in inbox
    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    csv_text = client.get(
        f"/staff/replies?format=csv&matched=matched&campaign={campaign.id}"
    ).get_data(as_text=True)
    header, *lines = csv_text.strip().splitlines()
    assert header.startswith("received_at,reply_id,letter_id,classification")
    assert len(lines) == 2
    assert client.get(f"/staff/replies/{stray_id}").status_code == 200
    assert client.get(f"/staff/letters/{unmatched_letter_id}").status_code == 200


def test_replies_list_command(tracked):
    (letter,) = th.send_letters(th.all_reps()[:1])
    client = tracked.test_client()
    th.post_inbound(client, th.raw_mode(th.mail("talon_gmail.eml"), [th.address_of(letter)]))
    th.post_inbound(client, th.raw_mode(th.mail("sis_rfc3834-02.eml"), ["nobody@example.org"]))
    runner = tracked.test_cli_runner()
    result = runner.invoke(args=["replies", "list", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    columns = lines[0].split(",")
    assert columns[:4] == ["received_at", "reply_id", "letter_id", "classification"]
    rows = [dict(zip(columns, line.split(","), strict=False)) for line in lines[1:]]
    assert {(r["letter_id"], r["classification"]) for r in rows} == {
        (str(letter.id), "human"),
        ("", "automatic"),
    }
    as_json = json.loads(runner.invoke(args=["replies", "list", "--format", "json"]).output)
    assert len(as_json) == 2
    assert runner.invoke(args=["replies", "list"]).exit_code == 0
