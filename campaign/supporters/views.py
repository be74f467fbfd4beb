"""The supporter's path: country → representatives → preview and details →
confirmation link → status."""

from __future__ import annotations

import unicodedata

from babel import Locale
from flask import abort, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from .. import limits
from ..i18n import current_language, prefer_supporter_locale
from ..models import LetterState, Submission
from ..services import (
    abuse,
    address_holds,
    compose,
    directory,
    privacy,
    public_counts,
    status_links,
    submissions,
    tokens,
)
from ..services.urls import public_url
from . import bp
from .forms import ConfirmForm, LetterForm, city_given, honeypot_filled

PLACEHOLDER_SUPPORTER = {"name": "", "city": "", "personal_paragraph": ""}


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


@bp.app_context_processor
def inject_helpers():
    return {
        "country_name": country_name,
        "state_label": state_label,
        "campaign_title": campaign_title,
    }


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
    # A language switch on the posted page comes back to these letters.
    g.language_switch_args = {"rep": form.representatives.data}

    supporter_vars = PLACEHOLDER_SUPPORTER
    if request.method == "POST":
        supporter_vars = {
            "name": form.name.data or "",
            "city": form.city.data or "",
            "personal_paragraph": form.personal_paragraph.data or "",
        }
        if "send" in request.form and honeypot_filled(form):
            # A robot: it sees the usual page and nothing is stored.
            return redirect(url_for(".check_email"))
        if "send" in request.form and form.validate() and city_given(form, representatives):
            details = submissions.SupporterDetails(
                name=form.name.data.strip(),
                email=form.email.data.strip(),
                city=(form.city.data or "").strip(),
                personal_paragraph=form.personal_paragraph.data or "",
                locale=str(get_locale()),
            )
            try:
                origin = abuse.origin_of(request.remote_addr)
                submissions.submit(campaign, representatives, details, origin)
            except submissions.SubmissionError as exc:
                form.representatives.errors = [str(exc)]
            else:
                return redirect(url_for(".check_email"))
        elif "send" not in request.form:
            form.form_errors = []
    return render_template(
        "supporters/letters.html",
        campaign=campaign,
        country=country,
        form=form,
        previews=_previews(campaign, representatives, supporter_vars),
        city_required=any(r.body.requires_city for r in representatives),
    )


@bp.get("/check-your-email")
def check_email():
    return render_template("supporters/check_email.html", campaign=current_campaign())


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
    if request.method == "POST" and form.validate_on_submit():
        submission_id = submission.id  # read before the commit expires it
        submissions.confirm(submission)
        return redirect(url_for(".status", token=status_links.status_token(submission_id)))
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
            "body": letter.representative.body.name,
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
