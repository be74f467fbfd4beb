"""After writing: the confirmation page its emailed link opens, and the status page
of the letters (with its JSON for the page's script, and fresh links by email).
The token names the submission, and so its campaign: under /c/<slug>/ the slug must
be that campaign's; the site's first addresses serve any submission's link."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from campaign.core import limits, tokens
from campaign.core.blueprints.supporters import bp
from campaign.core.i18n import prefer_supporter_locale
from campaign.core.translated_form import TranslatedForm
from campaign.models import LetterState, Submission
from campaign.supporters import confirmation, privacy, status_links, submissions
from campaign.supporters.display import letter_label
from campaign.supporters.forms import ConfirmForm, honeypot_filled
from campaign.supporters.landing import belongs_to, campaign_route, here, not_open_page, share_url
from campaign.supporters.names import body_name


def _of_this_address(submission: Submission, slug: str | None) -> None:
    """Under /c/<slug>/, a link of another campaign's letters goes to the same page at
    that campaign's address (308 keeps a POST a POST): the token decides, and a
    campaign's short name may have changed since the link was mailed."""
    if slug is not None and submission.campaign.slug != slug:
        values = {**(request.view_args or {}), "slug": submission.campaign.slug}
        abort(redirect(url_for(request.endpoint, **values), 308))
    belongs_to(submission.campaign, slug)


def _submission_from(token: str, purpose: str, max_age: int | None):
    try:
        submission_id = tokens.read_token(purpose, token, max_age)
    except tokens.ExpiredToken:
        return None, "expired"
    except tokens.InvalidToken:
        abort(404, _("This link is not valid. Please check that you copied all of it."))
    submission = confirmation.with_letters(submission_id)
    # A supporter who deleted their data: their links show nothing of them.
    if submission is None or submission.supporter.anonymised_at is not None:
        abort(404, _("These letters no longer exist."))
    prefer_supporter_locale(submission.supporter.locale)
    return submission, None


@campaign_route("/confirm/<token>", methods=["GET", "POST"])
@limits.post_limits("confirm", limits.link_key)
def confirm(token: str, slug: str | None = None):
    max_age = current_app.config["CONFIRMATION_MAX_AGE_DAYS"] * 86400
    submission, problem = _submission_from(token, tokens.CONFIRM, max_age)
    if problem:
        return render_template("supporters/link_expired.html"), 410
    _of_this_address(submission, slug)
    form = ConfirmForm()
    status_token = status_links.status_token(submission.id)
    pending = any(
        letter.state == LetterState.AWAITING_CONFIRMATION for letter in submission.letters
    )
    if pending:
        # Letters already confirmed still go; a closed campaign confirms no more.
        refused = not_open_page(submission.campaign)
        if refused:
            return refused
    if request.method == "POST" and form.validate_on_submit():
        submissions.confirm(submission)
        # The letters' page shows a thank-you and what happens next, once.
        flash("confirmed", "thanks")
        return redirect(here(".status", token=status_token))
    if not pending and submission.confirmed_at:
        # Opened again after confirming: the letters' page says how they are doing.
        return redirect(here(".status", token=status_token))
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


@campaign_route("/status/<token>")
def status(token: str, slug: str | None = None):
    submission, answer = _status_submission(token)
    if answer:
        return answer
    _of_this_address(submission, slug)
    return render_template(
        "supporters/status.html",
        submission=submission,
        campaign=submission.campaign,
        token=token,
        letters=_letter_states(submission),
        share_url=share_url(submission.campaign),
        data_link_form=TranslatedForm(),
    )


@campaign_route("/status/<token>/data-link", methods=["POST"])
def status_data_link(token: str, slug: str | None = None):
    """Mail the supporter a link to their data: the status page never carries one."""
    submission, answer = _status_submission(token)
    if answer:
        return answer
    _of_this_address(submission, slug)
    if not TranslatedForm().validate_on_submit():
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
    from campaign.supporters.data import DataRequestForm

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
            "label": letter_label(letter),
            "settled": letter.state in SETTLED,
        }
        for letter in submission.letters
    ]


@campaign_route("/status/<token>.json")
def status_json(token: str, slug: str | None = None):
    """The status page's letters, for its script to poll."""
    try:
        submission = status_links.read_status_link(token)
    except tokens.ExpiredToken:
        return jsonify(error=_("This link has expired.")), 410
    except tokens.InvalidToken:
        return jsonify(error=_("This link is not valid.")), 404
    except status_links.SupporterGone:
        return jsonify(error=_("These letters no longer exist.")), 404
    _of_this_address(submission, slug)
    prefer_supporter_locale(submission.supporter.locale)
    letters = _letter_states(submission)
    response = jsonify(letters=letters, settled=all(letter["settled"] for letter in letters))
    response.headers["Cache-Control"] = "no-store"
    response.vary.update(("Accept-Language", "Cookie"))
    return response
