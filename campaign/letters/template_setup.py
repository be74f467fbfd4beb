"""New letter templates: one the organiser adds (starting from the default letter of
letters/ when there is one), and a new campaign's full set of default letters.
"""

from __future__ import annotations

from flask_babel import gettext as _

from campaign.accounts import audit
from campaign.core.extensions import db
from campaign.letters.letter_files import default_letters
from campaign.letters.template_editing import EditingError, add_version, default_letter
from campaign.models import Campaign, LetterTemplate, User
from campaign.models.base import utcnow
from campaign.models.campaign import BODY_KINDS


def create_template(
    campaign: Campaign, language: str, body_kind: str, user: User
) -> LetterTemplate:
    """A new letter for ``body_kind`` in ``language``, unpublished, with a draft from
    the default letter when letters/ has one. Raises EditingError when it exists."""
    if body_kind not in BODY_KINDS:
        raise EditingError(_("Unknown kind of body."))
    exists = db.session.execute(
        db.select(LetterTemplate).filter_by(
            campaign_id=campaign.id, language=language, body_kind=body_kind
        )
    ).scalar_one_or_none()
    if exists is not None:
        raise EditingError(_("This letter exists already."))
    template = LetterTemplate(campaign_id=campaign.id, language=language, body_kind=body_kind)
    letter = default_letter(body_kind, language)
    if letter is not None:
        template.draft_subject, template.draft_body = letter.subject, letter.body
        template.draft_updated_at = utcnow()
    db.session.add(template)
    db.session.flush()
    audit.record(
        "create",
        "template",
        template.id,
        "letter_created",
        {"letter": f"{body_kind}/{language}"},
        user=user,
    )
    db.session.commit()
    return template


def install_default_letters(campaign: Campaign, user: User | None) -> int:
    """Give a campaign every default letter of letters/ it lacks, published as
    version 1. The caller commits. Returns how many were added."""
    added = 0
    for letter in default_letters():
        exists = db.session.execute(
            db.select(LetterTemplate).filter_by(
                campaign_id=campaign.id, language=letter.language, body_kind=letter.body_kind
            )
        ).scalar_one_or_none()
        if exists is not None:
            continue
        template = LetterTemplate(
            campaign_id=campaign.id, language=letter.language, body_kind=letter.body_kind
        )
        db.session.add(template)
        db.session.flush()
        add_version(
            template, letter.subject, letter.body, letter.reviewed, f"letters/{letter.path.name}"
        )
        added += 1
    if added:
        audit.record(
            "create",
            "campaign",
            campaign.id,
            "default_letters_added",
            {"count": added},
            user=user,
        )
    return added
