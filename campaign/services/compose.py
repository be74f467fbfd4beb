"""Compose letters: pick the template for a representative and render it in the
sandbox. Organisers' text never reaches the app's own Jinja environment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import StrictUndefined, TemplateError, Undefined
from jinja2.exceptions import SecurityError
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


def _text_only(value):
    """Only text and numbers are written into a letter, never a Python object's repr."""
    if value is None or isinstance(value, str | int | float | Decimal | Undefined):
        return value
    raise SecurityError("only text and numbers can be written into a letter")


class LetterSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, and no calls at all: a letter inserts values, it runs nothing
    (not even a harmless-looking '{0}'.format(…), which would print any object)."""

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's signature
        raise SecurityError("a letter cannot call functions or methods")


_sandbox = LetterSandbox(
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
    finalize=_text_only,
)
# A letter needs none of Jinja's globals (range, lipsum, cycler, joiner, namespace, dict),
# and only filters that shape text: none that prints objects (format, pprint, tojson,
# xmlattr), reaches attributes (attr, map) or multiplies text (replace, center, indent).
_sandbox.globals.clear()
LETTER_FILTERS = (
    "upper", "lower", "title", "capitalize", "trim", "default", "d",
    "truncate", "striptags", "wordcount", "length", "first", "last",
)  # fmt: skip
_sandbox.filters = {name: _sandbox.filters[name] for name in LETTER_FILTERS}


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


def choose_version(
    campaign: Campaign, representative: Representative, language: str | None = None
) -> TemplateVersion:
    """The published version for the representative's language, else the campaign's
    default language; with ``language``, the version in that language only.
    Raises NoTemplate when none exists."""
    kind = representative.body.kind
    languages = [language] if language else [representative.language, campaign.default_language]
    for language in dict.fromkeys(languages):
        template = db.session.execute(
            db.select(LetterTemplate).filter_by(
                campaign_id=campaign.id, language=language, body_kind=kind
            )
        ).scalar_one_or_none()
        if template is not None and template.published_version is not None:
            return template.published_version
    raise NoTemplate(f"no published letter for {kind} in {', '.join(languages)}")


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


@lru_cache(maxsize=512)
def _compiled(source: str):
    # Compiling is most of the cost of a preview; a published version never changes.
    return _sandbox.from_string(source)


def render_text(source: str, context: dict) -> str:
    try:
        return _compiled(source).render(**context)
    except TemplateError as exc:
        raise RenderError(str(exc)) from exc
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        # Untrusted text: whatever else goes wrong in it (an oversized range, an
        # {% include %} without a loader) is a template error too, never a crash.
        raise RenderError(f"this template cannot be rendered: {type(exc).__name__}") from exc


def render_letter(
    campaign: Campaign,
    representative: Representative,
    supporter: dict[str, str],
    version: TemplateVersion | None = None,
    language: str | None = None,
) -> RenderedLetter:
    """Render the letter exactly as it will be sent. ``supporter`` holds name,
    city and personal_paragraph. ``language`` renders the same letter in another
    language instead (the supporter's reading copy; never what is sent).
    Raises NoTemplate or RenderError."""
    version = version or choose_version(campaign, representative, language)
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
