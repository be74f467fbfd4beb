"""Helpers for the organisers' tests: the real files, a logged-in organiser."""

from __future__ import annotations

import re
from html import unescape

from campaign.core.extensions import db
from campaign.models import LetterTemplate

from .conftest import SHARED, csrf_token
from .test_auth import login, make_user

REPS = SHARED / "data" / "reps"
SEIMAS = REPS / "tijmenb__everypolitician-data" / "data" / "Lithuania" / "Seimas"
SEIMAS_CSV = SEIMAS / "term-11.csv"
SEIMAS_POPOLO = SEIMAS / "ep-popolo-v1.0.json"
EP_CSV = REPS / "europarl__open-data-beta-testing" / "data" / "meps" / "data_v1_meps_9_en.csv"
EP_API = REPS / "Paul-Elvis-Otto__mep-list" / "input_data"


def log_in_as(client, role: str = "organiser", email: str | None = None):
    """Create an account with ``role`` and log ``client`` in; returns the user."""
    user = make_user(email or f"{role}@example.org", role)
    response = login(client, user.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return user


def token_of(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, url
    return csrf_token(page.get_data(as_text=True))


def field_error(html: str, field: str) -> str:
    """The error shown under one field."""
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    return match.group(1) if match else ""


def template_for(kind: str, language: str) -> LetterTemplate:
    return db.session.execute(
        db.select(LetterTemplate).filter_by(body_kind=kind, language=language)
    ).scalar_one()


def publish_confirmed(client, editor_url: str, form: dict, **answers):
    """Publish as an organiser does: the editor's Publish button shows the
    comparison, and its confirmation (with ``answers``: reviewed, accept_losses)
    publishes. Returns the confirmation's response."""
    form = {k: v for k, v in form.items() if k not in ("reviewed", "accept_losses")}
    step = client.post(f"{editor_url}/publish", data=form)
    html = step.get_data(as_text=True)
    assert step.status_code == 200 and "Nothing is published yet." in html, html[-2000:]
    fields = dict(
        re.findall(r'<input[^>]*name="(subject|body|compared_with)"[^>]*value="([^"]*)"', html)
    )
    data = {name: unescape(value) for name, value in fields.items()}
    return client.post(
        f"{editor_url}/publish/confirm",
        data={"csrf_token": csrf_token(html), **data, **answers},
    )
