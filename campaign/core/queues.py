"""Queue names (defined here and nowhere else), the Redis connection, and
enqueueing that waits for the database commit."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import wraps

from flask import current_app, has_app_context
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import event
from sqlalchemy.orm import Session

from campaign.core.extensions import db
from campaign.core.redaction import without_addresses

LETTERS = "letters"
NOTIFICATIONS = "notifications"
PERIODIC = "periodic"
# Partners' webhooks (partners.webhook_sender): one short request a job.
WEBHOOKS = "webhooks"
# A worker takes work in this order: supporters waiting for a confirmation mail
# come before the letter backlog.
ALL_QUEUES = (NOTIFICATIONS, LETTERS, WEBHOOKS, PERIODIC)

JOB_TIMEOUT = 120
# A job nobody picked up within a day is dropped by RQ; the reconciler re-enqueues
# from the database, which is the record.
JOB_TTL = 24 * 3600

log = logging.getLogger(__name__)
_PENDING = "campaign_pending_jobs"
_CALLBACKS = "campaign_after_commit_callbacks"


def redis_connection() -> Redis:
    """The current app's Redis client (one connection pool per app)."""
    ext = current_app.extensions
    if "redis" not in ext:
        ext["redis"] = Redis.from_url(
            current_app.config["REDIS_URL"], socket_timeout=10, socket_connect_timeout=5
        )
    return ext["redis"]


class Worker(SimpleWorker):
    """The project's RQ worker: jobs run in the worker process itself (see
    worker.py), and the traceback RQ keeps with a failed job in Redis, which the
    staff queue pages show, names no email address (campaign.core.redaction)."""

    def handle_job_failure(self, job, queue, started_job_registry=None, exc_string=""):
        return super().handle_job_failure(
            job, queue, started_job_registry, exc_string=without_addresses(exc_string)
        )


def make_worker() -> Worker:
    """A worker on every queue of the project, in ALL_QUEUES' order (the order it
    takes jobs in), on a Redis client of its own.

    RQ waits for jobs in one blocking call of up to its dequeue timeout (minutes)
    and raises the socket timeout of the pool it is given to match; connections the
    app's pool had already opened keep their 10 s, and a worker that blocked on one
    of those quit ("Redis connection timeout, quitting") after 10 idle seconds. On
    its own pool every connection gets RQ's timeout, and the app's keeps 10 s."""
    connection = Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=5)
    queues = [
        Queue(name, connection=connection, default_timeout=JOB_TIMEOUT) for name in ALL_QUEUES
    ]
    return Worker(queues, connection=connection)


def get_queue(name: str) -> Queue:
    if name not in ALL_QUEUES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=redis_connection(), default_timeout=JOB_TIMEOUT)


def enqueue_after_commit(queue_name: str, func, *args, **job_options) -> None:
    """Enqueue ``func(*args)`` once the current transaction commits; forget it on
    rollback. A job enqueued before the commit could run before its rows exist.
    ``delay`` (seconds) hands the job to RQ's scheduler instead."""
    job_options.setdefault("ttl", JOB_TTL)
    db.session.info.setdefault(_PENDING, []).append((queue_name, func, args, job_options))


def call_after_commit(callback) -> None:
    """Call ``callback()`` once the current transaction commits (after the jobs
    enqueued with enqueue_after_commit); forget it on rollback. For work that must
    see the committed rows, such as waking the letter dispatcher. The callback runs
    inside SQLAlchemy's after_commit event: it may use Redis, not the session."""
    db.session.info.setdefault(_CALLBACKS, []).append(callback)


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    callbacks = session.info.pop(_CALLBACKS, [])
    if not has_app_context():
        return
    _enqueue(pending)
    for callback in callbacks:
        try:
            callback()
        except Exception:  # noqa: BLE001 - the commit stands; the reconciler catches up
            log.exception("after-commit callback %r failed", callback)


def _enqueue(pending) -> None:
    for queue_name, func, args, options in pending:
        options = dict(options)
        delay = options.pop("delay", None)
        try:
            queue = get_queue(queue_name)
            if delay:
                queue.enqueue_in(timedelta(seconds=delay), func, *args, **options)
            else:
                queue.enqueue(func, *args, **options)
        except Exception:  # noqa: BLE001 - the commit stands; the reconciler re-enqueues
            log.exception("could not enqueue %s on %s", func.__name__, queue_name)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_CALLBACKS, None)


def job(func):
    """Mark a function as an RQ job: it runs in the worker's app context and
    leaves no session behind for the next job."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        finally:
            db.session.remove()

    return wrapper
