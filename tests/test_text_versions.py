"""Varied texts: versions of the subject and of paragraphs, one drawn per letter,
stored with it, previewed and sent as drawn, never changed by a later publish,
and counted by subject version in the reports (letters.text_versions)."""

from __future__ import annotations

import html as html_module
import re
from collections import Counter
from pathlib import Path

import pytest

from campaign.core.extensions import db
from campaign.letters import compose, letter_markers, template_checks, text_versions
from campaign.letters.text_versions import END, OR, START
from campaign.models import Campaign, Letter, Reply
from campaign.models.base import utcnow
from campaign.supporters import submissions
from campaign.tracking import reports

from . import flow
from .delivery_support import drain_jobs
from .organisers_support import field_error, log_in_as, template_for

SUBJECTS = ("Free them now", "Political prisoners need your voice", "Please act for the prisoners")
PARAGRAPHS = (
    "Every month of prison is a month too many.",
    "Behind each number is a family that waits.",
)


def _with_versions(subject: str, body: str) -> tuple[str, str]:
    versions_subject = START + OR.join(SUBJECTS) + END
    paragraph = START + OR.join(PARAGRAPHS) + END
    head, sep, rest = body.partition("\n\n")
    return versions_subject, f"{head}{sep}{paragraph}\n\n{rest}"


def _publish_versions(language: str = "en"):
    template = template_for("parliament", language)
    published = template.published_version
    subject, body = _with_versions(published.subject, published.body)
    assert template_checks.validate(template, subject, body) == []
    from campaign.letters.template_editing import add_version

    version = add_version(template, subject, body, True, "test")
    db.session.commit()
    return template, version


def _campaign() -> Campaign:
    return db.session.execute(db.select(Campaign)).scalars().first()


def _submit(campaign, reps, number: int):
    details = submissions.SupporterDetails(
        name=f"Writer {number}", email=f"writer{number}@example.org", city="Dublin"
    )
    submissions.submit(campaign, reps, details, None)
    db.session.commit()


# -- the text -----------------------------------------------------------------


def test_a_text_without_versions_is_unchanged():
    text = "Dear {{ representative.name }},\n{# a note #}\nThanks"
    assert text_versions.resolve(text, (1,)) == text
    assert text_versions.counts(text) == ()
    assert text_versions.problems("body", text) == []


def test_resolve_draws_and_falls_back_to_the_first_version():
    text = f"A {START}x{OR}y{OR}z{END} B {START}1{OR}2{END}"
    assert text_versions.counts(text) == (3, 2)
    assert text_versions.resolve(text, (2, 1)) == "A z B 2"
    # A version this language lacks, or no draw: the block's first.
    assert text_versions.resolve(text, (5, 1)) == "A x B 2"
    assert text_versions.resolve(text, ()) == "A x B 1"
    seen = Counter(text_versions.draw_for(text, f"seed{i}", "subject|1") for i in range(300))
    assert {draw[0] for draw in seen} == {0, 1, 2} and {draw[1] for draw in seen} == {0, 1}
    assert text_versions.draw_for(text, "same", "x") == text_versions.draw_for(text, "same", "x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (START + OR.join(["v"] * 300) + END, "block 1 has 300 versions; at most 10"),
        (f"{START}a{START}b{END}{END}", "versions cannot be written inside versions"),
        (f"{START}a{OR}b", "a block of versions is not closed"),
        (f"a{OR}b", "“or” is only used between versions of one block"),
        (f"a{END}", "closes no block of versions"),
        ((START + "a" + END) * 31, "at most 30 blocks of versions"),
    ],
)
def test_hostile_structure_is_named(text, message):
    found = text_versions.problems("body", text)
    assert len(found) == 1 and message in found[0].message


def test_a_version_that_breaks_the_sandbox_is_named_with_its_block_and_number():
    text = f"Hello\n{START}fine{OR}{{{{ ''.__class__ }}}}{END}"
    found = text_versions.problems("body", text)
    assert found and found[0].line == 2
    assert found[0].message.startswith("version 2 of block 1: ")
    # Versions that only make sense together (an if opened in one, closed in another).
    split = f"{START}{{% if supporter.city %}}a{OR}b{{% endif %}}{END}"
    assert text_versions.problems("body", split)


def test_versions_read_as_markers_and_convert_back_byte_identical(app):
    subject, body = _with_versions("S", "Dear {{ representative.name }},\n\nBody {# kept #}")
    for raw in (subject, body):
        marked = letter_markers.to_markers(raw)
        assert "⟦Versions: one is chosen for each letter⟧" in marked
        assert "⟦Or this version⟧" in marked and "⟦End of versions⟧" in marked
        back, problems = letter_markers.from_markers(marked)
        assert problems == [] and back == raw
    # An ordinary comment stays as written.
    assert "{# kept #}" in letter_markers.to_markers(body)


# -- the editor -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("versions", "message"),
    [
        (OR.join(["v"] * 300), "block 1 has 300 versions; at most 10"),
        (f"a{START}b{END}", "versions cannot be written inside versions"),
        ("a" + OR + "{{ representative.__class__ }}", "names starting with “_” are not available"),
        ("{% if supporter.city %}a" + OR + "b{% endif %}", "the first version of each block: "),
        ("a" + OR + "{{ representative.nme }}", "“representative.nme” does not exist"),
    ],
    ids=["hundreds", "nested", "sandbox", "split", "unknown"],
)
def test_hostile_versions_are_refused_at_the_field_never_a_500(seeded, client, versions, message):
    log_in_as(client)
    template = template_for("parliament", "en")
    url = f"/organise/letters/{template.id}"
    page = client.get(f"{url}?raw=1").get_data(as_text=True)
    body = f"{START}{versions}{END}\n" + template.published_version.body
    for action in ("draft", "publish", "preview"):
        response = client.post(
            f"{url}/{action}",
            data={
                "csrf_token": flow.csrf_token(page),
                "subject": "Subject",
                "body": body,
                "representative": "sample",
            },
        )
        html = html_module.unescape(response.get_data(as_text=True))
        assert response.status_code == 422, action
        assert message in field_error(html, "body"), action
    db.session.expire_all()
    assert template.draft_body is None


# -- the letters ------------------------------------------------------------------


def test_sixty_submissions_draw_every_version_and_keep_it(seeded):
    _template, version = _publish_versions()
    campaign = _campaign()
    reps = [r for r in flow.representatives_of("IE") if r.body.kind == "parliament"]
    for number in range(60):
        _submit(campaign, reps[:1], number)
    letters = db.session.execute(db.select(Letter)).scalars().all()
    assert len(letters) == 60
    subjects = Counter(letter.subject for letter in letters)
    assert set(subjects) == set(SUBJECTS), subjects
    paragraphs = Counter(p for letter in letters for p in PARAGRAPHS if p in letter.body)
    assert set(paragraphs) == set(PARAGRAPHS) and sum(paragraphs.values()) == 60
    for letter in letters:
        assert letter.template_version_id == version.id
        drawn = letter.text_draw
        assert letter.subject == SUBJECTS[drawn["subject"][0]]
        assert PARAGRAPHS[drawn["body"][0]] in letter.body
        assert PARAGRAPHS[1 - drawn["body"][0]] not in letter.body

    # A later publish (the versions reordered) changes no letter, and a stored
    # draw still names the same text: it refers to the version it was drawn from.
    template = template_for("parliament", "en")
    from campaign.letters.template_editing import add_version

    reordered = START + OR.join(reversed(SUBJECTS)) + END
    add_version(template, reordered, version.body, True, "test")
    db.session.commit()
    for letter in db.session.execute(db.select(Letter)).scalars():
        again = compose.render_letter(
            campaign,
            letter.representative,
            {"name": letter.supporter.name, "city": "Dublin", "personal_paragraph": ""},
            version=letter.template_version,
            draw=letter.text_draw,
        )
        assert (again.subject, again.body) == (letter.subject, letter.body)


def test_letters_without_versions_store_no_draw(seeded):
    campaign = _campaign()
    reps = [r for r in flow.representatives_of("IE") if r.body.kind == "parliament"]
    _submit(campaign, reps[:1], 1)
    letter = db.session.execute(db.select(Letter)).scalar_one()
    assert letter.text_draw is None


def test_a_language_without_a_version_falls_back_to_the_first(seeded):
    campaign = _campaign()
    rep = next(r for r in flow.representatives_of("IE") if r.body.kind == "parliament")
    _publish_versions("en")
    # A letter in another language with only one version of the subject.
    template = template_for("parliament", "de")
    from campaign.letters.template_editing import add_version

    published = template.published_version
    add_version(template, START + "Nur eine" + END, published.body, True, "test")
    db.session.commit()
    letter = compose.render_letter(
        campaign, rep, {"name": "A", "city": "B"}, language="de", draw={"subject": (2,)}
    )
    assert letter.subject == "Nur eine"


def _preview_and_send(client, rep_id: int, email: str, number: int):
    # Each supporter from their own address (several from one are held for review).
    client.environ_base["REMOTE_ADDR"] = f"198.51.100.{number + 10}"
    page = flow.letters_page(client, "IE", [rep_id])
    token = flow.csrf_token(page.get_data(as_text=True))
    details = flow.Details(email=email, personal_paragraph="")
    data = details.form(token, [rep_id], action="preview")
    preview = client.post("/write/IE/letters", data=data)
    html = preview.get_data(as_text=True)
    seed = re.search(r'name="draw" type="hidden" value="([0-9a-f]+)"', html) or re.search(
        r'name="draw"[^>]*value="([0-9a-f]+)"', html
    )
    assert seed, "the preview carries the draw"
    data = details.form(token, [rep_id])
    data["draw"] = seed.group(1)
    sent = client.post("/write/IE/letters", data=data)
    assert sent.status_code == 302
    return html_module.unescape(html)


def test_the_preview_shows_the_versions_that_are_sent(seeded, client, app):
    _publish_versions()
    rep = next(r for r in flow.representatives_of("IE") if r.body.kind == "parliament")
    outbox = Path(app.config["OUTBOX_DIR"])
    previews = [_preview_and_send(client, rep.id, f"p{i}@example.org", i) for i in range(6)]
    drain_jobs()
    for message in flow.outbox_messages(outbox):
        if "/confirm/" in message.get_body(preferencelist=("plain",)).get_content():
            flow.confirm(client, flow.confirmation_link(message))
    drain_jobs()
    letters = db.session.execute(db.select(Letter).order_by(Letter.id)).scalars().all()
    assert len(letters) == 6 and {letter.state for letter in letters} == {"sent"}
    sent = {
        m["X-Campaign-Letter-Id"]: m
        for m in flow.outbox_messages(outbox)
        if m["X-Campaign-Letter-Id"]
    }
    for letter, preview in zip(letters, previews, strict=True):
        message = sent[str(letter.id)]
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert message["Subject"] == letter.subject
        assert letter.subject in preview
        paragraph = PARAGRAPHS[letter.text_draw["body"][0]]
        assert paragraph in text and paragraph in preview
        assert PARAGRAPHS[1 - letter.text_draw["body"][0]] not in preview
        others = [s for s in SUBJECTS if s != letter.subject]
        assert not any(f">{s}<" in preview for s in others)


def test_the_report_counts_each_subject_version(seeded, client):
    _publish_versions()
    campaign = _campaign()
    reps = [r for r in flow.representatives_of("IE") if r.body.kind == "parliament"]
    for number in range(30):
        _submit(campaign, reps[:1], number)
    letters = db.session.execute(db.select(Letter)).scalars().all()
    for letter in letters:
        letter.state, letter.sent_at = "sent", utcnow()
    replied = [letter for letter in letters if letter.text_draw["subject"][0] == 0]
    for letter in replied:
        db.session.add(
            Reply(
                letter_id=letter.id,
                kind="human",
                text="Thank you",
                raw=b"",
                dedupe_key=f"t{letter.id}",
            )
        )
    db.session.commit()
    rows = reports.responses("variant", campaign.id)
    by_number = {row.extra["subject_version"]: row for row in rows}
    drawn = Counter(letter.text_draw["subject"][0] + 1 for letter in letters)
    assert {n: row.counts["sent"] for n, row in by_number.items()} == dict(drawn)
    assert by_number[1].response_rate == 1.0
    assert all(by_number[n].response_rate == 0.0 for n in by_number if n != 1)
    assert SUBJECTS[0] in by_number[1].key
    log_in_as(client, "staff")
    page = client.get(f"/staff/reports?by=variant&campaign={campaign.id}")
    assert page.status_code == 200
    assert SUBJECTS[1] in html_module.unescape(page.get_data(as_text=True))


def test_a_version_that_leaves_out_the_paragraph_or_the_name_is_a_loss(seeded):
    """Publishing warns about what supporters lose in the letters that draw a version
    leaving out their paragraph or their name, not only about the text as a whole."""
    template = template_for("parliament", "en")
    both = (
        "Dear {{ representative.name }},\n\n{{ supporter.personal_paragraph }}\n\n"
        "{{ supporter.name }}\n"
    )
    assert template_checks.losses(template, "Please act", both) == []

    # One block: the second version drops the supporter's own paragraph.
    dropped = (
        "Dear {{ representative.name }},\n\n"
        + START
        + "{{ supporter.personal_paragraph }}"
        + OR
        + "Please act."
        + END
        + "\n\n{{ supporter.name }}\n"
    )
    (paragraph_lost,) = template_checks.losses(template, "Please act", dropped)
    assert "will be thrown away" in paragraph_lost
    assert "draw some of its versions" in paragraph_lost

    # Two blocks that each sign with the name in their first version only: the
    # letter drawing both second versions is unsigned.
    signed = START + "{{ supporter.name }}" + OR + "A supporter" + END
    unsigned = (
        "Dear {{ representative.name }},\n\n{{ supporter.personal_paragraph }}\n\n"
        + signed
        + "\n"
        + signed
        + "\n"
    )
    (name_lost,) = template_checks.losses(template, "Please act", unsigned)
    assert "does not carry the supporter's name" in name_lost

    # Every version keeps both: nothing is lost.
    kept = (
        "Dear {{ representative.name }},\n\n"
        + START
        + "{{ supporter.personal_paragraph }} Please act."
        + OR
        + "Please act. {{ supporter.personal_paragraph }}"
        + END
        + "\n\n{{ supporter.name }}\n"
    )
    assert template_checks.losses(template, "Please act", kept) == []


@pytest.mark.parametrize(
    ("subject", "named"),
    [
        (START + " " + OR + "Free them now" + END, "The subject is empty."),
        (START + "Free them now" + OR + "  " + END, "version 2 of block 1: The subject is empty."),
    ],
)
def test_a_blank_subject_version_is_refused_as_an_empty_subject(seeded, subject, named):
    template = template_for("parliament", "en")
    body = template.published_version.body
    problems = template_checks.validate(template, subject, body)
    assert [(p.field, p.message) for p in problems] == [("subject", named)]
