"""The main language of each country a campaign writes to.

A representative's ``language`` decides which translation of a letter they get
when none is set in the source file. Countries with several official languages
get the one most of their representatives read (Belgium: Dutch, Switzerland:
German, Luxembourg: French); an organiser can override it per import.
"""

from __future__ import annotations

# ISO 3166-1 alpha-2 -> ISO 639-1.
MAIN_LANGUAGE: dict[str, str] = {
    # European Union
    "AT": "de",
    "BE": "nl",
    "BG": "bg",
    "CY": "el",
    "CZ": "cs",
    "DE": "de",
    "DK": "da",
    "EE": "et",
    "ES": "es",
    "FI": "fi",
    "FR": "fr",
    "GR": "el",
    "HR": "hr",
    "HU": "hu",
    "IE": "en",
    "IT": "it",
    "LT": "lt",
    "LU": "fr",
    "LV": "lv",
    "MT": "en",
    "NL": "nl",
    "PL": "pl",
    "PT": "pt",
    "RO": "ro",
    "SE": "sv",
    "SI": "sl",
    "SK": "sk",
    # rest of the European Economic Area
    "IS": "is",
    "LI": "de",
    "NO": "nb",
    # others
    "CA": "en",
    "CH": "de",
    "GB": "en",
    "MD": "ro",
    "UA": "uk",
    "US": "en",
}

FALLBACK_LANGUAGE = "en"


def language_for(country: str) -> str:
    """The main language of a country given as alpha-2 (any case); English when unknown."""
    return MAIN_LANGUAGE.get(country.strip().upper(), FALLBACK_LANGUAGE)
