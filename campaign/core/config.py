"""Settings read once from the environment.

Every setting has a name, a type and, where a safe one exists, a default.
Secrets have no default outside development and testing: a production process
that lacks one refuses to start instead of running with a guessable value.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

ENVIRONMENTS = ("production", "development", "testing")
MAIL_BACKENDS = ("outbox", "sendgrid", "smtp")


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message names it."""


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if raw is None:
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the configuration mapping from the environment plus ``overrides``.

    Raises ConfigError when a setting is invalid, or when a secret is missing
    outside development and testing.
    """
    overrides = dict(overrides or {})
    environment = overrides.get("ENV") or env_str("CAMPAIGN_ENV", "production")
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"CAMPAIGN_ENV must be one of {', '.join(ENVIRONMENTS)}")
    relaxed = environment in ("development", "testing")

    sqlite_default = "sqlite:///" + str(Path(instance_path) / "campaign.sqlite3")
    config = {
        "ENV": environment,
        "TESTING": environment == "testing",
        "SECRET_KEY": env_str("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            env_str("DATABASE_URL", sqlite_default if relaxed else None)
        ),
        "REDIS_URL": env_str("REDIS_URL", "redis://127.0.0.1:6379/0" if relaxed else None),
        "MAIL_BACKEND": env_str("MAIL_BACKEND", "outbox" if relaxed else None),
        "MAIL_FROM": env_str("MAIL_FROM", "campaign@example.org" if relaxed else None),
        "MAIL_FROM_NAME": env_str("MAIL_FROM_NAME", "Time for release"),
        "SENDGRID_API_KEY": env_str("SENDGRID_API_KEY"),
        "SENDGRID_API_HOST": env_str("SENDGRID_API_HOST", "https://api.sendgrid.com"),
        "SENDGRID_TIMEOUT": env_float("SENDGRID_TIMEOUT", 10.0),
        # Requests each worker process keeps in flight to SendGrid at once
        # (docs/operators/sending-rate.md).
        "SENDGRID_CONCURRENCY": env_int("SENDGRID_CONCURRENCY", 8),
        "SMTP_URL": env_str("SMTP_URL"),
        "SMTP_TIMEOUT": env_float("SMTP_TIMEOUT", 10.0),
        # Replies and delivery events (docs/operators/sendgrid.md).
        "SENDGRID_WEBHOOK_PUBLIC_KEY": env_str("SENDGRID_WEBHOOK_PUBLIC_KEY"),
        "INBOUND_DOMAIN": env_str("INBOUND_DOMAIN"),
        "INBOUND_SECRET": env_str("INBOUND_SECRET"),
        "OUTBOX_DIR": env_str("OUTBOX_DIR", str(Path(instance_path) / "outbox")),
        "PUBLIC_URL": env_str("PUBLIC_URL", "http://127.0.0.1:5000"),
        "CONFIRMATION_MAX_AGE_DAYS": env_int("CONFIRMATION_MAX_AGE_DAYS", 7),
        "REMINDER_AFTER_HOURS": env_int("REMINDER_AFTER_HOURS", 24),
        "SENDING_LEASE_SECONDS": env_int("SENDING_LEASE_SECONDS", 120),
        "MAX_SEND_ATTEMPTS": env_int("MAX_SEND_ATTEMPTS", 8),
        "SEND_RETRY_BASE_SECONDS": env_float("SEND_RETRY_BASE_SECONDS", 30.0),
        "SEND_RETRY_MAX_SECONDS": env_float("SEND_RETRY_MAX_SECONDS", 3600.0),
        "MAX_REPRESENTATIVES_PER_SUBMISSION": env_int("MAX_REPRESENTATIVES_PER_SUBMISSION", 50),
        # Delivery (docs/architecture/delivery.md). The four
        # THROTTLE_* limits are the defaults of a new campaign; each campaign keeps its own.
        "THROTTLE_ENABLED": env_bool("THROTTLE_ENABLED", True),
        "THROTTLE_PER_SECOND": env_float("THROTTLE_PER_SECOND", 5.0),
        "THROTTLE_REP_PER_HOUR": env_int("THROTTLE_REP_PER_HOUR", 30),
        "THROTTLE_REP_PER_DAY": env_int("THROTTLE_REP_PER_DAY", 300),
        "THROTTLE_DOMAIN_PER_MINUTE": env_int("THROTTLE_DOMAIN_PER_MINUTE", 60),
        "THROTTLE_JITTER_SECONDS": env_float("THROTTLE_JITTER_SECONDS", 30.0),
        "THROTTLE_REP_HOUR_SECONDS": env_int("THROTTLE_REP_HOUR_SECONDS", 3600),
        "THROTTLE_REP_DAY_SECONDS": env_int("THROTTLE_REP_DAY_SECONDS", 86400),
        "DISPATCH_BATCH_SIZE": env_int("DISPATCH_BATCH_SIZE", 50),
        "DISPATCH_CONCURRENCY": env_int("DISPATCH_CONCURRENCY", 4),
        "DISPATCH_JOB_SECONDS": env_float("DISPATCH_JOB_SECONDS", 5.0),
        # PostgreSQL ends a worker's session that holds due letters locked, without a
        # statement, this long (a paused or stalled worker): the others take them.
        "CLAIM_IDLE_SECONDS": env_float("CLAIM_IDLE_SECONDS", 5.0),
        # When the day's digests are made (letters.digests), HH:MM in UTC.
        "DIGEST_TIME": env_str("DIGEST_TIME", "07:00"),
        # A worker or clock that cannot reach PostgreSQL or Redis this long exits.
        "WORKER_CONNECT_RETRY_SECONDS": env_float("WORKER_CONNECT_RETRY_SECONDS", 60.0),
        # Letters due this long with none taken: `letters status` and /healthz say so.
        "DISPATCH_STALL_SECONDS": env_int("DISPATCH_STALL_SECONDS", 120),
        # Abuse and privacy (docs/privacy.md; core/limits.py, supporters/abuse.py, privacy.py).
        "IP_HASH_KEY": env_str("IP_HASH_KEY"),
        "TRUSTED_PROXY_COUNT": env_int("TRUSTED_PROXY_COUNT", 0),
        "ABUSE_LIMITS_FACTOR": env_float("ABUSE_LIMITS_FACTOR", 1.0),
        "HOLD_ADDRESSES_PER_IP": env_int("HOLD_ADDRESSES_PER_IP", 5),
        "HOLD_ADDRESSES_WINDOW_HOURS": env_int("HOLD_ADDRESSES_WINDOW_HOURS", 24),
        "HOLD_NETWORK_BURST": env_int("HOLD_NETWORK_BURST", 20),
        "HOLD_NETWORK_BURST_MINUTES": env_int("HOLD_NETWORK_BURST_MINUTES", 10),
        "IP_HASH_RETENTION_HOURS": env_int("IP_HASH_RETENTION_HOURS", 48),
        "RETENTION_LETTER_DAYS": env_int("RETENTION_LETTER_DAYS", 28),
        "RETENTION_SUPPORTER_WEEKS": env_int("RETENTION_SUPPORTER_WEEKS", 104),
        "DATA_LINK_MAX_AGE_HOURS": env_int("DATA_LINK_MAX_AGE_HOURS", 24),
        "STATUS_LINK_MAX_AGE_DAYS": env_int("STATUS_LINK_MAX_AGE_DAYS", 30),
        # A partner's embedded form: how long its form token works (partners.form_tokens).
        "EMBED_FORM_MAX_AGE_MINUTES": env_int("EMBED_FORM_MAX_AGE_MINUTES", 180),
        # Accounts (docs/organisers/admins.md).
        "LOGIN_DELAY_MAX_SECONDS": env_int("LOGIN_DELAY_MAX_SECONDS", 900),
        "LOGIN_LINK_MAX_AGE_MINUTES": env_int("LOGIN_LINK_MAX_AGE_MINUTES", 15),
        # Partners (docs/partners-api.md): their API and the webhooks sent to them.
        "API_TOKEN_MAX_AGE_DAYS": env_int("API_TOKEN_MAX_AGE_DAYS", 365),
        "API_RATE_LIMIT": env_str("API_RATE_LIMIT", "60/minute;1000/hour"),
        "WEBHOOK_TIMEOUT": env_float("WEBHOOK_TIMEOUT", 5.0),
        "WEBHOOK_MAX_ATTEMPTS": env_int("WEBHOOK_MAX_ATTEMPTS", 12),
        "WEBHOOK_RETRY_BASE_SECONDS": env_float("WEBHOOK_RETRY_BASE_SECONDS", 30.0),
        "WEBHOOK_RETRY_MAX_SECONDS": env_float("WEBHOOK_RETRY_MAX_SECONDS", 21600.0),
        # Webhook URLs on loopback (and over plain http there): for tests and a
        # development machine only, never in production (validate refuses it).
        "WEBHOOKS_ALLOW_LOOPBACK": env_bool(
            "WEBHOOKS_ALLOW_LOOPBACK", environment == "development"
        ),
        # No statement parameters (names, addresses, letters) in logs or error texts.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not relaxed,
    }
    if relaxed and not config["SECRET_KEY"]:
        # A per-process random key: sessions and links die with the process,
        # which is acceptable only where nothing real is at stake.
        config["SECRET_KEY"] = os.urandom(32).hex()
    config.update(overrides)
    validate(config)
    return config


def normalise_database_url(url: str | None) -> str | None:
    """Accept the postgres:// and postgresql:// forms hosting platforms hand out,
    and point them at psycopg 3, the driver this project installs."""
    if url is None:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def validate(config: dict) -> None:
    required = ["SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "REDIS_URL", "MAIL_BACKEND", "MAIL_FROM"]
    missing = [name for name in required if not config.get(name)]
    if missing:
        names = ", ".join("DATABASE_URL" if n == "SQLALCHEMY_DATABASE_URI" else n for n in missing)
        raise ConfigError(f"missing required setting(s): {names}")
    if config["MAIL_BACKEND"] not in MAIL_BACKENDS:
        raise ConfigError(f"MAIL_BACKEND must be one of {', '.join(MAIL_BACKENDS)}")
    if config["MAIL_BACKEND"] == "sendgrid" and not config.get("SENDGRID_API_KEY"):
        raise ConfigError("MAIL_BACKEND=sendgrid needs SENDGRID_API_KEY")
    if config["MAIL_BACKEND"] == "smtp" and not config.get("SMTP_URL"):
        raise ConfigError("MAIL_BACKEND=smtp needs SMTP_URL")
    validate_delivery(config)
    if config.get("EMBED_FORM_MAX_AGE_MINUTES", 180) < 1:
        raise ConfigError("EMBED_FORM_MAX_AGE_MINUTES must be at least 1")
    if config.get("ABUSE_LIMITS_FACTOR", 1.0) <= 0:
        raise ConfigError("ABUSE_LIMITS_FACTOR must be a positive number")
    if config.get("ENV") == "production":
        validate_production_secrets(config)
    validate_partners(config)
    if config.get("INBOUND_DOMAIN") and not config.get("INBOUND_SECRET"):
        # Letters would ask for replies at an address whose webhook does not exist.
        raise ConfigError("INBOUND_DOMAIN needs INBOUND_SECRET (the Inbound Parse URL's secret)")
    if config.get("INBOUND_SECRET") and len(config["INBOUND_SECRET"]) < 16:
        raise ConfigError("INBOUND_SECRET must have at least 16 characters")


def validate_partners(config: dict) -> None:
    """The partners' API and webhook settings: a mistake stops the process with one line."""
    for name in ("API_TOKEN_MAX_AGE_DAYS", "WEBHOOK_TIMEOUT", "WEBHOOK_MAX_ATTEMPTS"):
        if name in config and not config[name] > 0:
            raise ConfigError(f"{name} must be above 0")
    if config.get("WEBHOOK_TIMEOUT", 5.0) > 30:
        # A worker holds a delivery for a few timeouts (its lease): keep them short.
        raise ConfigError("WEBHOOK_TIMEOUT must be at most 30 seconds")
    if config.get("WEBHOOK_RETRY_BASE_SECONDS", 30.0) < 0:
        raise ConfigError("WEBHOOK_RETRY_BASE_SECONDS must not be negative")
    if config.get("ENV") == "production" and config.get("WEBHOOKS_ALLOW_LOOPBACK"):
        # Loopback webhooks would let a partner's URL reach this machine's own services.
        raise ConfigError("WEBHOOKS_ALLOW_LOOPBACK must be off in production")
    if config.get("API_RATE_LIMIT") is not None:
        from limits import parse_many

        try:
            parse_many(config["API_RATE_LIMIT"])
        except ValueError:
            raise ConfigError(
                "API_RATE_LIMIT must read like 60/minute;1000/hour, not "
                f"{config['API_RATE_LIMIT']!r}"
            ) from None


def validate_production_secrets(config: dict) -> None:
    """In production the webhooks must be able to tell SendGrid from anyone else,
    and no secret may be short enough to guess."""
    if config.get("DEBUG"):
        raise ConfigError("DEBUG must be off in production")
    if len(config["SECRET_KEY"]) < 32:
        raise ConfigError("SECRET_KEY must have at least 32 characters")
    if config["MAIL_BACKEND"] == "sendgrid":
        secrets = ("INBOUND_SECRET", "SENDGRID_WEBHOOK_PUBLIC_KEY")
        missing = [name for name in secrets if not config.get(name)]
        if missing:
            raise ConfigError(f"MAIL_BACKEND=sendgrid in production needs {', '.join(missing)}")
    if config.get("IP_HASH_KEY") is not None and len(config["IP_HASH_KEY"]) < 32:
        raise ConfigError("IP_HASH_KEY must have at least 32 characters")


def validate_delivery(config: dict) -> None:
    """SMTP_URL, the throttle's defaults and the dispatch settings, checked at start-up
    so that a mistake stops the process with one line instead of failing every letter."""
    if config.get("SMTP_URL"):
        SMTPSettings.from_url(config["SMTP_URL"])  # raises ConfigError naming the problem
    positive = (
        "THROTTLE_PER_SECOND",
        "THROTTLE_REP_PER_HOUR",
        "THROTTLE_REP_PER_DAY",
        "THROTTLE_DOMAIN_PER_MINUTE",
        "THROTTLE_REP_HOUR_SECONDS",
        "THROTTLE_REP_DAY_SECONDS",
        "DISPATCH_BATCH_SIZE",
        "DISPATCH_CONCURRENCY",
        "DISPATCH_JOB_SECONDS",
        "CLAIM_IDLE_SECONDS",
        "SENDING_LEASE_SECONDS",
        "MAX_SEND_ATTEMPTS",
        "SENDGRID_TIMEOUT",
        "SENDGRID_CONCURRENCY",
    )
    for name in positive:
        if name in config and not config[name] > 0:
            raise ConfigError(f"{name} must be above 0")
    if "DIGEST_TIME" in config and not re.fullmatch(
        r"([01]\d|2[0-3]):[0-5]\d", config["DIGEST_TIME"] or ""
    ):
        raise ConfigError("DIGEST_TIME must be a time of day as HH:MM (UTC), e.g. 07:00")
    if config.get("SENDING_LEASE_SECONDS", 120) <= 2 * config.get("SENDGRID_TIMEOUT", 10.0):
        # A worker must be able to finish a request well inside its lease, or the
        # reconciler could hand the letter to another worker while it is in flight.
        raise ConfigError("SENDING_LEASE_SECONDS must be more than twice SENDGRID_TIMEOUT")
    # The fence (delivery.dispatch_send) sends only while SENDGRID_TIMEOUT plus a 5 s margin
    # fits in what is left of the lease: a shorter lease would never send.
    if config.get("SENDING_LEASE_SECONDS", 120) < config.get("SENDGRID_TIMEOUT", 10.0) + 7:
        raise ConfigError("SENDING_LEASE_SECONDS must be at least SENDGRID_TIMEOUT + 7")
    if config.get("WORKER_CONNECT_RETRY_SECONDS", 60) < 0:
        raise ConfigError("WORKER_CONNECT_RETRY_SECONDS must not be negative")


# The words SMTP_URL's starttls option accepts.
_SMTP_TRUE = ("1", "true", "yes", "on")
_SMTP_FALSE = ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class SMTPSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool

    @classmethod
    def from_url(cls, url: str) -> SMTPSettings:
        """Parse SMTP_URL; raises ConfigError with a one-line reason."""
        parts = urlsplit(url or "")
        if parts.scheme not in ("smtp", "smtps"):
            raise ConfigError("SMTP_URL must start with smtp:// or smtps://")
        if not parts.hostname:
            raise ConfigError("SMTP_URL has no host name")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError("SMTP_URL has an invalid port (a number from 1 to 65535)") from None
        if port == 0:
            raise ConfigError("SMTP_URL has an invalid port (a number from 1 to 65535)")
        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = sorted(set(query) - {"starttls"})
        if unknown:
            raise ConfigError(f"SMTP_URL has unknown option(s): {', '.join(unknown)}")
        starttls_value = query.get("starttls", [""])[0].lower()
        if starttls_value not in _SMTP_TRUE + _SMTP_FALSE:
            raise ConfigError("SMTP_URL: starttls must be 1 or 0")
        starttls = starttls_value in _SMTP_TRUE
        if starttls and parts.scheme == "smtps":
            raise ConfigError("SMTP_URL: smtps:// is TLS already; starttls=1 is for smtp://")
        if parts.password and not parts.username:
            raise ConfigError("SMTP_URL has a password but no user name")
        return cls(
            host=parts.hostname,
            port=port or (465 if parts.scheme == "smtps" else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=parts.scheme == "smtps",
            starttls=starttls,
        )
