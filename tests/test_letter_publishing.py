"""Publishing is deliberate: a word-level comparison with the published text, a
confirmation, a refusal of texts that drop the supporter's name or paragraph
unless the loss is accepted, a review mark asked afresh, and an overview of
which letters a native speaker has reviewed."""

from __future__ import annotations

import re

from campaign.core.extensions import db
from campaign.models import AuditEntry, Campaign

from .conftest import csrf_token
from .organisers_support import log_in_as, publish_confirmed, template_for

BARE = "Dear {{ representative.name }}, Please act.\n"


def editor(client, template):
    url = f"/organise/letters/{template.id}"
    return url, client.get(url).get_data(as_text=True)


def form(page: str, subject: str, body: str) -> dict:
    return {
        "csrf_token": csrf_token(page),
        "subject": subject,
        "body": body,
        "representative": "sample",
    }


def test_publish_shows_a_word_level_comparison_first_and_publishes_on_confirmation(seeded, client):
    log_in_as(client)
    template = template_for("parliament", "en")
    published = template.published_version
    url, page = editor(client, template)
    changed = published.body.replace("the release of every", "the immediate release of every")
    assert changed != published.body

    step = client.post(f"{url}/publish", data=form(page, published.subject, changed))
    html = step.get_data(as_text=True)
    assert step.status_code == 200 and "Nothing is published yet." in html
    assert "<ins>immediate </ins>" in html or "<ins>immediate</ins>" in html
    assert "@@" not in html and "+++" not in html
    # Both texts whole, side by side: the published one and the new one.
    assert 'class="compare-old"' in html and 'class="compare-new"' in html
    assert "Words added: 1; words removed: 0." in html
    db.session.expire_all()
    assert len(template.versions) == 1 and template.published_version_id == published.id

    done = publish_confirmed(client, url, form(page, published.subject, changed))
    assert done.status_code == 302
    db.session.expire_all()
    assert template.published_version.number == 2 and "immediate release" in (
        template.published_version.body
    )


def test_a_text_without_name_or_paragraph_needs_the_loss_accepted(seeded, client):
    log_in_as(client)
    template = template_for("parliament", "en")
    url, page = editor(client, template)
    step = client.post(f"{url}/publish", data=form(page, "Please act", BARE))
    html = step.get_data(as_text=True)
    assert step.status_code == 200
    assert "does not carry the supporter&#39;s name" in html
    assert "will be thrown away" in html and 'name="accept_losses"' in html

    hidden = dict(
        re.findall(r'name="(subject|body|compared_with)" type="hidden" value="([^"]*)"', html)
    )
    refused = client.post(f"{url}/publish/confirm", data={"csrf_token": csrf_token(html), **hidden})
    assert refused.status_code == 422
    assert "tick this box to publish a text that drops this" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert len(template.versions) == 1

    accepted = client.post(
        f"{url}/publish/confirm",
        data={"csrf_token": csrf_token(html), **hidden, "accept_losses": "y"},
    )
    assert accepted.status_code == 302
    db.session.expire_all()
    assert template.published_version.body == BARE
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="publish")).scalar_one()
    assert "accepted 2 loss(es) for supporters" in entry.summary

    # A text with both needs no such box.
    good = (
        "Dear {{ representative.name }},\n\n{{ supporter.personal_paragraph }}\n\n"
        "{{ supporter.name }}\n"
    )
    html = client.post(f"{url}/publish", data=form(page, "Please act", good)).get_data(as_text=True)
    assert 'name="accept_losses"' not in html and "Nothing is published yet." in html


def test_the_review_mark_is_asked_afresh_on_every_publish(seeded, client):
    organiser = log_in_as(client)
    template = template_for("parliament", "en")
    assert template.published_version.reviewed  # letters/parliament.en.txt says so
    url, page = editor(client, template)
    assert 'name="reviewed"' not in page  # the editor no longer carries it over

    edited = template.published_version.body + "\nThank you.\n"
    step = client.post(f"{url}/publish", data=form(page, "Edited", edited)).get_data(as_text=True)
    box = re.search(r'<input[^>]*name="reviewed"[^>]*>', step).group(0)
    assert "checked" not in box
    assert publish_confirmed(client, url, form(page, "Edited", edited)).status_code == 302
    db.session.expire_all()
    assert template.published_version.reviewed is False

    # The overview tells it: parliament in English now goes out unreviewed.
    overview = client.get(f"/organise/campaigns/{template.campaign_id}/translations")
    html = overview.get_data(as_text=True)
    cell = re.search(
        r'<td class="review-(\w+)" data-kind="parliament" data-language="en">(.*?)</td>', html, re.S
    )
    assert cell.group(1) == "unreviewed" and "Not reviewed" in cell.group(2)

    _url, page = editor(client, template)
    assert (
        publish_confirmed(client, url, form(page, "Edited", edited), reviewed="y").status_code
        == 302
    )
    html = client.get(f"/organise/campaigns/{template.campaign_id}/translations").get_data(
        as_text=True
    )
    cell = re.search(
        r'<td class="review-(\w+)" data-kind="parliament" data-language="en">(.*?)</td>', html, re.S
    )
    db.session.expire_all()
    day = template.published_version.created_at.strftime("%Y-%m-%d")
    assert cell.group(1) == "reviewed" and f"{organiser.email}, {day}" in cell.group(2)


def test_the_translation_overview_counts_every_letter(seeded, client):
    log_in_as(client)
    campaign = db.session.execute(db.select(Campaign).order_by(Campaign.id)).scalars().first()
    html = client.get(f"/organise/campaigns/{campaign.id}/translations").get_data(as_text=True)
    states = re.findall(r'<td class="review-(\w+)" data-kind="(\w+)" data-language="(\w+)">', html)
    assert len(states) == 45
    assert sum(1 for s, _k, _l in states if s == "reviewed") == 3
    assert sum(1 for s, _k, _l in states if s == "unreviewed") == 42
    assert "<strong>3</strong> reviewed" in html and "<strong>42</strong> not reviewed" in html
    reviewed = re.search(
        r'<td class="review-reviewed" data-kind="ministry" data-language="en">(.*?)</td>',
        html,
        re.S,
    ).group(1)
    assert "letters/ministry.en.txt" in reviewed

    # A language with one letter only: the other body kinds show as missing.
    letters = f"/organise/campaigns/{campaign.id}/letters"
    page = client.get(letters).get_data(as_text=True)
    assert f'href="/organise/campaigns/{campaign.id}/translations"' in page
    created = client.post(
        letters, data={"csrf_token": csrf_token(page), "language": "fi", "body_kind": "ministry"}
    )
    assert created.status_code == 302
    html = client.get(f"/organise/campaigns/{campaign.id}/translations").get_data(as_text=True)
    fi = re.findall(r'<td class="review-(\w+)" data-kind="(\w+)" data-language="fi">', html)
    assert sorted(fi) == [
        ("missing", "european_parliament"),
        ("missing", "ministry"),
        ("missing", "parliament"),
    ]
    assert "<strong>3</strong> missing" in html


def test_a_comparison_made_stale_by_another_publish_is_not_published(seeded, client):
    log_in_as(client)
    template = template_for("parliament", "en")
    url, page = editor(client, template)
    first = template.published_version.body + "\nFirst.\n"
    html = client.post(f"{url}/publish", data=form(page, "S", first)).get_data(as_text=True)
    hidden = dict(
        re.findall(r'name="(subject|body|compared_with)" type="hidden" value="([^"]*)"', html)
    )
    # Someone else publishes meanwhile.
    assert publish_confirmed(client, url, form(page, "Other", first + "x\n")).status_code == 302
    stale = client.post(f"{url}/publish/confirm", data={"csrf_token": csrf_token(html), **hidden})
    assert stale.status_code == 409
    assert "Another version was published while you compared" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert template.published_version.number == 2


def test_versions_are_compared_word_by_word(seeded, client):
    log_in_as(client)
    template = template_for("parliament", "en")
    url, page = editor(client, template)
    body = template.published_version.body.replace("the release of every", "the freedom of every")
    assert (
        publish_confirmed(
            client, url, form(page, template.published_version.subject, body)
        ).status_code
        == 302
    )
    html = client.get(f"{url}/versions?old=1&new=2").get_data(as_text=True)
    assert "<del>release</del>" in html and "<ins>freedom</ins>" in html
    assert "@@" not in html and "--- version 1" not in html
    # The texts are shown as they are: no blank line inserted after each line.
    new_text = re.search(r'<figure class="compare-new">.*?<pre>(.*?)</pre>', html, re.S).group(1)
    assert "\n\n\n" not in new_text.replace("<ins>", "").replace("</ins>", "")
