"""Editing letter templates: validation with line numbers, drafts, publishing,
versions, comparison and rollback.

A template's text lives in immutable TemplateVersion rows; the published one is
what supporters get. The organiser's work in progress is a draft on the
LetterTemplate row itself (draft_subject, draft_body), invisible to supporters.
Publishing and rolling back both add a version, so history is never rewritten.

Checks of the text itself live in template_checks; every change here runs them
first, and nothing is saved when they find a problem. New letters are made in
template_setup, previews and test letters in template_preview.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from campaign.accounts import audit
from campaign.core.extensions import db
from campaign.core.text_compare import Comparison, compare
from campaign.core.text_compare import letter_text as _code_text
from campaign.letters.letter_files import LetterFile, default_letters
from campaign.letters.letter_markers import to_markers
from campaign.letters.template_checks import (  # noqa: F401 - part of this module's interface
    Problem,
    losses,
    normalise,
    sample_representative,
    sample_supporter,
    stored_problems,
    validate,
    variables_help,
)
from campaign.models import LetterTemplate, TemplateVersion, User
from campaign.models.base import utcnow


class EditingError(ValueError):
    """The change was refused and nothing was saved; str(exc) says why."""


class TemplateInvalid(EditingError):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


# -- drafts, versions ---------------------------------------------------------


def default_letter(body_kind: str, language: str) -> LetterFile | None:
    """The default text under letters/ for this body kind and language, if any."""
    for letter in default_letters():
        if letter.body_kind == body_kind and letter.language == language:
            return letter
    return None


@dataclass(frozen=True)
class EditorText:
    subject: str
    body: str
    origin: str  # "draft", "published", "default" or "empty"


def editor_text(template: LetterTemplate) -> EditorText:
    """What the editor opens with: the draft, else the published text, else the default."""
    if template.draft_body is not None:
        return EditorText(template.draft_subject or "", template.draft_body, "draft")
    if template.published_version is not None:
        version = template.published_version
        return EditorText(version.subject, version.body, "published")
    letter = default_letter(template.body_kind, template.language)
    if letter is not None:
        return EditorText(letter.subject, letter.body, "default")
    return EditorText("", "", "empty")


def _named(template: LetterTemplate, **params) -> dict:
    """The audit message's parameters that name the letter and its campaign."""
    return {
        "letter": f"{template.body_kind}/{template.language}",
        "campaign": template.campaign.slug,
        **params,
    }


def _locked(template: LetterTemplate) -> LetterTemplate:
    """The template row, locked for this transaction where the database can."""
    return db.session.execute(
        db.select(LetterTemplate)
        .filter_by(id=template.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _published_meanwhile() -> EditingError:
    # Two publications of one letter at the same moment: the second one yields.
    db.session.rollback()
    return EditingError(
        _("Someone published this letter at the same moment. Reload the page and try again.")
    )


def _published(template: LetterTemplate) -> TemplateVersion | None:
    if template.published_version_id is None:
        return None
    return db.session.get(TemplateVersion, template.published_version_id)


def save_draft(template: LetterTemplate, subject: str, body: str, user: User) -> bool:
    """Keep ``subject`` and ``body`` as the template's draft. Raises TemplateInvalid
    (nothing saved) when they have problems. A text equal to the published one
    leaves no draft. Returns True when a draft is kept."""
    subject, body = normalise(subject, body)
    problems = validate(template, subject, body)
    if problems:
        raise TemplateInvalid(problems)
    published = template.published_version
    same = published is not None and (published.subject, published.body) == (subject, body)
    template.draft_subject = None if same else subject
    template.draft_body = None if same else body
    template.draft_updated_at = None if same else utcnow()
    audit.record(
        "draft",
        "template",
        template.id,
        "draft_same_as_published" if same else "draft_saved",
        _named(template),
        user=user,
    )
    db.session.commit()
    return not same


def discard_draft(template: LetterTemplate, user: User) -> None:
    if template.draft_body is None:
        raise EditingError(_("There is no draft to discard."))
    template.draft_subject = template.draft_body = template.draft_updated_at = None
    audit.record(
        "discard_draft",
        "template",
        template.id,
        "draft_discarded",
        _named(template),
        user=user,
    )
    db.session.commit()


def add_version(
    template: LetterTemplate, subject: str, body: str, reviewed: bool, source: str
) -> TemplateVersion:
    number = (
        db.session.execute(
            db.select(db.func.max(TemplateVersion.number)).filter_by(template_id=template.id)
        ).scalar()
        or 0
    ) + 1
    version = TemplateVersion(
        template_id=template.id,
        number=number,
        subject=subject,
        body=body,
        reviewed=reviewed,
        source=source[:200],
    )
    db.session.add(version)
    db.session.flush()
    template.published_version_id = version.id
    return version


class LossesNotAccepted(EditingError):
    """The text would drop the supporter's name or paragraph, and the organiser
    did not say they accept it; ``losses`` says what supporters would lose."""

    def __init__(self, found: list[str]):
        super().__init__(" ".join(found))
        self.losses = found


@dataclass(frozen=True)
class PublishCheck:
    """What the organiser confirms before publishing: the comparison with the
    published text, and what supporters would lose."""

    subject: str
    body: str
    published: TemplateVersion | None
    comparison: Comparison
    losses: list[str]


def letter_text(subject: str, body: str) -> str:
    """A version as organisers read it in a comparison: with markers where the
    text has them (see letter_markers), else as template code."""
    text = _code_text(subject, body)
    return to_markers(text) or text


def check_publish(template: LetterTemplate, subject: str, body: str) -> PublishCheck:
    """Check a text about to be published without saving anything. Raises
    TemplateInvalid when the text cannot be published at all."""
    subject, body = normalise(subject, body)
    problems = validate(template, subject, body)
    if problems:
        raise TemplateInvalid(problems)
    current = template.published_version
    old = letter_text(current.subject, current.body) if current is not None else ""
    return PublishCheck(
        subject=subject,
        body=body,
        published=current,
        comparison=compare(old, letter_text(subject, body)),
        losses=losses(template, subject, body),
    )


def publish(
    template: LetterTemplate,
    subject: str,
    body: str,
    reviewed: bool,
    user: User,
    *,
    accept_losses: bool = False,
    compared_with: int | None = None,
) -> TemplateVersion:
    """Publish the text as a new version, which supporters get from now on, and
    drop the draft. ``reviewed`` is the organiser's answer for this very text.

    Raises TemplateInvalid; LossesNotAccepted when the text drops the supporter's
    name or paragraph and ``accept_losses`` is false; EditingError when the
    published version is no longer ``compared_with`` (the number the organiser
    compared with; 0 for none; None skips the check), or the text and review mark
    are those of the published version already. Nothing is saved then."""
    subject, body = normalise(subject, body)
    problems = validate(template, subject, body)
    if problems:
        raise TemplateInvalid(problems)
    found = losses(template, subject, body)
    if found and not accept_losses:
        raise LossesNotAccepted(found)
    template = _locked(template)
    current = _published(template)
    if compared_with is not None and (current.number if current else 0) != compared_with:
        db.session.rollback()
        raise EditingError(
            _(
                "Another version was published while you compared: nothing was published. "
                "Compare with it and confirm again."
            )
        )
    if current is not None and (current.subject, current.body, current.reviewed) == (
        subject,
        body,
        reviewed,
    ):
        db.session.rollback()
        raise EditingError(_("This is the published text already: there is nothing to publish."))
    try:
        version = add_version(template, subject, body, reviewed, f"published by {user.email}")
        template.draft_subject = template.draft_body = template.draft_updated_at = None
        audit.record(
            "publish",
            "template",
            template.id,
            ("published_reviewed" if reviewed else "published_not_reviewed")
            + ("_with_losses" if found else ""),
            _named(template, number=version.number, losses=len(found)),
            user=user,
            changes={"published_version": [current.number if current else None, version.number]},
        )
        db.session.commit()
    except IntegrityError:
        raise _published_meanwhile() from None
    return version


def find_version(template: LetterTemplate, number: int) -> TemplateVersion | None:
    return db.session.execute(
        db.select(TemplateVersion).filter_by(template_id=template.id, number=number)
    ).scalar_one_or_none()


def rollback(template: LetterTemplate, number: int, user: User) -> TemplateVersion:
    """Publish again the text of version ``number``, as a new version: history
    stays as it was. Raises EditingError when there is no such version or it is
    the published one."""
    old = find_version(template, number)
    if old is None:
        raise EditingError(_("There is no version %(number)d.", number=number))
    template = _locked(template)
    current = _published(template)
    if current is not None and current.id == old.id:
        db.session.rollback()
        raise EditingError(_("Version %(number)d is the published one already.", number=number))
    try:
        version = add_version(
            template,
            old.subject,
            old.body,
            old.reviewed,
            f"rollback to version {old.number} by {user.email}",
        )
        audit.record(
            "rollback",
            "template",
            template.id,
            "rolled_back",
            _named(template, old=old.number, new=version.number),
            user=user,
            changes={"published_version": [current.number if current else None, version.number]},
        )
        db.session.commit()
    except IntegrityError:
        raise _published_meanwhile() from None
    return version


def compare_versions(template: LetterTemplate, old_number: int, new_number: int) -> Comparison:
    """A word-level comparison of two versions, subject included.
    Raises EditingError when either version does not exist."""
    old, new = find_version(template, old_number), find_version(template, new_number)
    missing = old_number if old is None else new_number if new is None else None
    if missing is not None:
        raise EditingError(_("There is no version %(number)d.", number=missing))
    return compare(letter_text(old.subject, old.body), letter_text(new.subject, new.body))
