"""Tests of the representative importers (pure parsers, no database).

The real sample files live in ``shared/data/reps`` beside the repository; they
hold real officials' addresses, which are only parsed here.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from email_validator import validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.people.importers import (
    FORMATS,
    MAIN_LANGUAGE,
    ImportFormatError,
    ParseResult,
    RepRecord,
    SkippedRow,
    clean_email,
    language_for,
    parse,
    write_csv,
)

from .conftest import SHARED

REPS = SHARED / "data" / "reps"
FIXTURES = Path(__file__).resolve().parent / "data" / "reps"

SEIMAS = REPS / "tijmenb__everypolitician-data" / "data" / "Lithuania" / "Seimas"
SEIMAS_CSV = SEIMAS / "term-11.csv"
SEIMAS_POPOLO = SEIMAS / "ep-popolo-v1.0.json"
EP_CSV = REPS / "europarl__open-data-beta-testing" / "data" / "meps" / "data_v1_meps_9_en.csv"
EP_API = REPS / "Paul-Elvis-Otto__mep-list" / "input_data"

# A day after the 2015 snapshot of the Seimas files.
SEIMAS_DAY = date(2015, 7, 1)

# The Seimas members in term 11 without an address in either file.
SEIMAS_WITHOUT_EMAIL = {
    "Algirdas Vaclovas Patackas",
    "Algis Kašėta",
    "Julius Veselka",
    "Neringa Venckienė",
    "Petras Auštrevičius",
    "Remigijus Šimašius",
    "Valentinas Mazuronis",
    "Viktor Uspaskich",
    "Vytenis Povilas Andriukaitis",
}
# Members with an address whose every stint had ended by mid-2015.
SEIMAS_ENDED = {
    "Albinas Mitrulevičius",
    "Aurelija Stancikienė",
    "Jurgis Razma",
    "Valentinas Bukauskas",
    "Vanda Kravčionok",
    "Vincė Vaidevutė Margevičienė",
}


def assert_valid(result: ParseResult) -> None:
    """Every record has a valid, clean address and the fields the contract promises."""
    for record in result.records:
        assert isinstance(record, RepRecord)
        assert record.email == validate_email(record.email, check_deliverability=False).normalized
        assert "mailto:" not in record.email
        assert len(record.country) == 2 and record.country.isupper()
        assert record.body_kind in ("parliament", "european_parliament", "ministry")
        assert record.external_id and record.name and record.body and record.title
        assert len(record.language) == 2
    for skipped in result.skipped:
        assert isinstance(skipped, SkippedRow)
        assert skipped.ref and skipped.reason
        assert "\n" not in skipped.ref and "\n" not in skipped.reason


def by_name(result: ParseResult) -> dict[str, RepRecord]:
    return {r.name: r for r in result.records}


# ---------------------------------------------------------------------------
# Lithuania: EveryPolitician term CSV and Popolo JSON of the same legislature


@pytest.fixture(scope="module")
def seimas_csv() -> ParseResult:
    return parse("everypolitician", SEIMAS_CSV.read_bytes(), country="LT", today=SEIMAS_DAY)


@pytest.fixture(scope="module")
def seimas_popolo() -> ParseResult:
    return parse("popolo", SEIMAS_POPOLO.read_bytes(), country="LT", today=SEIMAS_DAY)


def test_seimas_csv_file_is_as_described():
    rows = list(csv.DictReader(io.StringIO(SEIMAS_CSV.read_text(encoding="utf-8"))))
    assert len(rows) == 178
    assert len({row["id"] for row in rows}) == 150


@pytest.mark.parametrize("which", ["seimas_csv", "seimas_popolo"])
def test_seimas_gives_150_people(which, request):
    result = request.getfixturevalue(which)
    assert_valid(result)
    assert len(result.records) == 141
    assert len({r.external_id for r in result.records}) == 141
    assert len(result.skipped) == 9
    assert len(result.records) + len(result.skipped) == 150
    assert {s.reason for s in result.skipped} == {"no email address"}
    assert {s.ref.split(" (", 1)[1].rstrip(")") for s in result.skipped} == SEIMAS_WITHOUT_EMAIL
    assert {r.country for r in result.records} == {"LT"}
    assert {r.body for r in result.records} == {"Seimas"}
    assert {r.body_kind for r in result.records} == {"parliament"}
    assert {r.title for r in result.records} == {"MP"}
    assert {r.term for r in result.records} == {"11"}
    assert {r.language for r in result.records} == {"lt"}
    assert {r.name for r in result.records if not r.active} == SEIMAS_ENDED


def test_seimas_csv_and_popolo_agree(seimas_csv, seimas_popolo):
    assert {r.email for r in seimas_csv.records} == {r.email for r in seimas_popolo.records}
    # Not only the addresses: party, constituency and active agree person by person.
    assert sorted(seimas_csv.records, key=lambda r: r.external_id) == sorted(
        seimas_popolo.records, key=lambda r: r.external_id
    )


def test_seimas_csv_skipped_rows_name_the_spreadsheet_row(seimas_csv):
    lines = SEIMAS_CSV.read_text(encoding="utf-8").splitlines()
    for skipped in seimas_csv.skipped:
        number = int(skipped.ref.split()[1])
        name = skipped.ref.split(" (", 1)[1].rstrip(")")
        assert name in lines[number - 1]  # the header is row 1


def test_seimas_merges_stints_and_keeps_latest_group(seimas_csv, seimas_popolo):
    for result in (seimas_csv, seimas_popolo):
        people = by_name(result)
        # Three stints: Order and Justice, the mixed group, then the Liberals.
        assert people["Andrius Mazuronis"].party == "Liberalų sąjūdžio frakcija"
        assert people["Andrius Mazuronis"].constituency == "pagal sąrašą"
        assert people["Andrius Mazuronis"].active
        assert people["Jaroslav Narkevič"].party == "Lietuvos lenkų rinkimų akcijos frakcija"
        assert people["Agnė Bilotaitė"].email == "Agne.Bilotaite@lrs.lt"
        assert people["Albinas Mitrulevičius"].constituency == "Marijampolės"
        # Left on 2012-12-17 and came back the next day.
        assert people["Andrius Kubilius"].active


def test_seimas_active_depends_on_today():
    early = parse("everypolitician", SEIMAS_CSV.read_bytes(), country="LT", today=date(2012, 11, 1))
    assert all(r.active for r in early.records)
    same_day = parse(
        "everypolitician", SEIMAS_CSV.read_bytes(), country="LT", today=date(2012, 11, 26)
    )
    assert by_name(same_day)["Albinas Mitrulevičius"].active  # his last day
    next_day = parse(
        "everypolitician", SEIMAS_CSV.read_bytes(), country="LT", today=date(2012, 11, 27)
    )
    assert not by_name(next_day)["Albinas Mitrulevičius"].active


@pytest.mark.parametrize("fmt,path", [("everypolitician", SEIMAS_CSV), ("popolo", SEIMAS_POPOLO)])
def test_seimas_options(fmt, path):
    data = path.read_bytes()
    english = parse(fmt, data, country="lt", language="EN")
    assert {r.language for r in english.records} == {"en"}
    assert {r.country for r in english.records} == {"LT"}
    renamed = parse(fmt, data, country="LT", body="Lietuvos Respublikos Seimas")
    assert {r.body for r in renamed.records} == {"Lietuvos Respublikos Seimas"}
    assert len(parse(fmt, data, country="LT", term="11").records) == 141
    with pytest.raises(ImportFormatError, match="term"):
        parse(fmt, data, country="LT", term="12")
    with pytest.raises(ImportFormatError, match="--country"):
        parse(fmt, data)
    with pytest.raises(ImportFormatError, match="not a country"):
        parse(fmt, data, country="Atlantis")
    with pytest.raises(ImportFormatError, match="language"):
        parse(fmt, data, country="LT", language="lithuanian")


def test_seimas_popolo_term_by_id():
    data = SEIMAS_POPOLO.read_bytes()
    assert len(parse("popolo", data, country="LT", term="term/11").records) == 141


def test_seimas_popolo_file_is_as_described():
    document = json.loads(SEIMAS_POPOLO.read_bytes())
    assert len(document["persons"]) == 150
    assert sum(1 for p in document["persons"] if p.get("email")) == 141
    assert len(document["memberships"]) == 178
    assert [e["id"] for e in document["events"]] == ["term/11"]


# ---------------------------------------------------------------------------
# European Parliament open-data CSV


@pytest.fixture(scope="module")
def ep_csv() -> ParseResult:
    return parse("ep-csv", EP_CSV.read_bytes())


def test_ep_csv_file_is_as_described():
    raw = EP_CSV.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(raw.decode("cp1252"))))
    assert len(rows) == 813
    estonia = [row for row in rows if row["mep_citizenship"] == "Estonia"]
    assert len(estonia) == 59
    assert sum(1 for row in estonia if not row["mep_email"]) == 1
    assert sum(1 for row in rows if not row["mep_email"]) == 115
    assert sum(1 for row in rows if ";" in row["mep_email"]) == 40


def test_ep_csv_counts(ep_csv):
    assert_valid(ep_csv)
    assert len(ep_csv.records) == 698
    assert len(ep_csv.skipped) == 115
    assert len(ep_csv.records) + len(ep_csv.skipped) == 813
    assert {s.reason for s in ep_csv.skipped} == {"no email address"}
    assert len({r.external_id for r in ep_csv.records}) == 698
    assert {r.body for r in ep_csv.records} == {"European Parliament"}
    assert {r.body_kind for r in ep_csv.records} == {"european_parliament"}
    assert {r.title for r in ep_csv.records} == {"MEP"}
    assert {r.party for r in ep_csv.records} == {""}
    assert all(r.active for r in ep_csv.records)


def test_ep_csv_decodes_names(ep_csv):
    names = by_name(ep_csv)
    assert names["Maite Pagazaurtundúa"].external_id == "125038"
    assert names["Jessica Polfjärd"].country == "SE"
    assert names["Charles Goerens"].email == "charles.goerens@europarl.europa.eu"
    assert not any("\xa0" in r.name or "Ã" in r.name for r in ep_csv.records)


def test_ep_csv_addresses(ep_csv):
    assert all(r.email.endswith("@europarl.europa.eu") for r in ep_csv.records)
    names = by_name(ep_csv)
    # Cells with two or three addresses, the institutional one not always first.
    assert names["Jessica Polfjärd"].email == "jessica.polfjard@europarl.europa.eu"
    assert names["Niclas Herbst"].email == "niclas.herbst@europarl.europa.eu"
    assert names["Nadine Morano"].email == "nadine.morano@europarl.europa.eu"
    assert names["Stelios Kympouropoulos"].email == "stelios.kympouropoulos@europarl.europa.eu"
    assert names["Andreas Schwab"].email == "andreas.schwab@europarl.europa.eu"
    # ep.europa.eu is not the preferred domain.
    assert names["Marlene Mortler"].email == "marlene.mortler@europarl.europa.eu"


def test_ep_csv_country_counts_show_the_estonia_error(ep_csv):
    counts = ep_csv.country_counts()
    # 59 rows claim Estonian citizenship (mostly Spanish MEPs); one has no address.
    assert counts["EE"] == 58
    assert counts["ES"] == 7
    assert counts["DE"] == 96
    assert counts["IT"] == 77
    assert counts["FR"] == 72
    assert sum(counts.values()) == 698
    assert list(counts)[:4] == ["DE", "IT", "FR", "EE"]
    assert by_name(ep_csv)["Iratxe García Pérez"].country == "EE"


def test_ep_csv_country_and_term_override():
    result = parse("ep-csv", EP_CSV.read_bytes(), country="ES", term="9", language="es")
    assert result.country_counts() == {"ES": 698}
    assert {r.term for r in result.records} == {"9"}
    assert {r.language for r in result.records} == {"es"}


def test_ep_csv_deceased_without_address_are_skipped(ep_csv):
    refs = {s.ref for s in ep_csv.skipped}
    assert "row 148 (David Maria Sassoli)" in refs
    assert "row 651 (Robert Rowland)" in refs


def test_ep_csv_death_date_makes_inactive():
    data = (
        "mep_identifier,mep_given_name,mep_family_name,mep_citizenship,mep_death_date,mep_email\n"
        "1,Jane,Doe,Belgium,11/01/2022 01:00,mailto:jane.doe@europarl.europa.eu\n"
        "2,John,Roe,Czechia,,mailto:john.roe@example.org; mailto:john.roe@europarl.europa.eu\n"
    ).encode("cp1252")
    result = parse("ep-csv", data)
    jane, john = result.records
    assert (jane.active, jane.country, jane.language) == (False, "BE", "nl")
    assert (john.active, john.country, john.email) == (True, "CZ", "john.roe@europarl.europa.eu")


def test_ep_csv_reads_utf8_too():
    data = "mep_identifier,mep_given_name,mep_family_name,mep_citizenship,mep_email\n"
    data += "7,Žygimantas,Pavilionis,Lithuania,mailto:z.p@europarl.europa.eu\n"
    (record,) = parse("ep-csv", data.encode("utf-8")).records
    assert record.name == "Žygimantas Pavilionis"


# ---------------------------------------------------------------------------
# European Parliament open-data API


def test_ep_api_sitting_mep():
    result = parse("ep-api", (EP_API / "101039.json").read_bytes(), today=date(2025, 6, 1))
    assert result.skipped == []
    assert result.records == [
        RepRecord(
            external_id="101039",
            country="IT",
            body="European Parliament",
            body_kind="european_parliament",
            title="MEP",
            name="Paolo Borchia",
            email="paolo.borchia@europarl.europa.eu",
            party="org/6870",
            language="it",
            active=True,
            term="10",
            gender="male",
        )
    ]


def test_ep_api_country_comes_from_represents_not_citizenship():
    document = json.loads((EP_API / "101039.json").read_bytes())
    document["data"][0]["citizenship"] = (
        "http://publications.europa.eu/resource/authority/country/DEU"
    )
    (record,) = parse("ep-api", json.dumps(document).encode()).records
    assert record.country == "IT"
    del document["data"][0]["citizenship"]
    for membership in document["data"][0]["hasMembership"]:
        if "represents" in membership:
            membership["represents"] = [
                "http://publications.europa.eu/resource/authority/country/AUT"
            ]
    (record,) = parse("ep-api", json.dumps(document).encode()).records
    assert (record.country, record.language) == ("AT", "de")


def test_ep_api_former_mep_without_email_is_skipped():
    result = parse("ep-api", (EP_API / "124831.json").read_bytes())
    assert result.records == []
    assert result.skipped == [SkippedRow("124831 (Isabella Adinolfi)", "no email address")]


def test_ep_api_previous_term():
    data = (EP_API / "101039.json").read_bytes()
    (record,) = parse("ep-api", data, term="9").records
    assert (record.term, record.active, record.party) == ("9", False, "org/5576")
    result = parse("ep-api", data, term="8")
    assert result.records == []
    assert result.skipped[0].reason == "no mandate in term 8"


def test_ep_api_accepts_lists_bare_persons_and_labels():
    first = json.loads((EP_API / "101039.json").read_bytes())
    second = json.loads((EP_API / "124831.json").read_bytes())
    both = parse("ep-api", json.dumps([first, second]).encode())
    assert [r.external_id for r in both.records] == ["101039"]
    assert [s.ref for s in both.skipped] == ["124831 (Isabella Adinolfi)"]

    person = first["data"][0]
    assert len(parse("ep-api", json.dumps(person).encode()).records) == 1
    assert len(parse("ep-api", json.dumps({"data": [person]}).encode()).records) == 1

    with_label = {"data": [person, {"id": "org/6870", "type": "Organization", "label": "Lega"}]}
    (record,) = parse("ep-api", json.dumps(with_label).encode()).records
    assert record.party == "Lega"

    deceased = dict(person, deathDate="2025-01-01")
    (record,) = parse("ep-api", json.dumps(deceased).encode()).records
    assert not record.active


# ---------------------------------------------------------------------------
# The project's own CSV


def sample_records() -> list[RepRecord]:
    return [
        RepRecord(
            external_id="lt-1",
            country="LT",
            body="Seimas",
            body_kind="parliament",
            title="MP",
            name="Žygimantas Pavilionis",
            email="zygimantas.pavilionis@example.org",
            party='Tėvynės sąjunga, "Lietuvos krikščionys demokratai"',
            constituency="Naujamiesčio",
            language="lt",
            active=True,
            term="11",
        ),
        RepRecord(
            external_id="ep-2",
            country="FR",
            body="European Parliament",
            body_kind="european_parliament",
            title="MEP",
            name='O\'Brien, Ann "Annie"',
            email="ann.obrien@example.org",
            language="fr",
            active=False,
        ),
        RepRecord(
            external_id="mfa-3",
            country="DE",
            body="Auswärtiges Amt",
            body_kind="ministry",
            title="Minister",
            name="Jürgen Groß; Straße 1",
            email="minister@example.org",
            party="",
            constituency="Köln\tBonn",
            language="de",
        ),
    ]


def test_own_csv_round_trip():
    records = sample_records()
    text = write_csv(records)
    assert text.splitlines()[0] == (
        "external_id,country,body,body_kind,title,name,email,party,constituency,"
        "language,active,term,gender"
    )
    result = parse("csv", text.encode("utf-8"))
    assert result.skipped == []
    # A tab inside a value comes back as one space.
    expected = [*records[:2], replace(records[2], constituency="Köln Bonn")]
    assert result.records == expected
    # Exporting again gives the same text.
    assert write_csv(result.records) == write_csv(expected)


def test_own_csv_round_trip_of_real_records(seimas_csv, ep_csv):
    for result in (seimas_csv, ep_csv):
        again = parse("csv", write_csv(result.records).encode("utf-8"))
        assert again.skipped == []
        assert again.records == result.records


def test_own_csv_reads_bom_semicolons_and_any_column_order():
    text = (
        "\ufeffName;E-mail;External_ID;Country;Body\n"
        "Jane Doe;mailto:jane@example.org;1;be;Chambre des représentants\n"
    )
    with pytest.raises(ImportFormatError, match="missing column"):
        parse("csv", text.encode("utf-8"))
    text = text.replace("E-mail", "email")
    (record,) = parse("csv", text.encode("utf-8")).records
    assert (record.country, record.language, record.email) == ("BE", "nl", "jane@example.org")
    assert (record.body_kind, record.title, record.active) == ("parliament", "MP", True)
    (record,) = parse("csv", text.encode("utf-8"), language="fr").records
    assert record.language == "fr"


def test_own_csv_skips_bad_rows_with_reasons():
    text = (
        "external_id,country,body,name,email,active,body_kind,language\n"
        "1,LT,Seimas,Good Person,good@example.org,,,\n"
        "2,LT,Seimas,Web Page,https://example.org,,,\n"
        "3,LT,Seimas,Not An Address,not an address,,,\n"
        "4,LT,Seimas,Nobody,,,,\n"
        "5,XX,Seimas,Unknown Country,x@example.org,,,\n"
        "6,LT,Seimas,Odd Active,y@example.org,maybe,,\n"
        "7,LT,Seimas,Odd Kind,z@example.org,,senate,\n"
        "8,LT,Seimas,Odd Language,w@example.org,,,Lithuanian\n"
        ",LT,Seimas,No Id,v@example.org,,,\n"
        "1,LT,Seimas,Good Person Again,other@example.org,,,\n"
        "9,LT,Seimas,Former Member,former@example.org,false,,\n"
        ",,,,,,,\n"
    )
    result = parse("csv", text.encode("utf-8"))
    assert [(r.external_id, r.active) for r in result.records] == [("1", True), ("9", False)]
    assert result.skipped == [
        SkippedRow("row 3 (Web Page)", "'https://example.org' is not an email address"),
        SkippedRow("row 4 (Not An Address)", "no valid email address in 'not an address'"),
        SkippedRow("row 5 (Nobody)", "no email address"),
        SkippedRow("row 6 (Unknown Country)", "'XX' is not a country code"),
        SkippedRow("row 7 (Odd Active)", "active must be true or false, not 'maybe'"),
        SkippedRow(
            "row 8 (Odd Kind)",
            "'senate' is not a body_kind (use parliament, european_parliament, ministry)",
        ),
        SkippedRow("row 9 (Odd Language)", "'Lithuanian' is not an ISO 639-1 language code"),
        SkippedRow("row 10 (No Id)", "no external_id"),
        SkippedRow("1 (Good Person Again)", "the same external_id appears earlier in the file"),
    ]


def test_own_csv_country_body_and_term_options():
    text = "external_id,name,email,term\n1,A B,a@example.org,10\n2,C D,c@example.org,11\n"
    with pytest.raises(ImportFormatError, match="missing column"):
        parse("csv", text.encode())
    result = parse("csv", text.encode(), country="EE", body="Riigikogu", term="11")
    (record,) = result.records
    assert (record.external_id, record.country, record.body, record.language) == (
        "2",
        "EE",
        "Riigikogu",
        "et",
    )
    with pytest.raises(ImportFormatError, match="no rows for term '12'"):
        parse("csv", text.encode(), country="EE", body="Riigikogu", term="12")


def test_own_csv_european_parliament_defaults():
    text = "external_id,country,body,name,email\n9,MT,European Parliament,A B,a@example.org\n"
    (record,) = parse("csv", text.encode()).records
    assert (record.body_kind, record.title, record.language) == ("european_parliament", "MEP", "en")


def test_own_csv_must_be_utf8():
    text = "external_id,country,body,name,email\n1,DE,Bundestag,Jürgen Groß,j@example.org\n"
    with pytest.raises(ImportFormatError, match="UTF-8"):
        parse("csv", text.encode("cp1252"))


def test_value_too_long_for_the_database_is_skipped():
    text = f"external_id,country,body,name,email\n1,DE,Bundestag,{'x' * 201},j@example.org\n"
    result = parse("csv", text.encode())
    assert result.records == []
    assert result.skipped[0].reason == "name is longer than 200 characters"


# ---------------------------------------------------------------------------
# Popolo and EveryPolitician: end dates, death dates, terms (hand-made files)


def test_popolo_fixture_latest_term():
    data = (FIXTURES / "popolo-two-terms.json").read_bytes()
    result = parse("popolo", data, country="LT", today=date(2015, 1, 1))
    assert_valid(result)
    people = by_name(result)
    assert set(people) == {"Ona Jonaitienė", "Petras Petraitis", "Jonas Jonaitis"}
    ona = people["Ona Jonaitienė"]
    assert (ona.email, ona.party, ona.constituency) == (
        "ona.jonaitiene@example.org",
        "Blue Group",
        "Naujamiesčio",
    )
    assert ona.active
    assert ona.term == "11"
    assert not people["Petras Petraitis"].active  # death date
    assert not people["Jonas Jonaitis"].active  # membership ended
    assert people["Jonas Jonaitis"].constituency == ""
    assert result.skipped == [
        SkippedRow("p-web (Rūta Rūtaitė)", "'https://example.org/ruta' is not an email address")
    ]


def test_popolo_fixture_earlier_term_ends_with_the_period():
    data = (FIXTURES / "popolo-two-terms.json").read_bytes()
    result = parse("popolo", data, country="LT", term="10", today=date(2015, 1, 1))
    assert {r.name: r.active for r in result.records} == {
        "Only In Term Ten": False,
        "Jonas Jonaitis": False,
    }
    assert {r.term for r in result.records} == {"10"}
    during = parse("popolo", data, country="LT", term="term/10", today=date(2010, 1, 1))
    assert all(r.active for r in during.records)
    assert by_name(during)["Only In Term Ten"].party == "Blue Group"


def test_popolo_needs_a_body_when_the_file_names_none():
    document = {"persons": [{"id": "1", "name": "A B", "email": "a@example.org"}]}
    data = json.dumps(document).encode()
    with pytest.raises(ImportFormatError, match="--body"):
        parse("popolo", data, country="LV")
    (record,) = parse("popolo", data, country="LV", body="Saeima").records
    assert (record.body, record.language, record.active) == ("Saeima", "lv", True)


EVERYPOLITICIAN_HEADER = (
    "id,name,sort_name,email,twitter,facebook,group,group_id,area_id,area,chamber,term,"
    "start_date,end_date,image,gender,wikidata\n"
)


def test_everypolitician_merges_stints():
    text = EVERYPOLITICIAN_HEADER + (
        "a,Ann Ash,,ann@example.org,,,Red,red,1,North,Saeima,13,,2019-05-01,,female,Q1\n"
        "a,Ann Ash,,,,,Blue,blue,1,North,Saeima,13,2019-05-02,,,female,Q1\n"
        "b,Ben Birch,,ben@example.org,,,Red,red,2,South,Saeima,13,,2019-01-31,,male,Q2\n"
        "b,Ben Birch,,ben@example.org,,,Green,green,3,East,Saeima,13,2019-02-01,2020-06-30,,,\n"
        "c,Cy Cedar,,mailto:cy@example.org,,,Green,green,2,South,Saeima,12,,,,,\n"
    )
    result = parse("everypolitician", text.encode(), country="LV", today=date(2020, 1, 1))
    people = by_name(result)
    ann, ben = people["Ann Ash"], people["Ben Birch"]
    assert (ann.email, ann.party, ann.active) == ("ann@example.org", "Blue", True)
    assert (ben.party, ben.constituency, ben.active) == ("Green", "East", True)
    assert people["Cy Cedar"].email == "cy@example.org"
    later = parse("everypolitician", text.encode(), country="LV", today=date(2020, 7, 1))
    assert not by_name(later)["Ben Birch"].active
    term_12 = parse("everypolitician", text.encode(), country="LV", term="12")
    assert [r.name for r in term_12.records] == ["Cy Cedar"]


def test_everypolitician_needs_a_body_when_no_chamber():
    text = "id,name,email\n1,A B,a@example.org\n"
    with pytest.raises(ImportFormatError, match="--body"):
        parse("everypolitician", text.encode(), country="PL")
    (record,) = parse("everypolitician", text.encode(), country="PL", body="Sejm").records
    assert (record.body, record.language) == ("Sejm", "pl")


def test_everypolitician_unreadable_date_is_skipped():
    text = "id,name,email,chamber,end_date\n1,A B,a@example.org,Sejm,someday\n"
    result = parse("everypolitician", text.encode(), country="PL")
    assert result.skipped == [SkippedRow("row 2 (A B)", "unreadable date: 'someday' is not a date")]


# ---------------------------------------------------------------------------
# Invalid input: always ImportFormatError with a one-line reason

BAD_INPUTS = {
    "empty": b"",
    "blank": b"  \n\n ",
    "binary": bytes(range(256)) * 4,
    "nul": b"external_id,name\x00,email\n",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40,
    "plain text": b"Dear representative, please help.\n",
    "json list": b"[1, 2, 3]",
    "json object": b'{"hello": "world"}',
    "json string": b'"persons"',
    "invalid json": b'{"persons": [',
    "latin-1 csv": "id,name,email,chamber\n1,Jürgen,j@example.org,Bundestag\n".encode("latin-1"),
    "undefined cp1252": b"mep_identifier,mep_family_name,mep_email\n1,\x81\x8d,x\x90\n",
    "deep json": b"[" * 100_000 + b"]" * 100_000,
    "huge int": b'{"persons": [{"id": ' + b"9" * 5000 + b"}]}",
    "html": b"<!doctype html><html><body>Not found</body></html>",
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_raises_import_format_error(fmt, name):
    with pytest.raises(ImportFormatError) as info:
        parse(fmt, BAD_INPUTS[name], country="LT", body="Seimas")
    message = str(info.value)
    assert message and "\n" not in message and len(message) < 300


@pytest.mark.parametrize(
    "fmt,data,message",
    [
        ("csv", b"", "the file is empty"),
        ("csv", b"a,b,c\n1,2,3\n", "missing column(s) external_id, name, email, country, body"),
        ("everypolitician", b"\xff\xfe\x00", "not UTF-8"),
        ("popolo", b"[]", "no 'persons' list"),
        ("popolo", b'{"persons": [1]}', "persons[0] is not an object"),
        ("popolo", b'{"persons": [], "memberships": {}}', "'memberships' is not a list"),
        ("popolo", b"{", "invalid JSON at line 1"),
        ("ep-api", b"42", "expected an object with a 'data' list"),
        ("ep-api", b'{"data": [{"type": "Organization"}]}', "holds no Person"),
        ("ep-api", b'{"data": [1]}', "item 0 is not an object"),
        ("ep-csv", b"mep_identifier,mep_email\n", "missing column(s) mep_family_name"),
    ],
)
def test_bad_input_messages(fmt, data, message):
    with pytest.raises(ImportFormatError) as info:
        parse(fmt, data, country="LT" if fmt in ("popolo", "everypolitician") else None)
    assert message in str(info.value)


def test_unknown_format():
    with pytest.raises(ImportFormatError, match="unknown format 'xlsx'; choose one of: csv,"):
        parse("xlsx", b"")


def test_ep_api_empty_data_list_is_an_empty_result():
    assert parse("ep-api", b'{"data": []}') == ParseResult([], [])


JSON_KEYS = st.sampled_from(
    [
        "persons",
        "organizations",
        "memberships",
        "areas",
        "events",
        "data",
        "id",
        "name",
        "email",
        "contact_details",
        "type",
        "value",
        "classification",
        "person_id",
        "organization_id",
        "legislative_period_id",
        "on_behalf_of_id",
        "area_id",
        "start_date",
        "end_date",
        "death_date",
        "identifier",
        "label",
        "givenName",
        "familyName",
        "hasEmail",
        "hasMembership",
        "represents",
        "role",
        "organization",
        "memberDuring",
        "startDate",
        "endDate",
        "membershipClassification",
        "deathDate",
    ]
)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "a@example.org",
            "mailto:b@example.org; c@europarl.europa.eu",
            "Person",
            "legislative period",
            "legislature",
            "email",
            "2015-02-30",
            "2014",
            "2014-06",
            "term/11",
            "11",
            "def/ep-roles/MEMBER_PARLIAMENT",
            "def/ep-entities/NATIONAL_POLITICAL_GROUP",
            "http://publications.europa.eu/resource/authority/country/ESP",
            "org/ep-10",
        ]
    )
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(JSON_KEYS | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=40,
)


def outcome(fmt: str, data: bytes, **options) -> None:
    try:
        result = parse(fmt, data, **options)
    except ImportFormatError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(result, ParseResult)
        assert_valid(result)


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(fmt=st.sampled_from(FORMATS), data=st.binary(max_size=2000), with_country=st.booleans())
def test_random_bytes(fmt, data, with_country):
    outcome(fmt, data, country="LT" if with_country else None)


@FUZZ
@given(
    fmt=st.sampled_from(FORMATS),
    data=st.text(max_size=2000),
    encoding=st.sampled_from(["utf-8", "utf-16", "utf-8-sig"]),
)
def test_random_text(fmt, data, encoding):
    outcome(fmt, data.encode(encoding, errors="surrogatepass"), country="LT", body="Seimas")


CSV_HEADERS = {
    "csv": "external_id,country,body,body_kind,title,name,email,party,constituency,language,"
    "active,term",
    "everypolitician": EVERYPOLITICIAN_HEADER.strip(),
    "ep-csv": "mep_identifier,mep_given_name,mep_family_name,mep_citizenship,mep_death_date,"
    "mep_email",
}
CELLS = st.text(max_size=12) | st.sampled_from(
    [
        "",
        "LT",
        "ee",
        "Estonia",
        "a@example.org",
        "mailto:x@europarl.europa.eu; y@example.org",
        "true",
        "no",
        "ministry",
        "2014-01-01",
        "2099",
        '"',
        '""',
        "\r\n",
        ";",
        "11",
    ]
)


@FUZZ
@given(
    fmt=st.sampled_from(sorted(CSV_HEADERS)),
    rows=st.lists(st.lists(CELLS, max_size=14), max_size=8),
    separator=st.sampled_from([",", ";"]),
    term=st.sampled_from([None, "11", ""]),
)
def test_random_csv_rows(fmt, rows, separator, term):
    header = CSV_HEADERS[fmt].replace(",", separator)
    text = "\n".join([header, *(separator.join(row) for row in rows)])
    for encoding in ("utf-8", "cp1252"):
        outcome(fmt, text.encode(encoding, errors="replace"), country="LT", term=term)
    outcome(fmt, text.encode("utf-8"))


@FUZZ
@given(
    fmt=st.sampled_from(["popolo", "ep-api"]),
    value=JSON_VALUES,
    term=st.sampled_from([None, "11", "10", "term/11"]),
)
def test_random_json(fmt, value, term):
    data = json.dumps(value).encode()
    outcome(fmt, data, country="LT", term=term)
    outcome(fmt, data)


@FUZZ
@given(
    persons=st.lists(st.dictionaries(JSON_KEYS, JSON_VALUES, max_size=6), max_size=4),
    memberships=st.lists(st.dictionaries(JSON_KEYS, JSON_VALUES, max_size=8), max_size=4),
    events=st.lists(st.dictionaries(JSON_KEYS, JSON_SCALARS, max_size=5), max_size=3),
)
def test_random_popolo_documents(persons, memberships, events):
    document = {
        "persons": persons,
        "memberships": memberships,
        "events": events,
        "organizations": [{"id": "legislature", "classification": "legislature", "name": "X"}],
    }
    outcome("popolo", json.dumps(document).encode(), country="LT")


@FUZZ
@given(
    person=st.dictionaries(JSON_KEYS, JSON_VALUES, max_size=8),
    term=st.sampled_from([None, "10", "9"]),
)
def test_random_ep_api_persons(person, term):
    person = {"type": "Person", **person}
    outcome("ep-api", json.dumps({"data": [person]}).encode(), term=term)


# ---------------------------------------------------------------------------
# Helpers


@pytest.mark.parametrize(
    "raw,prefer,expected",
    [
        ("mailto:jane@example.org", None, "jane@example.org"),
        ("  <mailto:Jane.Doe@EXAMPLE.org>  ", None, "Jane.Doe@example.org"),
        ("mailto:a%40b@example.org", None, None),
        ("mailto:jane@example.org?subject=Hello", None, "jane@example.org"),
        ("a@example.org, b@europarl.europa.eu", None, "a@example.org"),
        ("a@example.org, b@europarl.europa.eu", "europarl.europa.eu", "b@europarl.europa.eu"),
        ("a@example.org\nb@ep.europarl.europa.eu", "europarl.europa.eu", "b@ep.europarl.europa.eu"),
        ("a@ep.europa.eu; b@example.org", "europarl.europa.eu", "a@ep.europa.eu"),
        ("Jane Doe <jane@example.org>", None, "jane@example.org"),
        ("https://example.org", None, None),
        ("not an address", None, None),
        ("", None, None),
        ("mailto:", None, None),
        ("jane@localhost", None, None),
    ],
)
def test_clean_email(raw, prefer, expected):
    assert clean_email(raw, prefer_domain=prefer) == expected


def test_languages():
    eu = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"
    for country in eu.split() + "IS LI NO GB CH UA MD US CA".split():
        assert len(MAIN_LANGUAGE[country]) == 2
    assert (language_for("BE"), language_for("ch"), language_for("LU")) == ("nl", "de", "fr")
    assert (language_for("IE"), language_for("MT"), language_for("CY")) == ("en", "en", "el")
    assert (language_for("UA"), language_for("MD"), language_for("LT")) == ("uk", "ro", "lt")
    assert language_for("ZZ") == "en"


def test_country_aliases_and_names():
    text = "external_id,country,body,name,email\n1,EL,Vouli,A B,a@example.org\n"
    text += "2,UK,House of Commons,C D,c@example.org\n3,Lithuania,Seimas,E F,e@example.org\n"
    text += "4,LTU,Seimas,G H,g@example.org\n"
    result = parse("csv", text.encode())
    assert [(r.country, r.language) for r in result.records] == [
        ("GR", "el"),
        ("GB", "en"),
        ("LT", "lt"),
        ("LT", "lt"),
    ]


def test_gender_is_kept_from_sources_that_state_it(ep_csv):
    """EveryPolitician and the EP's CSV say female or male; the EP API an authority
    URI. A source that says nothing leaves it unknown, never guessed."""
    from campaign.people.importers.base import normalise_gender

    text = EVERYPOLITICIAN_HEADER + (
        "a,Ann Ash,,ann@example.org,,,Red,red,1,North,Saeima,13,,,,female,Q1\n"
        "b,Ben Birch,,ben@example.org,,,Red,red,2,South,Saeima,13,,2019-01-31,,male,Q2\n"
        "b,Ben Birch,,ben@example.org,,,Green,green,3,East,Saeima,13,2019-02-01,,,,\n"
        "c,Cy Cedar,,cy@example.org,,,Green,green,2,South,Saeima,13,,,,,\n"
    )
    result = parse("everypolitician", text.encode(), country="LV")
    assert {r.name: r.gender for r in result.records} == {
        "Ann Ash": "female",
        "Ben Birch": "male",
        "Cy Cedar": "",
    }
    assert {"female", "male"} <= {record.gender for record in ep_csv.records}
    api = parse("ep-api", (EP_API / "101039.json").read_bytes(), today=date(2025, 6, 1))
    assert [record.gender for record in api.records] == ["male"]  # from hasGender
    assert normalise_gender("unknown") == normalise_gender(None) == ""


def test_popolo_keeps_the_gender_its_people_state():
    document = json.loads((FIXTURES / "popolo-two-terms.json").read_bytes())
    ona = next(p for p in document["persons"] if p["id"] == "p-ona")
    ona["gender"] = "female"
    result = parse("popolo", json.dumps(document).encode(), country="LT", today=date(2015, 1, 1))
    genders = {r.name: r.gender for r in result.records}
    assert genders["Ona Jonaitienė"] == "female"
    assert genders["Petras Petraitis"] == ""  # not stated: never guessed from the name
