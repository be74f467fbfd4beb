"""The letter editor: validation with line numbers, drafts, publish, versions,
diff, rollback, preview, test letter. Every refused text changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaign.core.extensions import db
from campaign.letters import compose, template_setup
from campaign.letters import template_editing as editing
from campaign.letters.letter_files import default_letters
from campaign.models import AuditEntry, Campaign, LetterTemplate, Representative
from campaign.seed import APPEAL_FIGURES

from . import flow
from .conftest import csrf_token
from .organisers_support import field_error, log_in_as, template_for

GOOD_BODY = "Dear {{ representative.name }},\n\nPlease act.\n\n{{ supporter.name }}\n"


def unsaved(kind: str = "parliament", language: str = "lt") -> LetterTemplate:
    """A letter that is in no session and no database: validation needs neither."""
    campaign = Campaign(slug="c", title="C", default_language="en", **APPEAL_FIGURES)
    return LetterTemplate(language=language, body_kind=kind, campaign=campaign)


def problems(template, subject: str, body: str) -> list[tuple[str, int | None, str]]:
    subject, body = editing.normalise(subject, body)
    return [(p.field, p.line, p.message) for p in editing.validate(template, subject, body)]


def test_every_default_letter_passes_validation():
    for letter in default_letters():
        template = unsaved(letter.body_kind, letter.language)
        assert problems(template, letter.subject, letter.body) == [], letter.path.name


@pytest.mark.parametrize(
    "body, line, fragment",
    [
        (
            "Dear {{ representative.name }},\n\n"
            "{% if supporter.city %}\nfrom {{ supporter.city }}\n",
            3,
            "{% if %} is never closed: add {% endif %}",
        ),
        (
            "{% for x in [1] %}\n{% if x %}{{ x }}{% endif %}\n\nno end\n",
            1,
            "{% for %} is never closed",
        ),
        (
            "{% if supporter.city %}\n{% endfor %}\n",
            2,
            "{% endfor %} does not fit here: close the {% if … %} above with {% endif %} first",
        ),
        ("Hello\n\n{{ representative.name \n", 3, "the text ends inside a tag: close it with }}"),
        ("Hello\n{{ supporter.name|shout }}\n", 2, "the filter “shout” is not available"),
        ("Hello\n\nDear {{ representive.name }}\n", 3, "unknown variable “representive”"),
        ("Hello\n\n\n{{ representative.email }}\n", 4, "“representative.email” does not exist"),
        ("{{ representative['nme'] }}\n", 1, "“representative.nme” does not exist"),
        ("x\n{{ supporter }}\n", 2, "“supporter” alone is not a value"),
        ("x\n{% include 'base.html' %}\n", 2, "“{% include %}” is not available"),
        ("x\n{{ range }}\n", 2, "unknown variable “range”"),
        ("x\n\n{{ 'a' * 1000000000 }}\n", 3, "“*” is not available"),
        ("x\n{{ 'a' ** 9 }}\n", 2, "“**” is not available"),
        ("x\n{{ '%999999999s' % 'a' }}\n", 2, "“%” is not available"),
        ("x\n{{ 'a'.center(999999999) }}\n", 2, "“(…)” is not available"),
        ("x\n{{ 'a'|center(999999999) }}\n", 2, "the filter “center” is not available"),
        ("{% set a = supporter.name %}\n{% set a = a ~ a %}\n", 1, "“{% set %}” is not available"),
        (
            "x\n{% for c in supporter.name %}{{ c }}{% endfor %}\n",
            2,
            "“{% for %}” is not available",
        ),
        ("x\n{% macro m() %}{% endmacro %}\n", 2, "“{% macro %}” is not available"),
        ("x\n{{ ''.__class__ }}\n", 2, "names starting with “_”"),
        ("x\n{{ supporter.name is nosuchtest }}\n", 2, "“is nosuchtest” is not a check"),
        ("ok\n\n{{ figures.imprisoned / 0 }}\n", 3, "cannot be rendered for every"),
        ("ok\n\n{{ supporter.name.nosuchthing }}\n", 3, "cannot be rendered for every"),
    ],
)
def test_bad_bodies_are_refused_with_the_line(body, line, fragment):
    template = unsaved()
    found = problems(template, "Subject", body)
    assert any(p[0] == "body" and p[1] == line and fragment in p[2] for p in found), found


def test_subject_problems():
    template = unsaved()
    assert problems(template, "", GOOD_BODY)[0][2] == "The subject is empty."
    assert problems(template, "Hi {{ supporter.nme }}", GOOD_BODY)[0][:2] == ("subject", 1)
    assert problems(template, "Hi {{ supporter.name }}", "") == [
        ("body", None, "The text is empty.")
    ]


def test_conditions_filters_and_concatenation_are_fine():
    template = unsaved("parliament", "en")
    body = (
        "Dear {{ representative.title ~ ' ' ~ representative.name|upper }},\n"
        "{% if supporter.city and representative.constituency != supporter.city %}x"
        "{% elif not supporter.city %}y{% else %}z{% endif %}\n"
        "{{ representative.party|default('independent', true)|trim }}\n"
        "{% if supporter.personal_paragraph is string %}"
        "{{ supporter.personal_paragraph|truncate(2000) }}{% endif %}\n"
    )
    assert problems(template, "S {{ figures.as_of|lower }}", body) == []


def test_drafts_publish_versions_diff_and_rollback(seeded):
    template = template_for("parliament", "lt")
    organiser = flow_user("organiser")
    original = template.published_version
    assert original.number == 1

    # A refused draft changes nothing.
    with pytest.raises(editing.TemplateInvalid) as refused:
        editing.save_draft(template, "S", "{{ nope }}\n", organiser)
    assert refused.value.problems[0].line == 1
    db.session.expire_all()
    assert template.draft_body is None and len(template.versions) == 1

    assert editing.save_draft(
        template, original.subject, original.body + "\nP.S. Ačiū.\n", organiser
    )
    assert template.draft_body.endswith("P.S. Ačiū.\n")
    # Supporters still get the published version, never the draft.
    rep = db.session.execute(
        db.select(Representative).filter_by(country="LT").limit(1)
    ).scalar_one()
    assert compose.choose_version(template.campaign, rep).id == original.id

    version = editing.publish(
        template, template.draft_subject, template.draft_body, True, organiser
    )
    assert version.number == 2 and version.reviewed and template.draft_body is None
    assert compose.choose_version(template.campaign, rep).id == version.id
    with pytest.raises(editing.EditingError, match="nothing to publish"):
        editing.publish(template, version.subject, version.body, True, organiser)

    comparison = editing.compare_versions(template, 1, 2)
    added = "".join(text for kind, text in comparison.new if kind == "added")
    assert added.strip() == "P.S. Ačiū." and comparison.added_words == 3
    assert all(kind == "same" for kind, _text in comparison.old)
    with pytest.raises(editing.EditingError, match="no version 9"):
        editing.compare_versions(template, 1, 9)

    back = editing.rollback(template, 1, organiser)
    assert back.number == 3 and (back.subject, back.body, back.reviewed) == (
        original.subject,
        original.body,
        original.reviewed,
    )
    assert "rollback to version 1" in back.source
    assert [v.number for v in template.versions] == [1, 2, 3]
    assert compose.choose_version(template.campaign, rep).id == back.id
    with pytest.raises(editing.EditingError, match="published one already"):
        editing.rollback(template, 3, organiser)

    # History is immutable.
    version.body = "rewritten"
    with pytest.raises(ValueError, match="immutable"):
        db.session.commit()
    db.session.rollback()
    actions = (
        db.session.execute(
            db.select(AuditEntry.action).filter_by(object_type="template").order_by(AuditEntry.id)
        )
        .scalars()
        .all()
    )
    assert actions == ["draft", "publish", "rollback"]


def test_letters_record_the_version_they_were_written_from(seeded, client):
    template = template_for("parliament", "de")
    organiser = flow_user("organiser")
    version = editing.publish(
        template, "Neu: {{ representative.name }}", GOOD_BODY, False, organiser, accept_losses=True
    )
    rep_ids = [r.id for r in flow.representatives_of("DE") if r.body.kind == "parliament"][:1]
    assert flow.submit(client, "DE", rep_ids, flow.Details()).status_code == 302
    from campaign.models import Letter

    letter = db.session.execute(db.select(Letter)).scalar_one()
    assert letter.template_version_id == version.id and letter.subject.startswith("Neu: ")


def test_new_letters_start_from_the_default_text(seeded):
    from campaign.campaigns.campaigns import create_campaign, values_of

    organiser = flow_user("organiser")
    values = values_of(template_for("parliament", "lt").campaign)
    bare = create_campaign({**values, "slug": "bare"}, organiser, default_letters=False)
    assert bare.templates == []
    template = template_setup.create_template(bare, "lt", "parliament", organiser)
    assert template.published_version_id is None
    assert (
        template.draft_body
        == (Path(editing.default_letter("parliament", "lt").path))
        .read_text(encoding="utf-8")
        .partition("\n\n")[2]
    )
    assert editing.editor_text(template).origin == "draft"
    empty = template_setup.create_template(bare, "hr", "parliament", organiser)
    assert empty.draft_body is None and editing.editor_text(empty).origin == "empty"
    with pytest.raises(editing.EditingError, match="exists already"):
        template_setup.create_template(bare, "lt", "parliament", organiser)


def flow_user(role: str):
    from .test_auth import make_user

    return make_user(f"{role}-{role}@example.org", role)


# -- through the web -----------------------------------------------------------


def editor_form(page_html: str, subject: str, body: str, **extra) -> dict:
    return {
        "csrf_token": csrf_token(page_html),
        "subject": subject,
        "body": body,
        "representative": "sample",
        **extra,
    }


def test_a_syntax_error_is_shown_with_its_line_and_nothing_is_saved(seeded, client):
    log_in_as(client)
    template = template_for("parliament", "lt")
    url = f"/organise/letters/{template.id}"
    page = client.get(url).get_data(as_text=True)
    assert (
        "Reviewed by a native speaker." not in page
        and "Not reviewed by a native speaker yet." in page
    )
    broken = template.published_version.body.replace("{% endif %}", "", 1)
    for action in ("draft", "publish", "preview", "test"):
        response = client.post(f"{url}/{action}", data=editor_form(page, "Subject", broken))
        html = response.get_data(as_text=True)
        assert response.status_code == 422, action
        assert "Text, line " in html and "Please correct these problems" in html
    db.session.expire_all()
    assert template.draft_body is None and len(template.versions) == 1
    assert db.session.execute(db.select(db.func.count(AuditEntry.id))).scalar() == 0


def test_preview_without_javascript_and_as_text(seeded, client):
    log_in_as(client)
    template = template_for("parliament", "lt")
    rep = db.session.execute(
        db.select(Representative).filter_by(country="LT").limit(1)
    ).scalar_one()
    url = f"/organise/letters/{template.id}"
    page = client.get(url).get_data(as_text=True)
    assert f'<option value="{rep.id}">' in page and 'src="/static/template-preview.js"' in page
    assert "<script>" not in page and "style=" not in page
    body = (
        "Gerb. {{ representative.title }} {{ representative.name }},\n\n"
        "{{ supporter.personal_paragraph }}\n"
    )
    response = client.post(
        f"{url}/preview",
        data=editor_form(
            page, "Dėl {{ representative.constituency }}", body, representative=str(rep.id)
        ),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Gerb. {rep.title} {rep.name}," in html and f"Dėl {rep.constituency}" in html
    text = client.post(
        f"{url}/preview.txt", data=editor_form(page, "S", "Dear {{ representative.name }}\n")
    )
    plain = text.get_data(as_text=True)
    assert text.mimetype == "text/plain" and plain.startswith("Subject: S\n\n")
    assert plain.count("Dear Jane Example\n") == 2  # from a constituent, then from elsewhere
    bad = client.post(
        f"{url}/preview.txt", data=editor_form(page, "S", "x\n{{ representative.nam }}\n")
    )
    assert bad.status_code == 422 and bad.get_data(as_text=True).startswith(
        "Text, line 2: “representative.nam”"
    )
    db.session.expire_all()
    assert template.draft_body is None and len(template.versions) == 1


def test_test_letter_goes_only_to_the_organiser(seeded, client):
    log_in_as(client)
    template = template_for("parliament", "en")
    rep = db.session.execute(
        db.select(Representative).filter_by(country="IE").limit(1)
    ).scalar_one()
    url = f"/organise/letters/{template.id}"
    page = client.get(url).get_data(as_text=True)
    response = client.post(
        f"{url}/test",
        data=editor_form(
            page, "Hello {{ representative.name }}", GOOD_BODY, representative=str(rep.id)
        ),
    )
    assert response.status_code == 200
    assert "A test letter was sent to organiser@example.org" in response.get_data(as_text=True)
    messages = flow.outbox_messages(Path(seeded.config["OUTBOX_DIR"]))
    assert len(messages) == 1
    message = messages[0]
    assert (
        message["To"] == "organiser@example.org"
        and message["Subject"] == f"[Test] Hello {rep.name}"
    )
    assert rep.email not in str(message)
    db.session.expire_all()
    assert template.draft_body is None and len(template.versions) == 1


def test_add_a_letter_for_a_new_language(seeded, client):
    log_in_as(client)
    campaign = template_for("parliament", "lt").campaign
    url = f"/organise/campaigns/{campaign.id}/letters"
    page = client.get(url).get_data(as_text=True)
    bad = client.post(
        url, data={"csrf_token": csrf_token(page), "language": "xx", "body_kind": "parliament"}
    )
    assert bad.status_code == 422 and "two-letter language code" in bad.get_data(as_text=True)
    dup = client.post(
        url, data={"csrf_token": csrf_token(page), "language": "lt", "body_kind": "parliament"}
    )
    assert dup.status_code == 422 and "exists already" in dup.get_data(as_text=True)
    ok = client.post(
        url, data={"csrf_token": csrf_token(page), "language": "fi", "body_kind": "ministry"}
    )
    assert ok.status_code == 302
    editor = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "Not published: supporters do not get this letter yet." in editor


def test_discard_a_draft_and_load_the_default_text(seeded, client):
    log_in_as(client)
    template = template_for("parliament", "pl")
    url = f"/organise/letters/{template.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Discard the draft" not in page
    saved = client.post(f"{url}/draft", data=editor_form(page, "Temat", GOOD_BODY))
    assert saved.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "You are editing the draft" in page and "Please act." in page
    default = client.get(f"{url}?start=default").get_data(as_text=True)
    assert "The default text is in the editor; it is not saved yet." in default
    assert "Please act." not in default and "letters/parliament.pl.txt" in default
    discarded = client.post(f"{url}/discard", data={"csrf_token": csrf_token(page)})
    assert discarded.status_code == 302
    db.session.expire_all()
    assert template.draft_body is None and len(template.versions) == 1
    again = client.post(f"{url}/discard", data={"csrf_token": csrf_token(page)})
    assert "There is no draft to discard." in client.get(again.headers["Location"]).get_data(
        as_text=True
    )


def test_preview_shows_what_a_constituent_and_a_supporter_elsewhere_claim(seeded, client):
    """The default letter, previewed for a real member: the constituent's letter
    names the member's constituency, the other one claims nothing about residence."""
    log_in_as(client)
    template = template_for("parliament", "en")
    rep = db.session.execute(
        db.select(Representative).filter_by(country="IE").limit(1)
    ).scalar_one()
    url = f"/organise/letters/{template.id}"
    page = client.get(url).get_data(as_text=True)
    version = template.published_version
    text = client.post(
        f"{url}/preview.txt",
        data=editor_form(page, version.subject, version.body, representative=str(rep.id)),
    ).get_data(as_text=True)
    constituent, _sep, elsewhere = text.partition("From a supporter who lives elsewhere")
    assert f"I live in your constituency, {rep.constituency}," in constituent
    assert "I live in" not in elsewhere and rep.constituency not in elsewhere
    assert "I am writing to ask you to stand up" in elsewhere


def test_a_nul_character_in_a_letter_is_refused_with_the_reason(seeded, client):
    """PostgreSQL cannot store U+0000 in text: the organiser is told, nothing is saved."""
    log_in_as(client)
    template = template_for("parliament", "pl")
    url = f"/organise/letters/{template.id}"
    page = client.get(url).get_data(as_text=True)
    for action in ("draft", "publish"):
        response = client.post(
            f"{url}/{action}", data=editor_form(page, "Temat\x00", "\x00" + GOOD_BODY)
        )
        assert response.status_code == 422, action
        html = response.get_data(as_text=True)
        for field in ("subject", "body"):
            assert "invisible control character (U+0000)" in field_error(html, field), action
    db.session.expire_all()
    assert template.draft_body is None and len(template.versions) == 1
