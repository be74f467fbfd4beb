"""Which of a campaign's letters a native speaker has reviewed: per body kind and
language, reviewed (by whom, when), not reviewed, or missing.

A review mark belongs to one published text: publishing asks for it afresh, so
the mark shown is the one given with the text supporters get now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from campaign.core.extensions import db
from campaign.letters.letter_files import default_letters
from campaign.models import Campaign, LetterTemplate, TemplateVersion
from campaign.models.campaign import BODY_KINDS

_PUBLISHED_BY = "published by "


@dataclass(frozen=True)
class LetterReview:
    """One cell of the overview."""

    state: str  # "reviewed", "unreviewed" or "missing"
    template_id: int | None = None
    version: int | None = None
    reviewer: str = ""
    reviewed_at: datetime | None = None


def _origin(template: LetterTemplate, version: TemplateVersion) -> TemplateVersion:
    """The version whose text and mark ``version`` carries: a rollback publishes an
    older version's text with that version's mark."""
    seen = set()
    while version.source.startswith("rollback to version ") and version.id not in seen:
        seen.add(version.id)
        number = version.source.removeprefix("rollback to version ").split(" ", 1)[0]
        older = next((v for v in template.versions if str(v.number) == number), None)
        if older is None:
            break
        version = older
    return version


def review_of(template: LetterTemplate | None) -> LetterReview:
    if template is None or template.published_version is None:
        return LetterReview("missing", template.id if template is not None else None)
    current = template.published_version
    if not current.reviewed:
        return LetterReview("unreviewed", template.id, current.number)
    origin = _origin(template, current)
    reviewer = origin.source.removeprefix(_PUBLISHED_BY)
    return LetterReview("reviewed", template.id, current.number, reviewer, origin.created_at)


def overview(campaign: Campaign) -> tuple[list[str], list[str], dict]:
    """(body kinds, languages, {(kind, language): LetterReview}) for every body kind
    and every language a default letter or one of the campaign's letters exists in."""
    templates = {
        (t.body_kind, t.language): t
        for t in db.session.execute(
            db.select(LetterTemplate).filter_by(campaign_id=campaign.id)
        ).scalars()
    }
    languages = sorted(
        {language for _kind, language in templates} | {f.language for f in default_letters()}
    )
    kinds = list(BODY_KINDS)
    cells = {
        (kind, language): review_of(templates.get((kind, language)))
        for kind in kinds
        for language in languages
    }
    return kinds, languages, cells
