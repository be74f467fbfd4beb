"""What a letter's text may contain, checked on its tokens and its parsed tree; every
problem names its field and line.

A letter inserts values and keeps or drops parts with {% if %}: nothing more. Text
can grow only by what the template writes plus the values it inserts, once each:
nothing binds a name ({% with %}, {% set %}, loops, macros), builds containers
(dict, list and tuple literals) or calls anything. Nesting is bounded on the
lexer's tokens, before Jinja's recursive parser sees the text, so a deep text is
a problem at its line rather than a RecursionError.

compose runs these checks again before rendering any stored text, so a version
saved before a rule existed is refused as well.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from jinja2 import TemplateSyntaxError, meta, nodes

from campaign.letters import syntax_errors
from campaign.letters.letter_sandbox import LETTER_FILTERS, TEMPLATE_VARIABLES, sandbox

# Deep enough for any letter, far below what Jinja's parser and Python's compiler
# survive (about 100 nested blocks, a few hundred nested brackets).
MAX_BLOCK_DEPTH = 20
MAX_BRACKET_DEPTH = 10
# Tokens in one {{ … }} or {% … %}: bounds how deep one expression's tree can be.
MAX_TAG_TOKENS = 100

# Everything else is refused. Add and Concat join text already there; the other
# operators work on numbers.
ALLOWED_NODES = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.Name,
    nodes.Getattr, nodes.Getitem, nodes.Slice, nodes.If, nodes.CondExpr,
    nodes.Concat, nodes.Add, nodes.Sub, nodes.Div, nodes.FloorDiv, nodes.Neg,
    nodes.Pos, nodes.Not, nodes.And, nodes.Or, nodes.Compare, nodes.Operand,
    nodes.Filter, nodes.Test, nodes.Keyword,
)  # fmt: skip
# How a refused construct is named to the organiser.
REFUSED_WORDS = {
    nodes.Extends: "{% extends %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from … import %}",
    nodes.For: "{% for %}",
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
    nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}",
    nodes.With: "{% with %}",
    nodes.FilterBlock: "{% filter %}",
    nodes.Block: "{% block %}",
    nodes.Scope: "{% with %}",
    nodes.ScopedEvalContextModifier: "{% autoescape %}",
    nodes.Dict: "{…}",
    nodes.List: "[…]",
    nodes.Tuple: "(…, …)",
    nodes.Call: "(…)",
    nodes.Mul: "*",
    nodes.Pow: "**",
    nodes.Mod: "%",
}
BLOCK_TAGS = ("if", "for", "macro", "call", "filter", "with", "autoescape", "block")


@dataclass(frozen=True)
class Problem:
    """Something wrong with a template, where it is: the field and its line."""

    field: str  # "subject" or "body"
    line: int | None
    message: str  # in the organiser's language
    # Jinja's own words, for those who read them (shown folded, after the message).
    detail: str = ""

    def __str__(self) -> str:
        where = _("Subject") if self.field == "subject" else _("Text")
        if self.line is not None:
            where = _("%(field)s, line %(line)d", field=where, line=self.line)
        return f"{where}: {self.message}"


class _Problems(list):
    def add(self, field: str, node: nodes.Node, message: str) -> None:
        problem = Problem(field, getattr(node, "lineno", None), message)
        if problem not in self:
            self.append(problem)


def source_problems(field: str, source: str) -> list[Problem]:
    """Every problem of one field's text: nesting, syntax, constructs a letter may
    not use, unknown variables and fields. An empty list means it can be rendered."""
    too_deep = _nesting_problem(field, source)
    if too_deep is not None:
        return [too_deep]
    try:
        ast = sandbox.parse(source)
        # Compiling (jinja2.meta too) folds constants: refuse what could blow up
        # ("x" * 10**9) before anything is compiled.
        found = _check_names(field, ast)
        if not found:
            sandbox.compile(ast)  # finds unknown tests
    except TemplateSyntaxError as exc:
        return [_syntax_problem(field, source, exc)]
    except (RecursionError, SyntaxError, MemoryError):
        # The bounds above keep these out; should one get through, it is the text's fault.
        return [Problem(field, None, _("this text is nested too deeply to be read"))]
    return found


# -- nesting, on tokens ------------------------------------------------------------


def _nesting_problem(field: str, source: str) -> Problem | None:
    """The first place where blocks, brackets or one tag's expression go deeper than
    a letter needs, read from the lexer's tokens (the lexer does not recurse)."""
    depth, brackets, tag_tokens = 0, 0, 0
    tag: list[tuple[str, str]] = []
    in_tag = False
    try:
        for line, kind, value in sandbox.lex(source):
            if kind in ("block_begin", "variable_begin"):
                tag, tag_tokens, in_tag = [], 0, True
                continue
            if kind == "variable_end":
                in_tag = False
                continue
            if kind == "block_end":
                in_tag = False
                # A stray end tag is the parser's error, met before any nesting after it.
                depth = max(0, depth + _block_change(tag))
                if depth > MAX_BLOCK_DEPTH:
                    return _too_deep(
                        field,
                        line,
                        _("blocks are nested more than %(limit)d deep", limit=MAX_BLOCK_DEPTH),
                    )
                continue
            if not in_tag or kind == "whitespace":
                continue
            tag_tokens += 1
            tag.append((kind, value))
            if tag_tokens > MAX_TAG_TOKENS:
                return _too_deep(
                    field,
                    line,
                    _(
                        "one {{ … }} or {%% … %%} holds more than %(limit)d words and signs",
                        limit=MAX_TAG_TOKENS,
                    ),
                )
            if kind == "operator" and value in ("(", "[", "{"):
                brackets += 1
                if brackets > MAX_BRACKET_DEPTH:
                    return _too_deep(
                        field,
                        line,
                        _(
                            "brackets are nested more than %(limit)d deep",
                            limit=MAX_BRACKET_DEPTH,
                        ),
                    )
            elif kind == "operator" and value in (")", "]", "}"):
                brackets = max(0, brackets - 1)
    except TemplateSyntaxError:
        return None  # the parser reports it, at this place, before going deeper
    return None


def _block_change(tag: list[tuple[str, str]]) -> int:
    """+1 for a tag that opens a block, -1 for one that closes it, else 0."""
    if not tag or tag[0][0] != "name":
        return 0
    name = tag[0][1]
    if name.startswith("end"):
        return -1
    if name in BLOCK_TAGS:
        return 1
    if name == "set" and ("operator", "=") not in tag:
        return 1  # {% set x %}…{% endset %}
    return 0


def _too_deep(field: str, line: int, what: str) -> Problem:
    return Problem(field, line, _("%(what)s: simplify this part of the letter", what=what))


# -- the parsed tree -----------------------------------------------------------------


def _walk(node: nodes.Node, parent: nodes.Node | None = None):
    yield node, parent
    for child in node.iter_child_nodes():
        yield from _walk(child, node)


def _refused_word(node: nodes.Node) -> str:
    for kind, word in REFUSED_WORDS.items():
        if type(node) is kind:
            return word
    return type(node).__name__


def _forbidden(field: str, ast: nodes.Template) -> list[Problem]:
    """Constructs, filters and attributes a letter may not use."""
    problems = _Problems()
    for node, _parent in _walk(ast):
        if type(node) not in ALLOWED_NODES:
            problems.add(
                field,
                node,
                _("“%(tag)s” is not available in letters", tag=_refused_word(node)),
            )
        if isinstance(node, nodes.Filter) and node.name not in LETTER_FILTERS:
            problems.add(
                field,
                node,
                _(
                    "the filter “%(name)s” is not available in letters; these are: %(allowed)s",
                    name=node.name,
                    allowed=", ".join(LETTER_FILTERS),
                ),
            )
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            problems.add(field, node, _("names starting with “_” are not available in letters"))
    return problems


def _check_names(field: str, ast: nodes.Template) -> list[Problem]:
    """Nothing forbidden, and every name and field used one of TEMPLATE_VARIABLES."""
    forbidden = _forbidden(field, ast)
    if forbidden:
        # jinja2.meta runs the compiler, which folds constants: never on such a text.
        return forbidden
    variables = TEMPLATE_VARIABLES
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


# -- syntax errors -------------------------------------------------------------------


def _unclosed_block(source: str) -> tuple[str, int] | None:
    """The innermost block tag left open, and the line it opened on."""
    stack: list[tuple[str, int]] = []
    expect_tag = False
    try:
        for line, kind, value in sandbox.lex(source):
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
    """The error in the organiser's language at its line, Jinja's words as detail."""
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
                message,
            )
    return Problem(field, exc.lineno, syntax_errors.explain(message), message)
