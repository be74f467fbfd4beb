"""What earns a supporter's trust around the letters: the organiser named on every
page and in every mail, a privacy notice built from the configuration, the steps
after sending (the address named, a limited resend, a thank-you, a copy only on
request, every state explained), and one language per letter."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from campaign.core.extensions import db
from campaign.core.i18n import INTERFACE_LANGUAGES
from campaign.models import Campaign, Letter, LetterState, Submission

from . import flow
from .conftest import csrf_token

ORGANISER = "Time for Release (demo organiser)"


def _mails(app):
    return flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# -- who runs this -----------------------------------------------------------------


def test_every_supporter_page_names_the_organiser(seeded, client, app, drain):
    reps = flow.representatives_of("IE")
    pages = ["/", "/write/IE", f"/write/IE/letters?rep={reps[0].id}", "/privacy", "/your-data"]
    flow.submit(client, "IE", [reps[0].id], flow.Details())
    pages.append("/check-your-email")
    drain()
    link = flow.confirmation_link(_mails(app)[0])
    status = flow.confirm(client, link).headers["Location"]
    pages.append(status)
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        assert ORGANISER in html and "Demo Street 1, 10115 Berlin, Germany" in html, path
        assert 'href="/privacy"' in html, path


def test_the_organiser_is_set_by_organisers_and_checked(seeded, client):
    from .organisers_support import log_in_as

    log_in_as(client)
    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    url = f"/organise/campaigns/{campaign.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="organiser_name"' in page and 'name="organiser_address"' in page
    form = _campaign_form(page)
    form.update(organiser_email="not an address", organiser_name="Free Them All e.V.")
    refused = client.post(url, data=form)
    assert refused.status_code == 422 and "Give an email address" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).organiser_name == ORGANISER  # nothing saved
    form.update(organiser_email="info@example.org", organiser_website="https://example.org/x")
    assert client.post(url, data=form).status_code in (200, 302)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).organiser_name == "Free Them All e.V."
    assert "Free Them All e.V." in client.get("/").get_data(as_text=True)


def _campaign_form(html: str) -> dict:
    from .htmlforms import forms_in

    form = next(f for f in forms_in(html) if any(x.name == "organiser_name" for x in f.fields))
    return form.defaults()


@pytest.mark.parametrize("language", list(INTERFACE_LANGUAGES))
def test_privacy_notice_in_every_language_states_the_configured_periods(make_app, language):
    app = make_app(
        RETENTION_LETTER_DAYS=11, RETENTION_SUPPORTER_WEEKS=52, IP_HASH_RETENTION_HOURS=36
    )
    with app.app_context():
        from campaign.seed import seed_demo

        seed_demo()
        client = app.test_client()
        client.set_cookie("lang", language)
        html = client.get("/privacy").get_data(as_text=True)
        assert f'<html lang="{language}"' in html
        for figure in ("11", "52", "36", "7"):
            assert f" {figure} " in html or f">{figure} " in html, figure
        assert "Demo Street 1" in html and 'href="/your-data"' in html


def test_what_the_representative_sees_follows_the_reply_routing(make_app):
    for inbound, shows_email in ((None, True), ("reply.campaign.example.org", False)):
        overrides = {"INBOUND_DOMAIN": inbound, "INBOUND_SECRET": "s" * 32} if inbound else {}
        app = make_app(**overrides)
        with app.app_context():
            from campaign.seed import seed_demo

            seed_demo()
            client = app.test_client()
            rep = flow.representatives_of("IE")[0]
            form = flow.letters_page(client, "IE", [rep.id]).get_data(as_text=True)
            notice = client.get("/privacy").get_data(as_text=True)
            for html in (form, notice):
                assert ("and your email address, so that they can answer you" in html) is (
                    shows_email
                )
                assert ("Not your email address" in html) is not shows_email
            assert "Your address is never given to anyone" not in form


def test_every_email_links_the_privacy_notice_and_names_the_organiser(seeded, client, app, drain):
    rep = flow.representatives_of("IE")[0]
    flow.submit(client, "IE", [rep.id], flow.Details())
    drain()
    text = _text(_mails(app)[0])
    assert "http://campaign.example.org/privacy" in text and ORGANISER in text
    assert "/status/" in text  # the status link is mailed too


# -- after sending -----------------------------------------------------------------


def test_check_your_email_names_the_address_and_resends_once_in_a_while(seeded, client, app, drain):
    rep = flow.representatives_of("IE")[0]
    flow.submit(client, "IE", [rep.id], flow.Details(email="ales@example.org"))
    page = client.get("/check-your-email").get_data(as_text=True)
    assert "ales@example.org" in page
    drain()
    assert len(_mails(app)) == 1
    resent = client.post("/check-your-email/resend", data={"csrf_token": csrf_token(page)})
    assert resent.status_code == 200 and "We have sent the link again." in resent.get_data(
        as_text=True
    )
    drain()
    again = client.post("/check-your-email/resend", data={"csrf_token": csrf_token(page)})
    assert again.status_code == 429
    drain()
    mails = _mails(app)
    assert len(mails) == 2 and mails[0]["Subject"] == mails[1]["Subject"]
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 1


def test_a_browser_that_sent_nothing_sees_no_address(seeded, client):
    html = client.get("/check-your-email").get_data(as_text=True)
    assert "We have sent you a link." in html and "Send the link again" not in html


def test_confirming_thanks_once_and_reopening_the_link_leads_to_the_status(
    seeded, client, app, drain
):
    rep = flow.representatives_of("IE")[0]
    rep_name = rep.name
    flow.submit(client, "IE", [rep.id], flow.Details())
    drain()
    link = flow.confirmation_link(_mails(app)[0])
    confirmed = flow.confirm(client, link)
    status = confirmed.headers["Location"]
    first = client.get(status).get_data(as_text=True)
    assert "Thank you" in first and "What happens next" in first and "Link to share" in first
    assert "Thank you" not in client.get(status).get_data(as_text=True)
    reopened = client.get(link.split("campaign.example.org", 1)[1])
    # A fresh status link (its signature carries the time) to the same letters.
    assert reopened.status_code == 302 and reopened.headers["Location"].startswith("/status/")
    page = client.get(reopened.headers["Location"]).get_data(as_text=True)
    assert 'data-state="queued"' in page and rep_name in page


def test_a_copy_of_the_letters_only_on_request(seeded, client, app, drain):
    first, second = [r.id for r in flow.representatives_of("IE")][:2]
    flow.submit(client, "IE", [first], flow.Details(email="a@example.org"))
    page = flow.letters_page(client, "IE", [second]).get_data(as_text=True)
    assert 'name="copy"' in page and 'name="copy" type="checkbox" value="y">' in page  # unticked
    form = flow.Details(email="b@example.org").form(csrf_token(page), [second])
    form["copy"] = "y"
    client.post("/write/IE/letters", data=form)
    drain()
    for message in list(_mails(app)):
        flow.confirm(client, flow.confirmation_link(message))
    drain()
    copies = [m for m in _mails(app) if m["Subject"] == "A copy of your letters"]
    assert [m["To"].addresses[0].addr_spec for m in copies] == ["b@example.org"]
    letter = db.session.execute(db.select(Letter).filter_by(representative_id=second)).scalar_one()
    assert letter.body.strip() in _text(copies[0])


def test_the_status_page_explains_a_held_letter(seeded, client, app, drain):
    rep = flow.representatives_of("IE")[0]
    flow.submit(client, "IE", [rep.id], flow.Details())
    submission = db.session.execute(db.select(Submission)).scalar_one()
    submission.hold_reason = "many addresses from one network"
    db.session.commit()
    drain()
    status = flow.confirm(client, flow.confirmation_link(_mails(app)[0])).headers["Location"]
    assert db.session.execute(db.select(Letter.state)).scalar() == LetterState.HELD
    html = client.get(status).get_data(as_text=True)
    assert "checked by a member of our team before it goes out" in html
    assert "Before they go out, a member of our team checks them" in html


# -- one language per letter ------------------------------------------------------

RUSSIAN = "Мой двоюродный брат сидит в тюрьме с 2021 года, и мы очень ждём его дома."


def test_a_paragraph_in_another_language_is_asked_about_then_introduced(seeded, client):
    rep = next(r for r in flow.representatives_of("DE") if r.name == "Anna Beispiel")
    details = flow.Details(personal_paragraph=RUSSIAN, keep_language=False)
    asked = flow.submit(client, "DE", [rep.id], details)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Your paragraph seems to be in Russian" in html
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 0
    details.keep_language = True
    assert flow.submit(client, "DE", [rep.id], details).status_code == 302
    body = db.session.execute(db.select(Letter.body)).scalar_one()
    intro = "Den folgenden Absatz hat die absendende Person auf Russisch geschrieben:"
    assert f"\n\n{intro}\n{RUSSIAN}\n\n" in body


def test_a_paragraph_in_the_letters_language_is_not_questioned(seeded, client):
    rep = next(r for r in flow.representatives_of("DE") if r.name == "Anna Beispiel")
    german = "Mein Cousin ist seit 2021 in Haft, und seine Familie wartet jeden Tag auf ihn."
    details = flow.Details(personal_paragraph=german, keep_language=False)
    assert flow.submit(client, "DE", [rep.id], details).status_code == 302
    body = db.session.execute(db.select(Letter.body)).scalar_one()
    assert f"\n\n{german}\n\n" in body and "Absatz" not in body


def test_the_form_says_the_paragraph_goes_as_written_and_in_which_language(seeded, client):
    reps = flow.representatives_of("PL")
    html = flow.letters_page(client, "PL", [r.id for r in reps]).get_data(as_text=True)
    assert "It is sent exactly as you write it, in every letter." in html
    assert "Your letters are in: Polish." in html


def test_a_latin_name_signs_letters_in_latin_script_languages(seeded, client):
    rep = flow.representatives_of("PL")[0]
    details = flow.Details(name="Алесь Прыклад", name_latin="Ales Pryklad")
    assert flow.submit(client, "PL", [rep.id], details).status_code == 302
    body = db.session.execute(db.select(Letter.body)).scalar_one()
    assert "Ales Pryklad" in body and "Алесь" not in body


def test_a_latin_name_in_another_script_is_refused_at_the_field(seeded, client):
    rep = flow.representatives_of("PL")[0]
    details = flow.Details(name="Алесь Прыклад", name_latin="Алесь")
    response = flow.submit(client, "PL", [rep.id], details)
    assert response.status_code == 200
    assert 'id="name_latin-error"' in response.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 0


def _letter_count() -> int:
    return db.session.execute(db.select(db.func.count(Letter.id))).scalar()


def test_a_name_in_another_script_is_asked_for_in_latin_letters_once_not_required(seeded, client):
    rep = flow.representatives_of("PL")[0]
    details = flow.Details(name="Алесь Прыклад")
    asked = flow.submit(client, "PL", [rep.id], details)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and _letter_count() == 0
    assert 'id="name-latin-prompt"' in html and "Polish" in html
    assert 'name="name_latin_asked"' in html and 'value="1"' in html
    # Sending again without it: the letter is signed exactly as typed.
    token = csrf_token(html)
    form = {**details.form(token, [rep.id]), "name_latin_asked": "1"}
    assert client.post("/write/PL/letters", data=form).status_code == 302
    body = db.session.execute(db.select(Letter.body)).scalar_one()
    assert "\nАлесь Прыклад\n" in body


def test_the_latin_name_given_signs_exactly_as_typed(seeded, client):
    rep = flow.representatives_of("PL")[0]
    details = flow.Details(name="Алесь Прыклад", name_latin="Aleś Pryklad-Kowalski")
    assert flow.submit(client, "PL", [rep.id], details).status_code == 302
    body = db.session.execute(db.select(Letter.body)).scalar_one()
    assert "\nAleś Pryklad-Kowalski\n" in body and "Алесь" not in body


def test_no_latin_name_is_asked_of_a_latin_name_or_shown_on_a_preview_of_one(seeded, client):
    rep = flow.representatives_of("PL")[0]
    page = flow.letters_page(client, "PL", [rep.id])
    token = csrf_token(page.get_data(as_text=True))
    preview = client.post(
        "/write/PL/letters", data=flow.Details(name="Алесь").form(token, [rep.id], "preview")
    )
    assert 'id="name-latin-prompt"' in preview.get_data(as_text=True)
    latin = client.post(
        "/write/PL/letters", data=flow.Details(name="Aleś").form(token, [rep.id], "preview")
    )
    assert 'id="name-latin-prompt"' not in latin.get_data(as_text=True)
    assert flow.submit(client, "PL", [rep.id], flow.Details(name="Aleś")).status_code == 302


def test_a_belarusian_confirmation_has_a_belarusian_sender_and_one_full_stop(
    seeded, client, app, drain
):
    client.set_cookie("lang", "be")
    rep = flow.representatives_of("IE")[0]
    flow.submit(client, "IE", [rep.id], flow.Details())
    drain()
    message = _mails(app)[0]
    assert message["From"].addresses[0].display_name == "Час вызвалення — цяпер"
    text = _text(message)
    assert "г.." not in text and re.search(r"\d{4}\s?г\. ", text)


def test_a_forwarded_reply_names_its_sender_in_the_supporters_language(make_app):
    from campaign.seed import seed_demo

    from . import tracking_helpers as th

    app = make_app(INBOUND_DOMAIN=th.INBOUND_DOMAIN, INBOUND_SECRET=th.INBOUND_SECRET)
    with app.app_context():
        seed_demo()
        client = app.test_client()
        client.set_cookie("lang", "be")
        rep = flow.representatives_of("IE")[0]
        rep_name, rep_email = rep.name, rep.email
        flow.submit(client, "IE", [rep.id], flow.Details())
        th.drain()
        flow.confirm(client, flow.confirmation_link(th.outbox(app)[0]))
        th.drain()
        letter = db.session.execute(db.select(Letter)).scalar_one()
        answer = th.mail("talon_gmail.eml").replace(b"bob@example.com", rep_email.encode())
        inbound = th.post_inbound(client, th.parsed_mode(answer, [th.address_of(letter)]))
        assert inbound.status_code == 200
        th.drain()
        forward = th.outbox(app)[-1]
        assert forward["X-Campaign-Letter-Id"] is None and "Reply-To" in forward
        # Read as RFC 2047 says (adjacent encoded words join without a space), which
        # the email package's address parser does not do for long names.
        raw_from = dict(forward.raw_items())["From"]
        sender = str(make_header(decode_header(raw_from)))
        assert sender == f"{rep_name} праз Час вызвалення — цяпер <{app.config['MAIL_FROM']}>"


# -- representatives in the reader's language -----------------------------------------


def test_titles_and_body_names_in_the_readers_language_agree_with_gender(seeded, client):
    client.set_cookie("lang", "be")
    html = client.get("/write/PL").get_data(as_text=True)
    assert "Дэпутатка Zofia Przykład" in html and "Дэпутат Jan Testowy" in html
    assert "Еўрапейскі парламент" in html and "European Parliament" not in html
    assert "Сейм (дэма)" in html and "Poseł" not in html
    client.set_cookie("lang", "pl")
    html = client.get("/write/PL").get_data(as_text=True)
    assert "Posłanka Zofia Przykład" in html and "Poseł Jan Testowy" in html
    client.set_cookie("lang", "fr")
    html = client.get("/write/FR").get_data(as_text=True)
    assert "Membre du parlement Camille Exemple" in html  # gender not given: neutral
    assert "Député Louis Essai" in html


def test_a_ministry_is_named_in_the_readers_language_without_a_title(seeded, client):
    client.set_cookie("lang", "ru")
    html = client.get("/write/DE").get_data(as_text=True)
    assert "Федеральное министерство иностранных дел (демо)" in html
    assert "Minister" not in html


def test_organisers_name_a_body_in_other_languages(seeded, client):
    from campaign.models import Body

    from .organisers_support import log_in_as, token_of

    log_in_as(client)
    body = db.session.execute(db.select(Body).filter_by(name="Dáil Éireann (demo)")).scalar_one()
    url = f"/organise/bodies/{body.id}/names"
    refused = client.post(url, data={"csrf_token": token_of(client, url), "names": "xx Dáil"})
    assert refused.status_code == 422 and "line 1: write a language code" in refused.get_data(
        as_text=True
    )
    saved = client.post(
        url, data={"csrf_token": token_of(client, url), "names": "be: Дойл Эрэн (дэма)\n"}
    )
    assert saved.status_code == 302
    client.set_cookie("lang", "be")
    assert "Дойл Эрэн (дэма)" in client.get("/write/IE").get_data(as_text=True)
