"""Helpers for the own-words tests: a campaign's questions and settings, the
letters form posted with answers, paragraphs that resemble each other by a known
amount."""

from __future__ import annotations

import random
import re

from campaign.core.extensions import db
from campaign.models import Campaign, Letter, ParagraphSignature, Submission
from campaign.supporters import own_words, submissions
from campaign.supporters.submissions import SupporterDetails

from . import flow
from .conftest import csrf_token

QUESTIONS = [
    {"en": "Why does this matter to you?", "de": "Warum ist Ihnen das wichtig?"},
    {"en": "Do you know someone affected?", "de": "Kennen Sie jemanden, der betroffen ist?"},
]
# A paragraph of 40 words, and words to vary it with.
PARAGRAPH = (
    "I grew up in Hrodna and my schoolfriend Aliaksei has been held in a penal colony "
    "since the autumn of 2020 for carrying a flag at a peaceful march; his mother "
    "writes to him every week and has not had an answer for months"
)
OTHER_WORDS = (
    "quietly every river bright window seven orchard lantern morning violin harbour".split()
)


def campaign() -> Campaign:
    return db.session.execute(db.select(Campaign).order_by(Campaign.id)).scalars().first()


def set_up(questions=QUESTIONS, required=False, threshold=0.5, min_matches=3) -> Campaign:
    found = campaign()
    own_words.save_settings(found, questions, required, threshold, min_matches, None)
    return found


def edited(text: str, changes: int, seed: int = 0) -> str:
    """``text`` with ``changes`` of its words replaced, spread out."""
    rng = random.Random(seed)
    words = text.split()
    for position in rng.sample(range(len(words)), changes):
        words[position] = rng.choice(OTHER_WORDS) + str(position)
    return " ".join(words)


def answers_form(token: str, rep_ids: list[int], answers: list[str], email: str, action="send"):
    data = flow.Details(email=email, personal_paragraph="").form(token, rep_ids, action)
    for number, answer in enumerate(answers, start=1):
        data[f"answer_{number}"] = answer
    return data


def post_answers(client, country, rep_ids, answers, email, action="send", lang=None):
    query = "&".join(f"rep={i}" for i in rep_ids) + (f"&lang={lang}" if lang else "")
    page = client.get(f"/write/{country}/letters?{query}")
    assert page.status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    return client.post(
        f"/write/{country}/letters", data=answers_form(token, rep_ids, answers, email, action)
    )


def post_paragraph(client, country, rep_ids, paragraph, email):
    return flow.submit(
        client, country, rep_ids, flow.Details(email=email, personal_paragraph=paragraph)
    )


def written_and_confirmed(paragraph: str, email: str, country: str = "DE") -> Submission:
    """A supporter's submission with ``paragraph``, confirmed (through the service)."""
    reps = flow.representatives_of(country)[:1]
    submission = submissions.submit(
        campaign(),
        reps,
        SupporterDetails(name="A. Writer", email=email, personal_paragraph=paragraph),
    )
    submissions.confirm(submission)
    return submission


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="error" id="{field_id}-error"[^>]*>([^<]*)</p>', html)
    return match.group(1) if match else ""


def letters() -> list[Letter]:
    return list(db.session.execute(db.select(Letter).order_by(Letter.id)).scalars())


def signatures() -> list[ParagraphSignature]:
    db.session.expire_all()
    return list(db.session.execute(db.select(ParagraphSignature)).scalars())
