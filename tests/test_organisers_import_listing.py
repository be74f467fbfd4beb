"""The import dry run names every change, page by page, and the import page
offers a sample CSV whose every column is explained."""

from __future__ import annotations

import csv
import io
import re

from campaign.core.extensions import db
from campaign.models import Representative
from campaign.people.importers.csv_format import COLUMNS

from .conftest import csrf_token
from .organisers_support import log_in_as, token_of


def upload(client, text: str, **fields):
    token = token_of(client, "/organise/imports/new")
    form = {
        "csrf_token": token,
        "file": (io.BytesIO(text.encode()), "reps.csv"),
        "format": "csv",
        **fields,
    }
    response = client.post("/organise/imports/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def confirm(client, url: str):
    html = client.get(url).get_data(as_text=True)
    digest = re.search(r'name="digest" type="hidden" value="([0-9a-f]+)"', html).group(1)
    done = client.post(url + "/confirm", data={"csrf_token": csrf_token(html), "digest": digest})
    assert done.status_code == 302


def section(html: str, kind: str) -> list[str]:
    """The names listed under one heading of the dry run, as a person reads them."""
    match = re.search(rf'<h2 id="{kind}">.*?</h2>\s*<ul[^>]*>(.*?)</ul>', html, re.S)
    if match is None:
        return []
    return [
        re.sub(r"\s+", " ", item).strip()
        for item in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)
    ]


def people(numbers, party="Example Party") -> str:
    rows = ["external_id,country,body,name,email,party"]
    rows += [
        f"x{n:03d},LT,Seimas,Person {n:03d},person{n:03d}@example.org,{party}" for n in numbers
    ]
    return "\r\n".join(rows) + "\r\n"


def test_the_dry_run_names_everyone_created_page_by_page(app, client):
    log_in_as(client)
    url = upload(client, people(range(1, 121)))
    first = client.get(url).get_data(as_text=True)
    assert "<strong>120</strong> created" in first
    listed = section(first, "created")
    assert len(listed) == 50
    assert listed[0] == "Person 001 (x001), LT Seimas (parliament), person001@example.org"
    assert "1–50 of 120" in first
    third = client.get(url + "?created=3").get_data(as_text=True)
    assert [item.split(" (")[0] for item in section(third, "created")] == [
        f"Person {n:03d}" for n in range(101, 121)
    ]
    assert "101–120 of 120" in third
    # Every name appears on exactly one page.
    names = set()
    for page in (1, 2, 3):
        html = client.get(f"{url}?created={page}").get_data(as_text=True)
        names.update(item.split(" (")[0] for item in section(html, "created"))
    assert names == {f"Person {n:03d}" for n in range(1, 121)}
    # A page past the end shows the last one, not an error.
    assert "101–120 of 120" in client.get(url + "?created=99").get_data(as_text=True)


def test_the_dry_run_names_updates_deactivations_and_skipped_rows(app, client):
    log_in_as(client)
    confirm(client, upload(client, people(range(1, 6))))
    assert db.session.execute(db.select(db.func.count(Representative.id))).scalar_one() == 5

    text = people([1, 2], party="New Party") + people([3, 6]).split("\r\n", 1)[1]
    text += "x007,LT,Seimas,Nobody Mailable,not-an-address,\r\n"
    url = upload(client, text, deactivate_missing="y")
    html = client.get(url).get_data(as_text=True)
    assert section(html, "created") == [
        "Person 006 (x006), LT Seimas (parliament), person006@example.org"
    ]
    assert section(html, "updated") == [
        "Person 001 (x001), LT Seimas (parliament): party “Example Party” → “New Party”",
        "Person 002 (x002), LT Seimas (parliament): party “Example Party” → “New Party”",
    ]
    assert section(html, "deactivated") == [
        "Person 004 (x004), LT Seimas (parliament)",
        "Person 005 (x005), LT Seimas (parliament)",
    ]
    skipped = section(html, "skipped")
    assert len(skipped) == 1 and skipped[0].startswith("row 6 (Nobody Mailable): ")
    # The dry run wrote nothing.
    assert (
        db.session.execute(
            db.select(db.func.count()).where(Representative.active.is_(False))
        ).scalar_one()
        == 0
    )


def test_the_import_page_offers_a_sample_with_every_column_explained(app, client):
    log_in_as(client)
    page = client.get("/organise/imports/new").get_data(as_text=True)
    assert 'href="/organise/imports/sample.csv"' in page
    explained = re.findall(
        r"<tr><td><code>(\w+)</code></td><td>(yes|no)</td><td>([^<]+)</td>", page
    )
    assert tuple(column for column, _required, _meaning in explained) == COLUMNS
    assert {column for column, required, _ in explained if required == "yes"} == {
        "external_id",
        "country",
        "body",
        "name",
        "email",
    }

    sample = client.get("/organise/imports/sample.csv")
    assert sample.status_code == 200 and sample.mimetype == "text/csv"
    assert "attachment" in sample.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(sample.get_data(as_text=True))))
    assert tuple(rows[0]) == COLUMNS
    assert all(row[column] for row in rows[:1] for column in COLUMNS)
    assert all(row["email"].endswith("@example.org") for row in rows)

    # The sample imports as it stands: every row a representative, none skipped.
    url = upload(client, sample.get_data(as_text=True))
    html = client.get(url).get_data(as_text=True)
    assert len(section(html, "created")) == len(rows) and not section(html, "skipped")
