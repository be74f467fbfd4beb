"""Error pages: a clear message, never a traceback."""

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError


def _wants_json() -> bool:
    return request.path.startswith(("/webhooks/", "/healthz")) or (
        request.accept_mimetypes.best == "application/json"
    )


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        message = "The form expired or was sent from elsewhere. Please go back and try again."
        if _wants_json():
            return jsonify(error=message), 400
        return render_template("error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if _wants_json():
            return jsonify(error=exc.description), exc.code
        return render_template("error.html", code=exc.code, message=exc.description), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unhandled error on %s %s", request.method, request.endpoint)
        error = InternalServerError()
        if _wants_json():
            return jsonify(error="internal error"), 500
        return render_template("error.html", code=500, message=error.description), 500
