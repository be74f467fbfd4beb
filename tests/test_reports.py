"""Response reports: the figures by every dimension, the ranking threshold, the
charts (inline SVG, nothing fetched), CSV of every table, and the command."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest

from campaign.core.extensions import db
from campaign.models import Letter, LoggedResponse, Reply
from campaign.tracking import replies as reply_service
from campaign.tracking import reports, rollups

from . import tracking_helpers as th
from .conftest import csrf_token
from .htmlforms import inline_problems
from .test_auth import login, make_user


@pytest.fixture
def tracked(make_app):
    keys = th.keypair()
    app = make_app(
        INBOUND_DOMAIN=th.INBOUND_DOMAIN,
        INBOUND_SECRET=th.INBOUND_SECRET,
        SENDGRID_WEBHOOK_PUBLIC_KEY=keys[1],
    )
    app.config["TEST_PRIVATE_KEY"] = keys[0]
    with app.app_context():
        from campaign.seed import seed_demo

        seed_demo()
        yield app


def _scenario(app) -> dict:
    """Twelve letters to one representative (six answered, two bounced), three to
    another (none answered)."""
    client = app.test_client()
    busy, quiet = th.reps_of("DE")[:2]
    letters = [
        th.send_letters([busy], email=f"s{i}@example.org", sent_ago=timedelta(days=20))[0]
        for i in range(12)
    ]
    for i in range(3):
        th.send_letters([quiet], email=f"q{i}@example.org", sent_ago=timedelta(days=20))
    # Replies captured after 1, 3 and 5 days; one logged after 2 days; two "yes" in surveys.
    for letter in letters[:3]:
        th.post_inbound(client, th.raw_mode(th.mail("talon_gmail.eml"), [th.address_of(letter)]))
    for letter, days in zip(letters[:3], (1, 3, 5), strict=True):
        reply = db.session.execute(db.select(Reply).filter_by(letter_id=letter.id)).scalar_one()
        reply.received_at = letter.sent_at + timedelta(days=days)
    db.session.commit()
    reply_service.log_response(
        letters[3],
        "phone",
        "supportive",
        "Called the office",
        letters[3].sent_at + timedelta(days=2),
        None,
    )
    for letter in letters[4:6]:
        th.survey_yes(letter)
    private = app.config["TEST_PRIVATE_KEY"]
    th.post_events(
        client,
        private,
        [th.event(letters[10], "bounce", type="bounce"), th.event(letters[11], "dropped")],
    )
    th.post_events(client, private, [th.event(letter, "delivered") for letter in letters[6:10]])
    return {"busy": busy.id, "quiet": quiet.id, "letters": [letter.id for letter in letters]}


def test_figures_by_representative_and_the_ranked_table(tracked):
    ids = _scenario(tracked)
    rows = {row.ident: row for row in reports.responses("representative")}
    busy, quiet = rows[ids["busy"]], rows[ids["quiet"]]
    assert busy.counts["sent"] == 12 and quiet.counts["sent"] == 3
    assert busy.counts["bounced"] == 2
    # Delivered: four by events, six proven by a response.
    assert busy.counts["delivered"] == 10
    assert busy.counts["replied"] == 6
    assert (
        busy.counts["replied_captured"],
        busy.counts["replied_surveyed"],
        busy.counts["replied_logged"],
    ) == (3, 2, 1)
    assert busy.counts["supportive"] == 1
    assert busy.response_rate == pytest.approx(0.5)
    # First dated human responses after 1, 2, 3 and 5 days: the median is 2.5 days.
    assert busy.median_days_to_reply == pytest.approx(2.5, abs=1e-3)
    assert quiet.counts["replied"] == 0 and quiet.median_days_to_reply is None
    assert quiet.response_rate == 0

    ranked = reports.ranked(list(rows.values()))
    assert [row.ident for row in ranked] == [ids["busy"]]  # the other has fewer than 10 letters
    assert reports.ranked(list(rows.values()), minimum=3)[-1].ident == ids["quiet"]


def test_every_dimension_adds_up_and_matches_a_rebuild(tracked):
    _scenario(tracked)
    totals = reports.totals(reports.responses("representative")).counts
    for by in reports.DIMENSIONS:
        rows = reports.responses(by, refresh=False)
        assert reports.totals(rows).counts == totals, by
        assert all(row.key for row in rows)
    incremental = {r.ident: (r.counts, r.median_days_to_reply) for r in reports.responses("body")}
    rollups.rebuild()
    rebuilt = {r.ident: (r.counts, r.median_days_to_reply) for r in reports.responses("body")}
    assert incremental == rebuilt
    template_keys = [row.key for row in reports.responses("template", refresh=False)]
    assert template_keys == ["parliament/de v1"]


def test_report_command_in_csv_and_json(tracked):
    ids = _scenario(tracked)
    runner = tracked.test_cli_runner()
    result = runner.invoke(args=["report", "responses", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    for column in (
        "key",
        "sent",
        "delivered",
        "bounced",
        "replied",
        "response_rate",
        "median_days_to_reply",
    ):
        assert column in rows[0]
    busy = next(r for r in rows if r["representative_id"] == str(ids["busy"]))
    assert (busy["sent"], busy["replied"], busy["response_rate"], busy["median_days_to_reply"]) == (
        "12",
        "6",
        "0.5",
        "2.5",
    )

    by_party = json.loads(
        runner.invoke(args=["report", "responses", "--by", "party", "--format", "json"]).output
    )
    assert {row["key"] for row in by_party} == {"Demo-Partei A", "Demo-Partei B"}
    by_country = json.loads(
        runner.invoke(
            args=[
                "report",
                "responses",
                "--by",
                "country",
                "--format",
                "json",
                "--campaign",
                "time-for-release",
            ]
        ).output
    )
    assert by_country == [{**by_country[0], "key": "DE", "sent": 15, "replied": 6, "bounced": 2}]
    unknown = runner.invoke(args=["report", "responses", "--campaign", "nope"])
    assert unknown.exit_code != 0 and "no campaign" in unknown.output
    assert runner.invoke(args=["report", "rebuild"]).exit_code == 0


def test_staff_report_page_charts_and_csv_exports(tracked):
    ids = _scenario(tracked)
    client = tracked.test_client()
    make_user("staff@example.org", "staff")
    login(client, "staff@example.org")
    page = client.get("/staff/reports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<svg") >= 3 and "<rect" in html
    # A strict CSP: no inline script or style, nothing from elsewhere.
    assert inline_problems(html) == []
    assert "<script" not in html and "style=" not in html
    assert not re.search(r"""(?:src|href)=["']https?://""", html)
    assert "Ranked representatives" in html
    for by in reports.DIMENSIONS:
        assert client.get(f"/staff/reports?by={by}").status_code == 200
    for table in ("by", "ranked", "daily", "party", "body"):
        export = client.get(f"/staff/reports?format=csv&table={table}")
        assert export.status_code == 200 and export.mimetype == "text/csv", table
        header = export.get_data(as_text=True).splitlines()[0]
        assert header.startswith(("key,", "day,")), table
    ranked = list(
        csv.DictReader(
            io.StringIO(client.get("/staff/reports?format=csv&table=ranked").get_data(as_text=True))
        )
    )
    assert [row["representative_id"] for row in ranked] == [str(ids["busy"])]
    for path in (
        f"/staff/representatives/{ids['busy']}",
        f"/staff/letters/{ids['letters'][0]}",
        "/staff/replies",
    ):
        other = client.get(path)
        assert other.status_code == 200 and inline_problems(other.get_data(as_text=True)) == [], (
            path
        )
    reply_id = db.session.execute(db.select(Reply.id)).scalars().first()
    reply_page = client.get(f"/staff/replies/{reply_id}").get_data(as_text=True)
    assert inline_problems(reply_page) == [] and "<strong>" not in reply_page.split("Their text")[0]
    addresses = client.get("/staff/addresses").get_data(as_text=True)
    assert "Mark fixed" in addresses
    assert client.get("/staff/addresses?format=csv").status_code == 200


def test_staff_log_a_response_by_hand(tracked):
    (letter,) = th.send_letters(th.reps_of("IE")[:1], sent_ago=timedelta(days=4))
    letter_id, rep_id = letter.id, letter.representative_id
    client = tracked.test_client()
    make_user("staff@example.org", "staff")
    login(client, "staff@example.org")
    page = client.get(f"/staff/letters/{letter_id}")
    token = csrf_token(page.get_data(as_text=True))
    day = (letter.sent_at + timedelta(days=3)).date().isoformat()
    response = client.post(
        f"/staff/letters/{letter_id}/responses",
        data={
            "csrf_token": token,
            "channel": "letter",
            "stance": "opposed",
            "occurred_on": day,
            "note": "A paper letter",
        },
    )
    assert response.status_code == 302
    logged = db.session.execute(db.select(LoggedResponse)).scalar_one()
    assert (logged.channel, logged.stance, logged.note) == ("letter", "opposed", "A paper letter")
    assert th.state_of(letter_id) == "replied"
    row = {r.ident: r for r in reports.responses("representative")}[rep_id]
    assert (row.counts["replied_logged"], row.counts["opposed"]) == (1, 1)
    assert 2.4 < row.median_days_to_reply < 3.6
    bad = client.post(
        f"/staff/letters/{letter_id}/responses",
        data={"csrf_token": token, "channel": "pigeon", "occurred_on": day},
    )
    assert bad.status_code == 400
    assert db.session.get(Letter, letter_id).state == "replied"


def _text_of(page: str, ident: str) -> str:
    match = re.search(rf'id="{ident}"[^>]*>(.*?)</', page, re.S)
    assert match, f"no {ident} on the page"
    return match.group(1).strip()


def test_the_report_reads_summary_first_in_the_readers_language(tracked):
    ids = _scenario(tracked)
    from campaign.models import Representative

    long_party = "Partei für eine sehr lange Bezeichnung, die kein Diagramm abschneiden darf"
    db.session.get(Representative, ids["busy"]).party = long_party
    db.session.commit()
    client = tracked.test_client()
    make_user("staff@example.org", "staff")
    login(client, "staff@example.org")
    page = client.get("/staff/reports").get_data(as_text=True)
    # The summary comes first; the table of every column is behind it, folded.
    assert page.index('id="summary"') < page.index("Ranked representatives")
    assert page.index("Ranked representatives") < page.index('id="full-table"')
    assert re.search(r'<details class="full-table" id="full-table">', page)
    figures = {name: _text_of(page, f"total-{name}") for name in ("sent", "delivered")}
    figures.update({name: _text_of(page, f"total-{name}") for name in ("replied", "rate")})
    assert figures == {"sent": "15", "delivered": "10", "replied": "6", "rate": "40%"}
    # First dated responses after 1, 2, 3 and 5 days: said as a person says it.
    assert _text_of(page, "total-median") == "2 days"
    assert "0.3 days" not in page and "2.5" not in _text_of(page, "total-median")
    # Chart labels in full, with the counts behind each bar.
    assert long_party in page
    assert "50% (6 of 12)" in page
    german = client.get("/staff/reports?lang=de").get_data(as_text=True)
    assert _text_of(german, "total-rate") == "40\xa0%"
    assert _text_of(german, "total-median") == "2 Tage"


def test_an_empty_report_says_no_letters_were_sent(tracked):
    client = tracked.test_client()
    make_user("staff@example.org", "staff")
    login(client, "staff@example.org")
    page = client.get("/staff/reports").get_data(as_text=True)
    for chart in ("daily-chart", "party-chart", "body-chart"):
        section = page[page.index(f'id="{chart}"') :]
        assert "No letters sent yet." in section[: section.index("</figure>")], chart
    assert _text_of(page, "total-sent") == "0"
    assert _text_of(page, "total-rate") == "—"
