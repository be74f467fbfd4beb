"""Careful with data: a supporter downloads or deletes their data through a signed
link; retention removes letter texts, quotations and supporters' details on time;
nothing personal reaches SendGrid's custom arguments; the form asks only for what
a letter needs; the privacy statement (docs/privacy.md) says what the code does."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from campaign.core import limits, tokens
from campaign.core.extensions import db
from campaign.core.locks import exclusive
from campaign.models import Letter, LetterEvent, LetterState, Submission, Supporter
from campaign.models.base import utcnow
from campaign.periodic import PERIODIC
from campaign.supporters import privacy, submissions

from . import flow
from .conftest import csrf_token

ROOT = Path(__file__).resolve().parents[1]


def write(client, email="maryja@example.org", country="LT", reps=2, **details):
    rep_ids = [r.id for r in flow.representatives_of(country)[:reps]]
    response = flow.submit(client, country, rep_ids, flow.Details(email=email, **details))
    assert response.status_code == 302
    return (
        db.session.execute(
            db.select(Submission)
            .join(Supporter, Submission.supporter_id == Supporter.id)
            .filter(Supporter.email == email)
            .order_by(Submission.id.desc())
        )
        .scalars()
        .first()
    )


def data_path(supporter_id: int) -> str:
    return f"/your-data/{tokens.make_token(tokens.SUPPORTER_DATA, supporter_id)}"


def outbox(app):
    return flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))


# -- download -------------------------------------------------------------------------


def test_the_data_page_shows_the_supporter_and_changes_nothing(seeded, client):
    submission = write(client)
    page = client.get(data_path(submission.supporter_id))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "maryja@example.org" in html and "Maryja Kowalska" in html and "Vilnius" in html
    # Opening the page changes nothing (mail scanners open links).
    assert db.session.get(Supporter, submission.supporter_id).anonymised_at is None


def test_download_is_a_json_of_the_supporter_and_their_letters(seeded, client):
    submission = write(client)
    submissions.confirm(submission)
    path = data_path(submission.supporter_id)
    token = csrf_token(client.get(path).get_data(as_text=True))
    assert client.get(path + "/download").status_code == 405  # only by POST
    response = client.post(path + "/download", data={"csrf_token": token})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["supporter"]["email"] == "maryja@example.org"
    assert data["supporter"]["name"] == "Maryja Kowalska" and data["supporter"]["city"] == "Vilnius"
    assert len(data["letters"]) == 2
    for letter in data["letters"]:
        assert "My cousin has been held since 2021." in letter["text"]
        assert letter["state"] == "queued"
        assert [h["state"] for h in letter["history"]] == ["awaiting_confirmation", "queued"]
        assert letter["written_at"] and letter["subject"]
    assert "203.0.113" not in response.get_data(as_text=True)


def test_forged_and_expired_data_links(seeded, client, monkeypatch):
    submission = write(client)
    assert client.get("/your-data/forged-token").status_code == 404
    other_purpose = tokens.make_token(tokens.STATUS, submission.supporter_id)
    assert client.get(f"/your-data/{other_purpose}").status_code == 404
    path = data_path(submission.supporter_id)
    import itsdangerous.timed

    later = itsdangerous.timed.time.time() + 25 * 3600
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    assert client.get(path).status_code == 410


# -- the request form -----------------------------------------------------------------


def test_request_form_never_reveals_whether_an_address_is_known(seeded, client, drain, app):
    write(client, email="known@example.org")
    drain()
    before = len(outbox(app))

    def ask(email):
        token = csrf_token(client.get("/your-data").get_data(as_text=True))
        response = client.post("/your-data", data={"csrf_token": token, "email": email})
        page = client.get(response.headers["Location"])
        return response.status_code, response.headers["Location"], page.get_data(as_text=True)

    assert ask("KNOWN@example.org ") == ask("unknown@example.org")
    drain()
    mails = outbox(app)[before:]
    assert len(mails) == 1
    assert mails[0]["To"].addresses[0].addr_spec == "known@example.org"
    text = mails[0].get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+(/your-data/\S+)", text).group(1)
    assert client.get(link).status_code == 200


def test_the_data_request_form_is_linked_from_every_page(seeded, client):
    assert 'href="/your-data"' in client.get("/").get_data(as_text=True)


# -- deletion -------------------------------------------------------------------------


def _put(letter: Letter, state: LetterState) -> None:
    letter.state = state.value
    if state == LetterState.SENT:
        letter.sent_at = utcnow()


def test_deletion_cancels_unsent_letters_removes_texts_and_anonymises(seeded, client, drain, app):
    reps = flow.representatives_of("DE")
    assert len(reps) >= 4
    rep_ids = [r.id for r in reps[:4]]
    flow.submit(client, "DE", rep_ids, flow.Details(email="leaving@example.org", city="Köln"))
    submission = db.session.execute(db.select(Submission)).scalar_one()
    letters = sorted(submission.letters, key=lambda letter: letter.id)
    _put(letters[1], LetterState.QUEUED)
    _put(letters[2], LetterState.HELD)
    _put(letters[3], LetterState.SENT)
    submission.ip_hash, submission.network_hash = "a" * 32, "b" * 32
    db.session.commit()
    supporter_id = submission.supporter_id

    path = data_path(supporter_id)
    token = csrf_token(client.get(path).get_data(as_text=True))
    # Without the tick nothing happens.
    unsure = client.post(path + "/delete", data={"csrf_token": token})
    assert unsure.status_code == 400
    assert "Please tick this box" in unsure.get_data(as_text=True)
    assert db.session.get(Supporter, supporter_id).anonymised_at is None

    response = client.post(path + "/delete", data={"csrf_token": token, "sure": "y"})
    assert response.status_code == 200
    assert "Your data has been deleted" in response.get_data(as_text=True)
    db.session.expire_all()
    supporter = db.session.get(Supporter, supporter_id)
    assert supporter.anonymised_at is not None
    assert supporter.name == "" and supporter.city == ""
    assert "leaving" not in supporter.email and supporter.email.endswith("@anonymised.invalid")
    states = [db.session.get(Letter, letter.id).state for letter in letters]
    assert states == ["cancelled", "cancelled", "cancelled", "sent"]
    for letter in letters:
        letter = db.session.get(Letter, letter.id)
        assert letter.body == "" and letter.subject == "" and letter.text_removed_at is not None
    submission = db.session.get(Submission, submission.id)
    assert submission.ip_hash is None and submission.network_hash is None
    # Nothing that was cancelled is ever sent.
    drain()
    assert not [m for m in outbox(app) if m["X-Campaign-Letter-Id"]]
    # The link now says the data is gone; the address can write again as a new supporter.
    assert "Your data has been deleted" in client.get(path).get_data(as_text=True)
    assert privacy.find_supporter("leaving@example.org") is None


def test_deletion_waits_while_a_letter_is_being_sent(seeded, client):
    submission = write(client, reps=1)
    letter = submission.letters[0]
    _put(letter, LetterState.SENDING)
    db.session.commit()
    path = data_path(submission.supporter_id)
    token = csrf_token(client.get(path).get_data(as_text=True))
    response = client.post(path + "/delete", data={"csrf_token": token, "sure": "y"})
    assert response.status_code == 409
    assert "being sent right now" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Supporter, submission.supporter_id).anonymised_at is None
    assert db.session.get(Letter, letter.id).body


def test_deletion_clears_the_quoted_part_of_replies(seeded, client):
    from campaign.models.tracking import Reply

    submission = write(client, reps=1)
    letter = submission.letters[0]
    _put(letter, LetterState.SENT)
    reply = Reply(
        letter_id=letter.id,
        text="Thank you.\n\n> " + letter.body.replace("\n", "\n> "),
        own_text="Thank you.",
        html="<p>Thank you.</p><blockquote>" + letter.body + "</blockquote>",
        raw=b"From: office@example.org\r\n\r\nThank you.\r\n> quoted",
        dedupe_key="reply-1",
        kind="human",
        forward_status="pending",
    )
    db.session.add(reply)
    db.session.commit()
    privacy.erase_supporter(db.session.get(Supporter, submission.supporter_id))
    db.session.expire_all()
    reply = db.session.get(Reply, reply.id)
    assert reply.text == "Thank you." and reply.html == "" and reply.raw == b""
    assert reply.forward_status == "skipped"


# -- retention ------------------------------------------------------------------------


def _finished(letter: Letter, state: LetterState, days_ago: float) -> None:
    at = utcnow() - timedelta(days=days_ago)
    _put(letter, state)
    letter.events.append(
        LetterEvent(from_state="sending", to_state=state.value, cause="test", created_at=at)
    )


def test_retention_is_scheduled_with_the_documented_defaults(app):
    for name in ("remove_old_letter_texts", "anonymise_inactive_supporters", "clear_old_ip_hashes"):
        assert name in PERIODIC
    assert app.config["RETENTION_LETTER_DAYS"] == 28
    assert app.config["RETENTION_SUPPORTER_WEEKS"] == 104
    assert app.config["IP_HASH_RETENTION_HOURS"] == 48


def test_letter_texts_go_28_days_after_the_letter_finished(seeded, client):
    from campaign.models.tracking import Reply

    flow.submit(client, "DE", [r.id for r in flow.representatives_of("DE")[:4]], flow.Details())
    old_sent, young_sent, old_failed, old_queued = sorted(
        db.session.execute(db.select(Letter)).scalars(), key=lambda letter: letter.id
    )
    _finished(old_sent, LetterState.SENT, 29)
    _finished(young_sent, LetterState.SENT, 27)
    _finished(old_failed, LetterState.FAILED, 40)
    _put(old_queued, LetterState.QUEUED)
    old_queued.created_at = utcnow() - timedelta(days=60)
    db.session.add(
        Reply(
            letter_id=old_sent.id,
            text="Noted.\n> quoted letter",
            own_text="Noted.",
            html="<p>Noted.</p><blockquote>quoted letter</blockquote>",
            raw=b"raw",
            dedupe_key="r-old",
            kind="human",
        )
    )
    db.session.commit()

    assert privacy.remove_old_letter_texts() == 2
    db.session.expire_all()
    assert (
        db.session.get(Letter, old_sent.id).body == ""
        and db.session.get(Letter, old_failed.id).body == ""
    )
    assert db.session.get(Letter, young_sent.id).body and db.session.get(Letter, old_queued.id).body
    reply = db.session.execute(db.select(Reply)).scalar_one()
    assert reply.text == "Noted." and "quoted" not in reply.html and reply.raw == b""
    # What the reports count stays: every letter, its state and history.
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 4
    assert db.session.get(Letter, old_sent.id).state == "sent"
    assert privacy.remove_old_letter_texts() == 0  # nothing twice


def test_supporters_are_anonymised_104_weeks_after_their_last_activity(seeded, client):
    idle = write(client, email="idle@example.org", reps=1)
    busy = write(client, email="busy@example.org", country="IE", reps=1)
    recent = write(client, email="recent@example.org", country="PL", reps=1)
    for submission, state in (
        (idle, LetterState.SENT),
        (busy, LetterState.QUEUED),
        (recent, LetterState.SENT),
    ):
        _put(submission.letters[0], state)
    long_ago = utcnow() - timedelta(weeks=105)
    idle.supporter.last_activity_at = long_ago
    busy.supporter.last_activity_at = long_ago  # a letter still on its way: not yet
    recent.supporter.last_activity_at = utcnow() - timedelta(weeks=103)
    db.session.commit()
    assert privacy.anonymise_inactive_supporters() == 1
    db.session.expire_all()
    assert db.session.get(Supporter, idle.supporter_id).anonymised_at is not None
    assert db.session.get(Supporter, idle.supporter_id).email.endswith("@anonymised.invalid")
    assert db.session.get(Letter, idle.letters[0].id).body == ""
    assert db.session.get(Supporter, busy.supporter_id).anonymised_at is None
    assert db.session.get(Supporter, recent.supporter_id).anonymised_at is None


def test_client_address_hashes_are_forgotten_after_48_hours(make_app):
    app = make_app()
    with app.app_context():
        from campaign.seed import seed_demo

        seed_demo()
        client = app.test_client()
        old = write(client, email="old@example.org", reps=1)
        new = write(client, email="new@example.org", country="IE", reps=1)
        assert old.ip_hash == limits.ip_hash("127.0.0.1")
        old.created_at = utcnow() - timedelta(hours=49)
        db.session.commit()
        assert privacy.clear_old_ip_hashes() == 1
        db.session.expire_all()
        assert db.session.get(Submission, old.id).ip_hash is None
        assert db.session.get(Submission, old.id).network_hash is None
        assert db.session.get(Submission, new.id).ip_hash is not None


def test_retention_runs_in_one_process_at_a_time(seeded, client):
    submission = write(client, reps=1)
    _finished(submission.letters[0], LetterState.SENT, 60)
    db.session.commit()
    with exclusive("retention-letters") as mine:
        assert mine
        assert privacy.remove_old_letter_texts() == 0  # another process holds the lock
    assert privacy.remove_old_letter_texts() == 1


# -- what goes to SendGrid ------------------------------------------------------------


def test_sendgrid_gets_no_tracking_and_no_personal_data_in_custom_args(seeded, client):
    from campaign.core.mail.sendgrid_backend import build_payload
    from campaign.delivery.delivery import letter_message

    submission = write(client, email="quiet@example.org", reps=1)
    letter = submission.letters[0]
    payload = build_payload(letter_message(letter))
    tracking = payload["tracking_settings"]
    assert tracking["click_tracking"]["enable"] is False
    assert tracking["open_tracking"]["enable"] is False
    assert tracking["subscription_tracking"]["enable"] is False
    custom = payload.get("custom_args") or {}
    for personalization in payload.get("personalizations", []):
        custom.update(personalization.get("custom_args") or {})
    assert custom == {"letter_id": str(letter.id)}
    assert "categories" not in payload
    from campaign.supporters.notifications import confirmation_message

    confirmation = build_payload(confirmation_message(submission, False))
    assert not confirmation.get("custom_args") and "categories" not in confirmation
    data_link = build_payload(privacy.data_link_message(submission.supporter))
    assert not data_link.get("custom_args") and "categories" not in data_link


# -- the form -------------------------------------------------------------------------


def test_the_form_asks_only_what_a_letter_needs_and_warns_of_public_records(seeded, client):
    from .htmlforms import forms_in

    rep = flow.representatives_of("IE")[0]
    html = flow.letters_page(client, "IE", [rep.id]).get_data(as_text=True)
    assert "Letters to public bodies can become public records in some countries." in html
    (form,) = [f for f in forms_in(html) if f.method == "post"]
    names = {f.name for f in form.fields}
    assert names == {
        "csrf_token",
        "representatives",
        "personal_paragraph",
        "name",
        "email",
        "city",
        # Where the supporter lives, so that letters claim only that; the name in
        # Latin letters for Latin-script letters; a copy only if ticked.
        "residence",
        "constituency",
        "name_latin",
        "copy",
        "consent",
        "website",
        "preview",
        "send",
        # Not about the supporter: the template versions the preview showed, so that
        # what is sent is what was read.
        "previewed_versions",
    }
    assert "City or postcode (optional)" in html
    details = flow.Details(city="")
    assert flow.submit(client, "IE", [rep.id], details).status_code == 302


def test_city_is_required_only_where_an_office_asks_for_it(seeded, client):
    rep = flow.representatives_of("IE")[0]
    rep.body.requires_city = True
    db.session.commit()
    html = flow.letters_page(client, "IE", [rep.id]).get_data(as_text=True)
    assert "The office you write to asks for it." in html
    refused = flow.submit(client, "IE", [rep.id], flow.Details(city=""))
    assert refused.status_code == 200
    assert "asks for your city or postcode" in refused.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 0
    assert flow.submit(client, "IE", [rep.id], flow.Details(city="D02")).status_code == 302


# -- the privacy statement -------------------------------------------------------------


def _privacy_section() -> str:
    return (ROOT / "docs" / "privacy.md").read_text(encoding="utf-8")


def test_privacy_statement_matches_the_code(app):
    section = _privacy_section()
    config = app.config
    assert f"{config['RETENTION_LETTER_DAYS']} days" in section
    assert f"{config['RETENTION_SUPPORTER_WEEKS']} weeks" in section
    assert f"{config['IP_HASH_RETENTION_HOURS']} hours" in section
    assert f"{config['DATA_LINK_MAX_AGE_HOURS']} hours" in section
    for setting in (
        "RETENTION_LETTER_DAYS",
        "RETENTION_SUPPORTER_WEEKS",
        "IP_HASH_RETENTION_HOURS",
        "IP_HASH_KEY",
        "ABUSE_LIMITS_FACTOR",
        "HOLD_ADDRESSES_PER_IP",
        "HOLD_NETWORK_BURST",
        "TRUSTED_PROXY_COUNT",
    ):
        assert f"`{setting}`" in section, setting
    for name, (per_client, per_key) in limits.DEFAULT_LIMITS.items():
        row = next((line for line in section.splitlines() if line.startswith(f"| {name} ")), None)
        assert row, f"no row for the {name} limits"
        assert per_client in row and per_key in row, row
    hold = (
        f"more than {config['HOLD_ADDRESSES_PER_IP']} email addresses from one client address "
        f"within {config['HOLD_ADDRESSES_WINDOW_HOURS']} hours"
    )
    assert hold in section
    burst = (
        f"more than {config['HOLD_NETWORK_BURST']} submissions from one network "
        f"(/24 IPv4, /48 IPv6) within {config['HOLD_NETWORK_BURST_MINUTES']} minutes"
    )
    assert burst in section
    assert "HMAC-SHA256" in section and "open and click tracking" in section


def test_every_state_is_either_finished_or_still_on_its_way():
    on_the_way = set(privacy.UNSENT) | {LetterState.SENDING}
    assert set(privacy.FINISHED) | on_the_way == set(LetterState)
    assert not set(privacy.FINISHED) & on_the_way
