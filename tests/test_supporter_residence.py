"""Letters claim only where the supporter said they live: a constituency in the
letter to its own member(s) only, residence in a country only to that country's
representatives, nothing when nothing was stated."""

from __future__ import annotations

from campaign.core.extensions import db
from campaign.models import Body, Letter, Representative

from . import flow

# Every way a German default letter could claim residence.
RESIDENCE_WORDS = ("ich wohne", "ich lebe", "Ich lebe", "Wahlkreis", "I live in", "constituency")


def _letters() -> dict[str, Letter]:
    rows = db.session.execute(db.select(Letter).order_by(Letter.id)).scalars()
    return {letter.representative.name: letter for letter in rows}


def _bundestag() -> Body:
    return db.session.execute(db.select(Body).filter_by(name="Bundestag (demo)")).scalar_one()


def test_select_everyone_for_germany_claims_no_residence_when_none_is_stated(seeded, client):
    reps = flow.representatives_of("DE")
    response = flow.submit(client, "DE", [r.id for r in reps], flow.Details(city=""))
    assert response.status_code == 302
    letters = _letters()
    assert len(letters) == len(reps) == 5  # three members, a minister and an MEP
    for rep in reps:
        body = letters[rep.name].body
        for word in RESIDENCE_WORDS:
            assert word not in body, f"{rep.name}: {word!r} in a letter that may claim nothing"
        for other in reps:
            if other.constituency:
                assert other.constituency not in body


def test_a_stated_constituency_is_claimed_in_its_members_letter_only(seeded, client):
    reps = flow.representatives_of("DE")
    anna = next(r for r in reps if r.name == "Anna Beispiel")
    details = flow.Details(constituency=f"{_bundestag().id}:{anna.constituency}")
    assert flow.submit(client, "DE", [r.id for r in reps], details).status_code == 302
    letters = _letters()
    claim = f"ich wohne in Ihrem Wahlkreis ({anna.constituency})"
    assert claim in letters[anna.name].body
    for rep in reps:
        if rep.id != anna.id:
            body = letters[rep.name].body
            assert "Wahlkreis" not in body, rep.name
            # A German constituency states that the supporter lives in Germany.
            assert "in Ihrem Land" in body or "in dem Land" in body, rep.name


def test_a_supporter_living_abroad_claims_nothing_in_germany(seeded, client):
    reps = flow.representatives_of("DE")
    details = flow.Details(residence="LT")
    assert flow.submit(client, "DE", [r.id for r in reps], details).status_code == 302
    for letter in _letters().values():
        for word in RESIDENCE_WORDS:
            assert word not in letter.body


def test_residence_in_the_country_is_claimed_to_its_representatives(seeded, client):
    reps = flow.representatives_of("DE")
    details = flow.Details(residence="DE")
    assert flow.submit(client, "DE", [r.id for r in reps], details).status_code == 302
    letters = _letters()
    assert "ich lebe in Ihrem Land" in letters["Anna Beispiel"].body
    assert "Ich lebe in Ihrem Land." in letters["Eva Vorbild"].body
    assert "in dem Land, das Sie im Europäischen Parlament vertreten" in (
        letters["Marie Beispielfrau"].body
    )
    assert all("Wahlkreis" not in letter.body for letter in letters.values())


def test_a_constituency_abroad_contradicts_the_country_given(seeded, client):
    reps = flow.representatives_of("DE")
    anna = next(r for r in reps if r.name == "Anna Beispiel")
    details = flow.Details(residence="LT", constituency=f"{_bundestag().id}:{anna.constituency}")
    response = flow.submit(client, "DE", [r.id for r in reps], details)
    assert response.status_code == 200
    assert "This constituency is not in the country you said you live in." in response.get_data(
        as_text=True
    )
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 0


def test_an_unknown_constituency_is_refused_at_the_field(seeded, client):
    reps = flow.representatives_of("DE")
    details = flow.Details(constituency=f"{_bundestag().id}:Nowhere")
    response = flow.submit(client, "DE", [r.id for r in reps], details)
    assert response.status_code == 200
    assert 'id="constituency-error"' in response.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 0


def test_every_member_of_a_multi_member_district_is_told(seeded, client):
    reps = flow.representatives_of("DE")
    members = [r for r in reps if r.body.name == "Bundestag (demo)"]
    members[1].constituency = members[0].constituency  # two members for one district
    db.session.commit()
    details = flow.Details(constituency=f"{_bundestag().id}:{members[0].constituency}")
    assert flow.submit(client, "DE", [r.id for r in members], details).status_code == 302
    letters = _letters()
    assert "ich wohne in Ihrem Wahlkreis" in letters[members[0].name].body
    assert "ich wohne in Ihrem Wahlkreis" in letters[members[1].name].body
    assert "Wahlkreis" not in letters[members[2].name].body


def test_a_member_elected_from_a_list_is_told_residence_never_constituency(seeded, client):
    members = [r for r in flow.representatives_of("DE") if r.body.name == "Bundestag (demo)"]
    members[2].constituency = ""  # elected from a party list, no constituency
    db.session.commit()
    html = flow.letters_page(client, "DE", [r.id for r in members]).get_data(as_text=True)
    assert f'value="{_bundestag().id}:"' not in html  # a list is not a place to live in
    details = flow.Details(
        residence="DE", constituency=f"{_bundestag().id}:{members[0].constituency}"
    )
    assert flow.submit(client, "DE", [r.id for r in members], details).status_code == 302
    letters = _letters()
    assert "ich wohne in Ihrem Wahlkreis" in letters[members[0].name].body
    listed = letters[members[2].name].body
    assert "ich lebe in Ihrem Land" in listed and "Wahlkreis" not in listed


def test_the_form_offers_the_chosen_bodies_constituencies_once_each(seeded, client):
    reps = flow.representatives_of("DE")
    html = flow.letters_page(client, "DE", [r.id for r in reps]).get_data(as_text=True)
    assert 'name="residence"' in html and 'name="constituency"' in html
    for rep in reps:
        if rep.constituency:
            assert html.count(f'value="{rep.body_id}:{rep.constituency}"') == 1
    # The preview before any detail is given claims nothing.
    assert "ich wohne" not in html


def test_every_letter_ends_naming_the_site_and_the_organiser(seeded, client):
    reps = flow.representatives_of("PL")
    assert flow.submit(client, "PL", [r.id for r in reps], flow.Details()).status_code == 302
    for letter in _letters().values():
        tail = letter.body.rstrip().rsplit("\n-- \n", 1)[1]
        assert "campaign.example.org" in tail and "Time for Release (demo organiser)" in tail
        assert "Maryja Kowalska" in tail
        if letter.language == "pl":
            assert tail.startswith("Wysłano za pośrednictwem")
    representative = db.session.get(Representative, reps[0].id)
    assert representative is not None


# -- postcodes and places ------------------------------------------------------------


def test_a_postcode_finds_the_supporters_own_member(seeded, client):
    reps = flow.representatives_of("DE")
    assert (
        flow.submit(client, "DE", [r.id for r in reps], flow.Details(place="101 15")).status_code
        == 302
    )
    letters = _letters()
    assert "ich wohne in Ihrem Wahlkreis (Wahlkreis 1)" in letters["Anna Beispiel"].body
    assert "Wahlkreis" not in letters["Jonas Muster"].body
    assert "10115" not in letters["Anna Beispiel"].body  # looked up, never written


def test_a_postcode_spanning_constituencies_offers_the_choice(seeded, client):
    reps = flow.representatives_of("DE")
    response = flow.submit(client, "DE", [r.id for r in reps], flow.Details(place="80331"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "lies in several constituencies" in html
    bundestag = _bundestag().id
    assert f'value="{bundestag}:Wahlkreis 2"' in html and f'value="{bundestag}:Wahlkreis 3"' in html
    assert f'value="{bundestag}:Wahlkreis 1"' not in html
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 0
    chosen = flow.Details(place="80331", constituency=f"{bundestag}:Wahlkreis 3")
    assert flow.submit(client, "DE", [r.id for r in reps], chosen).status_code == 302
    assert "ich wohne in Ihrem Wahlkreis (Wahlkreis 3)" in _letters()["Lea Probe"].body


def test_an_unknown_postcode_is_said_at_its_field(seeded, client):
    reps = flow.representatives_of("DE")
    response = flow.submit(client, "DE", [r.id for r in reps], flow.Details(place="99999"))
    assert response.status_code == 200 and 'id="place-error"' in response.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 0


def test_organisers_import_a_places_table_after_a_dry_run(seeded, client):
    from io import BytesIO

    from campaign.models import PlaceConstituency

    from .organisers_support import log_in_as, token_of

    log_in_as(client)
    body = _bundestag().id
    csv = b"place,constituency\n01067,Wahlkreis 2\n,Wahlkreis 1\n04109,Nowhere\n"

    def post(button: str, data: bytes = csv):
        return client.post(
            "/organise/places",
            data={
                "csrf_token": token_of(client, "/organise/places"),
                "body": str(body),
                "file": (BytesIO(data), "places.csv"),
                button: "1",
            },
            content_type="multipart/form-data",
        )

    def rows() -> int:
        return db.session.execute(
            db.select(db.func.count(PlaceConstituency.id)).filter_by(body_id=body)
        ).scalar()

    before = rows()
    dry = post("check").get_data(as_text=True)
    assert "Dry run: nothing was written" in dry and rows() == before
    assert "line 3: no postcode or place" in dry
    assert "line 4: no member of Bundestag (demo) for the constituency &#39;Nowhere&#39;" in dry
    applied = post("apply")
    assert applied.status_code == 200 and "Imported" in applied.get_data(as_text=True)
    assert rows() == 1  # the table replaced by the file's one good row
    bad = post("apply", b"\xff\xfe not text")
    assert bad.status_code == 422 and "Nothing was imported: the file is not UTF-8 text." in (
        bad.get_data(as_text=True)
    )
    assert rows() == 1
