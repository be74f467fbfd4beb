"""The embedded form's own token, in place of the session's CSRF token.

A partner's page frames the form from another site, so the browser sends the frame
no SameSite=Lax cookie: no session, no CSRF token tied to one. The form carries
instead a token signed with SECRET_KEY that names the partner, the campaign and a
random number, and expires after EMBED_FORM_MAX_AGE_MINUTES. A POST is taken only
when its token is genuine, of the partner and campaign of the address it is posted
to, not expired, and (for the one that sends the letters) not used before; and
when the request's Origin is the frame's own (this site) or one of the partner's
registered origins.

Used tokens are remembered in Redis until they expire. Replay matters little here:
a fresh token is one GET of the public form away, so a replayed token lets nobody
do anything they could not do anyway. What single use buys is that a form sent
twice (a reload, a double click) makes one submission, and that every sending
costs a fresh page. After a Redis loss a token may be used once more within its
lifetime: the worst is a second submission of the same letters, which replaces
the first's unconfirmed letters rather than adding any, and still needs the
confirmation by mail. So the record stays in Redis, not in the database."""

from __future__ import annotations

import logging
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from redis.exceptions import RedisError

from campaign.core.queues import redis_connection
from campaign.models import Campaign, Partner

log = logging.getLogger(__name__)
_SALT = "campaign embedded form"
_USED = "campaign:embedded-form:used:"


class FormRefused(Exception):
    """The POST is not taken; ``message`` says why (translated when shown), ``status``
    is the HTTP answer."""

    status = 403

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class FormExpired(FormRefused):
    status = 400


class FormUsed(FormRefused):
    status = 409


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _max_age() -> int:
    return int(current_app.config["EMBED_FORM_MAX_AGE_MINUTES"]) * 60


def issue(partner: Partner, campaign: Campaign) -> str:
    """A new token for the embedded form of ``partner`` on ``campaign``."""
    return _serializer().dumps([partner.id, campaign.id, secrets.token_hex(16)])


def _read(token: str, partner: Partner, campaign: Campaign) -> str:
    """The token's random number, once the token is genuine and of this form."""
    forged = FormRefused(_l("This form is not valid here. Please reload the page."))
    if not token or len(token) > 300:
        raise forged
    try:
        values = _serializer().loads(token, max_age=_max_age())
    except SignatureExpired:
        raise FormExpired(
            _l("This form was open too long. Nothing was sent: please send it again.")
        ) from None
    except BadSignature:
        raise forged from None
    if not (isinstance(values, list) and len(values) == 3):
        raise forged
    if values[0] != partner.id or values[1] != campaign.id or not isinstance(values[2], str):
        raise forged
    return values[2]


def check_origin(origin: str | None, own_origin: str, partner: Partner) -> None:
    """Browsers send the Origin of the page that posts: the frame itself (this site)
    when the supporter uses the form. Anything else, or none, is refused."""
    allowed = {own_origin.rstrip("/"), *(partner.frame_origins or [])}
    if not origin or origin not in allowed:
        raise FormRefused(
            _l("This form was sent from a page that may not use it. Nothing was sent.")
        )


def check(
    token: str,
    partner: Partner,
    campaign: Campaign,
    origin: str | None,
    own_origin: str,
    *,
    use: bool = False,
) -> None:
    """Raise FormRefused unless the POST may go on; with ``use``, mark the token used
    (a second use raises FormUsed)."""
    check_origin(origin, own_origin, partner)
    number = _read(token, partner, campaign)
    if not use:
        return
    try:
        fresh = redis_connection().set(_USED + number, 1, nx=True, ex=_max_age() + 60)
    except RedisError:
        # As the rate limits do: Redis down lets the form through (it still needs the
        # confirmation by mail) rather than refuse every supporter.
        log.warning("embedded form: Redis unavailable, token not marked as used")
        return
    if not fresh:
        raise FormUsed(
            _l("This form was sent already. Check your email: the link to confirm is there.")
        )
