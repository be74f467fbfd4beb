"""`flask sending pause|resume|cancel CAMPAIGN` and `flask letters status`."""

from __future__ import annotations

import pytest

from campaign.core.extensions import db
from campaign.devtools.backlog import make_backlog
from campaign.models import Campaign

from .delivery_support import dispatch_all, states


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def status_of(slug: str) -> str:
    db.session.expire_all()
    return db.session.execute(db.select(Campaign.sending_status).filter_by(slug=slug)).scalar_one()


def test_pause_resume_and_cancel_by_slug(app):
    make_backlog(3, 3, campaign_slug="spring")
    result = run(app, "sending", "pause", "spring")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "spring: paused; 3 queued letters wait"
    assert status_of("spring") == "paused"
    assert dispatch_all()["taken"] == 0

    result = run(app, "sending", "resume", "spring")
    assert result.exit_code == 0 and status_of("spring") == "active"
    assert result.output.strip() == "spring: sending; 3 queued letters"

    result = run(app, "sending", "cancel", "spring")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "spring: cancelled; 3 queued letters cancelled"
    assert states() == {"cancelled": 3}

    status = run(app, "letters", "status")
    lines = dict(line.split() for line in status.output.strip().splitlines())
    assert lines["cancelled"] == "3" and lines["queued"] == "0"


@pytest.mark.parametrize("action", ["pause", "resume", "cancel"])
def test_an_unknown_slug_is_a_one_line_error(app, action):
    result = run(app, "sending", action, "no-such-campaign")
    assert result.exit_code != 0
    assert result.output.strip() == "Error: no campaign with the slug 'no-such-campaign'"


def test_an_unknown_action_is_refused(app):
    result = run(app, "sending", "explode", "spring")
    assert result.exit_code != 0
