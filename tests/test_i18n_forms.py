"""Form errors in every interface language: the stock messages of WTForms and
Flask-WTF come from the app's own catalogues (WTForms has none for be, lt, lv);
the header and <title> of a public page name its own campaign; the figures'
sentences take the plural form of their number."""

from __future__ import annotations

import re
from html import unescape

import pytest
from babel.messages.pofile import read_po
from flask import g
from wtforms.i18n import messages_path

from campaign.core.extensions import db
from campaign.models import Campaign
from campaign.seed import SECOND_CAMPAIGN, SECOND_SLUG, seed_demo

from .conftest import csrf_token
from .organisers_support import log_in_as, token_of


def stock_messages() -> set[str]:
    """Every English message WTForms can show (both plural forms), and Flask-WTF's
    CSRF messages."""
    with open(f"{messages_path()}/wtforms.pot", "rb") as pot:
        catalogue = read_po(pot)
    found = set()
    for message in catalogue:
        for text in message.id if isinstance(message.id, tuple) else (message.id,):
            if text:
                found.add(text.split("%(")[0].split("%s")[0].strip("'"))
    return found | {"The CSRF token", "The CSRF session token"}


def errors_of(html: str) -> list[str]:
    return [unescape(e) for e in re.findall(r'<p class="error"[^>]*>([^<]*)</p>', html)]


BAD_CAMPAIGN = {
    "title": "x" * 300,
    "slug": "",
    "default_language": "en",
    "opens_at": "2026-13-01",
    "throttle_per_second": "nan",
    "throttle_rep_per_hour": "1",
    "throttle_rep_per_day": "1",
    "throttle_domain_per_minute": "1",
    "send_window_start": "25:99",
    "target_body_kinds": "x",
}

EXPECTED = {
    "be": [
        "Поле не можа быць даўжэйшым за 200 знакаў.",
        "Няправільная дата.",
        "Гэта поле абавязковае.",
        "Лік павінен быць ад 0.001 да 1000.",
    ],
    "lv": [
        "Laukā nedrīkst būt vairāk par 200 rakstzīmēm.",
        "Nederīgs datums.",
        "Šis lauks ir obligāts.",
        "Skaitlim jābūt no 0.001 līdz 1000.",
    ],
}


TIME_AND_CHOICE = {
    "be": ["Няправільны час.", "«x» — недапушчальны варыянт для гэтага поля."],
    "lv": ["Nederīgs laiks.", "“x” nav derīga izvēle šim laukam."],
}


@pytest.mark.parametrize("language", ["be", "lv"])
def test_the_stock_form_errors_read_in_the_organisers_language(seeded, client, language):
    log_in_as(client, "organiser")
    assert client.get(f"/organise/campaigns?lang={language}").status_code == 200
    token = token_of(client, "/organise/campaigns/new")
    response = client.post("/organise/campaigns/new", data={"csrf_token": token, **BAD_CAMPAIGN})
    assert response.status_code == 422
    errors = errors_of(response.get_data(as_text=True))
    assert len(errors) >= 6, errors
    english = [e for e in errors if any(s and s in e for s in stock_messages())]
    assert english == []
    for expected in EXPECTED[language]:
        assert expected in errors
    # The time field and the choice are refused in the same language.
    assert len([e for e in errors if e in TIME_AND_CHOICE[language]]) == 2, errors


def test_a_supporter_form_error_reads_in_the_supporters_language(seeded, client):
    from . import flow

    reps = [r.id for r in flow.representatives_of("DE")[:1]]
    page = client.get(f"/write/DE/letters?rep={reps[0]}&lang=lt")
    assert page.status_code == 200
    form = flow.Details(email="lt@example.org").form(csrf_token(page.get_data(as_text=True)), reps)
    form["residence"] = "not-a-country"
    response = client.post("/write/DE/letters", data=form)
    assert response.status_code in (200, 422)
    errors = errors_of(response.get_data(as_text=True))
    assert "Netinkamas pasirinkimas." in errors
    assert not [e for e in errors if any(s and s in e for s in stock_messages())]


def test_each_public_page_names_its_own_campaign(app, client):
    seed_demo(second_campaign=True)
    g.pop("csrf_token", None)
    first = client.get("/").get_data(as_text=True)
    second = client.get(f"/c/{SECOND_SLUG}/").get_data(as_text=True)
    title = SECOND_CAMPAIGN["title"]
    assert f"<title>{title}</title>" in unescape(second)
    assert re.search(
        r'<a class="brand" href="/c/[^"]+/">' + re.escape(title) + "</a>", unescape(second)
    )
    assert "The time for release is now" not in second
    privacy = unescape(client.get(f"/c/{SECOND_SLUG}/privacy").get_data(as_text=True))
    assert f"· {title}</title>" in privacy
    # A page of no campaign keeps the site's name.
    data = client.get("/data").get_data(as_text=True)
    assert "The time for release is now" in data and title not in data
    assert first  # the root still serves


@pytest.mark.parametrize(
    ("count", "language", "text"),
    [
        (1, "en", "person is still behind bars for political reasons"),
        (21, "be", "чалавек дагэтуль за кратамі па палітычных матывах<"),
        (3, "ru", "человека до сих пор за решёткой"),
        (5, "pl", "osób wciąż przebywa w więzieniach"),
    ],
)
def test_the_imprisoned_figure_takes_its_plural_form(seeded, client, count, language, text):
    campaign = db.session.execute(db.select(Campaign)).scalars().first()
    campaign.imprisoned = count
    db.session.commit()
    html = client.get(f"/?lang={language}").get_data(as_text=True)
    assert f"<strong>{count}</strong> {text}".rstrip("<") in html.replace("</li>", "<")


@pytest.mark.parametrize(
    ("figure", "count", "language", "text"),
    [
        ("released_after_sentence", 1, "en", "person came out only after serving"),
        ("released_after_sentence", 21, "ru", "человек вышел на свободу"),
        ("freed_early", 3, "uk", "людини з 2024 року звільнено"),
        ("died_in_custody", 1, "de", "Mensch ist mindestens in Haft gestorben"),
        ("died_in_custody", 12, "pl", "osób, co najmniej, zmarło"),
        ("vulnerable", 2, "be", "чалавекі належаць да ўразлівых груп"),
        ("vulnerable", 1, "fr", "personne appartient à un groupe vulnérable"),
    ],
)
def test_every_figure_of_the_appeal_takes_its_plural_form(
    seeded, client, figure, count, language, text
):
    campaign = db.session.execute(db.select(Campaign)).scalars().first()
    setattr(campaign, figure, count)
    db.session.commit()
    html = unescape(client.get(f"/?lang={language}").get_data(as_text=True))
    assert f"<strong>{count}</strong> {text}" in html
