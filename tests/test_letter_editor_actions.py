"""The editor's actions (preview, its plain-text form, draft, test letter, publish)
share one prelude, views.checked_text: the same refusals, each view thin."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from campaign.core.extensions import db
from campaign.letters import version_views, views

from . import flow
from .conftest import csrf_token
from .organisers_support import log_in_as, template_for

ACTIONS = {
    "preview": views.preview_template,
    "preview.txt": views.preview_text,
    "draft": views.save_draft,
    "test": views.send_test_letter,
    "publish": version_views.publish_template,
}


def _calls(function) -> set[str]:
    tree = ast.parse(inspect.getsource(inspect.unwrap(function)))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            target = node.func
            names.add(
                target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            )
    return names


@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_reads_its_text_through_the_one_prelude(action):
    calls = _calls(ACTIONS[action])
    assert "checked_text" in calls
    # Nothing of the prelude is repeated in the view itself.
    assert not calls & {"template_or_404", "editor_form_for", "validate_on_submit", "raw_text"}


REFUSALS = {
    "preview": None,
    "draft": "Nothing was saved: please correct the problems below.",
    "test": "Nothing was sent: please correct the problems below.",
    "publish": "Nothing was published: please correct the problems below.",
}


def test_every_action_refuses_a_wrong_marker_or_an_unreadable_form_alike(seeded, client):
    log_in_as(client)
    template = template_for("parliament", "en")
    url = f"/organise/letters/{template.id}"
    page = client.get(url).get_data(as_text=True)
    good = {
        "csrf_token": csrf_token(page),
        "subject": "Hello ⟦Representative's name⟧",
        "body": "Dear ⟦Representative name⟧,\n\n⟦Supporter's paragraph⟧\n⟦Supporter's name⟧\n",
        "representative": "sample",
        "mode": "markers",
    }
    too_long = {**good, "body": "x" * 50_001}
    for action, refusal in REFUSALS.items():
        response = client.post(f"{url}/{action}", data=good)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, action
        assert "Text, line 1: ⟦Representative name⟧ is not a marker" in html, action
        assert (refusal in html) if refusal else ("Nothing was" not in html), action
        unreadable = client.post(f"{url}/{action}", data=too_long)
        assert unreadable.status_code == 422, action
        assert "cannot be longer than 50000 characters" in unreadable.get_data(as_text=True)
    text = client.post(f"{url}/preview.txt", data=good)
    assert text.status_code == 422 and text.mimetype == "text/plain"
    assert text.get_data(as_text=True).startswith("Text, line 1: ⟦Representative name⟧")
    text = client.post(f"{url}/preview.txt", data=too_long)
    assert text.status_code == 422 and "cannot be longer than" in text.get_data(as_text=True)
    db.session.expire_all()
    assert template.draft_body is None and len(template.versions) == 1
    assert flow.outbox_messages(Path(seeded.config["OUTBOX_DIR"])) == []
