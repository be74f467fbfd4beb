"""What an outside review sent to the letter editor (H1, L1 for templates): text that
grows without bound, and nesting deep enough to break Jinja's parser or Python's
compiler. Each is refused as a form error at its line, nothing is saved, and a
stored version that breaks the rules is never rendered for supporters."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaign.core.extensions import db
from campaign.letters import compose
from campaign.models import AuditEntry, Body, Campaign, Letter, Representative, TemplateVersion

from . import flow
from .organisers_support import log_in_as, template_for
from .test_template_editor import editor_form

WITH_LEVEL = "{% with representative = {'name': representative.name ~ representative.name} %}"


def with_bomb(levels: int) -> str:
    """The review's payload: each level doubles the name, 2**levels times in all."""
    return WITH_LEVEL * levels + "{{ representative.name }}" + "{% endwith %}" * levels + "\n"


DEEP_PAYLOADS = {
    "120 nested if": "{% if supporter.name %}" * 120 + "x" + "{% endif %}" * 120 + "\n",
    "2,000 (": "{{ " + "(" * 2000 + "supporter.name" + ")" * 2000 + " }}\n",
    "500 [": "{{ " + "[" * 500 + "]" * 500 + " }}\n",
    "26 levels of with": with_bomb(26),
}
ACTIONS = ("preview", "draft", "publish", "test")


@pytest.mark.parametrize("name", DEEP_PAYLOADS)
def test_deep_nesting_is_a_form_error_on_every_editor_action(seeded, client, name):
    log_in_as(client)
    template = template_for("european_parliament", "en")
    url = f"/organise/letters/{template.id}"
    page = client.get(url).get_data(as_text=True)
    body = "Dear {{ representative.name }},\n" + DEEP_PAYLOADS[name]
    for action in ACTIONS:
        response = client.post(f"{url}/{action}", data=editor_form(page, "Subject", body))
        html = response.get_data(as_text=True)
        assert response.status_code == 422, (name, action, response.status_code)
        assert "Please correct these problems" in html and "Text, line 2:" in html, action
    text = client.post(f"{url}/preview.txt", data=editor_form(page, "Subject", body))
    assert text.status_code == 422 and text.get_data(as_text=True).startswith("Text, line 2:")
    db.session.expire_all()
    assert template.draft_body is None and len(template.versions) == 1
    assert db.session.execute(db.select(db.func.count(AuditEntry.id))).scalar() == 0
    assert flow.outbox_messages(Path(seeded.config["OUTBOX_DIR"])) == []


@pytest.mark.parametrize(
    "body, word",
    [
        (with_bomb(3), "“{% with %}” is not available"),
        ("{% with x = supporter.name %}{{ x }}{% endwith %}\n", "“{% with %}” is not available"),
        ("{{ {'a': supporter.name}['a'] }}\n", "“{…}” is not available"),
        ("{{ [supporter.name, supporter.name]|first }}\n", "“[…]” is not available"),
        ("{{ (supporter.name, supporter.name)|last }}\n", "“(…, …)” is not available"),
        ("{% filter upper %}{{ supporter.name }}{% endfilter %}\n", "“{% filter %}”"),
        ("{% block b %}{{ supporter.name }}{% endblock %}\n", "“{% block %}”"),
    ],
)
def test_constructs_that_bind_or_build_values_are_refused(seeded, client, body, word):
    log_in_as(client)
    template = template_for("european_parliament", "en")
    url = f"/organise/letters/{template.id}"
    page = client.get(url).get_data(as_text=True)
    response = client.post(f"{url}/preview.txt", data=editor_form(page, "S", "x\n" + body))
    assert response.status_code == 422
    assert response.get_data(as_text=True).startswith("Text, line 2: " + word)


def test_a_letter_longer_than_the_limit_is_refused_naming_the_limit(seeded, client):
    log_in_as(client)
    template = template_for("european_parliament", "en")
    url = f"/organise/letters/{template.id}"
    page = client.get(url).get_data(as_text=True)
    # Short with the sample supporter; 32,000 characters with the longest paragraph.
    body = "{{ supporter.personal_paragraph }}\n" * 16
    response = client.post(f"{url}/publish", data=editor_form(page, "S", body))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "it would be longer than 30,000 characters, the limit" in html
    db.session.expire_all()
    assert len(template.versions) == 1


def test_rendering_stops_at_the_limit_as_the_text_is_produced():
    context = {"supporter": {"name": "x" * 20_000, "city": "", "personal_paragraph": ""}}
    source = "{{ supporter.name }}\n" * 1000  # 20 MB if it were built
    with pytest.raises(compose.TooLong):
        compose.render_text(source, context)
    assert len(compose.render_text(source, context, limit=10**8)) == 20_001_000


def seeded_campaign() -> Campaign:
    return db.session.execute(db.select(Campaign)).scalars().first()


def test_a_stored_bomb_is_never_rendered_and_is_listed_to_organisers(seeded, client):
    """A version saved before the rules (the review published 22 levels): anonymous
    GETs of the letters page used to build a 42 MB string each."""
    rep = (
        db.session.execute(
            db.select(Representative)
            .join(Body)
            .filter(Body.kind == "european_parliament")
            .order_by(Representative.id)
        )
        .scalars()
        .first()
    )
    template = compose.choose_version(seeded_campaign(), rep).template
    version = TemplateVersion(
        template_id=template.id,
        number=2,
        subject="About {{ representative.name }}",
        body=with_bomb(22),
        reviewed=False,
        source="stored before the sandbox rules",
    )
    db.session.add(version)
    db.session.flush()
    template.published_version_id = version.id
    db.session.commit()
    page = flow.letters_page(client, "EU", [rep.id])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert rep.name * 2 not in html
    # The supporter's send finds no letter to write: a message, nothing stored.
    response = client.post(
        "/write/EU/letters",
        data=flow.Details().form(flow.csrf_token(html), [rep.id]),
    )
    assert response.status_code < 500
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 0

    log_in_as(client)
    listing = client.get(f"/organise/campaigns/{template.campaign_id}/letters")
    text = listing.get_data(as_text=True)
    assert "Published letters that are not sent" in text
    assert "version 2" in text and "blocks are nested more than 20 deep" in text
    editor = client.get(f"/organise/letters/{template.id}").get_data(as_text=True)
    assert "The published version is not sent" in editor
