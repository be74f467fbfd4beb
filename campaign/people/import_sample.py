"""The sample file offered on the import page: the project's CSV with every
column filled in once, and what each column means.

The rows are made up and their addresses are at example.org, so importing the
sample by mistake can never mail a real person."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from campaign.people.importers.base import RepRecord
from campaign.people.importers.csv_format import write_csv

# (column, required, meaning): the import page shows these beside the sample.
COLUMN_HELP = (
    (
        "external_id",
        True,
        _l(
            "A stable id from your source, unique within the body. A later import "
            "with the same id updates that person instead of adding them again."
        ),
    ),
    (
        "country",
        True,
        _l(
            "Two-letter country code (LT, PL, DE); a three-letter code or the "
            "English name works too. Can be left out when you give the country on "
            "the form."
        ),
    ),
    (
        "body",
        True,
        _l(
            "The body's name: Seimas, Bundestag, European Parliament, Ministry of "
            "Foreign Affairs. Can be left out when you give the body on the form."
        ),
    ),
    (
        "body_kind",
        False,
        _l(
            "parliament, european_parliament or ministry. Empty: "
            "european_parliament when the body is European Parliament, else "
            "parliament."
        ),
    ),
    (
        "title",
        False,
        _l("How supporters address them: MP, MEP, Minister. Empty: taken from body_kind."),
    ),
    (
        "name",
        True,
        _l("The person's name as letters should show it."),
    ),
    (
        "email",
        True,
        _l(
            "Their work address. mailto: is removed; in a cell with several "
            "addresses the first valid one is used. A row without one is skipped."
        ),
    ),
    (
        "party",
        False,
        _l("Party or group, shown in the list supporters choose from."),
    ),
    (
        "constituency",
        False,
        _l("Constituency or region, shown in the list supporters choose from."),
    ),
    (
        "language",
        False,
        _l(
            "Two-letter language code of the letter they get (lt, pl, de). Empty: "
            "the country's main language."
        ),
    ),
    (
        "active",
        False,
        _l("true or false (yes/no, 1/0 work too). Empty: true. Inactive people get no letters."),
    ),
    (
        "term",
        False,
        _l(
            "The legislative term, e.g. 14. When you give a term on the form, only "
            "rows of that term are read."
        ),
    ),
    (
        "gender",
        False,
        _l(
            "female or male (f/m work too), as the source states it; titles then "
            "agree with it. Empty: unknown, and pages use a neutral title. Never "
            "guessed."
        ),
    ),
)

_SAMPLE = (
    RepRecord(
        "lt-0001",
        "LT",
        "Seimas",
        "parliament",
        "MP",
        "Ona Pavyzdinė",
        "ona.pavyzdine@example.org",
        "Example Party",
        "Vilnius North",
        "lt",
        True,
        "14",
        "female",
    ),
    RepRecord(
        "pl-0001",
        "PL",
        "Sejm",
        "parliament",
        "MP",
        "Jan Przykładowy",
        "jan.przykladowy@example.org",
        "",
        "Warszawa I",
        "pl",
        True,
        "10",
        "male",
    ),
    RepRecord(
        "ep-0001",
        "DE",
        "European Parliament",
        "european_parliament",
        "MEP",
        "Erika Beispiel",
        "erika.beispiel@example.org",
        "Example Group",
        "",
        "de",
        True,
        "10",
        "female",
    ),
    RepRecord(
        "de-mfa",
        "DE",
        "Federal Foreign Office",
        "ministry",
        "Minister",
        "Max Mustermann",
        "max.mustermann@example.org",
        "",
        "",
        "de",
        False,
        "",
    ),
)


def sample_csv() -> str:
    """The sample file's text, header included, in the form the importer reads."""
    return write_csv(_SAMPLE)
