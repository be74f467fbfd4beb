"""The default letters under letters/, checked on their own.

Each file is ``letters/<body_kind>.<lang>.txt``: ``Key: value`` header lines
(Subject, Reviewed, Language), a blank line, then a Jinja body rendered in the
same sandbox the application uses. This module deliberately does not import the
application: it parses and renders the files itself, with sample values, so the
letters can be checked while the rest of the code changes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import StrictUndefined, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

LETTERS = Path(__file__).resolve().parents[1] / "letters"

BODY_KINDS = ("parliament", "european_parliament", "ministry")
LANGUAGES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "pl": "Polish",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "et": "Estonian",
    "nl": "Dutch",
    "sv": "Swedish",
    "cs": "Czech",
    "it": "Italian",
    "es": "Spanish",
    "be": "Belarusian",
    "ru": "Russian",
    "uk": "Ukrainian",
}
PAIRS = [(kind, lang) for kind in BODY_KINDS for lang in LANGUAGES]

REQUIRED_HEADERS = ("Subject", "Reviewed", "Language")
ALLOWED_VARIABLES = {
    "representative": {"title", "name", "body", "party", "constituency", "gender", "salutation"},
    "supporter": {"name", "city", "personal_paragraph", "constituent", "resident", "place"},
    "figures": {
        "imprisoned",
        "released_after_sentence",
        "freed_early",
        "died_in_custody",
        "vulnerable",
        "as_of",
    },
}

# The appeal's figures as published; a letter must take them from variables.
HARD_CODED_FIGURES = (
    "1,200",
    "1 200",
    "1\u00a0200",
    "1\u202f200",
    "1.200",
    "1200",
    "2,600",
    "2 600",
    "2\u00a0600",
    "2\u202f600",
    "2.600",
    "2600",
)

# Deliberately unusual values: finding them in the output proves the letter uses
# the variables rather than numbers typed into the text.
FIGURES = {
    "imprisoned": "1 234",
    "released_after_sentence": "2 567",
    "freed_early": "389",
    "died_in_custody": "61",
    "vulnerable": "245",
    "as_of": "Testmonth 2099",
}
PERSONAL_PARAGRAPH = (
    "My neighbour's brother has been held for three years; please do not forget him."
)
MAX_LINE = 998
SMTP_LINE_LIMIT = "no line may exceed 998 characters (RFC 5322)"

ENV = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
)


def parse(path: Path) -> tuple[dict[str, str], str]:
    """Split a letter file into its headers and its body."""
    text = path.read_text(encoding="utf-8")
    head, sep, body = text.partition("\n\n")
    assert sep, f"{path.name}: no blank line after the header"
    headers: dict[str, str] = {}
    for line in head.splitlines():
        key, colon, value = line.partition(":")
        assert colon, f"{path.name}: header line {line!r} is not 'Key: value'"
        assert key == key.strip() and key, f"{path.name}: bad header key {key!r}"
        assert key not in headers, f"{path.name}: header {key} appears twice"
        headers[key] = value.strip()
    return headers, body


def context(*, full: bool, resident_only: bool = False) -> dict[str, dict[str, str]]:
    return {
        "representative": {
            "title": "MP" if full else "",
            "name": "Alex Testperson-Example",
            "body": "Sample Assembly",
            "party": "Sample Party" if full else "",
            "constituency": "Sample North" if full else "",
            "gender": "female" if full else "",
            "salutation": "Dear Ms Alex Testperson-Example"
            if full
            else "Dear Alex Testperson-Example",
        },
        "supporter": {
            "name": "Robin Supporter",
            "city": "Sampletown" if full else "",
            "personal_paragraph": PERSONAL_PARAGRAPH if full else "",
            # A full supporter lives in the member's constituency; a bare one said nothing.
            "constituent": full and not resident_only,
            "resident": full,
            "place": ("Sampleland" if resident_only else "Sample North") if full else "",
        },
        "figures": dict(FIGURES),
    }


def render(source: str, ctx: dict) -> str:
    return ENV.from_string(source).render(**ctx)


def letter_path(kind: str, lang: str) -> Path:
    return LETTERS / f"{kind}.{lang}.txt"


@pytest.fixture(params=PAIRS, ids=[f"{kind}.{lang}" for kind, lang in PAIRS])
def letter(request):
    kind, lang = request.param
    path = letter_path(kind, lang)
    assert path.is_file(), f"missing {path.name}"
    headers, body = parse(path)
    return kind, lang, path, headers, body


def test_every_pair_exists_and_nothing_else():
    expected = {f"{kind}.{lang}.txt" for kind, lang in PAIRS}
    found = {p.name for p in LETTERS.iterdir() if p.is_file()}
    assert expected - found == set(), "missing letters"
    assert found - expected == set(), "unexpected files in letters/"
    assert len(expected) == 45


def test_headers(letter):
    kind, lang, path, headers, _ = letter
    for key in REQUIRED_HEADERS:
        assert headers.get(key), f"{path.name}: no {key} header"
    assert set(headers) <= set(REQUIRED_HEADERS), f"{path.name}: unknown header"
    assert headers["Language"] == LANGUAGES[lang]
    # Only English is reviewed; translations wait for a native speaker.
    assert headers["Reviewed"] == ("yes" if lang == "en" else "no")


def test_file_is_clean_text(letter):
    _, _, path, _, _ = letter
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    assert not text.startswith("\ufeff"), "no byte-order mark"
    assert "\r" not in text and "\t" not in text
    assert text.endswith("\n") and not text.endswith("\n\n")
    for number, line in enumerate(text.split("\n"), start=1):
        assert line == line.rstrip(), f"{path.name}:{number}: trailing whitespace"
        assert len(line) <= MAX_LINE, f"{path.name}:{number}: {SMTP_LINE_LIMIT}"


def test_only_known_variables(letter):
    _, _, path, headers, body = letter
    for source in (headers["Subject"], body):
        ast = ENV.parse(source)
        assert meta.find_undeclared_variables(ast) <= set(ALLOWED_VARIABLES)
        for name, attr in re.findall(r"\b(representative|supporter|figures)\.(\w+)", source):
            assert attr in ALLOWED_VARIABLES[name], f"{path.name}: unknown {name}.{attr}"


def test_no_hard_coded_figures(letter):
    _, _, path, headers, body = letter
    for source in (headers["Subject"], body):
        for literal in HARD_CODED_FIGURES:
            assert literal not in source, f"{path.name}: hard-coded figure {literal!r}"


@pytest.mark.parametrize("full", [True, False], ids=["all-values", "empty-optionals"])
def test_subject_renders(letter, full):
    _, _, path, headers, _ = letter
    subject = render(headers["Subject"], context(full=full))
    assert subject.strip() and "\n" not in subject
    assert "{" not in subject and "}" not in subject


@pytest.mark.parametrize("full", [True, False], ids=["all-values", "empty-optionals"])
def test_body_renders_with_names_and_figures(letter, full):
    _, _, path, _, body = letter
    ctx = context(full=full)
    text = render(body, ctx)
    assert "{{" not in text and "{%" not in text and "}}" not in text
    assert ctx["representative"]["name"] in text
    assert ctx["supporter"]["name"] in text
    for key, value in FIGURES.items():
        assert value in text, f"{path.name}: figures.{key} not used"
    assert not text.startswith("\n")
    assert "\n\n\n" not in text, f"{path.name}: stray blank lines"
    for number, line in enumerate(text.split("\n"), start=1):
        assert line == line.rstrip(), f"{path.name}:{number}: trailing whitespace"
        assert len(line) <= MAX_LINE, f"{path.name}:{number}: {SMTP_LINE_LIMIT}"


def test_optional_values_appear_only_when_given(letter):
    kind, _, path, _, body = letter
    full = render(body, context(full=True))
    bare = render(body, context(full=False))
    if kind != "ministry":
        assert "Sample North" in full, f"{path.name}: constituency not mentioned"
    assert "Sample North" not in bare
    # The sign-off: the supporter's name, then the city on the next line if any.
    assert full.endswith("Robin Supporter\nSampletown\n")
    assert bare.endswith("Robin Supporter\n")
    assert "Sampletown" not in bare


def test_personal_paragraph_is_its_own_paragraph(letter):
    _, _, path, _, body = letter
    full = render(body, context(full=True))
    assert full.count(PERSONAL_PARAGRAPH) == 1
    assert f"\n\n{PERSONAL_PARAGRAPH}\n\n" in full, f"{path.name}: not a separate paragraph"
    bare = render(body, context(full=False))
    assert PERSONAL_PARAGRAPH not in bare
    # Removing the paragraph leaves exactly the letter without it.
    assert full.replace(f"{PERSONAL_PARAGRAPH}\n\n", "", 1).replace("Sampletown\n", "") == (
        render(
            body,
            {
                **context(full=True),
                "supporter": {
                    **context(full=True)["supporter"],
                    "city": "",
                    "personal_paragraph": "",
                },
            },
        )
    )


def test_residence_is_claimed_only_as_stated(letter):
    """Constituent: the member's constituency is named. Resident elsewhere in the
    country: a claim of living there, never the member's constituency. Nothing
    stated: no sentence of either."""
    kind, _, path, _, body = letter
    constituent = render(body, context(full=True))
    resident = render(body, context(full=True, resident_only=True))
    nothing = render(body, {**context(full=True), "supporter": context(full=False)["supporter"]})
    assert "Sample North" not in resident, f"{path.name}: constituency claimed without one"
    claimed = set(resident.split("\n")) - set(nothing.split("\n")) - {"Sampletown", ""}
    claimed -= {PERSONAL_PARAGRAPH}
    assert claimed, f"{path.name}: no sentence says the supporter lives in the country"
    assert not claimed & set(nothing.split("\n"))
    if kind != "ministry":
        assert set(constituent.split("\n")) - set(resident.split("\n")) - {PERSONAL_PARAGRAPH}


def test_body_length_is_a_short_letter(letter):
    _, _, path, _, body = letter
    # The whole letter, greeting and sign-off included; figures count as words.
    text = render(body, context(full=False))
    words = [token for token in text.split() if any(c.isalnum() for c in token)]
    assert 170 <= len(words) <= 300, f"{path.name}: {len(words)} words"


@pytest.mark.parametrize("kind", BODY_KINDS)
def test_french_attention_line_elides_before_a_vowel(kind):
    _, body = parse(letter_path(kind, "fr"))
    ctx = context(full=True)
    assert "À l'attention d'Alex Testperson-Example\n" in render(body, ctx)
    ctx["representative"]["name"] = "Camille Exemple"
    assert "À l'attention de Camille Exemple\n" in render(body, ctx)
