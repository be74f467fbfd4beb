"""What is sent is what was previewed: the letter form carries the template version
each previewed letter came from, and a letter whose published text changed since
(or a record altered on the way) is not sent but shown again (supporters.submissions)."""

from __future__ import annotations

import html as html_module
import re
from pathlib import Path

import pytest

from campaign.core.extensions import db
from campaign.letters.template_editing import add_version
from campaign.letters.text_versions import END, OR, START
from campaign.models import Campaign, Letter, LetterTemplate, TemplateVersion
from campaign.supporters import submissions

from . import flow
from .organisers_support import template_for

CHANGED = "The letter text was updated since you previewed it; please read it again before sending."
NEW_SUBJECT = "A newly published subject"


def _rep():
    return next(r for r in flow.representatives_of("IE") if r.body.kind == "parliament")


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no {name} field in the page"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html_module.unescape(value.group(1)) if value else ""


def _preview(client, rep_id: int, details: flow.Details):
    page = flow.letters_page(client, "IE", [rep_id])
    token = flow.csrf_token(page.get_data(as_text=True))
    preview = client.post("/write/IE/letters", data=details.form(token, [rep_id], "preview"))
    assert preview.status_code == 200
    return token, preview.get_data(as_text=True)


def _send(client, token: str, rep_id: int, details: flow.Details, previewed: str):
    data = details.form(token, [rep_id])
    data["previewed_versions"] = previewed
    return client.post("/write/IE/letters", data=data)


def _publish_new_subject():
    template = template_for("parliament", "en")
    version = add_version(template, NEW_SUBJECT, template.published_version.body, True, "test")
    db.session.commit()
    return version


def _letters():
    return db.session.execute(db.select(Letter)).scalars().all()


def test_the_preview_records_the_versions_it_was_rendered_from(seeded, client):
    rep = _rep()
    published = template_for("parliament", "en").published_version
    _token, html = _preview(client, rep.id, flow.Details(email="a@example.org"))
    assert _hidden(html, "previewed_versions") == f"{rep.id}:{published.id}"
    assert CHANGED not in html_module.unescape(html)


def test_a_publish_between_preview_and_send_shows_the_new_text_and_sends_nothing(seeded, client):
    rep = _rep()
    details = flow.Details(email="between@example.org")
    token, html = _preview(client, rep.id, details)
    old_subject = template_for("parliament", "en").published_version.subject
    assert old_subject in html_module.unescape(html)

    new_version = _publish_new_subject()
    sent = _send(client, token, rep.id, details, _hidden(html, "previewed_versions"))
    again = html_module.unescape(sent.get_data(as_text=True))
    assert sent.status_code == 200
    assert _letters() == []
    # The message at the top, the new text below it, and the record of the new preview.
    assert again.index(CHANGED) < again.index("The letters")
    assert NEW_SUBJECT in again
    assert _hidden(again, "previewed_versions") == f"{rep.id}:{new_version.id}"

    # Sending again, having read the new text, sends exactly that.
    resent = _send(client, token, rep.id, details, _hidden(again, "previewed_versions"))
    assert resent.status_code == 302
    (letter,) = _letters()
    assert letter.template_version_id == new_version.id
    assert letter.subject == NEW_SUBJECT


def test_an_invalid_send_after_a_publish_also_says_the_text_changed(seeded, client):
    rep = _rep()
    details = flow.Details(email="invalid@example.org")
    token, html = _preview(client, rep.id, details)
    _publish_new_subject()
    details.consent = False
    sent = _send(client, token, rep.id, details, _hidden(html, "previewed_versions"))
    page = html_module.unescape(sent.get_data(as_text=True))
    assert sent.status_code == 200 and CHANGED in page and NEW_SUBJECT in page
    assert _letters() == []


def _other_campaigns_version() -> TemplateVersion:
    other = Campaign(slug="other", title="Other")
    db.session.add(other)
    template = LetterTemplate(campaign=other, language="en", body_kind="parliament")
    db.session.add(template)
    db.session.flush()
    version = TemplateVersion(
        template=template,
        number=1,
        subject="The other campaign's subject",
        body="Dear {{ representative.name }},\n\nThe other campaign's letter.\n",
    )
    db.session.add(version)
    db.session.flush()
    template.published_version_id = version.id
    db.session.commit()
    return version


@pytest.mark.parametrize(
    "record",
    [
        "foreign",
        "other-language",
        "{rep}:999999999",
        "{rep}:abc",
        "not a record",
        "{rep}:{own},{rep}",
        "{rep}:" + "9" * 40,
        "1:1," * 6000,
        "{rep}:١٢",
    ],
)
def test_a_tampered_record_shows_the_letters_again_never_a_500(seeded, client, record):
    rep = _rep()
    own = template_for("parliament", "en").published_version
    if record == "foreign":
        record = f"{rep.id}:{_other_campaigns_version().id}"
    elif record == "other-language":
        record = f"{rep.id}:{template_for('parliament', 'de').published_version.id}"
    else:
        record = record.format(rep=rep.id, own=own.id)
    details = flow.Details(email="tamper@example.org")
    token, _html = _preview(client, rep.id, details)
    sent = _send(client, token, rep.id, details, record)
    page = html_module.unescape(sent.get_data(as_text=True))
    assert sent.status_code == 200
    assert CHANGED in page
    assert "The other campaign" not in page
    assert own.subject in page
    assert _letters() == []


def test_submit_refuses_a_letter_from_another_version_than_previewed(seeded):
    campaign = db.session.execute(db.select(Campaign)).scalars().first()
    rep = _rep()
    published = template_for("parliament", "en").published_version
    details = submissions.SupporterDetails(name="Writer", email="w@example.org", city="Cork")
    with pytest.raises(submissions.TextChanged):
        submissions.submit(campaign, [rep], details, previewed={rep.id: published.id + 1000})
    # A letter shown for a representative the page did not preview is not sent either.
    with pytest.raises(submissions.TextChanged):
        submissions.submit(campaign, [rep], details, previewed={})
    assert _letters() == []
    submissions.submit(campaign, [rep], details, previewed={rep.id: published.id})
    (letter,) = _letters()
    assert letter.template_version_id == published.id


def test_the_record_parses_only_well_formed_pairs():
    assert submissions.parse_previewed("") is None
    assert submissions.parse_previewed(None) is None
    assert submissions.parse_previewed("3:14,5:9") == {3: 14, 5: 9}
    for junk in ("3", "3:", ":4", "a:1", "3:4,", "3:4;5:6", "²:1", "1:-2"):
        assert submissions.parse_previewed(junk) == {}, junk


# -- the organiser's preview ---------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "constituent", "elsewhere"),
    [
        (
            "be",
            "── Ад выбаршчыка з акругі (або жыхара іх краіны) ──",
            "── Ад прыхільніка, які жыве ў іншым месцы або не сказаў ──",
        ),
        (
            "ru",
            "── От избирателя из округа (или жителя их страны) ──",
            "── От сторонника, который живёт в другом месте или не сказал ──",
        ),
    ],
)
def test_the_organisers_preview_of_versions_speaks_the_interface_language(
    seeded, client, language, constituent, elsewhere
):
    from .organisers_support import log_in_as

    log_in_as(client)
    template = template_for("parliament", "en")
    version = template.published_version
    subject = f"{START}Free them now{OR}Release them{END}"
    body = version.body.replace("\n\n", f"\n\n{START}One.{OR}Two.{END}\n\n", 1)
    url = f"/organise/letters/{template.id}"
    headers = {"Accept-Language": language}
    page = client.get(f"{url}?raw=1", headers=headers).get_data(as_text=True)
    data = {
        "csrf_token": flow.csrf_token(page),
        "subject": subject,
        "body": body,
        "representative": "sample",
    }
    text = client.post(f"{url}/preview.txt", data=data, headers=headers).get_data(as_text=True)
    assert constituent in text and elsewhere in text
    assert "From a constituent" not in text and "did not say" not in text
    assert "Free them now" in text and "One." in text
    # The page's own preview (without the script) says the same.
    html = client.post(f"{url}/preview", data=data, headers=headers).get_data(as_text=True)
    assert constituent in html_module.unescape(html)


def test_the_preview_separators_reach_the_catalogue():
    """`make messages` extracts them (babel does not look inside f-strings), so a
    catalogue update keeps their translations."""
    from babel.messages.extract import extract_from_file

    root = Path(__file__).resolve().parent.parent / "campaign" / "letters"
    found = {
        message
        for name in ("views.py", "template_preview.py")
        for _line, message, _comments, _context in extract_from_file(
            "python", str(root / name), keywords={"_": None}
        )
    }
    assert {
        "From a constituent (or a resident of their country)",
        "From a supporter who lives elsewhere or did not say",
        "Test",
    } <= found
