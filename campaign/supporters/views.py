"""The supporter's path: country → representatives → preview and details →
confirmation link → status."""

from __future__ import annotations

from babel import Locale
from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import Submission
from ..services import compose, directory, submissions, tokens
from . import bp
from .forms import ConfirmForm, LetterForm

PLACEHOLDER_SUPPORTER = {"name": "", "city": "", "personal_paragraph": ""}


def current_campaign():
    campaign = directory.default_campaign(current_app.config.get("CAMPAIGN_SLUG"))
    if campaign is None:
        abort(404, "No campaign has been set up yet.")
    return campaign


def country_name(code: str) -> str:
    locale = Locale.parse(str(get_locale()))
    return locale.territories.get(code, code)


STATE_LABELS = {
    "awaiting_confirmation": _l("waiting for your confirmation"),
    "held": _l("waiting for review"),
    "queued": _l("queued"),
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


@bp.app_context_processor
def inject_helpers():
    return {"country_name": country_name, "state_label": state_label}


@bp.get("/")
def index():
    campaign = current_campaign()
    countries = directory.countries_with_representatives()
    return render_template(
        "supporters/index.html",
        campaign=campaign,
        figures=compose.figures_for(campaign, str(get_locale())),
        countries=sorted(countries, key=country_name),
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
        abort(404, "We have no representatives for this country yet.")
    query = request.args.get("q", "")[:100]
    groups = directory.representatives_for(country, query)
    return render_template(
        "supporters/representatives.html",
        campaign=campaign,
        country=country,
        groups=groups,
        query=query,
        error=request.args.get("error"),
        select_all=request.args.get("all") == "1",
    )


def _previews(campaign, representatives, supporter_vars):
    previews = []
    for rep in representatives:
        try:
            previews.append((rep, compose.render_letter(campaign, rep, supporter_vars)))
        except compose.NoTemplate:
            continue
    return previews


def _selected_ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()][:500]


@bp.route("/write/<country>/letters", methods=["GET", "POST"])
def write_letters(country: str):
    campaign = current_campaign()
    country = country.upper()
    form = LetterForm()
    ids = _selected_ids(
        request.form.getlist("representatives") if request.method == "POST" else request.args.getlist("rep")
    )
    representatives = submissions.selectable_representatives(campaign, ids)
    if not representatives:
        return redirect(url_for(".choose_representatives", country=country, error="none"))
    form.representatives.data = [str(r.id) for r in representatives]

    supporter_vars = PLACEHOLDER_SUPPORTER
    if request.method == "POST":
        supporter_vars = {
            "name": form.name.data or "",
            "city": form.city.data or "",
            "personal_paragraph": form.personal_paragraph.data or "",
        }
        if "send" in request.form and form.validate():
            details = submissions.SupporterDetails(
                name=form.name.data.strip(),
                email=form.email.data.strip(),
                city=(form.city.data or "").strip(),
                personal_paragraph=form.personal_paragraph.data or "",
                locale=str(get_locale()),
            )
            try:
                submissions.submit(campaign, [r.id for r in representatives], details)
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
        abort(404, "This link is not valid. Please check that you copied all of it.")
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        abort(404, "These letters no longer exist.")
    return submission, None


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    max_age = current_app.config["CONFIRMATION_MAX_AGE_DAYS"] * 86400
    submission, problem = _submission_from(token, tokens.CONFIRM, max_age)
    if problem:
        return render_template("supporters/link_expired.html"), 410
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        submissions.confirm(submission)
        status_token = tokens.make_token(tokens.STATUS, submission.id)
        return redirect(url_for(".status", token=status_token))
    return render_template(
        "supporters/confirm.html", submission=submission, form=form, campaign=submission.campaign
    )


@bp.get("/status/<token>")
def status(token: str):
    submission, _ = _submission_from(token, tokens.STATUS, None)
    return render_template(
        "supporters/status.html", submission=submission, campaign=submission.campaign
    )
