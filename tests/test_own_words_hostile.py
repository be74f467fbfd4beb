"""Hostile input to the questions and to the similarity check: huge answers, NUL,
encoded text, a 10,000-word paste, tricks to dodge the check. Refused at the
field or handled in bounded time and memory; never a 500, nothing half-written."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from campaign.core.extensions import db
from campaign.models import Letter, Supporter
from campaign.supporters import similarity
from campaign.supporters.submissions import CopiedParagraph

from . import flow
from . import own_words_support as ow

TEN_THOUSAND_WORDS = " ".join(f"word{i % 997} filler{i % 13}" for i in range(5000))


@pytest.fixture(autouse=True)
def _fresh_indexes():
    similarity.reset()
    yield
    similarity.reset()


def _nothing_stored() -> bool:
    return not db.session.execute(db.select(db.func.count(Letter.id))).scalar() and not (
        db.session.execute(db.select(db.func.count(Supporter.id))).scalar()
    )


@pytest.mark.parametrize(
    "answer, message",
    [
        ("x" * 601, "Field cannot be longer than 600 characters."),
        (TEN_THOUSAND_WORDS, "Field cannot be longer than 600 characters."),
        ("Free them\x00 all", "Please remove the special characters from this field."),
        ("Free them\x1b[31m all", "Please remove the special characters from this field."),
    ],
)
def test_bad_answers_are_refused_at_their_field(seeded, client, answer, message):
    ow.set_up()
    rep = flow.representatives_of("IE")[0]
    started = time.monotonic()
    response = ow.post_answers(client, "IE", [rep.id], ["Fine.", answer], "h@example.org")
    assert time.monotonic() - started < 5
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert ow.field_error(page, "answer_2") == message
    assert ow.field_error(page, "answer_1") == ""
    assert _nothing_stored()


def test_a_pasted_book_in_the_free_paragraph_is_refused_at_the_field(seeded, client):
    ow.set_up(questions=[])
    rep = flow.representatives_of("IE")[0]
    started = time.monotonic()
    response = ow.post_paragraph(client, "IE", [rep.id], TEN_THOUSAND_WORDS, "b@example.org")
    assert time.monotonic() - started < 5
    page = response.get_data(as_text=True)
    assert ow.field_error(page, "personal_paragraph").startswith("Field cannot be longer")
    assert _nothing_stored()


def test_encoded_and_template_like_answers_are_sent_as_written(seeded, client):
    ow.set_up()
    rep = flow.representatives_of("IE")[0]
    answers = [
        "{{ 7*7 }} {% for x in y %} %41%42 &amp; <b>bold</b>",
        "\u202eevil\u202c =cmd|' /C calc'!A0",
    ]
    assert ow.post_answers(client, "IE", [rep.id], answers, "e@example.org").status_code == 302
    (letter,) = ow.letters()
    assert "{{ 7*7 }} {% for x in y %} %41%42 &amp; <b>bold</b>" in letter.body
    assert "49" not in letter.body.split("{{ 7*7 }}")[1][:20]


def test_the_signature_of_any_text_costs_bounded_time_and_memory():
    huge = "lorem ipsum dolor " * 1_000_000  # 18 million characters
    tracemalloc.start()
    started = time.monotonic()
    raw = similarity.signature(huge)
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert raw is not None and len(raw) == similarity.NUM_PERM * 4
    assert elapsed < 2, elapsed
    assert peak < 20 * 1024 * 1024, peak
    assert len(similarity.words(huge)) <= similarity.MAX_WORDS
    assert similarity.signature("\x00" * 100_000) is None
    assert similarity.signature("") is None


def test_invisible_characters_and_look_alike_letters_do_not_dodge_the_check(seeded):
    ow.set_up(min_matches=1)
    ow.written_and_confirmed(ow.PARAGRAPH, "first@example.org")
    zero_width = "\u200b".join(ow.PARAGRAPH)  # a zero-width space between every letter
    with pytest.raises(CopiedParagraph):
        ow.written_and_confirmed(zero_width, "second@example.org")
    full_width = ow.PARAGRAPH.upper().replace("A", "\uff21").replace("E", "\uff25")
    with pytest.raises(CopiedParagraph):
        ow.written_and_confirmed(full_width, "third@example.org")


def test_many_earlier_copies_keep_the_check_bounded(seeded):
    from campaign.models import ParagraphSignature, Submission

    ow.set_up(min_matches=3)
    first = ow.written_and_confirmed(ow.PARAGRAPH, "first@example.org")
    raw = similarity.signature(ow.PARAGRAPH)
    # Five hundred confirmed copies from other supporters, made as rows.
    supporters = [Supporter(email=f"c{i}@example.org", name="C") for i in range(500)]
    db.session.add_all(supporters)
    db.session.flush()
    made = [Submission(campaign_id=first.campaign_id, supporter_id=s.id) for s in supporters]
    db.session.add_all(made)
    db.session.flush()
    db.session.add_all(
        ParagraphSignature(
            submission_id=m.id,
            campaign_id=m.campaign_id,
            supporter_id=m.supporter_id,
            signature=raw,
            confirmed_at=first.confirmed_at,
        )
        for m in made
    )
    db.session.commit()
    started = time.monotonic()
    likeness = similarity.compare(first.campaign_id, raw, 0.5, 3)
    assert time.monotonic() - started < 2
    # Counting stops once enough are found: a few rows read, not five hundred.
    assert 3 <= likeness.matches <= 64 and likeness.similarity == 1.0
