"""What the similarity index holds: only what retention and deletion allow. A
paragraph whose letters lose their text (the supporter's erasure, retention,
anonymisation, expiry) leaves the table and never counts again, in this process
and in a new one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from campaign.core.extensions import db
from campaign.models import Letter, LetterEvent, LetterState, Submission
from campaign.models.base import utcnow
from campaign.supporters import privacy, reminders, similarity, submissions
from campaign.supporters.submissions import CopiedParagraph, SupporterDetails

from . import flow
from . import own_words_support as ow


@pytest.fixture(autouse=True)
def _fresh_indexes():
    similarity.reset()
    yield
    similarity.reset()


def _refused_now() -> bool:
    """Whether another supporter's copy of the paragraph is refused (nothing kept)."""
    try:
        submission = ow.written_and_confirmed(ow.PARAGRAPH, "probe@example.org", country="PL")
    except CopiedParagraph:
        return True
    privacy.erase_supporter(submission.supporter)  # the probe leaves nothing behind
    return False


def _finished_long_ago(letter: Letter, days: int) -> None:
    letter.state = LetterState.SENT.value
    letter.events.append(
        LetterEvent(
            from_state="sending",
            to_state="sent",
            cause="test",
            created_at=utcnow() - timedelta(days=days),
        )
    )


def test_the_supporters_erasure_removes_their_paragraph_from_the_index(seeded):
    ow.set_up(min_matches=1)
    first = ow.written_and_confirmed(ow.PARAGRAPH, "first@example.org")
    assert _refused_now()  # the process's in-memory copy now holds it
    privacy.erase_supporter(first.supporter)
    assert ow.signatures() == []
    assert not _refused_now()
    similarity.reset()
    assert not _refused_now()


def test_retention_removes_the_paragraph_with_the_letters_text(seeded):
    ow.set_up(min_matches=1)
    first = ow.written_and_confirmed(ow.PARAGRAPH, "first@example.org")
    assert _refused_now()
    _finished_long_ago(first.letters[0], days=29)
    db.session.commit()
    assert privacy.remove_old_letter_texts() == 1
    assert ow.signatures() == []
    assert not _refused_now()


def test_anonymisation_removes_the_paragraph(seeded):
    ow.set_up(min_matches=1)
    first = ow.written_and_confirmed(ow.PARAGRAPH, "first@example.org")
    _finished_long_ago(first.letters[0], days=1)
    first.supporter.last_activity_at = utcnow() - timedelta(weeks=105)
    db.session.commit()
    assert _refused_now()
    assert privacy.anonymise_inactive_supporters() == 1
    assert ow.signatures() == []
    assert not _refused_now()


def test_an_expired_submission_leaves_no_signature(seeded):
    ow.set_up(min_matches=1)
    reps = flow.representatives_of("DE")[:1]
    details = SupporterDetails("N. Confirmed", "never@example.org", personal_paragraph=ow.PARAGRAPH)
    submission = submissions.submit(ow.campaign(), reps, details)
    assert [s.confirmed_at for s in ow.signatures()] == [None]
    db.session.get(Submission, submission.id).created_at = utcnow() - timedelta(days=8)
    db.session.commit()
    assert reminders.expire_unconfirmed() == 1
    assert ow.signatures() == []


def test_other_supporters_paragraphs_stay(seeded):
    ow.set_up(min_matches=1)
    first = ow.written_and_confirmed(ow.PARAGRAPH, "first@example.org")
    other = ow.written_and_confirmed(
        "Words of another supporter about a trial in Mahiliou that nobody reported.",
        "other@example.org",
    )
    privacy.erase_supporter(first.supporter)
    assert [s.submission_id for s in ow.signatures()] == [other.id]


def test_the_table_keeps_no_text(seeded):
    ow.set_up(min_matches=1)
    ow.written_and_confirmed(ow.PARAGRAPH, "first@example.org")
    (row,) = ow.signatures()
    assert len(row.signature) == similarity.NUM_PERM * 4
    assert b"Hrodna" not in row.signature and "Hrodna".encode("utf-16-le") not in row.signature
