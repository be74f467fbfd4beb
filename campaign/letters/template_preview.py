"""What the editor shows before anything is saved: the letter rendered exactly as
compose would render it (for a chosen representative or a fictional one), and a test
letter mailed to the organiser's own address, never to a representative.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _

from campaign.core.extensions import db
from campaign.core.mail import OutgoingMessage, get_backend
from campaign.letters import compose
from campaign.letters.residence import Residence
from campaign.letters.template_checks import (
    Problem,
    normalise,
    sample_representative,
    sample_supporter,
    validate,
)
from campaign.letters.template_editing import TemplateInvalid
from campaign.models import LetterTemplate, Representative, User


@dataclass(frozen=True)
class Preview:
    subject: str
    body: str
    problems: list[Problem]
    recipient: str  # who the letter was rendered for
    # The same letter from a supporter who stated no residence: what it claims then.
    body_elsewhere: str = ""


def _unsaved_version(template: LetterTemplate, subject: str, body: str) -> SimpleNamespace:
    # Not a TemplateVersion: a new one attached to the template would be flushed.
    return SimpleNamespace(
        template=SimpleNamespace(language=template.language), subject=subject, body=body
    )


def preview(
    template: LetterTemplate,
    subject: str,
    body: str,
    representative: Representative | None = None,
    supporter: dict[str, str] | None = None,
) -> Preview:
    """The letter exactly as compose would render it, for ``representative`` (or
    a fictional one) and a sample supporter; or the problems that prevent it."""
    subject, body = normalise(subject, body)
    rep = representative or sample_representative(template.body_kind, template.language)
    recipient = f"{rep.name} ({rep.body.name})"
    problems = validate(template, subject, body)
    if problems:
        return Preview("", "", problems, recipient)
    version = _unsaved_version(template, subject, body)
    supporter = supporter or sample_supporter()
    # Rendered both ways, so that organisers see what each supporter will claim.
    constituent = Residence(
        country=getattr(rep, "country", ""),
        body_id=getattr(rep, "body_id", None),
        constituency=rep.constituency or "",
    )
    rendered = compose.render_letter(
        template.campaign, rep, {**supporter, "residence": constituent}, version=version
    )
    elsewhere = compose.render_letter(
        template.campaign, rep, {**supporter, "residence": None}, version=version
    )
    return Preview(rendered.subject, rendered.body, [], recipient, elsewhere.body)


def preview_choices(template: LetterTemplate, limit: int = 300) -> list[Representative]:
    """Representatives a preview may be rendered for: active ones of the template's
    body kind, those reading its language first."""
    from campaign.models import Body

    query = (
        db.select(Representative)
        .join(Body)
        .filter(Body.kind == template.body_kind, Representative.active.is_(True))
        .order_by(
            (Representative.language != template.language),
            Representative.country,
            Representative.name,
        )
        .limit(limit)
    )
    return list(db.session.execute(query).scalars())


def send_test(
    template: LetterTemplate,
    subject: str,
    body: str,
    user: User,
    representative: Representative | None = None,
) -> str:
    """Mail the letter, rendered for ``representative`` (or a fictional one), to
    the organiser's own address, never to the representative. Raises
    TemplateInvalid; mail.MailError when the backend refuses. Returns the
    provider's message id."""
    result = preview(template, subject, body, representative)
    if result.problems:
        raise TemplateInvalid(result.problems)
    note = _(
        "Test letter, rendered for %(recipient)s. Only you received it.",
        recipient=result.recipient,
    )
    # Outside the f-string: the catalogue's extraction does not look inside one.
    test_mark = _("Test")
    message = OutgoingMessage(
        to_email=user.email,
        to_name="",
        from_email=current_app.config["MAIL_FROM"],
        from_name=current_app.config["MAIL_FROM_NAME"],
        subject=f"[{test_mark}] {result.subject}",
        text=f"{note}\n\n----\n\n{result.body}",
        kind="test",
    )
    return get_backend().send(message)
