"""M2: the RQ dashboard is read-only; destructive job actions need the admin role,
the CSRF token and a confirmation, and are audited.

The review, as staff, emptied the notifications queue with a tokenless POST: the
supporter's confirmation mail was never sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import g

from campaign.core.extensions import db
from campaign.core.queues import LETTERS, NOTIFICATIONS, get_queue
from campaign.models import AuditEntry

from . import flow
from .conftest import csrf_token
from .test_delivery_staff import logged_in
from .test_rq_dashboard import _enqueue, _failed_job

CHANGING = [
    "/staff/rq/queue/notifications/queued/empty",
    "/staff/rq/queue/letters/failed/empty",
    "/staff/rq/job/JOB/delete",
    "/staff/rq/job/JOB/requeue",
    "/staff/rq/requeue/letters",
    "/staff/rq/queue/letters/compact",
    "/staff/rq/queue/no-such-queue/compact",
]


def test_staff_cannot_empty_the_notifications_queue(seeded, drain):
    client = seeded.test_client()
    rep = flow.representatives_of("LT")[0]
    assert flow.submit(client, "LT", [rep.id], flow.Details()).status_code == 302
    assert get_queue(NOTIFICATIONS).count == 1
    staff = logged_in(seeded, "staff")
    # The review's request: no CSRF token, no Sec-Fetch-Site.
    response = staff.post("/staff/rq/queue/notifications/queued/empty")
    assert response.status_code == 403 and "read-only" in response.get_json()["error"]
    assert get_queue(NOTIFICATIONS).count == 1
    drain()
    (mail,) = flow.outbox_messages(Path(seeded.config["OUTBOX_DIR"]))
    assert "/confirm/" in flow.confirmation_link(mail)


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_every_changing_dashboard_request_is_refused(app, role):
    client = logged_in(app, role)
    job, failed = _enqueue(), _failed_job()
    for url in CHANGING:
        for target in (job, failed):
            response = client.post(url.replace("JOB", target.id))
            assert response.status_code == 403, url
            assert response.is_json and "/staff/jobs" in response.get_json()["error"], url
    assert get_queue(LETTERS).get_job_ids() == [job.id]
    assert get_queue(LETTERS).failed_job_registry.get_job_ids() == [failed.id]
    page = client.get(f"/staff/rq/0/view/jobs/{LETTERS}/queued/8/asc/1").get_data(as_text=True)
    assert 'id="empty-btn"' not in page  # rq-dashboard's own delete buttons are hidden


def test_staff_and_organisers_have_no_job_actions(app):
    for role in ("staff", "organiser"):
        client = logged_in(app, role)
        assert client.get("/staff/jobs").status_code == 403
        assert client.get(f"/staff/jobs/queue/{LETTERS}/empty").status_code == 403
        assert client.post(f"/staff/jobs/queue/{LETTERS}/empty").status_code in (400, 403)


def _act(admin, url: str, sure: bool):
    g.pop("csrf_token", None)
    page = admin.get(url)
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page.get_data(as_text=True))}
    if sure:
        data["sure"] = "y"
    return admin.post(url, data=data)


def test_admins_act_with_a_token_and_a_confirmation_and_it_is_audited(app):
    admin = logged_in(app, "admin")
    job = _enqueue()
    url = f"/staff/jobs/queue/{LETTERS}/empty"
    assert admin.post(url).status_code == 400  # no CSRF token
    unsure = _act(admin, url, sure=False)
    assert unsure.status_code == 400 and "Tick the box" in unsure.get_data(as_text=True)
    assert get_queue(LETTERS).get_job_ids() == [job.id]
    done = _act(admin, url, sure=True)
    assert done.status_code == 302
    assert get_queue(LETTERS).count == 0
    assert "1 waiting job deleted" in admin.get("/staff/jobs").get_data(as_text=True)

    kept, gone = _failed_job(), _failed_job()
    gone.connection.delete(gone.key)  # its hash expired before RQ's cleanup ran
    assert _act(admin, f"/staff/jobs/queue/{LETTERS}/requeue-failed", sure=True).status_code == 302
    assert get_queue(LETTERS).get_job_ids() == [kept.id]

    queued = _enqueue()
    refused = _act(admin, f"/staff/jobs/job/{queued.id}/requeue", sure=True)
    assert refused.status_code == 409  # only a failed job is requeued
    assert _act(admin, f"/staff/jobs/job/{queued.id}/delete", sure=True).status_code == 302
    assert queued.id not in get_queue(LETTERS).get_job_ids()

    entries = db.session.execute(
        db.select(AuditEntry.action, AuditEntry.object_type, AuditEntry.actor).order_by(
            AuditEntry.id
        )
    ).all()
    assert entries == [
        ("empty", "queue", "admin@example.org"),
        ("requeue-failed", "queue", "admin@example.org"),
        ("delete", "job", "admin@example.org"),
    ]
    audit_page = admin.get("/admin/audit?type=queue").get_data(as_text=True)
    assert "emptied the letters queue: 1 waiting jobs deleted" in audit_page


def test_unknown_queues_and_jobs_are_a_404_never_a_500(app):
    admin = logged_in(app, "admin")
    assert admin.get("/staff/jobs/queue/no-such-queue/compact").status_code == 404
    token = csrf_token(admin.get(f"/staff/jobs/queue/{LETTERS}/compact").get_data(as_text=True))
    unknown = admin.post(
        "/staff/jobs/queue/no-such-queue/compact", data={"csrf_token": token, "sure": "y"}
    )
    assert unknown.status_code == 404
    assert admin.get(f"/staff/jobs/queue/{LETTERS}/explode").status_code == 404
    gone = _act(admin, "/staff/jobs/job/does-not-exist/delete", sure=True)
    assert gone.status_code == 404
    assert admin.get("/staff/jobs").status_code == 200
