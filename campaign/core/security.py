"""What every response says to the browser: a strict Content-Security-Policy and
the other security headers; which client address the app believes; request logs
without addresses, query strings or the secret parts of links."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from flask import Flask, abort, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug._internal import _log
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import WSGIRequestHandler

# No inline script or style anywhere, nothing from another origin.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# rq-dashboard (mounted for staff at /staff/rq) writes inline script and style and
# compiles its templates at run time; it still loads nothing from elsewhere.
RQ_DASHBOARD_PREFIX = "/staff/rq"
RQ_DASHBOARD_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "interest-cohort",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)
HSTS = "max-age=63072000; includeSubDomains"


# Where a page that a partner's site may frame (its embedded form) leaves, on the
# request's WSGI environ, the origins allowed to frame it; every other page, and an
# embedded page of a partner with none, may be framed by nobody.
FRAME_ANCESTORS = "campaign.frame_ancestors"


def policy_for(path: str, frame_ancestors: list[str] | None = None) -> str:
    """The policy of the page at ``path``; ``frame_ancestors``: the origins (already
    checked: scheme://host[:port]) that may frame it, instead of none."""
    if path == RQ_DASHBOARD_PREFIX or path.startswith(RQ_DASHBOARD_PREFIX + "/"):
        return RQ_DASHBOARD_CSP
    if frame_ancestors:
        return CSP.replace("frame-ancestors 'none'", "frame-ancestors " + " ".join(frame_ancestors))
    return CSP


# URL parts that are credentials: the signed token of a link mailed to a supporter
# (whoever holds it sees their letters, or downloads and deletes their data) and the
# secret in the inbound webhook's URL.
SECRET_URL_PARTS = ("token", "secret")
# Where the app leaves, on each request's WSGI environ, the path that logs may print.
LOG_PATH_KEY = "campaign.log_path"
# A path segment long enough to be a token or a secret: for a path no route matched
# (a link mistyped or cut short still carries most of its token).
_TOKEN_LIKE = re.compile(r"(?<=/)[^/]{24,}(?=/|$)")


def loggable_path(path: str, view_args: dict | None = None) -> str:
    """``path`` with the secret parts of its route, and any segment long enough to be
    one, replaced by a placeholder."""
    for name in SECRET_URL_PARTS:
        value = str((view_args or {}).get(name) or "")
        for form in dict.fromkeys((value, quote(value, safe=""))) if value else ():
            # The route's variable: a whole segment, or one before a suffix (".json").
            segment = re.compile(r"(?<=/)" + re.escape(form) + r"(?=[/.]|$)")
            path = segment.sub(f"<{name}>", path, count=1)
    return _TOKEN_LIKE.sub("<redacted>", path)


def logged_path(environ: dict) -> str:
    """What a request log prints of a request's path (never its query string)."""
    marked = environ.get(LOG_PATH_KEY)
    return marked if marked else loggable_path(environ.get("PATH_INFO") or "/")


def _carries_a_secret() -> bool:
    """A page reached through a signed link, or one only staff see: never cached."""
    args = request.view_args or {}
    if any(name in args for name in SECRET_URL_PARTS):
        return True
    if request.endpoint == "static":
        return False
    return bool(getattr(current_user, "is_authenticated", False))


def init_security(app: Flask) -> None:
    """Install the headers, and trust TRUSTED_PROXY_COUNT proxies in front of the app
    for the client address (none by default: X-Forwarded-For is then ignored)."""
    proxies = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    production = app.config["ENV"] == "production"
    if production and app.debug:
        raise RuntimeError("debug mode must never run in production")
    # Flask-WTF's HTTPS check wants a Referer, which no-referrer (below) never sends.
    # Browsers say where a request comes from in Sec-Fetch-Site instead: see below.
    app.config["WTF_CSRF_SSL_STRICT"] = False

    @app.before_request
    def same_origin_forms_only():
        """Refuse a form posted from another site (on top of the CSRF token). Browsers
        too old to send Sec-Fetch-Site still need the token; the webhooks are called
        by servers, not browsers."""
        if request.method in ("GET", "HEAD", "OPTIONS") or request.blueprint == "webhooks":
            return None
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None and site not in ("same-origin", "none"):
            abort(403, _("This form was sent from another site. Please use the form on this site."))
        return None

    @app.after_request
    def security_headers(response):
        headers = response.headers
        framers = request.environ.get(FRAME_ANCESTORS)
        headers["Content-Security-Policy"] = policy_for(request.path, framers)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # Links carry signed tokens: no page tells another site where it came from.
        # A partner's embedded form (no token in its addresses) tells only this site:
        # under no-referrer a browser posts its form with "Origin: null", and the
        # form's check needs the frame's own origin (partners.form_tokens).
        headers["Referrer-Policy"] = "same-origin" if framers else "no-referrer"
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if not framers:
            # X-Frame-Options knows no list of sites: a page that some may frame has
            # only its policy's frame-ancestors.
            headers.setdefault("X-Frame-Options", "DENY")
        if production:
            headers.setdefault("Strict-Transport-Security", HSTS)
        if _carries_a_secret():
            headers["Cache-Control"] = "no-store"
        return response

    @app.after_request
    def path_for_the_logs(response):
        request.environ[LOG_PATH_KEY] = loggable_path(request.path, request.view_args)
        return response


class PrivateRequestHandler(WSGIRequestHandler):
    """The development server's request log without the client address, without
    query strings (they can carry search terms) and without the secret parts of
    links (logged_path)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        environ = getattr(self, "environ", None)
        if environ is not None:
            path = logged_path(environ)
        else:  # the request never reached the app
            path = loggable_path(urlsplit(getattr(self, "path", "") or "").path or "-")
        command = getattr(self, "command", "-") or "-"
        self.log("info", '"%s %s" %s %s', command, path, code, size)

    def log(self, type: str, message: str, *args) -> None:  # noqa: A002 - werkzeug's name
        _log(type, f"[{self.log_date_time_string()}] {message}\n", *args)
