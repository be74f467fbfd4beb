"""Interface languages: the catalogues themselves, how a request's language is
chosen and remembered, mail in the supporter's language, the reading copy of a
letter, the status page's JSON, the landing page's counters, the review marks."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from campaign.core.extensions import db
from campaign.core.i18n import (
    INTERFACE_LANGUAGES,
    SOURCE_LANGUAGE,
    TRANSLATIONS_DIR,
    missing_catalogues,
)
from campaign.models import Letter, Submission

from . import flow

TRANSLATED = [code for code in INTERFACE_LANGUAGES if code != SOURCE_LANGUAGE]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalogue(language: str):
    with (TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=language)


# -- the catalogues -----------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_compiles(language):
    cat = catalogue(language)
    assert str(cat.locale) == language
    untranslated, fuzzy, broken = [], [], []
    for message in cat:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s.strip() for s in strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for s in strings:
            if set(PLACEHOLDER.findall(s)) != wanted:
                broken.append((message.id, s))
    assert not untranslated, f"{language}: not translated: {untranslated}"
    assert not fuzzy, f"{language}: fuzzy, needs a look: {fuzzy}"
    assert not broken, f"{language}: placeholders differ: {broken}"
    errors = [(m.id, e) for m, e in cat.check()]
    assert not errors, errors
    write_mo(io.BytesIO(), cat)


# A translation may equal its source only where the text is a name or a code,
# the same in every language, or a word spelled alike in that language.
SAME_AS_SOURCE = {
    "*": {"Popolo JSON (EveryPolitician)"},
    "de": {"Name", "Detail", "Details", "Status"},
    "pl": {"Status"},
    "fr": {"Actions", "Pages", "%(name)s via %(site)s"},
}


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_message_is_left_in_english(language):
    """Every message of every catalogue, management pages included, is translated:
    none empty, none fuzzy, none a copy of its English source outside
    SAME_AS_SOURCE. A change that adds messages makes this fail until they are
    translated in every catalogue (`make messages`, then each messages.po)."""
    allowed = SAME_AS_SOURCE["*"] | SAME_AS_SOURCE.get(language, set())
    left = []
    for message in catalogue(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(s.strip() for s in strings):
            left.append(ids[0])
        elif ids[0] not in allowed and any(s in ids for s in strings):
            left.append(ids[0])
    assert not left, f"{language}: {len(left)} message(s) not translated: {left}"


def test_every_catalogue_holds_every_extracted_message():
    with (TRANSLATIONS_DIR / "messages.pot").open("rb") as fh:
        template = {m.id for m in read_po(fh) if m.id}
    for language in TRANSLATED:
        held = {m.id for m in catalogue(language) if m.id}
        assert template <= held, (
            f"{language} lacks {sorted(map(str, template - held))}: run `make messages`"
        )


def test_plural_forms_follow_each_language(app):
    from flask_babel import force_locale, ngettext

    with app.test_request_context():
        for n, expected in [
            (1, "чалавек ужо напісаў"),
            (3, "чалавекі ўжо напісалі"),
            (5, "чалавек ужо напісалі"),
            (21, "чалавек ужо напісаў"),
        ]:
            with force_locale("be"):
                text = ngettext(
                    "person has written to their representatives",
                    "people have written to their representatives",
                    n,
                )
            assert text.startswith(expected), (n, text)
        with force_locale("pl"):
            assert ngettext("letter has gone out", "letters have gone out", 22).startswith("listy")
            assert ngettext("letter has gone out", "letters have gone out", 25).startswith("listów")


def test_a_missing_compiled_catalogue_stops_the_app(tmp_path, monkeypatch):
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS_DIR, copy)
    assert missing_catalogues(copy) == []
    (copy / "lt" / "LC_MESSAGES" / "messages.mo").unlink()
    assert missing_catalogues(copy) == ["lt"]

    import campaign.core.i18n as i18n
    from campaign import create_app

    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", copy)
    with pytest.raises(i18n.MissingCatalogues, match="make translations"):
        create_app(
            {
                "ENV": "testing",
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "REDIS_URL": "redis://127.0.0.1:9/0",
            }
        )


# -- review marks ---------------------------------------------------------------


def test_review_marks_cover_every_language_and_notice_later_changes(tmp_path):
    from datetime import date

    from campaign.letters import translation_status as ts

    assert set(ts.read_reviews()) == set(TRANSLATED), "REVIEW.toml names every interface language"
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS_DIR, copy)
    statuses = {s.language: s for s in ts.catalogue_statuses(copy)}
    assert set(statuses) == set(TRANSLATED)
    assert all(s.complete for s in statuses.values())

    ts.mark_reviewed("be", "Алеся К.", date(2026, 1, 15), directory=copy)
    assert ts.read_reviews(copy / "REVIEW.toml")["be"]["reviewer"] == "Алеся К."
    be = {s.language: s for s in ts.catalogue_statuses(copy)}["be"]
    assert be.reviewed and not be.changed_since_review
    assert be.review_mark == "reviewed by Алеся К. (2026-01-15)"

    po = copy / "be" / "LC_MESSAGES" / "messages.po"
    po.write_text(
        po.read_text(encoding="utf-8").replace("Вашы лісты", "Вашыя лісты", 1), encoding="utf-8"
    )
    be = {s.language: s for s in ts.catalogue_statuses(copy)}["be"]
    assert be.changed_since_review and be.review_mark.startswith("changed since review")
    with pytest.raises(ValueError):
        ts.mark_reviewed("en", "Someone", directory=copy)

    # Each message counts on its own: before a review, all; after it, only those
    # added or retranslated since.
    statuses = {s.language: s for s in ts.catalogue_statuses(copy)}
    assert statuses["de"].unreviewed == statuses["de"].messages
    changed = ts.unreviewed_messages("be", copy)
    assert len(changed) == 1 and changed[0].string.startswith("Вашыя лісты")
    po.write_text(
        po.read_text(encoding="utf-8")
        + '\nmsgid "A new management message"\nmsgstr "Новае паведамленне"\n',
        encoding="utf-8",
    )
    assert len(ts.unreviewed_messages("be", copy)) == 2
    ts.mark_reviewed("be", "Алеся К.", date(2026, 2, 1), directory=copy)
    assert ts.unreviewed_messages("be", copy) == []


def test_i18n_status_shows_interface_and_letter_review_marks(seeded):
    result = seeded.test_cli_runner().invoke(args=["i18n", "status"])
    assert result.exit_code == 0, result.output
    for language in TRANSLATED:
        assert re.search(rf"^  {language}  .*not reviewed", result.output, re.M), language
    assert re.search(r"parliament\s+be\s+v1\s+not reviewed", result.output)
    assert re.search(r"parliament\s+en\s+v1\s+reviewed", result.output)
    assert "To review before launch: 8 interface catalogue(s)" in result.output


# -- choosing the language ----------------------------------------------------------


def lang_of(html: str) -> str:
    return re.search(r'<html lang="([^"]+)" dir="(ltr|rtl)"', html).group(1)


def text(response) -> str:
    return response.get_data(as_text=True)


def lang_for(client, accept_language: str, path: str = "/") -> str:
    return lang_of(text(client.get(path, headers={"Accept-Language": accept_language})))


def test_language_comes_from_the_browser_then_the_switch_then_the_cookie(seeded, client):
    assert lang_of(text(client.get("/"))) == "en"
    assert lang_for(client, "be-BY,be;q=0.9,ru;q=0.8") == "be"
    assert lang_for(client, "de-AT,de;q=0.9") == "de"
    assert lang_for(client, "ja,zh;q=0.5") == "en"

    switched = client.get("/?lang=uk", headers={"Accept-Language": "fr"})
    assert lang_of(switched.get_data(as_text=True)) == "uk"
    cookie = switched.headers["Set-Cookie"]
    assert cookie.startswith("lang=uk;")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=31536000" in cookie
    assert {"Accept-Language", "Cookie"} <= set(switched.vary)
    # Remembered on the next pages, whatever the browser says.
    later = client.get("/write/DE", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert lang_of(later) == "uk" and "Ваші представники (Німеччина)" in later
    assert client.get("/?lang=xx").headers.get("Set-Cookie") is None
    assert lang_of(client.get("/?lang=xx").get_data(as_text=True)) == "uk"


def test_switch_links_name_each_language_in_itself_and_keep_the_page(seeded, client):
    html = text(client.get("/write/DE?q=partei", headers={"Accept-Language": "lt"}))
    for code, name in INTERFACE_LANGUAGES.items():
        assert f'lang="{code}" hreflang="{code}"' in html and f">{name}</a>" in html
    assert 'href="/write/DE?q=partei&amp;lang=be"' in html
    assert 'hreflang="lt" aria-current="true"' in html


def test_switching_language_on_a_posted_preview_comes_back_to_the_same_letters(seeded, client):
    reps = flow.representatives_of("PL")
    page = flow.letters_page(client, "PL", [r.id for r in reps])
    token = flow.csrf_token(page.get_data(as_text=True))
    form = flow.Details().form(token, [r.id for r in reps], action="preview")
    html = text(client.post("/write/PL/letters", data=form))
    link = re.search(r'href="([^"]+)" lang="be"', html).group(1).replace("&amp;", "&")
    again = client.get(link).get_data(as_text=True)
    assert lang_of(again) == "be" and again.count('class="letter"') == len(reps)


def test_every_supporter_page_is_translated(seeded, client, app, drain):
    client.set_cookie("lang", "be")
    assert "Напішыце сваім прадстаўнікам" in client.get("/").get_data(as_text=True)
    reps = flow.representatives_of("LT")
    errors = text(flow.submit(client, "LT", [reps[0].id], flow.Details(name="", consent=False)))
    assert "Калі ласка, выпраўце пазначаныя ніжэй палі." in errors
    assert "Калі ласка, увядзіце сваё імя: ім будзе падпісаны ліст." in errors
    assert "Калі ласка, пастаўце адзнаку, каб адправіць свае лісты." in errors
    too_long = text(flow.submit(client, "LT", [reps[0].id], flow.Details(name="x" * 121)))
    assert "Максімальная колькасць сімвалаў: 120." in too_long
    assert flow.submit(client, "LT", [reps[0].id], flow.Details()).status_code == 302
    assert "Праверце пошту" in client.get("/check-your-email").get_data(as_text=True)
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "Не ўдалося знайсці гэту старонку." in text(missing)
    assert "Гэта спасылка несапраўдная." in client.get("/status/forged").get_data(as_text=True)
    assert "Увайсці" in client.get("/login").get_data(as_text=True)


# -- mail in the supporter's language --------------------------------------------------


@pytest.mark.parametrize(
    "language,subject,greeting",
    [
        ("be", "Калі ласка, пацвердзіце свае лісты", "Добры дзень, Maryja Kowalska!"),
        ("fr", "Veuillez confirmer vos lettres", "Bonjour Maryja Kowalska,"),
        ("en", "Please confirm your letters", "Hello Maryja Kowalska,"),
    ],
)
def test_confirmation_mail_speaks_the_language_the_supporter_used(
    seeded, client, app, drain, language, subject, greeting
):
    client.set_cookie("lang", language)
    rep = flow.representatives_of("DE")[0]
    flow.submit(client, "DE", [rep.id], flow.Details())
    assert db.session.execute(db.select(Submission)).scalar_one().supporter.locale == language
    drain()
    message = flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))[0]
    assert message["Subject"].startswith(f"{subject} – ")  # then the campaign's title
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith(greeting)
    # The link opens the confirmation page in the same language, even in another browser.
    path = flow.confirmation_link(message).split("campaign.example.org", 1)[1]
    assert lang_of(seeded.test_client().get(path).get_data(as_text=True)) == language


# -- the letter and its reading copy ----------------------------------------------------


def test_reading_copy_in_the_supporters_language_is_marked_and_never_sent(seeded, client):
    client.set_cookie("lang", "be")
    rep = flow.representatives_of("DE")[0]
    html = flow.letters_page(client, "DE", [rep.id]).get_data(as_text=True)
    assert html.count('class="letter"') == 1
    assert '<pre class="letter-text" lang="de">' in html
    assert '<details class="reading-copy">' in html  # closed: a phone shows the form sooner
    assert '<pre class="letter-text" lang="be">' in html
    assert "На вашай мове" in html and "Яго не адпраўляюць" in html
    flow.submit(client, "DE", [rep.id], flow.Details())
    letter = db.session.execute(db.select(Letter)).scalar_one()
    assert letter.language == "de" and "Добры дзень" not in letter.body


def test_no_reading_copy_when_the_letter_is_already_in_the_supporters_language(seeded, client):
    client.set_cookie("lang", "de")
    rep = flow.representatives_of("DE")[0]
    html = flow.letters_page(client, "DE", [rep.id]).get_data(as_text=True)
    assert "reading-copy" not in html


def test_render_letter_in_another_language_changes_nothing_stored(seeded):
    from campaign.letters import compose
    from campaign.people import directory

    campaign = directory.default_campaign()
    rep = flow.representatives_of("FR")[0]
    sent = compose.render_letter(campaign, rep, {"name": "A"})
    copy = compose.render_letter(campaign, rep, {"name": "A"}, language="uk")
    assert (sent.language, copy.language) == ("fr", "uk")
    assert copy.version.template.body_kind == sent.version.template.body_kind
    with pytest.raises(compose.NoTemplate):
        compose.render_letter(campaign, rep, {"name": "A"}, language="ga")


# -- the status page's JSON and the landing counters -----------------------------------


def test_status_json_follows_the_letters_and_holds_no_personal_data(seeded, client, app, drain):
    reps = flow.representatives_of("LT")
    details = flow.Details(email="private@example.org", name="Private Person", city="Kaunas")
    flow.submit(client, "LT", [r.id for r in reps], details)
    drain()
    confirmed = flow.confirm(
        client, flow.confirmation_link(flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))[0])
    )
    status_path = confirmed.headers["Location"]
    client.set_cookie("lang", "lt")
    response = client.get(status_path + ".json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["settled"] is False
    assert [(letter["representative"], letter["state"]) for letter in data["letters"]] == [
        (r.name, "queued") for r in sorted(reps, key=lambda r: (r.body_id, r.name))
    ]
    assert {letter["label"] for letter in data["letters"]} == {"eilėje"}
    raw = response.get_data(as_text=True)
    for private in ("private@example.org", "Private Person", "Kaunas", "example.org", "My cousin"):
        assert private not in raw
    assert set(data["letters"][0]) == {"representative", "body", "state", "label", "settled"}
    drain()
    after = client.get(status_path + ".json").get_json()
    assert {letter["state"] for letter in after["letters"]} == {"sent"} and after["settled"] is True
    assert client.get("/status/forged.json").status_code == 404
    assert client.get("/status/forged.json").get_json() == {"error": "Ši nuoroda negalioja."}

    page = client.get(status_path).get_data(as_text=True)
    assert 'data-status-url="' + status_path + '.json"' in page
    assert '<script src="/static/status.js" defer></script>' in page
    share = re.search(r'id="share-link" type="url" value="([^"]+)"', page).group(1)
    # The campaign's own landing page (the root may list several), nothing appended.
    assert share == "http://campaign.example.org/c/time-for-release/"


def test_landing_counts_writers_and_letters_sent_and_caches_them(seeded, client, app, drain):
    from campaign.core.queues import redis_connection

    assert 'class="counts"' not in client.get("/").get_data(as_text=True)
    reps = flow.representatives_of("DE")
    flow.submit(client, "DE", [r.id for r in reps[:3]], flow.Details())
    never_confirmed = flow.Details(email="second@example.org")
    flow.submit(client, "DE", [reps[0].id], never_confirmed)
    drain()
    first = next(
        m
        for m in flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))
        if m["To"].addresses[0].addr_spec == "maryja@example.org"
    )
    flow.confirm(client, flow.confirmation_link(first))
    drain()
    # Counted a minute ago: the landing page may lag that much behind.
    assert 'class="counts"' not in client.get("/").get_data(as_text=True)
    for key in redis_connection().scan_iter("campaign:*:public-counts"):
        redis_connection().delete(key)
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<strong>1</strong> person has written to their representatives" in html
    assert "<strong>3</strong> letters have gone out" in html

    campaign_id = db.session.execute(db.select(Submission)).scalars().first().campaign_id
    cached = json.loads(redis_connection().get(f"campaign:{campaign_id}:public-counts"))
    assert cached == {"writers": 1, "letters_sent": 3}
    assert 0 < redis_connection().ttl(f"campaign:{campaign_id}:public-counts") <= 60


def test_countries_are_listed_in_the_readers_alphabetical_order(seeded, client):
    html = text(client.get("/", headers={"Accept-Language": "be"}))
    names = re.findall(r'<option value="[A-Z]{2}">([^<]+)</option>', html)
    assert names == ["Германія", "Ірландыя", "Літва", "Польшча", "Францыя"]


# -- dates that end a sentence ----------------------------------------------------------


@pytest.mark.parametrize("language", INTERFACE_LANGUAGES)
def test_a_date_ending_a_sentence_gets_one_full_stop(seeded, client, app, drain, language):
    # Babel's long date ends with an abbreviation in some languages ("11 декабря 2026 г.",
    # "2026 m. gruodžio 11 d."): the sentence around it must not add a second full stop.
    client.set_cookie("lang", language)
    rep = flow.representatives_of("DE")[0]
    flow.submit(client, "DE", [rep.id], flow.Details())
    drain()
    message = flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))[0]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert not re.search(r"(?<!\.)\.\.(?!\.)", text), text

    from types import SimpleNamespace

    from flask import render_template
    from flask_babel import force_locale

    sent = db.session.execute(db.select(Letter)).scalars().first()
    context = {
        "supporter_name": "Ada",
        "representative": rep,
        "letter": SimpleNamespace(sent_at=sent.created_at),
        "reply": SimpleNamespace(
            from_name="", from_addr="office@example.org", subject="Re", text="Yes"
        ),
    }
    with app.test_request_context(), force_locale(language):
        forward = render_template("email/forward.txt", **context)
    assert not re.search(r"(?<!\.)\.\.(?!\.)", forward), forward
