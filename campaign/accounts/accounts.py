"""Accounts of the people who run campaigns, as admins manage them."""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _

from campaign.accounts import audit
from campaign.core.extensions import db
from campaign.models import Role, User

MIN_PASSWORD = 12
# The management login `make run` creates on an empty development database.
DEVELOPMENT_ADMIN = "admin@example.org"


class AccountError(ValueError):
    """Nothing was changed; ``field`` names the form field at fault, if one is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def all_users() -> list[User]:
    return list(db.session.execute(db.select(User).order_by(User.email)).scalars())


def _other_active_admins(user: User) -> int:
    return db.session.execute(
        db.select(db.func.count(User.id)).filter(
            User.role == Role.ADMIN, User.active.is_(True), User.id != user.id
        )
    ).scalar_one()


def create_user(email: str, role: str, password: str, by: User) -> User:
    """A new account. Raises AccountError for a bad address, an address in use,
    an unknown role or a short password."""
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise AccountError(_("This is not an email address."), "email") from None
    if role not in set(Role):
        raise AccountError(_("Choose a role."), "role")
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            _("The password must have at least %(n)d characters.", n=MIN_PASSWORD), "password"
        )
    if db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none():
        raise AccountError(_("An account for this address exists already."), "email")
    user = User(email=email, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("create", "user", user.id, "user_created", {"role": role, "email": email}, user=by)
    db.session.commit()
    return user


def create_development_admin() -> str | None:
    """In development only, and only while no account exists: an admin account
    (DEVELOPMENT_ADMIN) with a new random password. Returns that password, the one
    time it exists in clear (only its hash is kept); None, creating nothing, in
    production or testing or once any account exists. Commits."""
    if current_app.config["ENV"] != "development":
        return None
    if db.session.execute(db.select(db.func.count(User.id))).scalar_one():
        return None
    password = secrets.token_urlsafe(18)  # 24 characters, 144 random bits
    user = User(email=DEVELOPMENT_ADMIN, role=Role.ADMIN)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(
        "create", "user", user.id, "development_admin_created", {"email": DEVELOPMENT_ADMIN}
    )
    db.session.commit()
    return password


def set_role(user: User, role: str, by: User) -> bool:
    """Change the role; refuses to leave no active admin. False when unchanged."""
    if role not in set(Role):
        raise AccountError(_("Choose a role."), "role")
    if role == user.role:
        return False
    if user.role == Role.ADMIN and user.active and _other_active_admins(user) == 0:
        raise AccountError(_("This is the last active admin: make another admin first."), "role")
    changes = {"role": [user.role, role]}
    user.role = role
    user.end_sessions()  # a session must not keep the rights of the old role
    audit.record(
        "role",
        "user",
        user.id,
        "role_changed",
        {"email": user.email, "role": str(role)},
        user=by,
        changes=changes,
    )
    db.session.commit()
    return True


def set_active(user: User, active: bool, by: User) -> bool:
    """Deactivate (the account can no longer log in, and its sessions end) or
    reactivate. Refuses to deactivate one's own account or the last active admin."""
    if user.active == active:
        return False
    if not active and user.id == by.id:
        raise AccountError(_("You cannot deactivate your own account."))
    if not active and user.role == Role.ADMIN and _other_active_admins(user) == 0:
        raise AccountError(_("This is the last active admin: make another admin first."))
    user.active = active
    user.end_sessions()
    audit.record(
        "reactivate" if active else "deactivate",
        "user",
        user.id,
        "user_reactivated" if active else "user_deactivated",
        {"email": user.email},
        user=by,
        changes={"active": [not active, active]},
    )
    db.session.commit()
    return True
