"""Staff and account pages, their form errors and the login-link mail speak the
language chosen with the switch (``?lang=``, then its cookie), as supporters'
pages do."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import g

from . import flow
from .conftest import csrf_token
from .organisers_support import log_in_as
from .test_auth import make_user

# A few texts of each page, in the language chosen.
PAGES = {
    "be": {
        "/login": ["Увайсці", "Увайсці па спасылцы з ліста"],
        "/login/link": ["Увядзіце адрас свайго ўліковага запісу."],
        "/manage": ["Кіраванне кампаніяй", "Вы ўвайшлі як staff@example.org (супрацоўнік)."],
        "/staff/": [
            "Патрабуе ўвагі",
            "Лісты сёння і за гэты тыдзень",
            "Усе старонкі для супрацоўнікаў",
        ],
        "/staff/queues": ["Чэргі адпраўкі", "Лісты паводле кампаній", "Чэргі задач"],
        "/staff/reports": ["Справаздачы пра адказы", "Рэйтынг прадстаўнікоў"],
        "/staff/office-requests": ["Просьбы офісаў", "Просьбаў няма."],
    },
    "de": {
        "/login": ["Anmelden", "Mit einem Link per E-Mail anmelden"],
        "/login/link": ["Geben Sie die Adresse Ihres Kontos ein."],
        "/manage": ["Kampagnenverwaltung", "Angemeldet als staff@example.org (Team)."],
        "/staff/": ["Braucht Aufmerksamkeit", "Briefe heute und in dieser Woche"],
        "/staff/queues": [
            "Versand-Warteschlangen",
            "Briefe pro Kampagne",
            "Auftrags-Warteschlangen",
        ],
        "/staff/reports": ["Antwortberichte", "Rangliste der Abgeordneten"],
        "/staff/office-requests": ["Anliegen der Büros", "Keine Anliegen."],
    },
}
# The same texts' English sources, which must then be absent.
ENGLISH = [
    "Needs attention",
    "Letters per campaign",
    "Response reports",
    "Logged in as",
    "Enter the address of your account.",
    "No requests.",
]


@pytest.mark.parametrize("language", sorted(PAGES))
def test_staff_and_login_pages_render_in_the_language_chosen(app, language):
    client = app.test_client()
    login_page = client.get(f"/login?lang={language}").get_data(as_text=True)
    assert f'<html lang="{language}"' in login_page
    log_in_as(client, "staff", "staff@example.org")
    for url, texts in PAGES[language].items():
        response = client.get(url)  # the switch's cookie carries the language on
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert f'<html lang="{language}"' in page, url
        for text in texts:
            assert text in page, (url, text)
        for source in ENGLISH:
            assert source not in page, (url, source)


def test_an_account_form_error_is_in_the_language_chosen(app):
    client = app.test_client()
    client.get("/login?lang=de")
    log_in_as(client, "staff", "staff@example.org")
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "Zweiten Faktor einrichten" in page
    refused = client.post(
        "/account/second-factor", data={"csrf_token": csrf_token(page), "code": "000000"}
    )
    assert refused.status_code == 400
    assert "Dieser Code stimmt nicht. Prüfen Sie die Uhrzeit auf Ihrem Telefon." in (
        refused.get_data(as_text=True)
    )


def test_the_login_link_mail_is_written_in_the_language_it_was_asked_in(app, drain):
    make_user("organiser@example.org", "organiser")
    for language, subject, sentence in [
        ("be", "Ваша спасылка для ўваходу", "Спасылка працуе адзін раз на працягу 15 хвілін."),
        ("de", "Ihr Anmeldelink", "Der Link funktioniert einmal, innerhalb von 15 Minuten."),
    ]:
        client = app.test_client()
        g.pop("csrf_token", None)
        page = client.get(f"/login/link?lang={language}").get_data(as_text=True)
        asked = client.post(
            "/login/link", data={"csrf_token": csrf_token(page), "email": "organiser@example.org"}
        )
        assert asked.status_code == 302
        drain()
        mail = flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))[-1]
        assert mail["Subject"] == subject
        text = mail.get_body(preferencelist=("plain",)).get_content()
        assert sentence in text and "/login/link/" in text
        assert "Someone asked" not in text
