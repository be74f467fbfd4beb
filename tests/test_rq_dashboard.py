"""RQ's dashboard under /staff/rq: an unknown instance number, job id or registry
is a clear 404 (a JSON reason on its JSON endpoints), never a 500 or a traceback."""

from __future__ import annotations

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry

from campaign.core.queues import LETTERS, get_queue

from .test_delivery_staff import logged_in

MISSING = "does-not-exist"


def _enqueue() -> Job:
    # Nothing runs it: the tests only look at it through the dashboard.
    return get_queue(LETTERS).enqueue("campaign.no_such_module.no_such_function")


def _failed_job() -> Job:
    queue: Queue = get_queue(LETTERS)
    job = _enqueue()
    queue.remove(job)
    job.set_status(JobStatus.FAILED)
    FailedJobRegistry(queue=queue).add(job, exc_string="Traceback: boom")
    return job


def _assert_clear_404(response, json: bool) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 404, body
    assert "Traceback" not in body
    if json:
        assert response.is_json, body
        data = response.get_json()
        assert data["status"] == "ERROR" and data["error"]
    else:
        assert response.mimetype == "text/html"


# The pages answer the app's 404 page; the JSON endpoints (data/, and the actions
# posted by the pages' scripts) a JSON reason.
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/staff/rq/1/"),
        ("GET", "/staff/rq/99/view"),
        ("GET", "/staff/rq/99/view/queues"),
        ("GET", "/staff/rq/99/view/workers"),
        ("GET", "/staff/rq/99/view/jobs"),
        ("GET", "/staff/rq/99/view/jobs/letters/queued/8/asc/1"),
        ("GET", "/staff/rq/99/view/job/JOB"),
        ("GET", "/staff/rq/99999999999999999999/view/queues"),
        ("GET", "/staff/rq/0/view/job/does-not-exist"),
        ("GET", "/staff/rq/0/view/job/does:not:exist"),
        ("GET", "/staff/rq/0/view/job/%E2%9C%93"),
        ("GET", "/staff/rq/0/view/jobs/letters/nonsense/8/asc/1"),
        ("GET", "/staff/rq/1/data/queues.json"),
        ("GET", "/staff/rq/99/data/workers.json"),
        ("GET", "/staff/rq/99/data/jobs/letters/queued/8/asc/1.json"),
        ("GET", "/staff/rq/99/data/job/JOB.json"),
        ("GET", "/staff/rq/0/data/job/does-not-exist.json"),
        ("GET", "/staff/rq/0/data/jobs/letters/nonsense/8/asc/1.json"),
        ("GET", "/staff/rq/0/data/jobs/letters/queued/eight/asc/1.json"),
        ("GET", "/staff/rq/0/data/jobs/letters/queued/0/asc/1.json"),
        ("GET", "/staff/rq/0/data/jobs/letters/queued/8/asc/0.json"),
        ("GET", "/staff/rq/0/data/jobs/letters/queued/8/asc/-1.json"),
        ("GET", "/staff/rq/0/data/jobs/letters/queued/8/sideways/1.json"),
    ],
)
def test_unknown_targets_are_a_404(app, method, url):
    staff = logged_in(app, "staff")
    job = _enqueue()
    response = staff.open(url.replace("JOB", job.id), method=method)
    _assert_clear_404(response, json="/data/" in url)


def test_known_jobs_and_pages_still_answer(app):
    staff = logged_in(app, "staff")
    job = _enqueue()
    for url in (
        "/staff/rq/",
        "/staff/rq/0/view/queues",  # redirects to /staff/rq/, instance 0's address
        "/staff/rq/0/view/workers",
        "/staff/rq/0/view/jobs",
        "/staff/rq/0/view/jobs/letters/failed/8/dsc/1",
        f"/staff/rq/0/view/job/{job.id}",
    ):
        response = staff.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        assert response.mimetype == "text/html", url
    for url in (
        "/staff/rq/0/data/queues.json",
        "/staff/rq/0/data/workers.json",
        "/staff/rq/0/data/jobs/letters/queued/8/asc/1.json",
        f"/staff/rq/0/data/job/{job.id}.json",
    ):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert response.is_json, url
    listed = staff.get("/staff/rq/0/data/jobs/letters/queued/8/asc/1.json").get_json()
    assert [j["id"] for j in listed["jobs"]] == [job.id]
    assert staff.get(f"/staff/rq/0/data/job/{job.id}.json").get_json()["id"] == job.id
    job.delete()
    _assert_clear_404(staff.get(f"/staff/rq/0/view/job/{job.id}"), json=False)


def test_unknown_targets_still_ask_for_a_login_first(app):
    anonymous = app.test_client()
    for url in ("/staff/rq/99/view/queues", "/staff/rq/0/view/job/does-not-exist"):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    organiser = logged_in(app, "organiser")
    assert organiser.get("/staff/rq/99/data/queues.json").status_code == 403
    assert organiser.post("/staff/rq/job/does-not-exist/requeue").status_code == 403


def test_a_job_that_vanishes_after_the_check_is_a_404_too(app, monkeypatch):
    staff = logged_in(app, "staff")
    # As if the job expired between the check and rq-dashboard's own fetch.
    monkeypatch.setattr(Job, "exists", classmethod(lambda cls, job_id, connection: True))
    _assert_clear_404(staff.get("/staff/rq/0/view/job/gone"), json=False)
    _assert_clear_404(staff.get("/staff/rq/0/data/job/gone.json"), json=True)
