from __future__ import annotations

import enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import CheckConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaign.core.extensions import db
from campaign.models.base import utcnow
from campaign.models.types import UTCDateTime

_hasher = PasswordHasher()
# Compared against when the email is unknown, so a wrong address costs as much
# time as a wrong password and does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class Role(enum.StrEnum):
    ADMIN = "admin"  # manages users; may also do everything the others do
    ORGANISER = "organiser"  # campaigns, letter templates, representatives
    STAFF = "staff"  # reports, replies, queues


class User(UserMixin, db.Model):
    """A person who runs the campaign (never a supporter)."""

    __table_args__ = (CheckConstraint("role IN ('admin', 'organiser', 'staff')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(db.String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(db.String(200))
    role: Mapped[str] = mapped_column(db.String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_login_at = mapped_column(UTCDateTime)
    # Part of every session's identity: raising it ends every session of the account
    # at once (logout, deactivation, a new password or role).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # The second factor: a TOTP secret, encrypted (services.opaque), and when it was
    # confirmed; None until the account has one.
    totp_secret: Mapped[str | None] = mapped_column(db.String(200))
    totp_enabled_at = mapped_column(UTCDateTime)
    # The interface language the account chose for the management pages (the
    # language switch stores it); empty until it chooses one.
    language: Mapped[str] = mapped_column(db.String(8), default="", server_default="")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """The session names the account and its generation (see end_sessions)."""
        return f"{self.id}:{self.session_generation}"

    def end_sessions(self) -> None:
        """Every session of this account stops working with its next request."""
        self.session_generation = (self.session_generation or 0) + 1

    def set_password(self, password: str) -> None:
        if self.password_hash is not None:
            self.end_sessions()
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        try:
            ok = _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if ok and _hasher.check_needs_rehash(self.password_hash):
            self.password_hash = _hasher.hash(password)  # the same password: sessions stay
        return ok

    def has_role(self, *roles: str) -> bool:
        return self.role == Role.ADMIN or self.role in roles


def burn_password_check(password: str) -> None:
    """Spend the time of one verification for an unknown account."""
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass
