"""Checking a letter template before anything is saved: syntax, the variables and
fields it uses, what it may not do, and a trial rendering with sample data. Every
problem comes with its field and line.

Organisers' text is only ever parsed and rendered by compose's sandboxed
environment (ImmutableSandboxedEnvironment with StrictUndefined).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from flask_babel import gettext as _
from jinja2 import TemplateSyntaxError, meta, nodes

from ..importers.base import DEFAULT_TITLE
from ..models import Campaign, LetterTemplate
from . import compose

# The sandbox supporters' letters are rendered in: validation must parse with it.
SANDBOX = compose._sandbox

# A letter inserts values and keeps or drops parts with {% if %}: nothing more.
# What could include other files, or multiply text into gigabytes (loops,
# repeated {% set %}, "x" * 10**9, "%999999999s", "a".center(...)), is refused.
FORBIDDEN_NODES = {
    nodes.Extends: "{% extends %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from … import %}",
    nodes.For: "{% for %}",
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
    nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}",
    nodes.Call: "(…)",
    nodes.Mul: "*",
    nodes.Pow: "**",
    nodes.Mod: "%",
}
ALLOWED_FILTERS = (
    "upper",
    "lower",
    "title",
    "capitalize",
    "trim",
    "default",
    "d",
    "truncate",
    "striptags",
    "wordcount",
    "length",
    "first",
    "last",
)


@dataclass(frozen=True)
class Problem:
    """Something wrong with a template, where it is: the field and its line."""

    field: str  # "subject" or "body"
    line: int | None
    message: str

    def __str__(self) -> str:
        where = _("Subject") if self.field == "subject" else _("Text")
        if self.line is not None:
            where = _("%(field)s, line %(line)d", field=where, line=self.line)
        return f"{where}: {self.message}"


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


def _walk(node: nodes.Node, parent: nodes.Node | None = None):
    yield node, parent
    for child in node.iter_child_nodes():
        yield from _walk(child, node)


class _Problems(list):
    def add(self, field: str, node: nodes.Node, message: str) -> None:
        problem = Problem(field, getattr(node, "lineno", None), message)
        if problem not in self:
            self.append(problem)


def _forbidden(field: str, ast: nodes.Template) -> list[Problem]:
    """Tags, operators and filters a letter may not use."""
    problems = _Problems()
    for node, _parent in _walk(ast):
        for kind, word in FORBIDDEN_NODES.items():
            if type(node) is kind:
                problems.add(field, node, _("“%(tag)s” is not available in letters", tag=word))
        if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
            problems.add(
                field,
                node,
                _(
                    "the filter “%(name)s” is not available in letters; these are: %(allowed)s",
                    name=node.name,
                    allowed=", ".join(ALLOWED_FILTERS),
                ),
            )
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            problems.add(field, node, _("names starting with “_” are not available in letters"))
    return problems


def _check_names(field: str, ast: nodes.Template) -> list[Problem]:
    """Every name and field used must be one of compose.TEMPLATE_VARIABLES."""
    forbidden = _forbidden(field, ast)
    if forbidden:
        # jinja2.meta runs the compiler, which folds constants: never on such a text.
        return forbidden
    variables = compose.TEMPLATE_VARIABLES
    undeclared = meta.find_undeclared_variables(ast)
    problems = _Problems()

    def attribute_problem(node: nodes.Node, namespace: str, attr: str) -> None:
        if attr not in variables[namespace]:
            problems.add(
                field,
                node,
                _(
                    "“%(name)s” does not exist; %(namespace)s has: %(allowed)s",
                    name=f"{namespace}.{attr}",
                    namespace=namespace,
                    allowed=", ".join(variables[namespace]),
                ),
            )

    for node, parent in _walk(ast):
        if not isinstance(node, nodes.Name) or node.ctx != "load":
            continue
        name = node.name
        if name in variables and name in undeclared:
            if isinstance(parent, nodes.Getattr) and parent.node is node:
                attribute_problem(node, name, parent.attr)
            elif isinstance(parent, nodes.Getitem) and parent.node is node:
                key = parent.arg
                if isinstance(key, nodes.Const) and isinstance(key.value, str):
                    attribute_problem(node, name, key.value)
                else:
                    problems.add(
                        field, node, _("write %(example)s, naming the field", example=f"{name}.…")
                    )
            else:
                problems.add(
                    field,
                    node,
                    _(
                        "“%(name)s” alone is not a value; use one of: %(allowed)s",
                        name=name,
                        allowed=", ".join(f"{name}.{a}" for a in variables[name]),
                    ),
                )
        elif name not in variables:
            # Also the sandbox's globals (range, lipsum…): not part of a letter.
            problems.add(
                field,
                node,
                _(
                    "unknown variable “%(name)s”; a letter can use %(allowed)s",
                    name=name,
                    allowed=", ".join(f"{n}.…" for n in variables),
                ),
            )
    return problems


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
    bare_rep = SimpleNamespace(**{**vars(full_rep), "title": "", "party": "", "constituency": ""})
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
            "representative": compose.representative_vars(rep),
            "supporter": {**supporter},
            "figures": figures,
        }
        for rep in (full_rep, bare_rep)
        for supporter in (full_supporter, elsewhere, bare_supporter)
    ]


def _test_render(template: LetterTemplate, subject: str, body: str) -> list[Problem]:
    problems: list[Problem] = []
    for context in _sample_contexts(template.campaign, template.language, template.body_kind):
        for field, source in (("subject", subject), ("body", body)):
            try:
                compose.render_text(source, context)
            except compose.RenderError as exc:
                problem = Problem(field, _template_line(exc.__cause__), str(exc))
            except Exception as exc:  # noqa: BLE001 - organisers' text may raise anything
                problem = Problem(field, _template_line(exc), f"{type(exc).__name__}: {exc}")
            else:
                continue
            if problem not in problems:
                problems.append(problem)
        if problems:
            break
    return problems


BLOCK_TAGS = ("if", "for", "macro", "call", "filter", "with", "autoescape", "block")


def _unclosed_block(source: str) -> tuple[str, int] | None:
    """The innermost block tag left open, and the line it opened on."""
    stack: list[tuple[str, int]] = []
    expect_tag = False
    try:
        for line, kind, value in SANDBOX.lex(source):
            if kind == "block_begin":
                expect_tag = True
                continue
            if kind == "whitespace":
                continue
            if expect_tag and kind == "name":
                if value in BLOCK_TAGS:
                    stack.append((value, line))
                elif value.startswith("end") and stack and stack[-1][0] == value[3:]:
                    stack.pop()
            expect_tag = False
    except TemplateSyntaxError:
        return None
    return stack[-1] if stack else None


def _syntax_problem(field: str, source: str, exc: TemplateSyntaxError) -> Problem:
    message = exc.message or str(exc)
    if message.startswith("Unexpected end of template"):
        unclosed = _unclosed_block(source)
        if unclosed is not None:
            tag, line = unclosed
            return Problem(
                field,
                line,
                _(
                    "%(open)s is never closed: add %(close)s where its part ends",
                    open="{% " + tag + " %}",
                    close="{% end" + tag + " %}",
                ),
            )
    return Problem(field, exc.lineno, message)


def validate(template: LetterTemplate, subject: str, body: str) -> list[Problem]:
    """Every problem of ``subject`` and ``body`` (already normalised), with line
    numbers: syntax errors, unknown variables or fields, forbidden tags, and
    errors met when rendering for sample representatives and supporters.
    An empty list means the text can be saved."""
    problems: list[Problem] = []
    if not subject:
        problems.append(Problem("subject", None, _("The subject is empty.")))
    elif "\n" in subject:
        problems.append(Problem("subject", None, _("The subject must be a single line.")))
    if not body.strip():
        problems.append(Problem("body", None, _("The text is empty.")))
    for field, source in (("subject", subject), ("body", body)):
        if not source.strip():
            continue
        try:
            ast = SANDBOX.parse(source)
        except TemplateSyntaxError as exc:
            problems.append(_syntax_problem(field, source, exc))
            continue
        try:
            # Compiling (jinja2.meta too) folds constants: _check_names refuses
            # what could blow up ("x" * 10**9) before anything is compiled.
            found = _check_names(field, ast)
            if not found:
                SANDBOX.compile(ast)  # finds unknown tests
        except TemplateSyntaxError as exc:
            found = [_syntax_problem(field, source, exc)]
        problems += found
    if not problems:
        problems = _test_render(template, subject, body)
    return problems


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
