"""Compose letters: pick the template for a representative and render it in the
sandbox. Organisers' text never reaches the app's own Jinja environment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import format_decimal
from flask_babel import gettext as _
from jinja2 import Template, TemplateError
from sqlalchemy.orm import contains_eager

from campaign.core.extensions import db
from campaign.letters.letter_language import introduced, signing_name
from campaign.letters.letter_rules import Problem, source_problems
from campaign.letters.letter_sandbox import TEMPLATE_VARIABLES
from campaign.letters.letter_sandbox import sandbox as _sandbox
from campaign.letters.residence import claims
from campaign.letters.sent_through import with_closing_line
from campaign.letters.text_versions import draw_for, resolve
from campaign.models import Campaign, LetterTemplate, Representative, TemplateVersion
from campaign.people.addressing import salutation_in, title_in

# The supporter's values, as long as the letter form takes them.
PERSONAL_PARAGRAPH_MAX = 2000
SUPPORTER_NAME_MAX = 120
SUPPORTER_CITY_MAX = 120
# A rendered letter stops growing here (about ten pages; the subject, one line).
LETTER_MAX_CHARS = 30_000
SUBJECT_MAX_CHARS = 1_000
SIZE_LIMITS = {"subject": SUBJECT_MAX_CHARS, "body": LETTER_MAX_CHARS}


class NoTemplate(LookupError):
    """No published letter exists for this representative's body kind."""


class RenderError(ValueError):
    """A template failed to render; the message says where."""


class UnsafeTemplate(RenderError):
    """A stored text breaks letter_rules (saved before a rule existed): never rendered."""

    def __init__(self, problems: tuple[Problem, ...]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class TooLong(RenderError):
    """The rendered text went past its size limit; rendering stopped there."""

    def __init__(self, limit: int):
        super().__init__(
            _("it would be longer than %(limit)s characters, the limit", limit=f"{limit:,}")
        )
        self.limit = limit


@dataclass(frozen=True)
class RenderedLetter:
    subject: str
    body: str
    language: str
    version: TemplateVersion
    # The versions drawn of the subject's and the body's blocks (letters.text_versions);
    # empty for a text without versions.
    draw: dict[str, tuple[int, ...]] | None = None
    # What the letter says of its supporter (supporter_context): a digest's entry
    # for the letter is made of it (letters.digest_text).
    supporter: dict | None = None


class PublishedLetters:
    """A campaign's published versions, looked up once for the many letters of a
    page or a submission (one query per batch, not one per representative)."""

    def __init__(self, campaign: Campaign):
        self.campaign = campaign
        self._versions: dict[tuple[str, str], TemplateVersion | None] = {}

    def _languages(self, representative: Representative, language: str | None) -> list[str]:
        if language:
            return [language]
        return list(dict.fromkeys([representative.language, self.campaign.default_language]))

    def load(self, representatives: list[Representative], *languages: str | None) -> None:
        """Fetch, in one query, every version these representatives' letters (and
        their copies in ``languages``) may need."""
        wanted = {
            (lang, rep.body.kind)
            for rep in representatives
            for language in languages or (None,)
            for lang in self._languages(rep, language)
        } - self._versions.keys()
        if not wanted:
            return
        rows = db.session.execute(
            db.select(TemplateVersion)
            .join(LetterTemplate, LetterTemplate.published_version_id == TemplateVersion.id)
            .options(contains_eager(TemplateVersion.template))
            .filter(
                LetterTemplate.campaign_id == self.campaign.id,
                LetterTemplate.language.in_({lang for lang, _ in wanted}),
                LetterTemplate.body_kind.in_({kind for _, kind in wanted}),
            )
        )
        found = {(v.template.language, v.template.body_kind): v for v in rows.scalars()}
        for key in wanted:
            self._versions[key] = found.get(key)

    def version_for(
        self, representative: Representative, language: str | None = None
    ) -> TemplateVersion:
        """The published version for the representative's language, else the
        campaign's default language; with ``language``, that language only.
        Raises NoTemplate when none exists."""
        self.load([representative], language)
        kind = representative.body.kind
        languages = self._languages(representative, language)
        for lang in languages:
            version = self._versions[(lang, kind)]
            if version is not None:
                return version
        raise NoTemplate(f"no published letter for {kind} in {', '.join(languages)}")


def letter_languages(campaign: Campaign, representatives: list[Representative]) -> list[str]:
    """The languages these representatives' letters are written in, each once."""
    published = PublishedLetters(campaign)
    published.load(representatives)
    languages: dict[str, None] = {}
    for rep in representatives:
        try:
            languages[published.version_for(rep).template.language] = None
        except NoTemplate:
            continue
    return list(languages)


def choose_version(
    campaign: Campaign, representative: Representative, language: str | None = None
) -> TemplateVersion:
    """The published version for one representative (see PublishedLetters)."""
    return PublishedLetters(campaign).version_for(representative, language)


def figures_for(campaign: Campaign, language: str) -> dict[str, str]:
    return dict(
        _formatted_figures(
            language or "en",
            campaign.imprisoned,
            campaign.released_after_sentence,
            campaign.freed_early,
            campaign.died_in_custody,
            campaign.vulnerable,
            campaign.figures_as_of or date.today(),
        )
    )


@lru_cache(maxsize=256)
def _formatted_figures(locale: str, *values) -> tuple[tuple[str, str], ...]:
    # Babel's formatting is a large part of a preview's cost; the figures change
    # only when an organiser edits them (a new key here).
    *counts, as_of = values
    names = TEMPLATE_VARIABLES["figures"][:-1]
    numbers = [
        (name, format_decimal(value, locale=locale))
        for name, value in zip(names, counts, strict=True)
    ]
    return (*numbers, ("as_of", format_date(as_of, "LLLL yyyy", locale=locale)))


def representative_vars(representative: Representative, language: str) -> dict[str, str]:
    """What a letter in ``language`` may say of its recipient. The title and the
    salutation are in the letter's language and agree with the gender the sources
    give (people.addressing); the imported title, in the source's language, is not
    printed."""
    body = representative.body
    gender = getattr(representative, "gender", "") or ""
    return {
        "title": title_in(language, body.kind, gender, getattr(body, "titles", None)),
        "name": representative.name,
        "body": body.name,
        "party": representative.party or "",
        "constituency": representative.constituency or "",
        "gender": gender if gender in ("female", "male") else "",
        "salutation": salutation_in(language, body.kind, gender, representative.name),
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
def _prepared(source: str) -> Template | tuple[Problem, ...]:
    # Checking and compiling are most of a preview's cost; a stored version never
    # changes, so each text is checked once per process.
    problems = source_problems("body", source)
    if problems:
        return tuple(problems)
    return _sandbox.from_string(source)


def render_text(source: str, context: dict, limit: int = LETTER_MAX_CHARS) -> str:
    """Render organisers' text in the sandbox. Raises UnsafeTemplate when the text
    breaks letter_rules, TooLong as soon as the output passes ``limit`` characters
    (it is counted as it is produced: nothing larger is ever built), RenderError
    for anything else that goes wrong in it."""
    template = _prepared(source)
    if isinstance(template, tuple):
        raise UnsafeTemplate(template)
    parts, size = [], 0
    output = template.generate(**context)
    try:
        for part in output:
            size += len(part)
            if size > limit:
                raise TooLong(limit)
            parts.append(part)
    except TemplateError as exc:
        raise RenderError(str(exc)) from exc
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        if isinstance(exc, RenderError):
            raise
        # Untrusted text: whatever else goes wrong in it is a template error too,
        # never a crash.
        raise RenderError(f"this template cannot be rendered: {type(exc).__name__}") from exc
    finally:
        output.close()
    return "".join(parts)


def render_letter(
    campaign: Campaign,
    representative: Representative,
    supporter: dict[str, str],
    version: TemplateVersion | None = None,
    language: str | None = None,
    published: PublishedLetters | None = None,
    seed: str = "",
    draw: dict | None = None,
) -> RenderedLetter:
    """Render the letter exactly as it will be sent. ``supporter`` holds name,
    city, personal_paragraph and, when given, residence (a residence.Residence),
    name_latin and paragraph_language (letters.letter_language).
    ``language`` renders the same letter in another language instead (the
    supporter's reading copy; never what is sent).
    ``published`` shares version lookups between the letters of one request.
    ``seed`` draws one version of each block (letters.text_versions): the same
    seed draws the same; ``draw`` gives the versions instead (a stored draw, or
    the sent letter's for its reading copy); with neither, each block's first.
    Raises NoTemplate, or RenderError (UnsafeTemplate for a stored text that breaks
    letter_rules, TooLong past the size limit)."""
    if version is None:
        version = (published or PublishedLetters(campaign)).version_for(representative, language)
    language = version.template.language
    context = {
        "representative": representative_vars(representative, language),
        "supporter": supporter_context(representative, supporter, language),
        "figures": figures_for(campaign, language),
    }
    if draw is None:
        draw = {
            field: draw_for(source, seed, f"{field}|{representative.id}") if seed else ()
            for field, source in (("subject", version.subject), ("body", version.body))
        }
    draw = {field: tuple(draw.get(field, ())) for field in ("subject", "body")}
    subject, text = _render_drawn(version, draw, context)
    body = with_closing_line(text, campaign, context["supporter"]["name"], language)
    return RenderedLetter(
        subject=subject,
        body=body,
        language=language,
        version=version,
        draw=draw,
        supporter=context["supporter"],
    )


def supporter_context(representative: Representative, supporter: dict, language: str) -> dict:
    """What a letter in ``language`` says of its supporter (see render_letter)."""
    return {
        "name": signing_name(supporter.get("name", ""), supporter.get("name_latin", ""), language),
        "city": supporter.get("city", ""),
        "personal_paragraph": introduced(
            clean_paragraph(supporter.get("personal_paragraph", "")),
            supporter.get("paragraph_language"),
            language,
        ),
        **claims(representative, supporter.get("residence"), language),
    }


def _render_drawn(version: TemplateVersion, draw: dict, context: dict) -> tuple[str, str]:
    subject_source = resolve(version.subject, draw.get("subject", ()))
    body_source = resolve(version.body, draw.get("body", ()))
    subject = " ".join(render_text(subject_source, context, SUBJECT_MAX_CHARS).split())
    return subject, render_text(body_source, context, LETTER_MAX_CHARS)


def render_shared(
    campaign: Campaign, representative: Representative, version: TemplateVersion, draw: dict | None
) -> tuple[str, str]:
    """The subject and text a letter shares with every other letter of its version
    and draw: rendered for nobody in particular (no name, place or own words, no
    claim of residence), as a digest prints it once (letters.digest_text).
    Raises RenderError as render_letter does."""
    language = version.template.language
    context = {
        "representative": representative_vars(representative, language),
        "supporter": supporter_context(representative, {}, language),
        "figures": figures_for(campaign, language),
    }
    return _render_drawn(version, draw or {}, context)
