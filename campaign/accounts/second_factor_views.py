"""The second factor: asked for at login, set up by each account, required by
admins for chosen roles (accounts/second_factor.py)."""

from __future__ import annotations

import time

import segno
from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from campaign.accounts import login_throttle, second_factor
from campaign.accounts.menu import add_menu_item
from campaign.accounts.views import PENDING, start_session
from campaign.core.blueprints.auth import bp
from campaign.core.extensions import db
from campaign.core.translated_form import TranslatedForm
from campaign.models import Role, User

# What an account that must set up its second factor may still open.
_OPEN_WHILE_SETTING_UP = frozenset(
    {"auth.setup_second_factor", "auth.logout", "auth.home", "static"}
)


class CodeForm(TranslatedForm):
    code = StringField(
        _l("Code from your app, or a recovery code"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=40)],
    )


@bp.record_once
def _register(state):
    add_menu_item(
        state.app, "auth.setup_second_factor", _l("Second factor"), Role.STAFF, Role.ORGANISER
    )


@bp.before_app_request
def _require_second_factor():
    """An account of a role that must have a second factor sets one up first."""
    if request.endpoint in _OPEN_WHILE_SETTING_UP or not current_user.is_authenticated:
        return None
    if second_factor.enabled(current_user) or not second_factor.required_for(current_user):
        return None
    return redirect(url_for("auth.setup_second_factor"))


def _pending_user() -> User | None:
    pending = session.get(PENDING) or {}
    if not pending or pending.get("until", 0) < time.time():
        return None
    user = db.session.get(User, pending.get("user"))
    if user is None or not user.active or user.session_generation != pending.get("generation"):
        return None
    return user


@bp.route("/login/second-factor", methods=["GET", "POST"])
def second_factor_login():
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        return render_template("auth/second_factor_gone.html"), 410
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        wait = login_throttle.wait_seconds(request.remote_addr, user.email)
        if wait:
            error = _("Too many wrong codes. Try again in %(seconds)s seconds.", seconds=wait)
            page = render_template("auth/second_factor_login.html", form=form, error=error)
            return page, 429, {"Retry-After": str(wait)}
        if second_factor.verify(user, form.code.data):
            login_throttle.succeeded(request.remote_addr, user.email)
            target = session.pop(PENDING)["next"]
            return start_session(user, target)
        login_throttle.failed(request.remote_addr, user.email)
        error = _("This code is not right.")
    return render_template("auth/second_factor_login.html", form=form, error=error)


@bp.route("/account/second-factor", methods=["GET", "POST"])
@login_required
def setup_second_factor():
    user = current_user
    if second_factor.enabled(user):
        return render_template(
            "auth/second_factor_on.html",
            left=second_factor.recovery_codes_left(user),
            required=second_factor.required_for(user),
        )
    secret = second_factor.pending_secret(user)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.enable(user, form.code.data)
        except second_factor.SecondFactorError as exc:
            form.code.errors = [str(exc)]
        else:
            return render_template("auth/second_factor_codes.html", codes=codes)
    uri = second_factor.provisioning_uri(user, secret)
    return render_template(
        "auth/second_factor_setup.html",
        form=form,
        secret=secret,
        uri=uri,
        qr=segno.make(uri, error="m").svg_data_uri(scale=5),
        required=second_factor.required_for(user),
    ), (400 if form.errors else 200)
