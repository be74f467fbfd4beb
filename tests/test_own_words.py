"""The supporter's own words, in process: the campaign's questions whose answers
become the personal paragraph, and the refusal of a paragraph nearly identical to
earlier ones (threshold and number of earlier paragraphs as organisers set them)."""

from __future__ import annotations

import html

import pytest

from campaign.core.extensions import db
from campaign.models import Letter, Submission, Supporter
from campaign.supporters import similarity

from . import flow
from . import own_words_support as ow

COPIED = "nearly identical to ones other supporters have already sent"


@pytest.fixture(autouse=True)
def _fresh_indexes():
    # Each test's database starts empty; so does this process's in-memory copy.
    similarity.reset()
    yield
    similarity.reset()


def test_the_answers_become_the_paragraph_where_the_template_places_it(seeded, client, drain):
    ow.set_up()
    rep = flow.representatives_of("IE")[0]
    answers = [
        "My cousin is held in Navapolatsk.",
        "",
    ]
    preview = ow.post_answers(client, "IE", [rep.id], answers, "a@example.org", action="preview")
    page = preview.get_data(as_text=True)
    # Asked in the page's language; the preview shows the paragraph as it is sent.
    assert "Why does this matter to you?" in page and "Do you know someone affected?" in page
    assert 'name="personal_paragraph"' not in page
    assert "My cousin is held in Navapolatsk." in page

    answers = ["My cousin is held in Navapolatsk.", "Yes:\r\n\r\n\r\nmy neighbour's son."]
    sent = ow.post_answers(client, "IE", [rep.id], answers, "a@example.org")
    assert sent.status_code == 302
    (letter,) = ow.letters()
    paragraph = "My cousin is held in Navapolatsk.\n\nYes:\n\nmy neighbour's son."
    assert paragraph in letter.body
    assert "Why does this matter" not in letter.body  # the questions are not sent
    # Where the template says: after the appeal's text, before the closing.
    template = letter.template_version.body
    assert template.index("supporter.personal_paragraph") < template.index("supporter.name")
    assert letter.body.index(paragraph) < letter.body.rindex(letter.supporter.name)


def test_the_preview_is_the_letter_as_sent(seeded, client):
    ow.set_up()
    rep = flow.representatives_of("IE")[0]
    answers = ["I stood outside the embassy in Vilnius.", "My aunt, since 2021."]
    preview = ow.post_answers(client, "IE", [rep.id], answers, "p@example.org", action="preview")
    shown = html.unescape(preview.get_data(as_text=True))
    ow.post_answers(client, "IE", [rep.id], answers, "p@example.org")
    (letter,) = ow.letters()
    for paragraph in letter.body.split("\n\n"):
        assert paragraph in shown


def test_questions_read_in_the_supporters_language_else_the_campaigns(seeded, client):
    ow.set_up()
    rep = flow.representatives_of("DE")[0]
    query = f"/write/DE/letters?rep={rep.id}"
    german = client.get(query + "&lang=de").get_data(as_text=True)
    assert "Warum ist Ihnen das wichtig?" in german
    polish = client.get(query + "&lang=pl").get_data(as_text=True)
    assert "Why does this matter to you?" in polish  # no Polish text: the default language


def test_without_questions_the_free_paragraph_stays(seeded, client):
    rep = flow.representatives_of("IE")[0]
    page = flow.letters_page(client, "IE", [rep.id]).get_data(as_text=True)
    assert 'name="personal_paragraph"' in page and 'name="answer_1"' not in page


def test_answers_are_optional_unless_organisers_require_them(seeded, client):
    rep = flow.representatives_of("IE")[0]
    ow.set_up()
    assert ow.post_answers(client, "IE", [rep.id], ["", ""], "o@example.org").status_code == 302
    assert "\n\n\n" not in ow.letters()[0].body

    ow.set_up(required=True)
    refused = ow.post_answers(client, "IE", [rep.id], ["Because.", "  "], "r@example.org")
    page = refused.get_data(as_text=True)
    assert ow.field_error(page, "answer_2") == "Please answer this question."
    assert ow.field_error(page, "answer_1") == ""
    assert db.session.execute(db.select(db.func.count(Supporter.id))).scalar() == 1


def test_a_near_copy_is_refused_at_the_field_and_nothing_is_stored(seeded, client):
    ow.set_up(min_matches=1)
    ow.written_and_confirmed(ow.PARAGRAPH, "first@example.org")
    before = db.session.execute(db.select(db.func.count(Letter.id))).scalar()

    rep = flow.representatives_of("IE")[0]
    copy = ow.edited(ow.PARAGRAPH, 2)
    refused = ow.post_answers(client, "IE", [rep.id], [copy], "second@example.org")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    message = html.unescape(ow.field_error(page, "personal_paragraph"))
    assert COPIED in message
    assert "Aliaksei" not in page.replace(html.escape(copy, quote=True), "")  # nothing of theirs
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == before
    assert not db.session.execute(
        db.select(Supporter).filter_by(email="second@example.org")
    ).scalar()
    # Sent again unchanged: refused again. Rewritten: accepted.
    again = ow.post_answers(client, "IE", [rep.id], [copy], "second@example.org")
    assert COPIED in html.unescape(again.get_data(as_text=True))
    mine = "I have never been to Belarus, but I read every week about the people held there."
    assert ow.post_answers(client, "IE", [rep.id], [mine], "second@example.org").status_code == 302


def test_the_free_paragraph_is_checked_too(seeded, client):
    ow.set_up(questions=[], min_matches=1)
    ow.written_and_confirmed(ow.PARAGRAPH, "first@example.org")
    rep = flow.representatives_of("IE")[0]
    refused = ow.post_paragraph(client, "IE", [rep.id], ow.PARAGRAPH, "second@example.org")
    page = refused.get_data(as_text=True)
    assert COPIED in html.unescape(ow.field_error(page, "personal_paragraph"))
    assert 'href="#personal_paragraph"' in page  # the summary leads to the field


def test_the_number_of_earlier_paragraphs_is_respected(seeded):
    from campaign.supporters.submissions import CopiedParagraph

    ow.set_up(min_matches=3)
    accepted = [
        ow.written_and_confirmed(ow.edited(ow.PARAGRAPH, 1, seed=i), f"s{i}@example.org")
        for i in range(3)
    ]
    # Each accepted though like the earlier ones: marked, for organisers to count.
    assert [s.paragraph_matches for s in accepted] == [0, 1, 2]
    assert accepted[0].paragraph_similarity == 0.0 and accepted[2].paragraph_similarity > 0.8
    with pytest.raises(CopiedParagraph):
        ow.written_and_confirmed(ow.edited(ow.PARAGRAPH, 1, seed=9), "fourth@example.org")


def test_the_threshold_is_respected(seeded):
    from campaign.supporters.submissions import CopiedParagraph

    ow.set_up(min_matches=1, threshold=0.5)
    ow.written_and_confirmed(ow.PARAGRAPH, "first@example.org")
    # Four words of forty changed: about 0.6 of the shingles shared.
    moderate = ow.edited(ow.PARAGRAPH, 4, seed=3)
    exact = similarity.exact_jaccard(
        similarity.shingles(ow.PARAGRAPH), similarity.shingles(moderate)
    )
    assert 0.55 < exact < 0.75
    with pytest.raises(CopiedParagraph):
        ow.written_and_confirmed(moderate, "second@example.org")
    ow.set_up(min_matches=1, threshold=0.9)
    accepted = ow.written_and_confirmed(moderate, "second@example.org")
    assert accepted.paragraph_matches == 0


def test_own_earlier_and_unconfirmed_paragraphs_do_not_count(seeded):
    from campaign.supporters import submissions
    from campaign.supporters.submissions import SupporterDetails

    ow.set_up(min_matches=1)
    ow.written_and_confirmed(ow.PARAGRAPH, "same@example.org", country="DE")
    # The same supporter writes the same words to others: no copy of anyone's.
    again = ow.written_and_confirmed(ow.PARAGRAPH, "same@example.org", country="IE")
    assert again.paragraph_matches == 0
    # A paragraph never confirmed is not compared against (nobody can block words).
    reps = flow.representatives_of("LT")[:1]
    other = "Someone typed this same sentence into the form of this campaign and left at once."
    submissions.submit(
        ow.campaign(), reps, SupporterDetails("X", "x@example.org", personal_paragraph=other)
    )
    accepted = ow.written_and_confirmed(other, "y@example.org", country="IE")
    assert accepted.paragraph_matches == 0


def test_organisers_see_how_many_letters_carry_copied_paragraphs(seeded, client):
    from campaign.supporters import own_words

    from .organisers_support import log_in_as

    ow.set_up(min_matches=3)
    for i in range(3):
        ow.written_and_confirmed(ow.PARAGRAPH, f"s{i}@example.org")
    ow.written_and_confirmed(
        "A paragraph nobody else wrote, about the trial in Homiel.", "t@example.org"
    )
    counts = own_words.letter_counts(ow.campaign())
    assert (counts.with_paragraph, counts.copied) == (4, 2)
    log_in_as(client, "organiser")
    page = client.get(f"/organise/campaigns/{ow.campaign().id}").get_data(as_text=True)
    assert 'id="copied-letters">2<' in page and 'id="paragraph-letters">4<' in page


def test_the_index_survives_a_restart_and_the_loss_of_redis(seeded, app):
    from redis import Redis

    from campaign.supporters.submissions import CopiedParagraph

    ow.set_up(min_matches=1)
    ow.written_and_confirmed(ow.PARAGRAPH, "first@example.org")
    Redis.from_url(app.config["REDIS_URL"]).flushdb()
    similarity.reset()  # as a new process: rebuilt from the table
    with pytest.raises(CopiedParagraph):
        ow.written_and_confirmed(ow.PARAGRAPH, "second@example.org")


def test_submissions_keep_their_likeness(seeded):
    ow.set_up(min_matches=5)
    first = ow.written_and_confirmed(ow.PARAGRAPH, "first@example.org")
    second = ow.written_and_confirmed(ow.PARAGRAPH, "second@example.org")
    db.session.expire_all()
    kept = db.session.get(Submission, second.id)
    assert (kept.paragraph_matches, kept.paragraph_similarity) == (1, 1.0)
    assert db.session.get(Submission, first.id).paragraph_matches == 0
    short = ow.written_and_confirmed("Free them all.", "third@example.org")
    assert short.paragraph_similarity is None  # under five words: not compared


def test_a_process_catches_up_with_paragraphs_others_confirmed_since(seeded):
    from datetime import timedelta

    from campaign.models import ParagraphSignature
    from campaign.supporters.submissions import CopiedParagraph

    ow.set_up(min_matches=1)
    ow.written_and_confirmed("An unrelated paragraph about the winter of 2020 in Minsk.", "x@e.org")
    ow.written_and_confirmed("Another one about letters to prisoners that never arrive.", "y@e.org")
    (index,) = similarity._INDEXES.values()
    assert index.watermark is not None and index.size == 1  # built; the second one's own row
    # Another process confirms a paragraph, its transaction committed a little late
    # (confirmed before the newest confirmation this process has seen).
    late = ow.written_and_confirmed(ow.PARAGRAPH, "z@e.org")
    row = db.session.execute(
        db.select(ParagraphSignature).filter_by(submission_id=late.id)
    ).scalar_one()
    row.confirmed_at = index.watermark - timedelta(seconds=30)
    db.session.commit()
    with pytest.raises(CopiedParagraph):
        ow.written_and_confirmed(ow.edited(ow.PARAGRAPH, 1), "w@e.org")
    assert list(similarity._INDEXES.values()) == [index]  # caught up, not rebuilt
