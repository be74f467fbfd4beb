"""One language per letter: the language of the supporter's own paragraph, found
offline (lingua, limited to the languages letters are written in); the line, in the
letter's language, that introduces a paragraph kept in another language; and the
supporter's name in Latin letters for letters in a Latin-script language."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError

# A line in each letter language; {language} is Babel's name of the paragraph's
# language in the letter's language. Each avoids the writer's grammatical gender.
INTRODUCTIONS = {
    "be": "Наступны абзац напісаны на мове: {language}.",
    "cs": "Následující odstavec je napsán v jazyce: {language}.",
    "de": "Den folgenden Absatz hat die absendende Person auf {language} geschrieben:",
    "en": "The writer adds, in {language}:",
    "es": "Quien escribe añade, en {language}:",
    "et": "Kirjutaja lisab ({language} keeles):",
    "fr": "La personne qui écrit ajoute, en {language} :",
    "it": "Chi scrive aggiunge, in {language}:",
    "lt": "Toliau rašoma kalba: {language}.",
    "lv": "Turpmākā rindkopa ir rakstīta valodā: {language}.",
    "nl": "De afzender voegt in het {language} toe:",
    "pl": "Osoba pisząca dodaje (język: {language}):",
    "ru": "Следующий абзац написан на языке: {language}.",
    "sv": "Avsändaren lägger till, på {language}:",
    "uk": "Наступний абзац написано мовою: {language}.",
}
# Shorter texts say too little to name their language reliably.
MIN_LETTERS = 12


@lru_cache(maxsize=1)
def _detector():
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in INTRODUCTIONS]
    languages = [Language.from_iso_code_639_1(code) for code in codes]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def detect(text: str) -> str | None:
    """The ISO 639-1 code of ``text``'s language among the letter languages, or None
    when the text is too short to tell."""
    if sum(ch.isalpha() for ch in text or "") < MIN_LETTERS:
        return None
    found = _detector().detect_language_of(text)
    return found.iso_code_639_1.name.lower() if found else None


def language_name(code: str, in_language: str) -> str:
    try:
        return Locale.parse(in_language).languages.get(code, code)
    except (UnknownLocaleError, ValueError):
        return code


def introduced(paragraph: str, paragraph_language: str | None, letter_language: str) -> str:
    """``paragraph`` as the letter prints it: after a line in the letter's language
    naming its language when that differs from the letter's."""
    if not paragraph or not paragraph_language or paragraph_language == letter_language:
        return paragraph
    line = INTRODUCTIONS.get(letter_language, INTRODUCTIONS["en"])
    name = language_name(paragraph_language, letter_language)
    return f"{line.format(language=name)}\n{paragraph}"


LATIN_SCRIPT_EXCEPTIONS = frozenset({"be", "ru", "uk", "bg", "mk", "sr", "el"})


def reads_latin(language: str) -> bool:
    """Whether letters in ``language`` are written in the Latin alphabet."""
    return language not in LATIN_SCRIPT_EXCEPTIONS


def signing_name(name: str, name_latin: str, letter_language: str) -> str:
    """The name that signs a letter: in Latin letters, when given, for a letter in a
    Latin-script language; otherwise as typed."""
    return name_latin if name_latin and reads_latin(letter_language) else name
