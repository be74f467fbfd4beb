"""The supporter's name in Latin letters: asked for, never required, when a name
typed in another script would sign letters in a language written in Latin letters.

A letter signs exactly what the supporter gave: their name as typed, or the Latin
form they typed themselves (letters.letter_language.signing_name); nothing here
transliterates.
"""

from __future__ import annotations

import unicodedata

from flask_babel import gettext as _

from campaign.core.i18n import language_name
from campaign.letters.letter_language import reads_latin


def in_latin_letters(text: str) -> bool:
    """Whether every letter of ``text`` is a Latin one (digits, spaces and signs aside)."""
    return all("LATIN" in unicodedata.name(ch, "") for ch in text if ch.isalpha())


def prompt(name: str, name_latin: str, languages: list[str]) -> str | None:
    """What to ask when a name in another script would sign letters in a Latin-script
    language and no Latin form is given; None when there is nothing to ask."""
    name, name_latin = (name or "").strip(), (name_latin or "").strip()
    latin = [code for code in languages if reads_latin(code)]
    if not name or name_latin or in_latin_letters(name) or not latin:
        return None
    return _(
        "Your name is not written in Latin letters, and your letters in %(languages)s "
        "are read in Latin script. You may give your name in Latin letters, as in your "
        "passport: those letters are then signed with it. Leave it empty and every "
        "letter is signed with your name as you typed it.",
        languages=", ".join(sorted(language_name(code) for code in latin)),
    )
