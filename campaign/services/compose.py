"""Compose letters: pick the template for a representative and render it in the
sandbox. Organisers' text never reaches the app's own Jinja environment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..extensions import db
from ..models import Campaign, LetterTemplate, Representative, TemplateVersion

# The variables a letter template may use, documented for organisers.
TEMPLATE_VARIABLES = {
    "representative": ("title", "name", "body", "party", "constituency"),
    "supporter": ("name", "city", "personal_paragraph"),
    "figures": (
        "imprisoned",
        "released_after_sentence",
        "freed_early",
        "died_in_custody",
        "vulnerable",
        "as_of",
    ),
}
PERSONAL_PARAGRAPH_MAX = 2000

_sandbox = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
)


class NoTemplate(LookupError):
    """No published letter exists for this representative's body kind."""


class RenderError(ValueError):
    """A template failed to render; the message says where."""


@dataclass(frozen=True)
class RenderedLetter:
    subject: str
    body: str
    language: str
    version: TemplateVersion


def choose_version(campaign: Campaign, representative: Representative) -> TemplateVersion:
    """The published version for the representative's language, else the campaign's
    default language. Raises NoTemplate when neither exists."""
    kind = representative.body.kind
    for language in dict.fromkeys([representative.language, campaign.default_language]):
        template = db.session.execute(
            db.select(LetterTemplate).filter_by(
                campaign_id=campaign.id, language=language, body_kind=kind
            )
        ).scalar_one_or_none()
        if template is not None and template.published_version is not None:
            return template.published_version
    raise NoTemplate(f"no published letter for {kind} in {representative.language}")


def figures_for(campaign: Campaign, language: str) -> dict[str, str]:
    locale = language if language else "en"

    def number(value: int) -> str:
        return format_decimal(value, locale=locale)

    as_of = campaign.figures_as_of or date.today()
    return {
        "imprisoned": number(campaign.imprisoned),
        "released_after_sentence": number(campaign.released_after_sentence),
        "freed_early": number(campaign.freed_early),
        "died_in_custody": number(campaign.died_in_custody),
        "vulnerable": number(campaign.vulnerable),
        "as_of": format_date(as_of, "LLLL yyyy", locale=locale),
    }


def representative_vars(representative: Representative) -> dict[str, str]:
    return {
        "title": representative.title or "",
        "name": representative.name,
        "body": representative.body.name,
        "party": representative.party or "",
        "constituency": representative.constituency or "",
    }


def clean_paragraph(text: str) -> str:
    """Normalise the supporter's own paragraph: unified newlines, no runs of blank lines."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    paragraphs, current = [], []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return "\n\n".join(paragraphs).strip()


def render_text(source: str, context: dict) -> str:
    try:
        return _sandbox.from_string(source).render(**context)
    except TemplateError as exc:
        raise RenderError(str(exc)) from exc


def render_letter(
    campaign: Campaign,
    representative: Representative,
    supporter: dict[str, str],
    version: TemplateVersion | None = None,
) -> RenderedLetter:
    """Render the letter exactly as it will be sent. ``supporter`` holds name,
    city and personal_paragraph. Raises NoTemplate or RenderError."""
    version = version or choose_version(campaign, representative)
    language = version.template.language
    context = {
        "representative": representative_vars(representative),
        "supporter": {
            "name": supporter.get("name", ""),
            "city": supporter.get("city", ""),
            "personal_paragraph": clean_paragraph(supporter.get("personal_paragraph", "")),
        },
        "figures": figures_for(campaign, language),
    }
    subject = " ".join(render_text(version.subject, context).split())
    body = render_text(version.body, context).strip() + "\n"
    return RenderedLetter(subject=subject, body=body, language=language, version=version)
