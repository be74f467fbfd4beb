"""Syntax errors in a letter's template code, said in the organiser's language at
their line; Jinja's own English stays available as the technical detail."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask_babel import force_locale

from campaign.core.extensions import db
from campaign.letters import syntax_errors
from campaign.letters.letter_rules import source_problems

from .conftest import csrf_token
from .organisers_support import log_in_as, template_for

# Every kind of mistake explain() tells apart, as an organiser makes it.
MISTAKES = [
    ("Dear {{ representative.name", 1, "the text ends inside a tag: close it with }}"),
    ("{{ representative.name }", 1, "a tag ends with a single “}”"),
    ("x\n{% if supporter.city }x{% endif %}", 2, "a tag ends with a single “}”"),
    ("x\n\n{% endif %}", 3, "{% endif %} has no {% if … %} before it"),
    ("{% else %}", 1, "{% else %} has no {% if … %} before it"),
    ("{% fi %}", 1, "{% fi %} is not a tag a letter can use; these are: {% if … %}"),
    (
        "{% if supporter.city %}a{% else %}b{% else %}c{% endif %}",
        1,
        "{% else %} does not fit here: close the {% if … %} above with {% endif %} first",
    ),
    ("{{ supporter.name supporter.city }}", 1, "“supporter” is too much here"),
    ("{% if supporter.city %}a{% endif x %}", 1, "the tag should end with %}"),
    ("{{ supporter.name! }}", 1, "the sign “!” cannot be used inside a tag"),
    ("{{ 'Dear }}", 1, "a quotation mark inside a tag is not closed"),
    ("{{ }}", 1, "a value is missing here, for example supporter.city"),
    ("{% %}", 1, "a tag has no name"),
    ("{{ supporter.}}", 1, "a field's name is missing after the dot"),
    ("{# a note", 1, "a comment is not closed: {# needs its #}"),
    ("{{ supporter.name ) }}", 1, "“)” is out of place here"),
    ("{{ (supporter.name }}", 1, "a bracket is not closed: “)” is missing"),
    ("{{ supporter.name | }}", 1, "a name is missing: write the field or the filter in full"),
    ("{{ supporter.name == }}", 1, "something is missing before }}"),
    ("{% if supporter.city = 'Vilnius' %}a{% endif %}", 1, "write “==”, not “=”"),
    ("{{ supporter.name is shouting }}", 1, "“is shouting” is not a check a letter can use"),
    ("a\n{% if supporter.city %}\nb\n", 2, "{% if %} is never closed: add {% endif %}"),
]


@pytest.mark.parametrize("source, line, expected", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_syntax_error_is_explained_at_its_line_with_jinjas_words_as_detail(
    source, line, expected
):
    [problem] = source_problems("body", source)
    assert problem.line == line
    assert expected in problem.message, problem.message
    # Jinja's text is kept, as detail only: never the message itself.
    assert problem.detail and problem.detail not in problem.message
    assert not re.search(r"Jinja|expected token|Encountered|unexpected", problem.message)


def test_an_unknown_jinja_message_gets_the_general_explanation():
    general = syntax_errors.explain("something Jinja never said before")
    assert general.startswith("this template code cannot be read")
    assert syntax_errors.explain("") == general


@pytest.mark.parametrize("language", ["be", "pl", "de", "fr"])
def test_the_explanations_are_in_the_organisers_language(app, language):
    with app.test_request_context(), force_locale(language):
        for source, _line, expected in MISTAKES:
            [problem] = source_problems("body", source)
            assert expected not in problem.message, (language, problem.message)


def test_a_raw_text_with_a_syntax_error_is_refused_in_belarusian(seeded, client):
    """The organiser reads Belarusian: the message and its line in Belarusian,
    Jinja's words folded away below it; nothing saved."""
    user = log_in_as(client)
    user.language = "be"
    db.session.commit()
    template = template_for("parliament", "lt")
    url = f"/organise/letters/{template.id}"
    page = client.get(f"{url}?raw=1").get_data(as_text=True)
    body = "Dear {{ representative.name }},\n\n{% if supporter.city %}x{% endfi %}\n"
    form = {"csrf_token": csrf_token(page), "subject": "S", "body": body, "mode": ""}
    form["representative"] = "sample"
    response = client.post(f"{url}/draft", data=form)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Тэкст, радок 3: {% endfi %} тут не на месцы" in html
    detail = re.search(r'<details class="technical-detail">(.*?)</details>', html, re.S)
    assert "Тэхнічная падрабязнасць" in detail.group(1)
    assert "Encountered unknown tag &#39;endfi&#39;" in detail.group(1) or (
        "Encountered unknown tag 'endfi'" in detail.group(1)
    )
    # Only in the detail: the message itself reads in Belarusian.
    assert html.count("Encountered unknown tag") == 1
    db.session.expire_all()
    assert template.draft_body is None

    text = client.post(f"{url}/preview.txt", data=form)
    lines = text.get_data(as_text=True).splitlines()
    assert text.status_code == 422
    assert lines[0].startswith("Тэкст, радок 3: {% endfi %} тут не на месцы")
    assert lines[1].strip().startswith("Тэхнічная падрабязнасць: Encountered unknown tag")


def test_a_text_that_fails_when_rendered_is_explained_with_the_error_as_detail(seeded):
    from campaign.letters import template_editing as editing

    template = template_for("parliament", "lt")
    problems = editing.validate(template, "S", "ok\n\n{{ figures.imprisoned / 0 }}\n")
    [problem] = problems
    assert problem.line == 3 and "cannot be rendered for every" in problem.message
    assert problem.detail.startswith("TypeError")
