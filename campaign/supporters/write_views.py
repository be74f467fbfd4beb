"""Writing: a country's representatives, then the letters step (the previews, the
supporter's details and the sending), in the page's campaign."""

from __future__ import annotations

import secrets

from babel import Locale
from flask import abort, g, redirect, render_template, request, session
from flask_babel import get_locale
from flask_babel import gettext as _

from campaign.core import limits
from campaign.core.i18n import current_language, language_name
from campaign.core.record_ids import record_id
from campaign.delivery import address_holds
from campaign.letters import compose, digests, letter_language, residence
from campaign.partners import consent
from campaign.people import directory, places
from campaign.supporters import (
    abuse,
    embedded_form,
    latin_name,
    own_words_form,
    partner_pages,
    submissions,
)
from campaign.supporters.display import country_name, country_sort_key
from campaign.supporters.forms import city_given, honeypot_filled
from campaign.supporters.landing import campaign_route, current_campaign, here, not_open_page

PLACEHOLDER_SUPPORTER = {"name": "", "city": "", "personal_paragraph": ""}
# The session key holding the number of the submission just made (see after_sending).
SUBMITTED = "submitted"


@campaign_route("/write/<country>", via=True, embed=True)
def choose_representatives(country: str, slug: str | None = None):
    campaign = current_campaign()
    refused = not_open_page(campaign)
    if refused:
        return refused
    country = country.upper()
    if country not in directory.countries_with_representatives():
        abort(404, _("We have no representatives for this country yet."))
    query = request.args.get("q", "")[:100]
    groups = directory.representatives_for(country, query)
    unavailable = address_holds.blocked(r.id for g in groups for r in g.representatives)
    return render_template(
        "supporters/representatives.html",
        campaign=campaign,
        country=country,
        groups=groups,
        unavailable=unavailable,
        query=query,
        error=request.args.get("error"),
        select_all=request.args.get("all") == "1",
    )


def _previews(campaign, representatives, supporter_vars, seed=""):
    """(representative, the letter as sent, a reading copy in the supporter's language
    or None) for each representative with a letter."""
    reader = current_language()
    published = compose.PublishedLetters(campaign)
    published.load(representatives, None, reader)
    previews = []
    for rep in representatives:
        try:
            letter = compose.render_letter(
                campaign, rep, supporter_vars, published=published, seed=seed
            )
        except (compose.NoTemplate, compose.RenderError):
            # No letter, or one compose refuses (listed to organisers): none offered.
            continue
        reading_copy = None
        if letter.language != reader:
            try:
                reading_copy = compose.render_letter(
                    campaign,
                    rep,
                    supporter_vars,
                    language=reader,
                    published=published,
                    draw=letter.draw,
                )
            except (compose.NoTemplate, compose.RenderError):
                pass
        previews.append((rep, letter, reading_copy))
    return previews


# Babel's territories include regions and codes for no country at all.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"})


def _residence_choices() -> list[tuple[str, str]]:
    codes = [
        code
        for code in Locale.parse(str(get_locale())).territories
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    ]
    return [("", _("I would rather not say"))] + [
        (code, country_name(code)) for code in sorted(codes, key=country_sort_key)
    ]


def _constituency_choices(places) -> list[tuple[str, str]]:
    several = len(places) > 1
    return [("", _("None of these, or I would rather not say"))] + [
        (f"{body.id}:{name}", f"{name} ({body.name})" if several else name)
        for body, names in places
        for name in names
    ]


def _found_constituency(form, lookup_bodies) -> bool:
    """Fill the constituency from the postcode or place typed, where the bodies'
    tables know it; with several, offer only those and ask. False after marking a
    field that needs the supporter's choice."""
    typed = (form.place.data or "").strip()
    if not typed or form.constituency.data or not lookup_bodies:
        return True
    found = [
        f"{body_id}:{name}" for body_id, name in places.constituencies_at(typed, lookup_bodies)
    ]
    if len(found) == 1:
        form.constituency.data = found[0]
        return True
    if found:
        form.constituency.choices = [c for c in form.constituency.choices if c[0] in {"", *found}]
        message = _("This postcode or place lies in several constituencies: please choose yours.")
        form.constituency.errors = [*form.constituency.errors, message]
    else:
        message = _("We do not know this postcode or place: please choose your constituency.")
        form.place.errors = [*form.place.errors, message]
    return False


def _stated_residence(form, country: str) -> residence.Residence | None:
    """Where the supporter said they live, or None after marking the field that
    contradicts itself. A constituency states the country it lies in."""
    home = residence.Residence(country=form.residence.data or "")
    if not form.constituency.data:
        return home
    body_id, _sep, name = form.constituency.data.partition(":")
    if home.country and home.country != country:
        form.constituency.errors = [
            *form.constituency.errors,
            _("This constituency is not in the country you said you live in."),
        ]
        return None
    return residence.Residence(country=country, body_id=int(body_id), constituency=name)


def _language_prompt(campaign, representatives, paragraph_language: str | None) -> str | None:
    """What to ask when the paragraph's language differs from a letter's, else None."""
    if not paragraph_language:
        return None
    if set(compose.letter_languages(campaign, representatives)) <= {paragraph_language}:
        return None
    return _(
        "Your paragraph seems to be in %(language)s, and not every letter is. It is sent "
        "exactly as you wrote it. Rewrite it in the letters' language, or keep it: each "
        "letter then says, in its own language, that your paragraph is in %(language)s.",
        language=language_name(paragraph_language),
    )


def _selected_ids(values) -> list[int]:
    ids = (record_id(value) for value in values)
    return [i for i in ids if i is not None][:500]


@campaign_route("/write/<country>/letters", methods=["GET", "POST"], via=True, embed=True)
@limits.post_limits("letters", limits.email_key, limits.sends_letters)
def write_letters(country: str, slug: str | None = None):
    campaign = current_campaign()
    refused = not_open_page(campaign)
    if refused:
        return refused
    country = country.upper()
    partner, framed = partner_pages.page_partner(), partner_pages.embedded()
    # In a partner's frame there is no session: the form token stands in for CSRF.
    form = own_words_form.letter_form(campaign, csrf=not framed)
    expired = None
    if framed and request.method == "POST":
        refusal, expired = embedded_form.check_post(partner, campaign)
        if refusal:
            return refusal
    consent_text = consent.wording(partner) if partner and partner.offers_consent else None
    if consent_text:
        form.partner_consent.label.text = consent_text
    ids = _selected_ids(
        request.form.getlist("representatives")
        if request.method == "POST"
        else request.args.getlist("rep")
    )
    representatives = submissions.selectable_representatives(campaign, ids)
    if not representatives:
        return redirect(here(".choose_representatives", country=country, error="none"))
    form.representatives.data = [str(r.id) for r in representatives]
    form.residence.choices = _residence_choices()
    constituencies = directory.constituencies(
        list(dict.fromkeys(r.body for r in representatives)), country
    )
    form.constituency.choices = _constituency_choices(constituencies)
    lookup_bodies = places.bodies_with_places([body for body, _names in constituencies])
    # A language switch on the posted page comes back to these letters.
    g.language_switch_args = {"rep": form.representatives.data}

    supporter_vars = PLACEHOLDER_SUPPORTER
    language_prompt = latin_prompt = None
    # The letters' versions the page posted was previewed from (None: no record).
    previewed = None
    text_changed = False
    if request.method == "POST":
        previewed = submissions.parse_previewed(form.previewed_versions.data)
        valid = form.validate()
        own_words_form.take_answers(form)
        home = None
        found = _found_constituency(form, lookup_bodies)
        if found and not (form.residence.errors or form.constituency.errors):
            home = _stated_residence(form, country)
        paragraph_language = letter_language.detect(form.personal_paragraph.data or "")
        language_prompt = _language_prompt(campaign, representatives, paragraph_language)
        supporter_vars = {
            "name": form.name.data or "",
            "name_latin": form.name_latin.data or "",
            "city": form.city.data or "",
            "personal_paragraph": form.personal_paragraph.data or "",
            "residence": home,
            "paragraph_language": paragraph_language,
        }
        if language_prompt and "send" in request.form and not form.keep_language.data:
            form.personal_paragraph.errors = [*form.personal_paragraph.errors, language_prompt]
            valid = False
        latin_prompt = latin_name.prompt(
            form.name.data,
            form.name_latin.data,
            compose.letter_languages(campaign, representatives),
        )
        if latin_prompt and "send" in request.form and not form.name_latin_asked.data:
            valid = False  # asked once: sending again goes ahead with the name as typed
        if "send" in request.form and honeypot_filled(form):
            # A robot: it sees the usual page and nothing is stored.
            if framed:
                return embedded_form.sent_page(campaign, None)
            return redirect(here(".check_email"))
        if expired and "send" in request.form:
            form.representatives.errors = [*form.representatives.errors, str(expired.message)]
            valid = False
        if "send" in request.form and valid and home and city_given(form, representatives):
            used = embedded_form.use_token(partner, campaign) if framed else None
            if used:
                return used
            details = submissions.SupporterDetails(
                name=form.name.data.strip(),
                email=form.email.data.strip(),
                city=(form.city.data or "").strip(),
                personal_paragraph=form.personal_paragraph.data or "",
                locale=str(get_locale()),
                residence=home,
                wants_copy=bool(form.copy.data),
                name_latin=(form.name_latin.data or "").strip(),
                paragraph_language=paragraph_language,
                draw_seed=form.draw.data or "",
            )
            try:
                origin = abuse.origin_of(request.remote_addr)
                submission = submissions.submit(
                    campaign,
                    representatives,
                    details,
                    origin,
                    partner=partner,
                    consent_wording=consent_text if form.partner_consent.data else None,
                    previewed=previewed,
                )
            except submissions.TextChanged:
                text_changed = True
            except submissions.CopiedParagraph as exc:
                own_words_form.refuse_copy(form, str(exc))
            except submissions.SubmissionError as exc:
                form.representatives.errors = [str(exc)]
            else:
                if framed:
                    return embedded_form.sent_page(campaign, submission)
                # Only its number, in the signed session: the next page names the
                # address and can resend the link, and no URL carries either.
                session[SUBMITTED] = submission.id
                return redirect(here(".check_email"))
        elif "send" not in request.form:
            # A preview is not a sending: nothing is marked wrong yet.
            form.form_errors = []
            for each in form:
                if each.name not in ("place", "constituency"):  # the lookup's answer stays
                    each.errors = []
    if not form.draw.data or form.draw.errors:
        form.draw.data = secrets.token_hex(16)
    previews = _previews(campaign, representatives, supporter_vars, form.draw.data)
    shown = [(rep, letter) for rep, letter, _copy in previews]
    if previewed is not None:
        # A representative no longer offered (an address on hold) changes no text.
        offered = {r.id for r in representatives}
        earlier = {rep: version for rep, version in previewed.items() if rep in offered}
        text_changed |= earlier != {rep.id: letter.version.id for rep, letter in shown}
    form.previewed_versions.data = submissions.previewed_versions(shown)
    return render_template(
        "supporters/letters.html",
        campaign=campaign,
        country=country,
        form=form,
        previews=previews,
        # The seed of the versions drawn, only when a letter has versions.
        varied=any(any(letter.draw.values()) for _rep, letter, _copy in previews),
        # The entry a letter will have in its representative's daily digest, if any.
        digest_entry=lambda rep, letter: digests.entry_for(campaign, rep, letter),
        letter_languages=", ".join(
            sorted({language_name(letter.language) for _rep, letter, _copy in previews})
        ),
        language_prompt=language_prompt,
        latin_prompt=latin_prompt,
        text_changed=text_changed,
        place_lookup=bool(lookup_bodies),
        city_required=any(r.body.requires_city for r in representatives),
        consent_offered=bool(consent_text),
        form_token=embedded_form.new_token(partner, campaign) if framed else None,
    ), (400 if expired and "send" in request.form else 200)
