"""Logs and failed-job records name no supporter, even when another party's words
quote one: the database's report of a duplicate, a statement's parameters, any
exception text a job raises. (Mail servers' refusals: test_smtp_backend.py; the
secret parts of links in request logs: test_security_headers.py.)"""

from __future__ import annotations

import contextlib
import io
import logging
import subprocess
import sys

import pytest
from sqlalchemy.exc import IntegrityError

from campaign.core.extensions import db
from campaign.core.queues import NOTIFICATIONS, get_queue
from campaign.core.redaction import WithoutAddresses
from campaign.models import Supporter

from .delivery_support import drain_jobs

ADDRESS = "aliaksandra.k@example.org"
NAME = "Aliaksandra Kavalchuk"


def duplicate_supporter() -> IntegrityError:
    """The error a race between two first submissions from one address would raise."""
    db.session.add(Supporter(email=ADDRESS, name=NAME, city=""))
    db.session.commit()
    db.session.add(Supporter(email=ADDRESS, name=NAME, city=""))
    with pytest.raises(IntegrityError) as raised:
        db.session.flush()
    db.session.rollback()
    return raised.value


def test_a_database_error_shows_no_statement_parameters(app):
    text = str(duplicate_supporter())
    assert "Supporter" in text or "supporter" in text  # the statement is still named
    assert "hidden" in text and NAME not in text


@contextlib.contextmanager
def filtered_log(name: str):
    """A logger whose one handler writes, through WithoutAddresses, to the yielded
    stream."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(WithoutAddresses())
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)


def test_log_lines_lose_the_addresses_a_database_error_quotes(app):
    error = duplicate_supporter()  # PostgreSQL's DETAIL quotes the address
    with filtered_log("campaign.test_log_privacy") as (logger, stream):
        try:
            raise error
        except IntegrityError:
            logger.exception("could not store %s", f"the supporter {ADDRESS}")
    text = stream.getvalue()
    assert "could not store the supporter [address]" in text
    assert "IntegrityError" in text and "Traceback" in text
    assert ADDRESS not in text


def test_a_malformed_log_call_neither_raises_nor_prints_its_arguments():
    with filtered_log("campaign.test_log_privacy.malformed") as (logger, stream):
        logger.error("two placeholders %s %s", ADDRESS)
    assert "unformattable log message" in stream.getvalue()
    assert ADDRESS not in stream.getvalue()


def test_every_process_logs_through_the_filter():
    """web, worker and clock set up logging with configure_logging()."""
    script = (
        "import logging\n"
        "from campaign.core.redaction import configure_logging\n"
        "configure_logging()\n"
        f"logging.getLogger('rq.worker').error('refused: <{ADDRESS}>')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert "refused: <[address]>" in result.stderr
    assert ADDRESS not in result.stderr + result.stdout


def job_quoting_an_address():
    raise ValueError(f"Key (email)=({ADDRESS}) already exists.")


def test_a_failed_jobs_record_names_no_address(app):
    queue = get_queue(NOTIFICATIONS)
    job = queue.enqueue(job_quoting_an_address)
    drain_jobs()
    record = queue.fetch_job(job.id).latest_result().exc_string
    assert "ValueError: Key (email)=([address]) already exists." in record
    assert ADDRESS not in record
