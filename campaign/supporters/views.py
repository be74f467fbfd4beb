"""The supporter's path: country → representatives → preview and details →
confirmation link → status."""

from __future__ import annotations

import unicodedata
from types import SimpleNamespace

from babel import Locale
from flask import (
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError

from .. import limits
from ..i18n import current_language, language_name, prefer_supporter_locale
from ..models import LetterState, Submission
from ..services import (
    abuse,
    address_holds,
    compose,
    directory,
    letter_language,
    places,
    privacy,
    public_counts,
    residence,
    status_links,
    submissions,
    tokens,
)
from ..services.urls import public_url
from . import bp, latin_name
from .forms import ConfirmForm, LetterForm, city_given, honeypot_filled
from .names import body_name

PLACEHOLDER_SUPPORTER = {"name": "", "city": "", "personal_paragraph": ""}
# The session key holding the number of the submission just made (see after_sending).
SUBMITTED = "submitted"


def current_campaign():
    campaign = directory.default_campaign(current_app.config.get("CAMPAIGN_SLUG"))
    if campaign is None:
        abort(404, _("No campaign has been set up yet."))
    return campaign


def country_name(code: str) -> str:
    locale = Locale.parse(str(get_locale()))
    return locale.territories.get(code, code)


# Letters that code-point order puts far from where their alphabets do (Belarusian І
# and Ў, Ukrainian Є, І, Ї and Ґ, Polish Ł); accents are compared after the letter.
_ALPHABET_PLACE = str.maketrans(
    dict(zip("ІіЇїЎўЄєҐґЁёŁł", "И~ и~ И~~ и~~ У~ у~ Е~ е~ Г~ г~ Е~ е~ L~ l~".split(), strict=True))
)


def country_sort_key(code: str) -> tuple[str, str]:
    """Sort countries by name as a reader of the interface language expects."""
    name = country_name(code)
    base = unicodedata.normalize("NFD", name.translate(_ALPHABET_PLACE))
    return ("".join(c for c in base if not unicodedata.combining(c)).casefold(), name)


STATE_LABELS = {
    "awaiting_confirmation": _l("waiting for your confirmation"),
    "held": _l("waiting for review"),
    "queued": _l("queued"),
    "held_address": _l("waiting: address being checked"),
    "sending": _l("being sent"),
    "sent": _l("sent"),
    "delivered": _l("delivered"),
    "bounced": _l("could not be delivered"),
    "replied": _l("replied"),
    "failed": _l("could not be sent"),
    "cancelled": _l("cancelled"),
    "expired": _l("expired"),
    "rejected": _l("not sent"),
}


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


def campaign_title(campaign) -> str:
    """The campaign's title, translated when it is the appeal's own title."""
    return _(campaign.title)


def site_campaign():
    """Who runs the site (the campaign's organiser fields), for every page's and
    mail's footer; None before a campaign is set up, or when the database cannot
    say (the page still shows). A copy, not the row: a worker renders many mails
    in one app context, each job with a fresh session."""
    # Cached in the request's environ, not in g: an app context (a worker's, or a
    # test's) can outlive many requests.
    cache = request.environ if has_request_context() else {}
    if "campaign.site_campaign" in cache:
        return cache["campaign.site_campaign"]
    try:
        campaign = directory.default_campaign(current_app.config.get("CAMPAIGN_SLUG"))
    except SQLAlchemyError:
        campaign = None
    found = None
    if campaign is not None:
        found = SimpleNamespace(
            organiser_name=campaign.organiser_name,
            organiser_address=campaign.organiser_address,
            organiser_email=campaign.organiser_email,
            organiser_website=campaign.organiser_website,
        )
    cache["campaign.site_campaign"] = found
    return found


@bp.app_template_filter("date_before_stop")
def date_before_stop(value) -> str:
    """A long date (Babel) for a sentence that ends right after it: without the
    date's own final abbreviation point ("11 снежня 2026 г."), which the sentence's
    full stop then gives back, instead of doubling it."""
    return format_date(value, "long").removesuffix(".")


@bp.app_context_processor
def inject_helpers():
    return {
        "country_name": country_name,
        "state_label": state_label,
        "campaign_title": campaign_title,
        "site_campaign": site_campaign,
        "privacy_url": lambda: public_url("supporters.privacy"),
        "representative_sees_text": representative_sees(),
    }


def representative_sees() -> str:
    """One statement of what the representative sees, wherever it is said: it follows
    from services.delivery.letter_message (replies come through a reply address of
    the letter when INBOUND_DOMAIN is set, else straight to the supporter)."""
    if current_app.config.get("INBOUND_DOMAIN"):
        return _(
            "The representative sees your name, the letter and the city if you give one. "
            "Not your email address: their reply comes to a reply address of the letter "
            "and we forward it to you."
        )
    return _(
        "The representative sees your name, the letter, the city if you give one, and "
        "your email address, so that they can answer you."
    )


@bp.get("/")
def index():
    campaign = current_campaign()
    countries = directory.countries_with_representatives()
    return render_template(
        "supporters/index.html",
        campaign=campaign,
        figures=compose.figures_for(campaign, str(get_locale())),
        countries=sorted(countries, key=country_sort_key),
        counts=public_counts.public_counts(campaign),
    )


@bp.get("/write")
def choose_country():
    country = (request.args.get("country") or "").upper()
    if country in directory.countries_with_representatives():
        return redirect(url_for(".choose_representatives", country=country))
    return redirect(url_for(".index", _anchor="write"))


@bp.get("/write/<country>")
def choose_representatives(country: str):
    campaign = current_campaign()
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


def _previews(campaign, representatives, supporter_vars):
    """(representative, the letter as sent, a reading copy in the supporter's language
    or None) for each representative with a letter."""
    reader = current_language()
    published = compose.PublishedLetters(campaign)
    published.load(representatives, None, reader)
    previews = []
    for rep in representatives:
        try:
            letter = compose.render_letter(campaign, rep, supporter_vars, published=published)
        except (compose.NoTemplate, compose.RenderError):
            # No letter, or one compose refuses (listed to organisers): none offered.
            continue
        reading_copy = None
        if letter.language != reader:
            try:
                reading_copy = compose.render_letter(
                    campaign, rep, supporter_vars, language=reader, published=published
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
    # ASCII digits only ("²".isdigit() is true), and no id wider than a database integer.
    return [int(v) for v in map(str, values) if v.isascii() and v.isdigit() and len(v) <= 18][:500]


@bp.route("/write/<country>/letters", methods=["GET", "POST"])
@limits.post_limits("letters", limits.email_key, limits.sends_letters)
def write_letters(country: str):
    campaign = current_campaign()
    country = country.upper()
    form = LetterForm()
    ids = _selected_ids(
        request.form.getlist("representatives")
        if request.method == "POST"
        else request.args.getlist("rep")
    )
    representatives = submissions.selectable_representatives(campaign, ids)
    if not representatives:
        return redirect(url_for(".choose_representatives", country=country, error="none"))
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
    if request.method == "POST":
        valid = form.validate()
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
            return redirect(url_for(".check_email"))
        if "send" in request.form and valid and home and city_given(form, representatives):
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
            )
            try:
                origin = abuse.origin_of(request.remote_addr)
                submission = submissions.submit(campaign, representatives, details, origin)
            except submissions.SubmissionError as exc:
                form.representatives.errors = [str(exc)]
            else:
                # Only its number, in the signed session: the next page names the
                # address and can resend the link, and no URL carries either.
                session[SUBMITTED] = submission.id
                return redirect(url_for(".check_email"))
        elif "send" not in request.form:
            # A preview is not a sending: nothing is marked wrong yet.
            form.form_errors = []
            for each in form:
                if each.name not in ("place", "constituency"):  # the lookup's answer stays
                    each.errors = []
    previews = _previews(campaign, representatives, supporter_vars)
    return render_template(
        "supporters/letters.html",
        campaign=campaign,
        country=country,
        form=form,
        previews=previews,
        letter_languages=", ".join(
            sorted({language_name(letter.language) for _rep, letter, _copy in previews})
        ),
        language_prompt=language_prompt,
        latin_prompt=latin_prompt,
        place_lookup=bool(lookup_bodies),
        city_required=any(r.body.requires_city for r in representatives),
    )


# What the privacy notice names as the service that carries mail.
MAIL_SERVICES = {"sendgrid": "SendGrid (Twilio Inc.)", "smtp": "SMTP"}


@bp.get("/privacy", endpoint="privacy")
def privacy_notice():
    backend = current_app.config["MAIL_BACKEND"]
    return render_template(
        "supporters/privacy.html",
        campaign=current_campaign(),
        mail_service=MAIL_SERVICES.get(backend, backend),
    )


def _submission_from(token: str, purpose: str, max_age: int | None):
    try:
        submission_id = tokens.read_token(purpose, token, max_age)
    except tokens.ExpiredToken:
        return None, "expired"
    except tokens.InvalidToken:
        abort(404, _("This link is not valid. Please check that you copied all of it."))
    submission = submissions.with_letters(submission_id)
    # A supporter who deleted their data: their links show nothing of them.
    if submission is None or submission.supporter.anonymised_at is not None:
        abort(404, _("These letters no longer exist."))
    prefer_supporter_locale(submission.supporter.locale)
    return submission, None


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@limits.post_limits("confirm", limits.link_key)
def confirm(token: str):
    max_age = current_app.config["CONFIRMATION_MAX_AGE_DAYS"] * 86400
    submission, problem = _submission_from(token, tokens.CONFIRM, max_age)
    if problem:
        return render_template("supporters/link_expired.html"), 410
    form = ConfirmForm()
    status_token = status_links.status_token(submission.id)
    pending = any(
        letter.state == LetterState.AWAITING_CONFIRMATION for letter in submission.letters
    )
    if request.method == "POST" and form.validate_on_submit():
        submissions.confirm(submission)
        # The letters' page shows a thank-you and what happens next, once.
        flash("confirmed", "thanks")
        return redirect(url_for(".status", token=status_token))
    if not pending and submission.confirmed_at:
        # Opened again after confirming: the letters' page says how they are doing.
        return redirect(url_for(".status", token=status_token))
    return render_template(
        "supporters/confirm.html", submission=submission, form=form, campaign=submission.campaign
    )


def _status_submission(token: str):
    """The submission of a working status link, or the page to answer instead."""
    try:
        submission = status_links.read_status_link(token)
    except tokens.ExpiredToken:
        return None, (render_template("supporters/status_expired.html"), 410)
    except tokens.InvalidToken:
        abort(404, _("This link is not valid. Please check that you copied all of it."))
    except status_links.SupporterGone:
        abort(404, _("These letters no longer exist."))
    prefer_supporter_locale(submission.supporter.locale)
    return submission, None


@bp.get("/status/<token>")
def status(token: str):
    submission, answer = _status_submission(token)
    if answer:
        return answer
    return render_template(
        "supporters/status.html",
        submission=submission,
        campaign=submission.campaign,
        token=token,
        letters=_letter_states(submission),
        share_url=public_url("supporters.index"),
        data_link_form=FlaskForm(),
    )


@bp.post("/status/<token>/data-link")
def status_data_link(token: str):
    """Mail the supporter a link to their data: the status page never carries one."""
    submission, answer = _status_submission(token)
    if answer:
        return answer
    if not FlaskForm().validate_on_submit():
        abort(400)
    privacy.send_data_link_later(submission.supporter_id)
    return render_template(
        "supporters/data_request_sent.html",
        hours=current_app.config["DATA_LINK_MAX_AGE_HOURS"],
        known=True,
    )


@bp.route("/status", methods=["GET", "POST"])
@limits.post_limits("data_request", limits.email_key, limits.has_email)
def status_request():
    """Ask for fresh links to the status pages, by email."""
    from .data import DataRequestForm

    form = DataRequestForm()
    if request.method == "POST" and honeypot_filled(form):
        return redirect(url_for(".status_request_sent"))
    if form.validate_on_submit():
        status_links.request_status_links(form.email.data)
        return redirect(url_for(".status_request_sent"))
    return render_template("supporters/status_request.html", form=form)


@bp.get("/status/sent")
def status_request_sent():
    return render_template(
        "supporters/status_request_sent.html",
        days=current_app.config["STATUS_LINK_MAX_AGE_DAYS"],
    )


# Until a letter reaches one of these, its state changes within minutes.
SETTLED = frozenset(
    {LetterState.SENT, LetterState.DELIVERED, LetterState.REPLIED}
    | {LetterState.BOUNCED, LetterState.FAILED, LetterState.CANCELLED}
    | {LetterState.EXPIRED, LetterState.REJECTED}
)


def _letter_states(submission: Submission) -> list[dict]:
    """Only what the status page shows: nobody's address, nobody's text."""
    return [
        {
            "representative": letter.representative.name,
            "body": body_name(letter.representative.body),
            "state": letter.state,
            "label": state_label(letter.state),
            "settled": letter.state in SETTLED,
        }
        for letter in submission.letters
    ]


@bp.get("/status/<token>.json")
def status_json(token: str):
    """The status page's letters, for its script to poll."""
    try:
        submission = status_links.read_status_link(token)
    except tokens.ExpiredToken:
        return jsonify(error=_("This link has expired.")), 410
    except tokens.InvalidToken:
        return jsonify(error=_("This link is not valid.")), 404
    except status_links.SupporterGone:
        return jsonify(error=_("These letters no longer exist.")), 404
    prefer_supporter_locale(submission.supporter.locale)
    letters = _letter_states(submission)
    response = jsonify(letters=letters, settled=all(letter["settled"] for letter in letters))
    response.headers["Cache-Control"] = "no-store"
    response.vary.update(("Accept-Language", "Cookie"))
    return response
