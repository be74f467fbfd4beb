"""Checking a letter template before anything is saved: what letter_rules says of
each field, then trial renderings with sample data, including the longest values a
supporter and a representative can have (so that no real letter exceeds the size
limit). Every problem comes with its field and line.

Organisers' text is only ever parsed and rendered by letter_sandbox's environment.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask_babel import gettext as _

from campaign.letters import compose
from campaign.letters.letter_rules import Problem, source_problems
from campaign.letters.text_versions import alternatives, blocks, resolve
from campaign.letters.text_versions import problems as version_problems
from campaign.models import Campaign, LetterTemplate
from campaign.people.importers.base import DEFAULT_TITLE, FIELD_LIMITS

# -- text and validation ------------------------------------------------------


def normalise(subject: str, body: str) -> tuple[str, str]:
    """Unified line endings (browsers send CRLF), a stripped subject, one final newline."""
    subject = (subject or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n").rstrip()
    # Leading blank lines stay: line numbers in messages match what the organiser sees.
    return subject, body + "\n" if body.strip() else ""


def variables_help() -> list[tuple[str, list[str]]]:
    """The variables a letter may use, for the editor's reference list."""
    return [
        (name, [f"{name}.{attr}" for attr in attrs])
        for name, attrs in compose.TEMPLATE_VARIABLES.items()
    ]


def _template_line(exc: BaseException | None) -> int | None:
    """The template line an exception raised while rendering came from."""
    line = None
    tb = exc.__traceback__ if exc is not None else None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _sample_contexts(campaign: Campaign, template_language: str, body_kind: str) -> list[dict]:
    """Every combination of present and empty optional values the letter can meet."""
    full_rep = sample_representative(body_kind)
    # Gender not given: the neutral salutation, and titles empty where a language has none.
    bare_rep = SimpleNamespace(
        **{**vars(full_rep), "title": "", "party": "", "constituency": "", "gender": ""}
    )
    # A constituent of this member, a resident of the country elsewhere, and someone
    # who stated nowhere: the three claims a letter can make.
    full_supporter = {**sample_supporter(), "constituent": True, "resident": True}
    full_supporter["place"] = full_rep.constituency
    elsewhere = {**full_supporter, "constituent": False, "place": "Sample Country"}
    bare_supporter = {
        "name": full_supporter["name"],
        "city": "",
        "personal_paragraph": "",
        "constituent": False,
        "resident": False,
        "place": "",
    }
    figures = compose.figures_for(campaign, template_language)
    return [
        {
            "representative": compose.representative_vars(rep, template_language),
            "supporter": {**supporter},
            "figures": figures,
        }
        for rep in (full_rep, SimpleNamespace(**{**vars(full_rep), "gender": "male"}), bare_rep)
        for supporter in (full_supporter, elsewhere, bare_supporter)
    ]


def _longest_context(campaign: Campaign, template_language: str) -> dict:
    """The longest values a letter can meet: representatives' fields as long as the
    database holds them, the supporter's as long as the letter form takes them."""
    return {
        "representative": {
            **{
                name: "W" * FIELD_LIMITS[name]
                for name in compose.TEMPLATE_VARIABLES["representative"]
                if name in FIELD_LIMITS
            },
            "gender": "female",
            # The longest greeting around the longest name.
            "salutation": "W" * (FIELD_LIMITS["name"] + 60),
        },
        "supporter": {
            "name": "W" * compose.SUPPORTER_NAME_MAX,
            "city": "W" * compose.SUPPORTER_CITY_MAX,
            "personal_paragraph": "W" * compose.PERSONAL_PARAGRAPH_MAX,
            # A constituent's letter names the constituency: the longer place.
            "constituent": True,
            "resident": True,
            "place": "W" * FIELD_LIMITS["constituency"],
        },
        "figures": compose.figures_for(campaign, template_language),
    }


def _render_problem(field: str, exc: Exception) -> Problem:
    """Why a text that passed the checks fails when rendered: too long (compose says
    so in the organiser's language), or anything else (a text added to a number, a
    division by zero) said plainly, with what went wrong as detail."""
    cause = exc.__cause__ if isinstance(exc, compose.RenderError) else exc
    line = _template_line(cause)
    if isinstance(exc, compose.TooLong):
        return Problem(field, line, str(exc))
    return Problem(
        field,
        line,
        _(
            "this part cannot be rendered for every representative and supporter: "
            "check the values it uses and what it does with them"
        ),
        f"{type(cause).__name__}: {cause}" if cause is not None else "",
    )


def _test_render(template: LetterTemplate, subject: str, body: str) -> list[Problem]:
    problems: list[Problem] = []
    for context in _sample_contexts(template.campaign, template.language, template.body_kind):
        for field, source in (("subject", subject), ("body", body)):
            try:
                compose.render_text(source, context, compose.SIZE_LIMITS[field])
            except compose.RenderError as exc:
                problem = _render_problem(field, exc)
            except Exception as exc:  # noqa: BLE001 - organisers' text may raise anything
                problem = _render_problem(field, exc)
            else:
                continue
            if problem not in problems:
                problems.append(problem)
        if problems:
            return problems
    longest = _longest_context(template.campaign, template.language)
    for field, source in (("subject", subject), ("body", body)):
        try:
            compose.render_text(source, longest, compose.SIZE_LIMITS[field])
        except compose.TooLong as exc:
            problems.append(
                Problem(
                    field,
                    None,
                    _(
                        "with the longest names and paragraph a letter can meet, %(reason)s",
                        reason=str(exc),
                    ),
                )
            )
        except compose.RenderError as exc:
            problems.append(_render_problem(field, exc))
    return problems


def stored_problems(template: LetterTemplate) -> list[Problem]:
    """Why the published version of ``template`` is not rendered for supporters,
    if it is not: compose refuses a stored text that breaks letter_rules or can
    outgrow the size limit (one saved before those rules existed). Empty when
    it is rendered, or when nothing is published."""
    version = template.published_version
    if version is None:
        return []
    longest = _longest_context(template.campaign, template.language)
    problems: list[Problem] = []
    for field, source in (("subject", version.subject), ("body", version.body)):
        # Checked here rather than read from compose's cache of checked texts:
        # the messages are in the reader's language.
        found = source_problems(field, source)
        if found:
            problems += found
            continue
        try:
            compose.render_text(source, longest, compose.SIZE_LIMITS[field])
        except compose.RenderError as exc:
            problems.append(_render_problem(field, exc))
    return problems


def validate(template: LetterTemplate, subject: str, body: str) -> list[Problem]:
    """Every problem of ``subject`` and ``body`` (already normalised), with line
    numbers: too deep, syntax errors, unknown variables or fields, forbidden
    constructs, errors met when rendering for sample representatives and
    supporters, and a letter longer than compose's size limit.
    An empty list means the text can be saved."""
    problems: list[Problem] = []
    if not subject:
        problems.append(Problem("subject", None, _("The subject is empty.")))
    elif "\n" in subject:
        problems.append(Problem("subject", None, _("The subject must be a single line.")))
    if not body.strip():
        problems.append(Problem("body", None, _("The text is empty.")))
    for field, source in (("subject", subject), ("body", body)):
        if source.strip():
            problems += source_problems(field, source) or version_problems(field, source)
    if subject and not problems:
        problems += _blank_subject_versions(subject)
    if not problems:
        problems = _test_render(template, subject, body)
    return problems


def _blank_subject_versions(subject: str) -> list[Problem]:
    """A (well-formed) subject with versions whose first versions, or any one
    version, leave it blank: the letters drawing it would go without a subject."""
    empty = _("The subject is empty.")
    if not resolve(subject, ()).strip():
        return [Problem("subject", None, empty)]
    return [
        Problem(
            "subject",
            None,
            _(
                "version %(version)s of block %(block)s: %(problem)s",
                version=version,
                block=number,
                problem=empty,
            ),
        )
        for number, version, text in alternatives(subject)
        if not text.strip()
    ]


# -- samples ------------------------------------------------------------------

SAMPLE_BODY_NAMES = {
    "parliament": "Parliament (sample)",
    "european_parliament": "European Parliament",
    "ministry": "Ministry of Foreign Affairs (sample)",
}


def sample_representative(body_kind: str, language: str = "en") -> SimpleNamespace:
    """A fictional representative, for previews and test letters."""
    return SimpleNamespace(
        id=None,
        title=DEFAULT_TITLE.get(body_kind, ""),
        name="Jane Example",
        gender="female",
        body=SimpleNamespace(name=SAMPLE_BODY_NAMES.get(body_kind, "Parliament"), kind=body_kind),
        party="Sample Party",
        constituency="Sample Constituency",
        language=language,
        email="representative@example.org",
    )


def sample_supporter() -> dict[str, str]:
    return {
        "name": "Alex Sample",
        "city": "Sampletown",
        "personal_paragraph": _("Here the supporter's own paragraph appears, if they write one."),
    }


# -- what supporters would lose -------------------------------------------------

# Values no letter text contains by chance: where they show up in a rendering, the
# text used the supporter's name or paragraph.
_NAME_MARK = "\ue000supporter-name\ue000"
_PARAGRAPH_MARK = "\ue000supporter-paragraph\ue000"


def losses(template: LetterTemplate, subject: str, body: str) -> list[str]:
    """What supporters would lose with this (valid) text, one sentence each: their
    name not signed under the letter, their own paragraph thrown away. Empty when
    a supporter who gives both sees both in every letter the text can make: with
    versions, the letter is also made from the versions that leave each out."""
    context = _sample_contexts(template.campaign, template.language, template.body_kind)[0]
    context["supporter"] = {
        **context["supporter"],
        "name": _NAME_MARK,
        "personal_paragraph": _PARAGRAPH_MARK,
    }
    sources = (("subject", subject), ("body", body))
    found = []
    for mark, sentence in (
        (
            _NAME_MARK,
            _(
                "The letter does not carry the supporter's name: representatives will not "
                "know who wrote to them, and the letter reads as anonymous."
            ),
        ),
        (
            _PARAGRAPH_MARK,
            _(
                "The letter has no place for the supporter's own paragraph: what "
                "supporters write in “Your own paragraph” will be thrown away."
            ),
        ),
    ):
        first = _rendered(context, [(field, resolve(source, ())) for field, source in sources])
        if mark not in first:
            found.append(sentence)
            continue
        without = [
            (field, _versions_without(field, source, mark, context)) for field, source in sources
        ]
        if mark not in _rendered(context, without):
            found.append(
                sentence + " " + _("This happens in the letters that draw some of its versions.")
            )
    return found


def _rendered(context: dict, sources: list[tuple[str, str]]) -> str:
    return "\n".join(
        compose.render_text(source, context, compose.SIZE_LIMITS[field])
        for field, source in sources
    )


def _versions_without(field: str, source: str, mark: str, context: dict) -> str:
    """The text with, in each block of versions, a version whose own wording leaves
    ``mark`` out when there is one (else the first): the letter a supporter may get
    that lacks it."""
    draw = []
    for block in blocks(source):
        choice = 0
        for number, version in enumerate(block):
            try:
                alone = compose.render_text(version, context, compose.SIZE_LIMITS[field])
            except compose.RenderError:
                continue  # a version that only makes sense in its place (inside an "if")
            if mark not in alone:
                choice = number
                break
        draw.append(choice)
    return resolve(source, draw)
