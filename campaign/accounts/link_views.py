"""One-time login links by email (accounts/login_links.py): the way round a login
delay. The link's page shows a button; only pressing it logs in."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from campaign.accounts import login_links
from campaign.accounts.forms import LoginLinkForm
from campaign.accounts.views import complete_login
from campaign.core import limits
from campaign.core.blueprints.auth import bp
from campaign.core.i18n import current_language
from campaign.core.translated_form import TranslatedForm


@bp.route("/login/link", methods=["GET", "POST"])
@limits.post_limits("login_link", limits.email_key, limits.has_email)
def login_link_request():
    form = LoginLinkForm()
    if form.validate_on_submit():
        login_links.request_login_link(form.email.data, current_language())
        return redirect(url_for(".login_link_sent"))
    return render_template("auth/login_link_request.html", form=form)


@bp.get("/login/link/sent")
def login_link_sent():
    return render_template("auth/login_link_sent.html")


@bp.route("/login/link/<token>", methods=["GET", "POST"])
def login_link(token: str):
    form = TranslatedForm()
    if request.method == "POST" and form.validate_on_submit():
        user = login_links.use(token)
        if user is not None:
            return complete_login(user)
    elif request.method == "GET" and login_links.is_usable(token):
        return render_template("auth/login_link.html", form=form)
    return render_template("auth/login_link_gone.html"), 410
