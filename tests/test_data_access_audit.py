"""Item 8: every page, listing or export that shows supporters' personal data
leaves an audit entry: who, when, how many records, never the data itself."""

from __future__ import annotations

from datetime import timedelta

from campaign.core.extensions import db
from campaign.models import AuditEntry, Reply

from . import tracking_helpers as th
from .test_delivery_staff import logged_in
from .test_inbound_webhook import tracked  # noqa: F401 - the fixture


def _accesses():
    db.session.expire_all()
    return db.session.execute(
        db.select(AuditEntry.action, AuditEntry.actor, AuditEntry.summary, AuditEntry.records)
        .filter_by(object_type="personal_data")
        .order_by(AuditEntry.id)
    ).all()


def test_pages_and_exports_of_personal_data_are_audited(tracked):  # noqa: F811
    letters = th.send_letters(
        th.reps_of("DE")[:2], email="maryja@example.org", sent_ago=timedelta(days=1)
    )
    client = tracked.test_client()
    th.post_inbound(client, th.raw_mode(th.mail("talon_gmail.eml"), [th.address_of(letters[0])]))
    staff = logged_in(tracked, "staff")
    assert staff.get("/staff/held").status_code == 200
    assert staff.get("/staff/replies").status_code == 200
    assert staff.get("/staff/replies?format=csv").status_code == 200
    assert staff.get(f"/staff/letters/{letters[0].id}").status_code == 200
    reply_id = db.session.execute(db.select(Reply.id)).scalar_one()
    assert staff.get(f"/staff/replies/{reply_id}").status_code == 200
    result = tracked.test_cli_runner().invoke(args=["replies", "list", "--format", "csv"])
    assert result.exit_code == 0
    who = "staff@example.org"
    assert _accesses() == [
        ("list", who, "list: held letters (/staff/held)", 0),
        ("list", who, "list: replies (/staff/replies page 1)", 1),
        ("export", who, "export: replies CSV (/staff/replies)", 1),
        ("view", who, f"view: letter {letters[0].id}", 1),
        ("view", who, f"view: reply {reply_id}", 1),
        ("export", "command line", "export: replies list (csv, command line)", 1),
    ]
    entries = " ".join(str(row) for row in _accesses())
    assert "maryja" not in entries
    admin = logged_in(tracked, "admin")
    page = admin.get("/admin/audit?type=personal_data").get_data(as_text=True)
    assert "export: replies CSV (/staff/replies)" in page
