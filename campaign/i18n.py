"""Interface language: which one a request gets."""

from flask import Flask
from flask_babel import get_locale

# Interface languages with a catalogue; English is the source language.
INTERFACE_LANGUAGES = ("en",)


def select_locale() -> str:
    from flask import request

    return request.accept_languages.best_match(INTERFACE_LANGUAGES) or "en"


def init_i18n(app: Flask) -> None:
    from .extensions import babel

    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
