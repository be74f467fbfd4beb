"""A supporter's own data: ask for a link by email, then download or delete it.

The request form never reveals whether an address is known. The page behind the
link changes nothing when opened (mail scanners open links); its buttons POST."""

from __future__ import annotations

import json

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import DataRequired, Email, Length

from campaign.core import limits, tokens
from campaign.core.blueprints.supporters import bp
from campaign.core.extensions import db
from campaign.core.i18n import prefer_supporter_locale
from campaign.core.translated_form import TranslatedForm
from campaign.models import Supporter
from campaign.partners import consent
from campaign.supporters import privacy
from campaign.supporters.forms import honeypot_filled


class DataRequestForm(TranslatedForm):
    email = EmailField(
        _l("Your email address"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired(_l("Please enter the email address you wrote with.")),
            Length(max=254, message=_l("Field cannot be longer than %(max)d characters.")),
            Email(_l("This does not look like an email address."), check_deliverability=False),
        ],
    )
    website = StringField(_l("Leave this field empty"))


class DownloadForm(TranslatedForm):
    """Only the button."""


class DeleteForm(TranslatedForm):
    sure = BooleanField(
        _l("I understand: letters not yet sent are cancelled, and this cannot be undone."),
        validators=[DataRequired(_l("Please tick this box to delete your data."))],
    )


def _supporter_from(token: str) -> Supporter:
    max_age = current_app.config["DATA_LINK_MAX_AGE_HOURS"] * 3600
    try:
        supporter_id = tokens.read_token(tokens.SUPPORTER_DATA, token, max_age)
    except tokens.ExpiredToken:
        abort(410, _("This link has expired. Please ask for a new one."))
    except tokens.InvalidToken:
        abort(404, _("This link is not valid. Please check that you copied all of it."))
    supporter = db.session.get(Supporter, supporter_id)
    if supporter is None:
        abort(404, _("This link is not valid. Please check that you copied all of it."))
    prefer_supporter_locale(supporter.locale)
    return supporter


@bp.route("/your-data", methods=["GET", "POST"])
@limits.post_limits("data_request", limits.email_key, limits.has_email)
def data_request():
    form = DataRequestForm()
    if request.method == "POST" and honeypot_filled(form):
        return redirect(url_for(".data_request_sent"))
    if form.validate_on_submit():
        privacy.request_data_link(form.email.data)
        return redirect(url_for(".data_request_sent"))
    return render_template("supporters/data_request.html", form=form)


@bp.get("/your-data/sent")
def data_request_sent():
    return render_template(
        "supporters/data_request_sent.html", hours=current_app.config["DATA_LINK_MAX_AGE_HOURS"]
    )


def _page(
    supporter: Supporter,
    token: str,
    delete_form: DeleteForm | None = None,
    problem=None,
    withdrawn=None,
):
    return render_template(
        "supporters/data.html",
        supporter=supporter,
        export=privacy.export_supporter(supporter),
        token=token,
        download_form=DownloadForm(),
        delete_form=delete_form or DeleteForm(),
        problem=problem,
        consents=consent.consents_of(supporter),
        withdraw_form=DownloadForm(),
        withdrawn=withdrawn,
    )


@bp.get("/your-data/<token>")
def your_data(token: str):
    supporter = _supporter_from(token)
    if supporter.anonymised_at is not None:
        return render_template("supporters/data_deleted.html")
    return _page(supporter, token)


@bp.post("/your-data/<token>/download")
@limits.post_limits("data_page", limits.link_key)
def download_data(token: str):
    supporter = _supporter_from(token)
    if not DownloadForm().validate_on_submit():
        abort(400)
    body = json.dumps(privacy.export_supporter(supporter), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="my-letters-data.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/your-data/<token>/delete")
@limits.post_limits("data_page", limits.link_key)
def delete_data(token: str):
    supporter = _supporter_from(token)
    if supporter.anonymised_at is not None:
        return render_template("supporters/data_deleted.html")
    form = DeleteForm()
    if not form.validate_on_submit():
        return _page(supporter, token, delete_form=form), 400
    try:
        privacy.erase_supporter(supporter)
    except privacy.ErasureDeferred:
        problem = _(
            "One of your letters is being sent right now. Please try again in a few minutes."
        )
        return _page(supporter, token, problem=problem), 409
    return render_template("supporters/data_deleted.html")


@bp.post("/your-data/<token>/consents/<int:consent_id>/withdraw")
@limits.post_limits("data_page", limits.link_key)
def withdraw_consent(token: str, consent_id: int):
    """The partner may no longer email the supporter; its tools are told."""
    supporter = _supporter_from(token)
    if supporter.anonymised_at is not None:
        return render_template("supporters/data_deleted.html")
    if not DownloadForm().validate_on_submit():
        abort(400)
    withdrawn = consent.withdraw(supporter, consent_id)
    if withdrawn is None:
        abort(404, _("This consent is not yours, or no longer exists."))
    return _page(supporter, token, withdrawn=withdrawn)
