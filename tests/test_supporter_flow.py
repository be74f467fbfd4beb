"""The whole supporter flow: choose, preview, submit, confirm, send; checked at
the outbox and at the loopback SendGrid server, field by field."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaign.core.extensions import db
from campaign.models import Letter, Submission, Supporter

from . import flow
from .delivery_support import drain_jobs


def states() -> list[str]:
    return [
        letter.state
        for letter in db.session.execute(db.select(Letter).order_by(Letter.id)).scalars()
    ]


def test_landing_page_states_the_appeal_with_campaign_figures(seeded, client):
    from campaign.models import Campaign

    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    campaign.imprisoned = 1187
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "1,187" in html  # figures come from the campaign, not the template
    assert "March 2025" in html
    assert 'name="country"' in html


def test_country_page_groups_by_body_and_filters(seeded, client):
    html = client.get("/write/DE").get_data(as_text=True)
    assert "Bundestag (demo)" in html and "European Parliament" in html
    assert "Anna Beispiel" in html and "Marie Beispielfrau" in html
    filtered = client.get("/write/DE?q=partei+b").get_data(as_text=True)
    assert "Jonas Muster" in filtered and "Anna Beispiel" not in filtered
    assert client.get("/write/XX").status_code == 404


def test_preview_shows_each_letter_in_the_recipients_language(seeded, client):
    reps = flow.representatives_of("DE")
    page = flow.letters_page(client, "DE", [r.id for r in reps[:2]])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('class="letter"') == 2
    assert 'lang="de"' in html
    assert reps[0].name in html


def test_preview_renders_the_supporters_details_before_sending(seeded, client):
    rep = flow.representatives_of("IE")[0]
    page = flow.letters_page(client, "IE", [rep.id])
    token = flow.csrf_token(page.get_data(as_text=True))
    details = flow.Details(personal_paragraph="I met families of prisoners in Warsaw.")
    preview = client.post("/write/IE/letters", data=details.form(token, [rep.id], action="preview"))
    html = preview.get_data(as_text=True)
    assert "I met families of prisoners in Warsaw." in html
    assert details.name in html
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 0


@pytest.mark.parametrize("backend", ["outbox", "sendgrid"])
def test_whole_flow_ends_with_the_letter_sent(make_app, tmp_path, backend, request):
    overrides = {}
    sendgrid = None
    if backend == "sendgrid":
        from campaign.devtools.sendgrid_server import SendGridLoopback

        sendgrid = SendGridLoopback(api_key="SG.test-key").start()
        request.addfinalizer(sendgrid.stop)
        overrides = {
            "MAIL_BACKEND": "sendgrid",
            "SENDGRID_API_KEY": "SG.test-key",
            "SENDGRID_API_HOST": sendgrid.host,
        }
    app = make_app(**overrides)
    outbox = Path(app.config["OUTBOX_DIR"])
    with app.app_context():
        from campaign.seed import seed_demo

        seed_demo()
        client = app.test_client()
        reps = flow.representatives_of("LT")
        rep_ids = [r.id for r in reps]
        details = flow.Details(email="maryja@example.org")

        response = flow.submit(client, "LT", rep_ids, details)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/check-your-email")
        assert "maryja" not in response.headers["Location"]  # no personal data in URLs
        assert set(states()) == {"awaiting_confirmation"}

        drain_jobs()
        if backend == "outbox":
            confirmation = flow.outbox_messages(outbox)[0]
            assert confirmation["To"].addresses[0].addr_spec == "maryja@example.org"
            link = flow.confirmation_link(confirmation)
        else:
            received = sendgrid.wait_for(1)
            assert received[0].to == ["maryja@example.org"]
            link = _link_in(received[0].text)

        # Opening the link changes nothing: mail scanners open links.
        path = link.split("campaign.example.org", 1)[1]
        assert client.get(path).status_code == 200
        assert set(states()) == {"awaiting_confirmation"}

        confirmed = flow.confirm(client, link)
        assert confirmed.status_code == 302 and "/status/" in confirmed.headers["Location"]
        assert set(states()) == {"queued"}

        drain_jobs()
        assert set(states()) == {"sent"}
        status_page = client.get(confirmed.headers["Location"]).get_data(as_text=True)
        assert status_page.count("state-sent") == len(reps)

        letters = db.session.execute(db.select(Letter).order_by(Letter.id)).scalars().all()
        for letter in letters:
            assert [e.to_state for e in letter.events] == [
                "awaiting_confirmation",
                "queued",
                "sending",
                "sent",
            ]
        if backend == "outbox":
            sent = [m for m in flow.outbox_messages(outbox) if m["X-Campaign-Letter-Id"]]
            assert len(sent) == len(reps)
            by_id = {m["X-Campaign-Letter-Id"]: m for m in sent}
            for letter in letters:
                message = by_id[str(letter.id)]
                assert message["From"].addresses[0].addr_spec == "letters@campaign.example.org"
                assert message["From"].addresses[0].display_name == details.name
                assert message["To"].addresses[0].addr_spec == letter.representative.email
                assert message["Reply-To"].addresses[0].addr_spec == "maryja@example.org"
                assert message["Subject"] == letter.subject
                assert (
                    message.get_body(preferencelist=("plain",)).get_content().strip()
                    == letter.body.strip()
                )
                assert message.get_content_type() == "text/plain"
        else:
            received = sendgrid.wait_for(1 + len(reps))[1:]
            by_id = {m.custom_args["letter_id"]: m for m in received}
            for letter in letters:
                message = by_id[str(letter.id)]
                assert message.custom_args == {"letter_id": str(letter.id)}
                assert message.from_email == "letters@campaign.example.org"
                assert message.from_name == details.name
                assert message.to == [letter.representative.email]
                assert message.reply_to == "maryja@example.org"
                assert message.subject == letter.subject
                assert message.text == letter.body
                tracking = message.tracking_settings
                assert tracking["click_tracking"]["enable"] is False
                assert tracking["open_tracking"]["enable"] is False
                assert tracking["subscription_tracking"]["enable"] is False
                assert letter.provider_message_id == message.message_id


def _link_in(text: str) -> str:
    import re

    return re.search(r"https?://\S+/confirm/\S+", text).group(0)


def test_letter_text_is_fixed_at_submission(seeded, client, drain):
    from campaign.models import LetterTemplate, TemplateVersion

    rep = flow.representatives_of("IE")[0]
    flow.submit(client, "IE", [rep.id], flow.Details())
    letter = db.session.execute(db.select(Letter)).scalar_one()
    original = letter.body
    template = db.session.get(LetterTemplate, letter.template_version.template_id)
    newer = TemplateVersion(
        template_id=template.id,
        number=99,
        subject="Changed",
        body="Changed text {{ supporter.name }}",
    )
    db.session.add(newer)
    db.session.flush()
    template.published_version_id = newer.id
    db.session.commit()
    drain()
    db.session.expire_all()
    assert db.session.get(Letter, letter.id).body == original
    assert "My cousin has been held since 2021." in original


def test_personal_paragraph_and_signature_are_in_the_letter(seeded, client):
    rep = flow.representatives_of("IE")[0]
    flow.submit(client, "IE", [rep.id], flow.Details(city="Galway"))
    letter = db.session.execute(db.select(Letter)).scalar_one()
    assert "\n\nMy cousin has been held since 2021.\n\n" in letter.body
    assert "Maryja Kowalska" in letter.body and "Galway" in letter.body
    assert rep.name in letter.body


INVALID_FIELDS = [
    ("name", {"name": ""}, "Please enter your name"),
    ("name", {"name": "x" * 121}, "Field cannot be longer than 120 characters"),
    ("email", {"email": ""}, "Please enter your email address"),
    ("email", {"email": "not-an-address"}, "does not look like an email address"),
    ("email", {"email": "a@b@example.org"}, "does not look like an email address"),
    ("city", {"city": "Line one\nLine two"}, "Please keep this on one line"),
    ("personal_paragraph", {"personal_paragraph": "x" * 2001}, "Field cannot be longer than 2000"),
    ("personal_paragraph", {"personal_paragraph": "bad \x00 byte"}, "special characters"),
    ("consent", {"consent": False}, "Please tick this box"),
]


@pytest.mark.parametrize(
    "field,change,message",
    INVALID_FIELDS,
    ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(INVALID_FIELDS)],
)
def test_every_invalid_field_gets_a_message_and_keeps_what_was_typed(
    seeded, client, field, change, message
):
    rep = flow.representatives_of("IE")[0]
    details = flow.Details(**change)
    response = flow.submit(client, "IE", [rep.id], details)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert f'id="{field}-error"' in html  # the message sits at the field
    if field != "name":
        assert 'value="Maryja Kowalska"' in html
    if field != "city":
        assert 'value="Vilnius"' in html
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 0
    assert db.session.execute(db.select(db.func.count(Supporter.id))).scalar() == 0


def test_no_representative_chosen_goes_back_with_a_message(seeded, client):
    response = client.get("/write/IE/letters")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Please choose at least one representative." in page


def test_csrf_is_enforced(seeded, client):
    rep = flow.representatives_of("IE")[0]
    response = client.post("/write/IE/letters", data=flow.Details().form("forged", [rep.id]))
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 0


def test_confirm_needs_csrf_too(seeded, client, drain, app):
    rep = flow.representatives_of("IE")[0]
    flow.submit(client, "IE", [rep.id], flow.Details())
    drain()
    link = flow.confirmation_link(flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))[0])
    path = link.split("campaign.example.org", 1)[1]
    assert client.post(path, data={}).status_code == 400
    assert states() == ["awaiting_confirmation"]


def test_a_second_submission_does_not_write_twice(seeded, client):
    rep = flow.representatives_of("IE")[0]
    flow.submit(client, "IE", [rep.id], flow.Details(personal_paragraph="first"))
    flow.submit(client, "IE", [rep.id], flow.Details(personal_paragraph="second"))
    letters = db.session.execute(db.select(Letter)).scalars().all()
    assert len(letters) == 1 and "second" in letters[0].body  # unconfirmed: replaced
    submission = (
        db.session.execute(db.select(Submission).order_by(Submission.id.desc())).scalars().first()
    )
    from campaign.supporters import submissions

    submissions.confirm(submission)
    again = flow.submit(client, "IE", [rep.id], flow.Details(personal_paragraph="third"))
    assert "already written to every representative" in again.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 1


def test_forged_and_expired_links(seeded, client, app, drain):
    import time

    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from campaign.core import tokens

    assert client.get("/confirm/not-a-token").status_code == 404
    assert client.get("/status/not-a-token").status_code == 404

    rep = flow.representatives_of("IE")[0]
    flow.submit(client, "IE", [rep.id], flow.Details())
    submission = db.session.execute(db.select(Submission)).scalar_one()

    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 8 * 86400

    old = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=tokens.CONFIRM, signer=EightDaysAgo
    ).dumps(submission.id)
    page = client.get(f"/confirm/{old}")
    assert page.status_code == 410
    assert "expired" in page.get_data(as_text=True)
    assert client.post(f"/confirm/{old}", data={}).status_code in (400, 410)
    assert states() == ["awaiting_confirmation"]


def test_select_everyone_listed_checks_every_box(seeded, client):
    html = client.get("/write/DE?all=1").get_data(as_text=True)
    boxes = html.count('name="rep"')
    assert boxes >= 4 and html.count(" checked>") == boxes
    assert client.get("/write/DE").get_data(as_text=True).count(" checked>") == 0


def test_letter_language_falls_back_to_the_campaign_default(seeded, client):
    rep = flow.representatives_of("DE")[0]
    rep.language = "ga"  # no Irish letter exists
    db.session.commit()
    flow.submit(client, "DE", [rep.id], flow.Details())
    letter = db.session.execute(db.select(Letter)).scalar_one()
    assert letter.language == "en"
    assert letter.body.startswith(f"Dear Ms {rep.name},")  # Anna Beispiel: a woman
    rep2 = flow.representatives_of("PL")[0]
    flow.submit(client, "PL", [rep2.id], flow.Details(email="other@example.org"))
    polish = db.session.execute(db.select(Letter).filter_by(representative_id=rep2.id)).scalar_one()
    assert polish.language == "pl"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(make_app, tmp_path):
    from sqlalchemy import text

    app = make_app(SQLALCHEMY_DATABASE_URI="sqlite:///" + str(tmp_path / "wal.sqlite3"))
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 10000
