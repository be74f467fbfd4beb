"""Letters edited with readable markers and buttons, converted to the same
template text the sandbox and checks have always had."""

from __future__ import annotations

import html as html_module
import re

import pytest

from campaign.core.extensions import db
from campaign.letters import letter_markers
from campaign.letters.letter_files import default_letters

from .conftest import csrf_token
from .organisers_support import log_in_as, template_for

LETTERS = default_letters()


RAW_TEMPLATE_CODE = re.compile(r"\{\{|\{%|%\}|\}\}")


@pytest.mark.parametrize("letter", LETTERS, ids=[f.path.name for f in LETTERS])
def test_every_default_letter_converts_to_markers_and_back_byte_identical(letter):
    for raw in (letter.subject, letter.body):
        marked = letter_markers.to_markers(raw)
        assert marked is not None
        # Every tag of a default letter reads as a marker: no template code is left.
        assert not RAW_TEMPLATE_CODE.search(marked), RAW_TEMPLATE_CODE.findall(marked)
        back, problems = letter_markers.from_markers(marked)
        assert problems == [] and back == raw
    marked_body = letter_markers.to_markers(letter.body)
    assert "{{ representative.salutation }}" not in marked_body
    assert "⟦Salutation to the representative⟧" in marked_body
    assert "⟦Supporter's paragraph⟧" in marked_body
    assert "⟦Only if the supporter gave a city⟧" in marked_body
    if "{% elif supporter.resident %}" in letter.body:
        assert "⟦Otherwise, for a resident of the representative's country⟧" in marked_body
    # Line numbers stay: a marker never adds or removes a line.
    assert marked_body.count("\n") == letter.body.count("\n")


def test_the_default_letters_are_all_there():
    assert len(LETTERS) >= 45


def test_unknown_or_open_markers_are_named_with_their_line():
    raw, problems = letter_markers.from_markers(
        "Dear ⟦Representative's name⟧,\n⟦Rep name⟧\n⟦Open\n"
    )
    assert raw.startswith("Dear {{ representative.name }},")
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (2, "⟦Rep name⟧ is not a marker"),
        (3, "a marker is not closed"),
    ]
    # A text that holds the bracket itself is edited raw, never misread.
    assert letter_markers.to_markers("a ⟦ b") is None


def textarea(page: str, name: str = "body") -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', page, re.S)
    return html_module.unescape(match.group(1))


def test_the_editor_offers_markers_and_buttons_and_keeps_raw_text(seeded, client):
    log_in_as(client)
    template = template_for("parliament", "en")
    url = f"/organise/letters/{template.id}"
    page = client.get(url).get_data(as_text=True)
    assert "⟦Representative&#39;s name⟧" in page or "⟦Representative's name⟧" in page
    body = textarea(page)
    assert "{{ representative.salutation }}" not in body
    assert "⟦Salutation to the representative⟧" in body
    assert 'name="mode" type="hidden" value="markers"' in page
    assert 'data-insert="⟦Supporter&#39;s city⟧"' in page
    assert ">Only if the supporter gave a city</button>" in page
    assert ">Only for a resident of the representative&#39;s country</button>" in page
    otherwise_if = "⟦Otherwise, for a resident of the representative&#39;s country⟧"
    assert f'data-insert="{otherwise_if}">' in page
    assert "⟦Otherwise, for a resident of the representative's country⟧" in body

    # Written with markers: previewed, saved, and stored as the template text.
    written = body.replace("⟦Supporter's name⟧", "⟦Supporter's name⟧ (⟦Supporter's city⟧)")
    form = {
        "csrf_token": csrf_token(page),
        "subject": "Hello ⟦Representative's name⟧",
        "body": written,
        "representative": "sample",
        "mode": "markers",
    }
    preview = client.post(f"{url}/preview.txt", data=form)
    assert preview.status_code == 200
    assert preview.get_data(as_text=True).startswith("Subject: Hello Jane Example")
    assert client.post(f"{url}/draft", data=form).status_code == 302
    db.session.expire_all()
    assert template.draft_subject == "Hello {{ representative.name }}"
    assert "{{ supporter.name }} ({{ supporter.city }})" in template.draft_body
    assert "⟦" not in template.draft_body

    # A wrong marker is named with its line; nothing is saved.
    bad = {**form, "body": "Dear ⟦Representative name⟧,\n\n⟦Supporter's paragraph⟧\n"}
    refused = client.post(f"{url}/draft", data=bad)
    assert refused.status_code == 422
    assert "Text, line 1: ⟦Representative name⟧ is not a marker" in refused.get_data(as_text=True)
    text = client.post(f"{url}/preview.txt", data=bad)
    assert text.status_code == 422 and "is not a marker" in text.get_data(as_text=True)

    # The raw text stays available, through the same checks.
    raw_page = client.get(f"{url}?raw=1").get_data(as_text=True)
    assert "{{ supporter.city }}" in textarea(raw_page) and 'value="markers"' not in raw_page
    raw_form = {**form, "mode": "", "body": "Dear {{ representative.nam }},\n"}
    raw = client.post(f"{url}/preview.txt", data=raw_form)
    assert raw.status_code == 422 and "representative.nam" in raw.get_data(as_text=True)
