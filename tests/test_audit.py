"""The audit log: who changed what, visible to admins only, no supporter data."""

from __future__ import annotations

from campaign.extensions import db
from campaign.models import AuditEntry, Representative
from campaign.services import audit

from . import flow
from .conftest import csrf_token
from .organisers_support import log_in_as, template_for
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
    assert client.post(f"{url}/publish", data=form).status_code == 302
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
    assert entries[0].changes == {"published_version": [1, 2]}

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
    from campaign.services import template_editing

    template_editing.publish(template, "Betreff", "Text {{ supporter.name }}\n", False, organiser)
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
