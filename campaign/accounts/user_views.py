"""Accounts: list, create, change role, deactivate and reactivate (admins only)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaign.accounts import accounts, second_factor
from campaign.accounts.admin_forms import ROLE_LABELS, NewUserForm, RoleForm
from campaign.accounts.decorators import roles_required
from campaign.core.blueprints.admin import bp
from campaign.core.extensions import db
from campaign.core.translated_form import TranslatedForm
from campaign.models import Role, User


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, _("There is no such account."))
    return user


@bp.get("/users")
@roles_required(Role.ADMIN)
def users():
    return render_template("admin/users.html", users=accounts.all_users(), role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user():
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                form.email.data, form.role.data, form.password.data, current_user
            )
        except accounts.AccountError as exc:
            getattr(form, exc.field or "email").errors = [str(exc)]
        else:
            flash(_("The account %(email)s was created.", email=user.email), "success")
            return redirect(url_for(".users"))
    return render_template("admin/user_new.html", form=form), (422 if form.errors else 200)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int):
    user = _user(user_id)
    form = RoleForm(obj=user)
    if form.validate_on_submit():
        try:
            changed = accounts.set_role(user, form.role.data, current_user)
        except accounts.AccountError as exc:
            form.role.errors = [str(exc)]
        else:
            flash(
                _("Saved.") if changed else _("Nothing was changed."),
                "success" if changed else "notice",
            )
            return redirect(url_for(".edit_user", user_id=user.id))
    return render_template("admin/user_edit.html", user=user, form=form, role_labels=ROLE_LABELS), (
        422 if form.errors else 200
    )


def _set_active(user_id: int, active: bool):
    user = _user(user_id)
    if not TranslatedForm().validate_on_submit():
        abort(400)
    try:
        if accounts.set_active(user, active, current_user):
            flash(
                _("%(email)s can log in again.", email=user.email)
                if active
                else _("%(email)s can no longer log in.", email=user.email),
                "success",
            )
    except accounts.AccountError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/deactivate")
@roles_required(Role.ADMIN)
def deactivate_user(user_id: int):
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/reactivate")
@roles_required(Role.ADMIN)
def reactivate_user(user_id: int):
    return _set_active(user_id, True)


@bp.post("/users/<int:user_id>/second-factor/reset")
@roles_required(Role.ADMIN)
def reset_second_factor(user_id: int):
    user = _user(user_id)
    if not TranslatedForm().validate_on_submit():
        abort(400)
    second_factor.reset(user, current_user)
    flash(
        _("The second factor of %(email)s was removed; its sessions have ended.", email=user.email),
        "success",
    )
    return redirect(url_for(".edit_user", user_id=user.id))


@bp.route("/security", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def security():
    form = TranslatedForm()
    if form.validate_on_submit():
        chosen = set(request.form.getlist("required"))
        unknown = chosen - set(second_factor.ROLES)
        if unknown:
            abort(400, _("Unknown role."))
        second_factor.set_required_roles(chosen, current_user)
        flash(_("Saved."), "success")
        return redirect(url_for(".security"))
    users = accounts.all_users()
    return render_template(
        "admin/security.html",
        form=form,
        required=second_factor.required_roles(),
        role_labels=ROLE_LABELS,
        without=[u for u in users if u.active and not second_factor.enabled(u)],
    )
