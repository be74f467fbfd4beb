"""Every default letter rendered for a fixed representative and supporter, compared
with a stored copy, so any change of wording shows up in review.

After an intended change: UPDATE_GOLDEN=1 pytest tests/test_letter_golden.py"""

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from campaign.letters import compose
from campaign.letters.letter_files import default_letters
from campaign.models import Campaign
from campaign.seed import APPEAL_FIGURES

GOLDEN = Path(__file__).parent / "golden"
LETTERS = default_letters()


# What the supporter stated, three ways: their member's constituency, only the
# recipient's country, nothing. Each letter claims exactly that much. Each is
# written to a recipient of another gender (a woman, a man, not given), so that
# every salutation a letter can open with is in the stored copy.
CLAIMS = {
    "constituent": {"constituent": True, "resident": True, "place": "Demo District"},
    "resident": {"constituent": False, "resident": True, "place": "Demo Country"},
    "stated nothing": {"constituent": False, "resident": False, "place": ""},
}
GENDERS = {"constituent": "female", "resident": "male", "stated nothing": ""}


def _representative(kind: str, gender: str) -> SimpleNamespace:
    return SimpleNamespace(
        title="MP",
        name="Alex Example",
        body=SimpleNamespace(name="Demo Parliament", kind=kind, titles={}),
        party="Demo Party",
        constituency="Demo District",
        gender=gender,
    )


def _context(letter, stated: str, claims: dict) -> dict:
    campaign = Campaign(**APPEAL_FIGURES)
    language = letter.language
    representative = _representative(letter.body_kind, GENDERS[stated])
    return {
        "representative": compose.representative_vars(representative, language),
        "supporter": {
            "name": "Sam Sample",
            "city": "Demo City",
            "personal_paragraph": "A paragraph of my own.",
            **claims,
        },
        "figures": compose.figures_for(campaign, language),
    }


@pytest.mark.parametrize("letter", LETTERS, ids=[p.path.name for p in LETTERS])
def test_rendered_letter_matches_the_stored_copy(letter):
    rendered = ""
    for stated, claims in CLAIMS.items():
        context = _context(letter, stated, claims)
        gender = GENDERS[stated] or "not given"
        rendered += (
            f"==== The supporter stated: {stated}; the recipient's gender: {gender} ====\n"
            + "Subject: "
            + compose.render_text(letter.subject, context).strip()
            + "\n\n"
            + compose.render_text(letter.body, context).strip()
            + "\n\n"
        )
    golden = GOLDEN / letter.path.name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(rendered, encoding="utf-8")
    assert golden.exists(), f"no stored copy: run UPDATE_GOLDEN=1 pytest {__file__}"
    assert rendered == golden.read_text(encoding="utf-8")


def test_every_letter_has_a_stored_copy_and_no_stale_ones():
    assert {p.name for p in GOLDEN.glob("*.txt")} == {letter.path.name for letter in LETTERS}
