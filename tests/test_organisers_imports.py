"""Importing through the web: upload → dry run → confirm exactly that dry run."""

from __future__ import annotations

import io
import re

import pytest

from campaign.core.extensions import db
from campaign.models import AuditEntry, Body, ImportRun, Representative

from .conftest import csrf_token, needs_shared_data
from .organisers_support import EP_API, SEIMAS_CSV, log_in_as, token_of

pytestmark = needs_shared_data


def upload(client, data: bytes, filename: str, **fields):
    token = token_of(client, "/organise/imports/new")
    form = {"csrf_token": token, "file": (io.BytesIO(data), filename), **fields}
    return client.post("/organise/imports/new", data=form, content_type="multipart/form-data")


def count(model) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def test_upload_shows_the_dry_run_then_writes_exactly_it(app, client):
    log_in_as(client)
    response = upload(
        client, SEIMAS_CSV.read_bytes(), "term-11.csv", format="everypolitician", country="lt"
    )
    assert response.status_code == 302
    dry_run_url = response.headers["Location"]
    assert count(Representative) == 0
    run = db.session.execute(db.select(ImportRun)).scalar_one()
    assert run.status == "pending" and run.data == SEIMAS_CSV.read_bytes() and len(run.token) >= 32

    page = client.get(dry_run_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Nothing has been written yet." in html
    assert "<strong>141</strong> created" in html and "<strong>9</strong> skipped" in html
    assert "<td>LT</td><td>141</td>" in html
    assert "Seimas (parliament) <strong>new body</strong>" in html
    assert "row 9 (Algirdas Vaclovas Patackas): no email address" in html
    assert count(Representative) == 0

    digest = re.search(r'name="digest" type="hidden" value="([0-9a-f]+)"', html).group(1)
    done = client.post(
        dry_run_url + "/confirm", data={"csrf_token": csrf_token(html), "digest": digest}
    )
    assert done.status_code == 302
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "The import was written." in result and "<strong>141</strong> created" in result
    assert count(Representative) == 141
    db.session.expire_all()
    run = db.session.execute(db.select(ImportRun)).scalar_one()
    assert (
        run.status == "applied" and run.data is None and run.user.email == "organiser@example.org"
    )
    entry = db.session.execute(db.select(AuditEntry).filter_by(object_type="import")).scalar_one()
    assert entry.actor == "organiser@example.org" and "term-11.csv" in entry.summary

    # A second confirmation (a double click, a reload) writes nothing more.
    again = client.post(
        dry_run_url + "/confirm", data={"csrf_token": csrf_token(html), "digest": digest}
    )
    assert again.status_code == 302
    assert "applied already" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert count(Representative) == 141 and count(AuditEntry) == 1

    bodies = client.get("/organise/bodies").get_data(as_text=True)
    assert "LT · Seimas" in bodies and "term-11.csv" in bodies
    history = client.get("/organise/imports").get_data(as_text=True)
    assert "term-11.csv" in history and "organiser@example.org" in history


def test_a_dry_run_that_no_longer_holds_is_not_applied(app, client):
    log_in_as(client)
    assert (
        app.test_cli_runner()
        .invoke(
            args=[
                "reps",
                "import",
                str(SEIMAS_CSV),
                "--format",
                "everypolitician",
                "--country",
                "LT",
            ]
        )
        .exit_code
        == 0
    )
    response = upload(
        client, SEIMAS_CSV.read_bytes(), "term-11.csv", format="everypolitician", country="LT"
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>141</strong> unchanged" in page
    digest = re.search(r'name="digest" type="hidden" value="([0-9a-f]+)"', page).group(1)

    # Someone edits a representative between the dry run and the confirmation.
    rep = db.session.execute(db.select(Representative).limit(1)).scalar_one()
    rep.name = "Edited Meanwhile"
    db.session.commit()

    refused = client.post(
        response.headers["Location"] + "/confirm",
        data={"csrf_token": csrf_token(page), "digest": digest},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "changed since this dry run" in html and "<strong>1</strong> updated" in html
    db.session.expire_all()
    assert db.session.get(Representative, rep.id).name == "Edited Meanwhile"
    assert db.session.execute(db.select(ImportRun).filter_by(status="pending")).scalar_one()


@pytest.mark.parametrize(
    "data, filename, fields, message",
    [
        (
            b"\x89PNG\r\n\x1a\n\x00\x00binary",
            "photo.png",
            {"format": "csv"},
            "This file cannot be imported",
        ),
        (b"not json", "x.json", {"format": "popolo", "country": "LT"}, "not a Popolo JSON file"),
        (
            SEIMAS_CSV.read_bytes() if SEIMAS_CSV.exists() else b"",
            "term-11.csv",
            {"format": "everypolitician"},
            "needs --country",
        ),
        (b"", "empty.csv", {"format": "csv"}, "the file is empty"),
    ],
)
def test_bad_uploads_are_explained_and_nothing_is_kept(
    app, client, data, filename, fields, message
):
    log_in_as(client)
    response = upload(client, data, filename, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(ImportRun) == count(Representative) == count(Body) == 0


def test_a_file_without_usable_addresses_says_so(app, client):
    log_in_as(client)
    response = upload(client, (EP_API / "124831.json").read_bytes(), "124831.json", format="ep-api")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "no row of the file has a usable email address" in html
    assert "124831 (Isabella Adinolfi): no email address" in html
    assert count(ImportRun) == 0


def test_unknown_import_tokens_are_404(app, client):
    log_in_as(client)
    assert client.get("/organise/imports/not-a-token").status_code == 404
