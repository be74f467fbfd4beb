"""Representatives: list, search, edit, deactivate."""

from __future__ import annotations

from campaign.core.extensions import db
from campaign.models import AuditEntry, Representative

from . import flow
from .conftest import csrf_token
from .organisers_support import log_in_as


def rep_named(name: str) -> Representative:
    return db.session.execute(db.select(Representative).filter_by(name=name)).scalar_one()


def test_search_filters_and_pages(seeded, client):
    log_in_as(client)
    page = client.get("/organise/representatives").get_data(as_text=True)
    assert "Anna Beispiel" in page and "Rūta Pavyzdytė" in page
    found = client.get("/organise/representatives?q=pavyzd").get_data(as_text=True)
    assert "Rūta Pavyzdytė" in found and "Anna Beispiel" not in found
    by_email = client.get("/organise/representatives?q=parliament.de.2@").get_data(as_text=True)
    assert "Jonas Muster" in by_email and "Anna Beispiel" not in by_email
    only_fr = client.get("/organise/representatives?country=fr").get_data(as_text=True)
    assert "Camille Exemple" in only_fr and "Anna Beispiel" not in only_fr
    assert client.get("/organise/representatives?page=99&body=abc&status=zzz").status_code == 200


def test_edit_refuses_bad_values_and_records_changes(seeded, client):
    log_in_as(client)
    rep = rep_named("Anna Beispiel")
    url = f"/organise/representatives/{rep.id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    form = {
        "csrf_token": token,
        "title": "MdB",
        "name": "Anna Beispiel",
        "party": "Demo-Partei A",
        "constituency": "Wahlkreis 1",
        "language": "de",
    }
    bad = client.post(url, data={**form, "email": "https://www.bundestag.de/anna"})
    assert bad.status_code == 422 and "This is not an email address." in bad.get_data(as_text=True)
    bad_language = client.post(
        url, data={**form, "email": "anna@example.org", "language": "german"}
    )
    assert bad_language.status_code == 422
    db.session.expire_all()
    assert rep.email == "parliament.de.1@example.org" and rep.language == "de"
    ok = client.post(
        url, data={**form, "email": " anna.beispiel@Example.org ", "party": "Neue Partei"}
    )
    assert ok.status_code == 302
    db.session.expire_all()
    assert rep.email == "anna.beispiel@example.org" and rep.party == "Neue Partei"
    entry = db.session.execute(
        db.select(AuditEntry).filter_by(object_type="representative")
    ).scalar_one()
    assert entry.object_id == rep.id and entry.changes["party"] == ["Demo-Partei A", "Neue Partei"]


def test_a_deactivated_representative_cannot_be_written_to(seeded, client):
    log_in_as(client)
    rep = rep_named("Jonas Muster")
    url = f"/organise/representatives/{rep.id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    assert client.post(f"{url}/deactivate", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert not rep.active
    supporter_page = client.get("/write/DE").get_data(as_text=True)
    assert "Jonas Muster" not in supporter_page and "Anna Beispiel" in supporter_page
    assert "Jonas Muster" in client.get("/organise/representatives?status=inactive").get_data(
        as_text=True
    )
    assert client.post(f"{url}/reactivate", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert rep.active and [
        r.name for r in flow.representatives_of("DE") if r.name == "Jonas Muster"
    ]
    actions = (
        db.session.execute(db.select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()
    )
    assert actions == ["deactivate", "reactivate"]


def test_bodies_page_warns_about_data_of_unknown_age(seeded, client):
    log_in_as(client)
    page = client.get("/organise/bodies").get_data(as_text=True)
    assert "DE · Bundestag (demo)" in page and "No import recorded" in page
