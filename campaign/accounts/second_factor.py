"""A second factor for accounts: TOTP (RFC 6238, pyotp) with single-use recovery
codes, and the roles for which admins require it.

The TOTP secret is stored encrypted (AES-256-GCM under a key derived from
SECRET_KEY); a secret set but not yet confirmed (totp_enabled_at empty) is a
set-up in progress. A code is accepted once: a replayed code within its window
is refused (Redis remembers codes used in the last two minutes). Recovery codes
are kept as their SHA-256 and each works once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from flask_babel import gettext

from campaign.accounts import audit
from campaign.core.extensions import db
from campaign.core.queues import redis_connection
from campaign.models import RecoveryCode, Role, SecuritySetting, User
from campaign.models.base import utcnow

ISSUER = "Time for release"
RECOVERY_CODES = 10
REQUIRED_SETTING = "second_factor_roles"
ROLES = (Role.ADMIN, Role.ORGANISER, Role.STAFF)


class SecondFactorError(ValueError):
    """Nothing was changed; the message says why."""


def _aead() -> AESGCM:
    secret = current_app.config["SECRET_KEY"].encode()
    return AESGCM(hmac.new(secret, b"campaign totp secrets", hashlib.sha256).digest())


def _seal(secret: str) -> str:
    nonce = os.urandom(12)
    return base64.urlsafe_b64encode(nonce + _aead().encrypt(nonce, secret.encode(), None)).decode()


def _unseal(sealed: str | None) -> str | None:
    if not sealed:
        return None
    try:
        raw = base64.urlsafe_b64decode(sealed)
        return _aead().decrypt(raw[:12], raw[12:], None).decode()
    except (InvalidTag, ValueError):
        return None  # SECRET_KEY changed: the account must set its second factor up again


def enabled(user: User) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret is not None


# -- which roles must have one ----------------------------------------------------------


def required_roles() -> set[str]:
    row = db.session.get(SecuritySetting, REQUIRED_SETTING)
    return {r for r in (row.value if row else "").split(",") if r}


def required_for(user: User) -> bool:
    return user.role in required_roles()


def set_required_roles(roles: set[str], by: User) -> None:
    roles = {r for r in roles if r in set(ROLES)}
    before = required_roles()
    if roles == before:
        return
    row = db.session.get(SecuritySetting, REQUIRED_SETTING) or SecuritySetting(
        name=REQUIRED_SETTING
    )
    row.value = ",".join(sorted(roles))
    db.session.add(row)
    audit.record(
        "second-factor-policy",
        "user",
        None,
        "second_factor_required" if roles else "second_factor_required_for_nobody",
        {"roles": sorted(roles)},
        user=by,
        changes={"required_for": [sorted(before), sorted(roles)]},
    )
    db.session.commit()


# -- setting it up ----------------------------------------------------------------------


def pending_secret(user: User) -> str:
    """The secret being set up (made on first call); the account's own until confirmed."""
    if enabled(user):
        raise SecondFactorError(gettext("A second factor is already set up."))
    secret = _unseal(user.totp_secret)
    if secret is None:
        secret = pyotp.random_base32()
        user.totp_secret = _seal(secret)
        db.session.commit()
    return secret


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
    return codes


def _fresh(user: User, secret: str, code: str) -> bool:
    """``code`` is right now (or one step either side) and was not used before."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return False
    if not pyotp.TOTP(secret).verify(code, valid_window=1):
        return False
    try:
        return bool(
            redis_connection().set(f"campaign-totp-used:{user.id}:{code}", 1, nx=True, ex=120)
        )
    except Exception:
        return True  # Redis down: the code is still right; only replay protection is lost


def enable(user: User, code: str) -> list[str]:
    """Confirm the set-up with a code from the app; the recovery codes, shown once.
    Raises SecondFactorError when the code is wrong."""
    secret = pending_secret(user)
    if not _fresh(user, secret, code):
        raise SecondFactorError(gettext("This code is not right. Check the time on your phone."))
    user.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(user)
    audit.record(
        "second-factor-on",
        "user",
        user.id,
        "second_factor_set_up",
        {"email": user.email},
        user=user,
    )
    db.session.commit()
    return codes


def reset(user: User, by: User) -> None:
    """Remove the account's second factor (a lost phone); its sessions end."""
    user.totp_secret = None
    user.totp_enabled_at = None
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.end_sessions()
    audit.record(
        "second-factor-off",
        "user",
        user.id,
        "second_factor_removed",
        {"email": user.email},
        user=by,
    )
    db.session.commit()


# -- logging in -------------------------------------------------------------------------


def verify(user: User, code: str) -> bool:
    """A right, unused TOTP code, or an unused recovery code (then spent)."""
    if not enabled(user):
        return False
    secret = _unseal(user.totp_secret)
    if secret is not None and _fresh(user, secret, code):
        return True
    spent = db.session.execute(
        db.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code or ""),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .returning(RecoveryCode.id)
    ).first()
    if spent is None:
        return False
    audit.record(
        "recovery-code", "user", user.id, "recovery_code_used", {"email": user.email}, user=user
    )
    db.session.commit()
    return True


def recovery_codes_left(user: User) -> int:
    return db.session.execute(
        db.select(db.func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).scalar_one()
