"""Letters address their recipient in the letter's language: a salutation that agrees
with the recipient's title and gender, neutral with the full name where the sources
do not give the gender, and titles in the letter's language (organisers' own where
they set them), never the imported title in the source's language."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from campaign.core.extensions import db
from campaign.letters import compose
from campaign.letters.letter_files import default_letters
from campaign.models import Body, Letter, Representative
from campaign.people.addressing import LETTER_LANGUAGES, salutation_in, title_in

from . import flow
from .organisers_support import log_in_as, token_of


def _stored_letters() -> dict[str, str]:
    rows = db.session.execute(db.select(Letter).order_by(Letter.id)).scalars()
    return {letter.representative.name: letter.body for letter in rows}


def test_german_letters_greet_each_recipient_by_gender_and_office(seeded, client):
    reps = flow.representatives_of("DE")
    assert flow.submit(client, "DE", [r.id for r in reps], flow.Details()).status_code == 302
    letters = _stored_letters()
    assert letters["Anna Beispiel"].startswith("Sehr geehrte Frau Anna Beispiel,\n")
    assert letters["Jonas Muster"].startswith("Sehr geehrter Herr Jonas Muster,\n")
    assert letters["Eva Vorbild"].startswith("Sehr geehrte Frau Ministerin,\n")
    assert letters["Marie Beispielfrau"].startswith("Sehr geehrte Frau Marie Beispielfrau,\n")


def test_polish_letters_use_the_vocative_title_for_a_woman_and_a_man(seeded, client):
    reps = [r for r in flow.representatives_of("PL") if r.body.kind == "parliament"]
    assert flow.submit(client, "PL", [r.id for r in reps], flow.Details()).status_code == 302
    letters = _stored_letters()
    assert "\nSzanowna Pani Posłanko,\n" in letters["Zofia Przykład"]
    assert "\nSzanowny Panie Pośle,\n" in letters["Jan Testowy"]


def test_an_unknown_gender_gets_a_neutral_greeting_with_the_full_name(seeded, client):
    camille = next(r for r in flow.representatives_of("FR") if r.name == "Camille Exemple")
    assert camille.gender == ""
    assert flow.submit(client, "FR", [camille.id], flow.Details()).status_code == 302
    body = _stored_letters()["Camille Exemple"]
    assert "\nBonjour Camille Exemple,\n" in body
    assert "Madame" not in body and "Monsieur" not in body


def test_an_imported_english_title_never_reaches_a_german_letter(seeded, client):
    minister = next(r for r in flow.representatives_of("DE") if r.body.kind == "ministry")
    minister.title, minister.gender = "Minister of Foreign Affairs (demo)", ""
    db.session.commit()
    assert flow.submit(client, "DE", [minister.id], flow.Details()).status_code == 302
    body = _stored_letters()[minister.name]
    assert body.startswith(f"Guten Tag {minister.name},\n")
    assert "Minister of Foreign Affairs" not in body
    assert compose.representative_vars(minister, "de")["title"] == "Regierungsmitglied"


@pytest.mark.parametrize("language", LETTER_LANGUAGES)
@pytest.mark.parametrize("kind", ["parliament", "european_parliament", "ministry"])
def test_every_letter_language_has_a_salutation_and_title_for_each_gender(language, kind):
    neutral = salutation_in(language, kind, "", "Alex Example")
    assert "Alex Example" in neutral
    woman = salutation_in(language, kind, "female", "Alex Example")
    man = salutation_in(language, kind, "male", "Alex Example")
    assert woman and man and "{" not in woman + man
    assert title_in(language, kind, "female") and title_in(language, kind, "male")


@pytest.mark.parametrize("letter", default_letters(), ids=lambda letter: letter.path.name)
def test_every_default_letter_opens_with_the_salutation_variable(letter):
    assert "{{ representative.salutation }}" in letter.body


def test_organisers_set_a_bodys_titles_per_letter_language(seeded, client):
    log_in_as(client)
    body = db.session.execute(db.select(Body).filter_by(name="Bundestag (demo)")).scalar_one()
    url = f"/organise/bodies/{body.id}/names"
    bad = client.post(url, data={"csrf_token": token_of(client, url), "titles": "de: MdB"})
    assert bad.status_code == 422 and "titles, line 1" in bad.get_data(as_text=True)
    lines = (
        "de: Abgeordnete des Bundestages / Abgeordneter des Bundestages / Mitglied des Bundestages"
    )
    saved = client.post(url, data={"csrf_token": token_of(client, url), "titles": lines})
    assert saved.status_code == 302
    db.session.expire_all()
    anna = db.session.execute(
        db.select(Representative).filter_by(name="Anna Beispiel")
    ).scalar_one()
    assert compose.representative_vars(anna, "de")["title"] == "Abgeordnete des Bundestages"
    # Another language keeps the usual title, agreeing with gender.
    assert compose.representative_vars(anna, "pl")["title"] == "Posłanka"
    assert "Abgeordneter des Bundestages" in client.get(url).get_data(as_text=True)


def test_titles_agree_with_gender_where_the_language_inflects_them():
    def rep(gender):
        body = SimpleNamespace(name="Seimas", kind="parliament", titles={})
        return SimpleNamespace(
            name="Rūta Pavyzdytė", body=body, party="", constituency="", gender=gender, title=""
        )

    assert compose.representative_vars(rep("female"), "lt")["title"] == "Seimo narė"
    assert compose.representative_vars(rep("male"), "lt")["title"] == "Seimo narys"
    assert compose.representative_vars(rep("female"), "de")["title"] == "Abgeordnete"
    assert compose.representative_vars(rep(""), "de")["gender"] == ""


def test_organisers_titles_show_on_the_pages_in_the_readers_language(seeded, client):
    body = db.session.execute(db.select(Body).filter_by(name="Bundestag (demo)")).scalar_one()
    body.titles = {"be": ["Дэпутатка Бундэстага", "Дэпутат Бундэстага", "Член Бундэстага"]}
    db.session.commit()
    client.set_cookie("lang", "be")
    html = client.get("/write/DE").get_data(as_text=True)
    assert "Дэпутатка Бундэстага Anna Beispiel" in html
    assert "Дэпутат Бундэстага Jonas Muster" in html
    client.set_cookie("lang", "ru")
    html = client.get("/write/DE").get_data(as_text=True)
    assert "Бундэстага Anna" not in html and "Anna Beispiel" in html  # the catalogue's title
