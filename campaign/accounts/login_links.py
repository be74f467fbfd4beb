"""One-time login links by email: the way round a login delay (M4).

A link carries 32 random bytes; only their SHA-256 is stored. It works once, for
LOGIN_LINK_MAX_AGE_MINUTES (15), and only for an active account. The token is
made inside the mail job, so it never waits in Redis. The mail is written in the
interface language the link was asked for in."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from campaign.core.extensions import db
from campaign.core.i18n import INTERFACE_LANGUAGES, SOURCE_LANGUAGE
from campaign.core.mail import OutgoingMessage, get_backend
from campaign.core.queues import NOTIFICATIONS, enqueue_after_commit, job
from campaign.core.urls import public_url
from campaign.models import LoginLink, User
from campaign.models.base import utcnow


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def active_user(email: str) -> User | None:
    email = (email or "").strip().lower()
    if not email or "\x00" in email:
        return None
    user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
    return user if user is not None and user.active else None


def request_login_link(email: str, language: str = SOURCE_LANGUAGE) -> None:
    """Mail a login link to ``email``, in ``language``, if an active account has it;
    the same work either way, so nobody learns whether it exists."""
    user = active_user(email)
    enqueue_after_commit(NOTIFICATIONS, send_login_link_job, user.id if user else None, language)
    db.session.commit()


@job
def send_login_link_job(user_id: int | None, language: str = SOURCE_LANGUAGE) -> bool:
    return send_login_link(user_id, language)


def send_login_link(user_id: int | None, language: str = SOURCE_LANGUAGE) -> bool:
    """Make a link for the account and mail it in ``language``; False when there is
    nobody to mail."""
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.active:
        return False
    token = secrets.token_urlsafe(32)
    minutes = current_app.config["LOGIN_LINK_MAX_AGE_MINUTES"]
    db.session.add(
        LoginLink(
            user_id=user.id,
            token_hash=_hash(token),
            expires_at=utcnow() + timedelta(minutes=minutes),
        )
    )
    db.session.commit()
    context = {"url": public_url("auth.login_link", token=token), "minutes": minutes}
    with force_locale(language if language in INTERFACE_LANGUAGES else SOURCE_LANGUAGE):
        subject = gettext("Your login link")
        text = render_template("email/login_link.txt", **context)
    get_backend().send(
        OutgoingMessage(
            to_email=user.email,
            to_name="",
            from_email=current_app.config["MAIL_FROM"],
            from_name=current_app.config["MAIL_FROM_NAME"],
            subject=subject,
            text=text,
            kind="login-link",
        )
    )
    return True


def _usable(token: str):
    return (
        LoginLink.token_hash == _hash(token or ""),
        LoginLink.used_at.is_(None),
        LoginLink.expires_at > utcnow(),
    )


def is_usable(token: str) -> bool:
    """The link works (opening its page changes nothing: mail scanners open links)."""
    found = db.session.execute(
        db.select(LoginLink.id).join(User).where(*_usable(token), User.active.is_(True))
    ).first()
    return found is not None


def use(token: str) -> User | None:
    """Spend the link: its account, or None when it is unknown, used or expired.
    Two requests racing with one link: only one gets the account."""
    user_id = db.session.execute(
        db.update(LoginLink)
        .where(*_usable(token))
        .values(used_at=utcnow())
        .returning(LoginLink.user_id)
    ).scalar_one_or_none()
    db.session.commit()
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.active else None
