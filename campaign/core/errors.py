"""Error pages: a clear message, never a traceback."""

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from campaign.core.limits import retry_after_seconds


def _wants_json() -> bool:
    return request.path.startswith(("/webhooks/", "/healthz", "/api/")) or (
        request.accept_mimetypes.best == "application/json"
    )


def _generic_message(exc: HTTPException) -> str:
    """Werkzeug's own descriptions are English only: say the same in the visitor's language."""
    messages = {
        400: _("The request could not be understood. Please go back and try again."),
        403: _("Your account does not give access to this page."),
        404: _("We could not find this page. Please check the address."),
        405: _("This page cannot be used this way."),
        410: _("This page is no longer available."),
        413: _("What was sent is too large. Please send a smaller file."),
        429: _("Too many requests. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Please try again in a moment."),
        503: _("The service is briefly unavailable. Please try again in a moment."),
    }
    if exc.description == type(exc).description and exc.code in messages:
        return messages[exc.code]
    return exc.description


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        message = _("The form expired or was sent from elsewhere. Please go back and try again.")
        if _wants_json():
            return jsonify(error=message), 400
        return render_template("error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith("/api/"):
            # The partners' API: a stable code and a reason (docs/partners-api.md).
            code = (exc.name or "error").lower().replace(" ", "_").replace("'", "")
            response = jsonify(error=code, reason=exc.description), exc.code
        elif _wants_json():
            response = jsonify(error=exc.description), exc.code
        else:
            page = render_template("error.html", code=exc.code, message=_generic_message(exc))
            response = page, exc.code
        if exc.code == 429:
            return *response, {"Retry-After": str(retry_after_seconds())}
        return response

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unhandled error on %s %s", request.method, request.endpoint)
        error = InternalServerError()
        if _wants_json():
            return jsonify(error="internal error"), 500
        return render_template("error.html", code=500, message=_generic_message(error)), 500
