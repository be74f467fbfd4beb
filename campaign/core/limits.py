"""Rate limits on the POSTs a visitor can make: the supporter's forms and the login.

Flask-Limiter on the project's Redis, moving window. Every limit counts twice:
per client address and per email address (or per link, for forms reached from
one). Neither is stored in clear: Redis keys carry a keyed hash (HMAC-SHA256
with IP_HASH_KEY, or a key derived from SECRET_KEY), the same hash the abuse
rules keep on a submission.

The limits below are the defaults; ABUSE_LIMITS_FACTOR multiplies every one of
them (and the hold thresholds in supporters.abuse), for a load test from one
address. The webhooks authenticate themselves and carry no limit.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import math
import re
import time
from collections.abc import Callable

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_limiter import Limiter

# name -> (per client address, per email address or link). Moving windows.
DEFAULT_LIMITS: dict[str, tuple[str, str]] = {
    # Previews post the form too; only "send" counts against the email address,
    # because only that mails a confirmation link to it.
    "letters": ("30/minute;300/hour;1000/day", "5/hour;20/day"),
    "confirm": ("30/minute;300/hour", "10/hour"),
    "data_request": ("10/hour;50/day", "3/hour;10/day"),
    "data_page": ("30/hour;200/day", "20/hour"),
    # Per client address and per address-and-account pair, never per account alone:
    # nobody can lock an account's owner out (accounts/login_throttle.py adds a
    # growing delay per pair). The login link is limited per account: it mails.
    "login": ("20/minute;200/hour", "10/minute;60/hour"),
    "login_link": ("10/hour;50/day", "3/hour;10/day"),
    # Any other POST of the supporters' pages (per address, and per link when it has one).
    "supporter_post": ("30/minute;300/hour", "20/hour"),
}

_AMOUNT = re.compile(r"(\d+)(\s*)(/|per\b)")


def scaled(limits: str, factor: float) -> str:
    """``limits`` with every amount multiplied by ``factor`` (rounded up)."""
    if factor == 1:
        return limits
    return _AMOUNT.sub(
        lambda m: f"{math.ceil(int(m.group(1)) * factor)}{m.group(2)}{m.group(3)}", limits
    )


def limit_string(name: str, which: int) -> str:
    """The configured limit ``name`` (0: per client address, 1: per email or link)."""
    config = current_app.config
    limits = {**DEFAULT_LIMITS, **(config.get("RATE_LIMITS") or {})}
    return scaled(limits[name][which], config.get("ABUSE_LIMITS_FACTOR", 1.0))


# -- keyed hashes -------------------------------------------------------------------


def _hash_key() -> bytes:
    config = current_app.config
    explicit = config.get("IP_HASH_KEY")
    if explicit:
        return explicit.encode()
    # Derived, so the key is never the session-signing key itself.
    return hmac.new(config["SECRET_KEY"].encode(), b"campaign ip hash", hashlib.sha256).digest()


def keyed_hash(kind: str, value: str) -> str:
    """HMAC-SHA256 of ``value``, truncated to 128 bits (32 hex digits). Without the
    key it cannot be reversed, not even by trying every IPv4 address."""
    digest = hmac.new(_hash_key(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def normalised_ip(address: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


def network_of(address: str | None) -> str | None:
    """The sender's network: its /24 for IPv4, its /48 for IPv6."""
    ip = normalised_ip(address)
    if ip is None:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def ip_hash(address: str | None) -> str:
    ip = normalised_ip(address)
    return keyed_hash("ip", str(ip) if ip is not None else "unknown")


def network_hash(address: str | None) -> str:
    return keyed_hash("net", network_of(address) or "unknown")


def email_hash(email: str) -> str:
    return keyed_hash("email", email.strip().lower())


# -- key functions --------------------------------------------------------------------


def client_key() -> str:
    return "ip:" + ip_hash(request.remote_addr)


# Keyed on the hashed client address, never the address in clear, even for a limit
# declared without its own key. Created unbound; init_limits binds it to the app.
limiter = Limiter(key_func=client_key)


def _posted_email() -> str:
    return (request.form.get("email") or "").strip().lower()[:320]


def email_key() -> str:
    return "email:" + email_hash(_posted_email())


def pair_key() -> str:
    """The client address and the account asked for, together (login)."""
    return "pair:" + keyed_hash("pair", f"{normalised_ip(request.remote_addr)}|{_posted_email()}")


def link_key() -> str:
    """Forms reached from a signed link count per link (it names one supporter)."""
    token = (request.view_args or {}).get("token", "")
    return "link:" + keyed_hash("link", str(token))


def _too_many() -> str:
    return _("Too many attempts. Please wait a little and try again.")


def post_limits(name: str, second_key: Callable[[], str], second_applies=None):
    """Decorate a view with the two limits of ``name`` on its POSTs: per client
    address, then per email address or link (skipped when ``second_applies`` says so)."""

    def exempt_second() -> bool:
        return second_applies is not None and not second_applies()

    def decorator(view):
        view = limiter.limit(
            lambda: limit_string(name, 1),
            key_func=second_key,
            methods=["POST"],
            scope=f"{name}-second",
            exempt_when=exempt_second,
            error_message=_too_many,
        )(view)
        return limiter.limit(
            lambda: limit_string(name, 0),
            key_func=client_key,
            methods=["POST"],
            scope=f"{name}-client",
            error_message=_too_many,
        )(view)

    return decorator


def blueprint_post_limits(blueprint, name: str) -> None:
    """The limits of ``name`` on every POST of ``blueprint`` whose view declares none
    of its own: per client address, and per link when the URL carries a token."""
    limiter.limit(
        lambda: limit_string(name, 0),
        key_func=client_key,
        methods=["POST"],
        scope=f"{name}-client",
        error_message=_too_many,
    )(blueprint)
    limiter.limit(
        lambda: limit_string(name, 1),
        key_func=link_key,
        methods=["POST"],
        scope=f"{name}-link",
        exempt_when=lambda: "token" not in (request.view_args or {}),
        error_message=_too_many,
    )(blueprint)


def sends_letters() -> bool:
    return "send" in request.form and bool(_posted_email())


def has_email() -> bool:
    return bool(_posted_email())


# -- set-up ---------------------------------------------------------------------------


def storage_uri(redis_url: str) -> str:
    """The limits library names a unix-socket Redis ``redis+unix://`` (the embedded
    Redis of development and tests listens on one)."""
    if redis_url.startswith("unix://"):
        return "redis+" + redis_url
    return redis_url


def retry_after_seconds() -> int:
    """For a refused request: seconds until the limit it broke lets one through."""
    # Redis gone (reset_at reads it): a sensible default rather than an error page.
    with contextlib.suppress(Exception):
        current = limiter.current_limit
        if current is not None:
            return max(1, math.ceil(current.reset_at - time.time()))
    return 60


def init_limits(app: Flask) -> None:
    config = app.config
    # The extension object is shared by every app of the process: say everything.
    config["RATELIMIT_ENABLED"] = config.get("RATELIMIT_ENABLED", True)
    config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(config["REDIS_URL"]))
    config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    config.setdefault("RATELIMIT_KEY_PREFIX", "campaign-limits")
    # No X-RateLimit-* headers on every answer: each costs a Redis round trip per
    # limit, and a form has no use for them. A refusal says when to come back
    # (Retry-After, errors.py).
    config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    # Redis down: let the form through (the letter still waits for confirmation)
    # rather than refuse every supporter.
    config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    config.setdefault(
        "RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 5, "socket_connect_timeout": 5}
    )
    limiter.init_app(app)
    webhooks = app.blueprints.get("webhooks")
    if webhooks is not None:
        limiter.exempt(webhooks)
