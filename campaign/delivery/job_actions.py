"""What admins may do to RQ's jobs (M2): empty a queue, requeue or delete failed
jobs, compact a queue. Each action is audited; the caller has checked the role,
the CSRF token and the confirmation.

Staff see jobs (the RQ dashboard, read-only, and the queue pages) but change
nothing: a job emptied by mistake can be a confirmation mail never sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job

from campaign.accounts import audit
from campaign.core.extensions import db
from campaign.core.queues import ALL_QUEUES, get_queue, redis_connection
from campaign.models import User


class UnknownTarget(LookupError):
    """No such queue or job."""


@dataclass(frozen=True)
class Action:
    label: str  # translated when shown
    done: Callable[[int], str]  # what was done, given the number of jobs it touched


QUEUE_ACTIONS = {
    "empty": Action(
        _l("Empty: delete every waiting job"),
        lambda n: ngettext("%(num)d waiting job deleted", "%(num)d waiting jobs deleted", n),
    ),
    "requeue-failed": Action(
        _l("Requeue every failed job"),
        lambda n: ngettext("%(num)d failed job requeued", "%(num)d failed jobs requeued", n),
    ),
    "delete-failed": Action(
        _l("Delete every failed job"),
        lambda n: ngettext("%(num)d failed job deleted", "%(num)d failed jobs deleted", n),
    ),
    "compact": Action(
        _l("Compact: drop entries of jobs that no longer exist"),
        lambda n: gettext("queue compacted"),
    ),
}
JOB_ACTIONS = {
    "requeue": Action(_l("Requeue this failed job"), lambda n: gettext("job requeued")),
    "delete": Action(_l("Delete this job"), lambda n: gettext("job deleted")),
}
# What the audit log says of each (accounts.audit_messages).
QUEUE_MESSAGES = {
    "empty": "queue_emptied",
    "requeue-failed": "queue_failed_requeued",
    "delete-failed": "queue_failed_deleted",
    "compact": "queue_compacted",
}
JOB_MESSAGES = {"requeue": "job_requeued", "delete": "job_deleted"}


def _queue(name: str):
    if name not in ALL_QUEUES:
        raise UnknownTarget(f"no queue {name}")
    return get_queue(name)


def failed_jobs(name: str, limit: int = 50) -> list[Job]:
    queue = _queue(name)
    ids = queue.failed_job_registry.get_job_ids(0, limit - 1, cleanup=False)
    return [job for job in Job.fetch_many(ids, connection=redis_connection()) if job is not None]


def on_queue(name: str, action: str, by: User) -> int:
    """Do ``action`` (a key of QUEUE_ACTIONS) on the queue ``name``; the number of
    jobs it touched. Raises UnknownTarget for an unknown queue or action."""
    if action not in QUEUE_ACTIONS:
        raise UnknownTarget(f"no action {action}")
    queue = _queue(name)
    count = 0
    if action == "empty":
        count = queue.empty() or 0
    elif action == "compact":
        queue.compact()
    else:
        registry = queue.failed_job_registry
        for job_id in registry.get_job_ids(cleanup=False):
            try:
                job = Job.fetch(job_id, connection=queue.connection)
            except NoSuchJobError:
                registry.remove(job_id)  # its hash expired: only the entry was left
                continue
            if action == "requeue-failed":
                registry.requeue(job)
            else:
                registry.remove(job, delete_job=True)
            count += 1
    message = QUEUE_MESSAGES[action]
    audit.record(action, "queue", None, message, {"queue": name, "count": count}, user=by)
    db.session.commit()
    return count


def on_job(job_id: str, action: str, by: User) -> str:
    """Requeue (a failed job) or delete one job; its queue's name. Raises
    UnknownTarget for an unknown job or action, InvalidJobOperation when a job
    that has not failed is to be requeued."""
    if action not in JOB_ACTIONS:
        raise UnknownTarget(f"no action {action}")
    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except NoSuchJobError:
        raise UnknownTarget(f"no job {job_id}") from None
    if job.origin not in ALL_QUEUES:
        raise UnknownTarget(f"no job {job_id}")
    if action == "requeue":
        if not job.is_failed:
            raise InvalidJobOperation("only a failed job can be requeued")
        job.requeue()
    else:
        job.delete()
    audit.record(
        action,
        "job",
        None,
        JOB_MESSAGES[action],
        {"job": job.id, "function": job.func_name, "queue": job.origin},
        user=by,
    )
    db.session.commit()
    return job.origin
