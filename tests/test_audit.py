"""The audit log: who changed what, visible to admins only, no supporter data."""

from __future__ import annotations

from flask import g

from campaign.accounts import audit
from campaign.core.extensions import db
from campaign.devtools.backlog import make_backlog
from campaign.models import AuditEntry, Representative

from . import flow
from .conftest import csrf_token
from .organisers_support import log_in_as, publish_confirmed, template_for, token_of
from .test_auth import login, make_user


def test_changes_are_recorded_with_who_and_when(seeded, client):
    organiser = log_in_as(client)
    template = template_for("parliament", "en")
    url = f"/organise/letters/{template.id}"
    page = client.get(url).get_data(as_text=True)
    version = template.published_version
    form = {
        "csrf_token": csrf_token(page),
        "subject": version.subject,
        "body": version.body + "\nThanks.\n",
        "representative": "sample",
        "reviewed": "y",
    }
    assert publish_confirmed(client, url, form, reviewed="y").status_code == 302
    rep = db.session.execute(db.select(Representative).limit(1)).scalar_one()
    assert (
        client.post(
            f"/organise/representatives/{rep.id}/deactivate", data={"csrf_token": csrf_token(page)}
        ).status_code
        == 302
    )

    entries = db.session.execute(db.select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
    assert [(e.action, e.object_type, e.object_id) for e in entries] == [
        ("publish", "template", template.id),
        ("deactivate", "representative", rep.id),
    ]
    assert all(
        e.user_id == organiser.id and e.actor == organiser.email and e.created_at for e in entries
    )
    assert entries[0].field_changes == {"published_version": [1, 2]}

    # Organisers do not see the log; admins do.
    assert client.get("/admin/audit").status_code == 403
    make_user("admin@example.org", "admin")
    admin = seeded.test_client()
    with seeded.app_context():  # its own g, hence its own CSRF token
        login(admin, "admin@example.org")
        log = admin.get("/admin/audit").get_data(as_text=True)
        only_reps = admin.get("/admin/audit?type=representative").get_data(as_text=True)
    assert "published version 2 of parliament/en" in log and f"deactivated {rep.name}" in log
    assert "deactivated" in only_reps and "published version" not in only_reps


def test_supporters_personal_data_never_reaches_the_log(seeded, client):
    details = flow.Details(name="Secret Supporter", email="secret.supporter@example.org")
    rep_ids = [r.id for r in flow.representatives_of("DE")[:1]]
    flow.submit(client, "DE", rep_ids, details)
    organiser = make_user("organiser@example.org", "organiser")
    template = template_for("parliament", "de")
    from campaign.letters import template_editing

    template_editing.publish(
        template, "Betreff", "Text {{ supporter.name }}\n", False, organiser, accept_losses=True
    )
    rows = db.session.execute(db.select(AuditEntry)).scalars().all()
    assert rows
    dumped = " ".join(f"{e.actor} {e.summary} {e.changes}" for e in rows)
    assert "Secret Supporter" not in dumped and "secret.supporter" not in dumped


def test_changes_between_keeps_only_what_differs():
    from datetime import date

    assert audit.changes_between(
        {"a": 1, "b": date(2026, 1, 1), "c": ["LT"]}, {"a": 1, "b": date(2026, 2, 1), "c": ["LT"]}
    ) == {"b": ["2026-01-01", "2026-02-01"]}


def test_the_command_line_is_named_as_the_actor(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "first@example.org", "--role", "admin"],
        input="correct horse battery staple\n",
    )
    assert result.exit_code == 0, result.output
    entry = db.session.execute(db.select(AuditEntry)).scalar_one()
    assert (entry.actor, entry.user_id, entry.action, entry.object_type) == (
        "command line",
        None,
        "create",
        "user",
    )
    assert "first@example.org" in entry.summary and "horse" not in entry.summary


def test_pause_resume_and_cancel_are_recorded_from_every_entry_point(app):
    """The command line, the staff queue page and the campaign's page: who did it and
    how many letters it touched."""
    backlog = make_backlog(2, 2, campaign_slug="spring")
    result = app.test_cli_runner().invoke(args=["sending", "pause", "spring"])
    assert result.exit_code == 0, result.output

    admin = app.test_client()
    log_in_as(admin, "admin")
    page = admin.get("/staff/queues/spring").get_data(as_text=True)
    response = admin.post("/staff/queues/spring/resume", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302

    g.pop("csrf_token", None)  # the app context outlives requests: a new client, a new token
    organiser = app.test_client()
    log_in_as(organiser, "organiser")
    url = f"/organise/campaigns/{backlog.campaign_id}"
    response = organiser.post(
        f"{url}/sending/cancel",
        data={"csrf_token": token_of(organiser, url), "confirm_cancel": "y"},
    )
    assert response.status_code == 302

    entries = db.session.execute(db.select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
    sending = [e for e in entries if e.object_type == "campaign"]
    assert [(e.action, e.actor, e.object_id, e.field_changes) for e in sending] == [
        (
            "pause",
            "command line",
            backlog.campaign_id,
            {"sending_status": ["active", "paused"], "queued_letters": [2, 2]},
        ),
        (
            "resume",
            "admin@example.org",
            backlog.campaign_id,
            {"sending_status": ["paused", "active"], "queued_letters": [2, 2]},
        ),
        (
            "cancel",
            "organiser@example.org",
            backlog.campaign_id,
            {"sending_status": ["active", "cancelled"], "queued_letters": [2, 0]},
        ),
    ]
    assert sending[0].user_id is None and all(e.user_id for e in sending[1:])
    assert [e.summary for e in sending] == [
        "paused the sending of spring: 2 queued letters wait",
        "resumed the sending of spring: 2 letters queued",
        "cancelled the sending of spring: 2 queued letters cancelled",
    ]
    with app.app_context():  # its own g, hence the admin's own login
        log = admin.get("/admin/audit?type=campaign").get_data(as_text=True)
    assert "cancelled the sending of spring: 2 queued letters cancelled" in log


# -- each reader's language ------------------------------------------------------


def test_entries_are_stored_as_a_code_with_its_parameters_and_an_english_sentence(app):
    user = make_user("first@example.org", "admin")
    entry = audit.record(
        "create", "user", user.id, "user_created", {"role": "admin", "email": user.email}
    )
    db.session.commit()
    assert entry.summary == "created the admin account first@example.org"
    assert entry.changes["@message"] == {
        "code": "user_created",
        "params": {"role": "admin", "email": "first@example.org"},
    }
    assert entry.field_changes == {}
    # A code or a parameter the messages do not know is the caller's mistake.
    for code, params in (("no_such_message", {}), ("user_created", {"email": "x"})):
        try:
            audit.record("create", "user", user.id, code, params)
        except ValueError:
            continue
        raise AssertionError(f"{code} {params} was accepted")


def test_the_audit_page_reads_in_the_admins_language_and_old_entries_still_show(seeded):
    """Entries say what happened in Belarusian for an admin who reads Belarusian:
    the sentence, the actor "command line", the kind of object; an entry stored as
    an English sentence before codes existed shows as it was."""
    runner = seeded.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "first@example.org", "--role", "admin"],
        input="correct horse battery staple\n",
    )
    assert result.exit_code == 0, result.output
    organiser = make_user("organiser@example.org", "organiser")
    template = template_for("parliament", "be")
    from campaign.letters import template_editing

    version = template.published_version
    template_editing.publish(
        template, version.subject, version.body + "\nДзякуй.\n", True, organiser
    )
    db.session.add(
        AuditEntry(
            actor="old@example.org",
            action="update",
            object_type="campaign",
            object_id=1,
            summary="changed title of the campaign time-for-release",
            changes={"title": ["A", "B"]},
        )
    )
    db.session.commit()

    admin = seeded.test_client()
    user = make_user("admin@example.org", "admin")
    user.language = "be"
    db.session.commit()
    login(admin, "admin@example.org")
    page = admin.get("/admin/audit").get_data(as_text=True)
    from html import unescape

    page = unescape(page)
    assert '<html lang="be"' in page
    assert "створаны ўліковы запіс first@example.org з роляй «адміністратар»" in page
    assert "<td>камандны радок</td>" in page
    slug = template.campaign.slug
    assert (
        f"апублікавана версія 2 ліста parliament/be кампаніі {slug} (праверана носьбітам мовы)"
        in page
    )
    assert "уліковы запіс" in page and "<td>ліст " in page
    # Stored English stays out of the page for coded entries…
    assert "created the admin account" not in page and "published version 2" not in page
    # …and shows for an entry stored before codes existed.
    assert "changed title of the campaign time-for-release" in page
    assert "<code>title</code>: A → B" in page
    assert "@message" not in page
    # The filter reads in Belarusian too.
    assert '<option value="personal_data">асабістыя даныя</option>' in page


def test_every_message_has_a_translation_in_every_catalogue():
    """Every audit message is extracted (tests/test_i18n.py then checks each
    catalogue translates it)."""
    from babel.messages.pofile import read_po

    from campaign.accounts import audit_messages
    from campaign.core.i18n import TRANSLATIONS_DIR

    with (TRANSLATIONS_DIR / "messages.pot").open("rb") as fh:
        extracted = {m.id for m in read_po(fh) if m.id}
    wanted = set(audit_messages.MESSAGES.values()) | set(audit_messages.OFFICE_REQUESTS)
    assert wanted <= extracted, sorted(wanted - extracted)
    # What an office asked is recorded in the words audit_messages translates.
    from campaign.people.office_requests import RECORDED

    assert set(RECORDED.values()) == set(audit_messages.OFFICE_REQUESTS)
