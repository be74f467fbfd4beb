"""Interface language: which one a request gets, the switch that remembers it,
and the compiled catalogues it needs.

A request's language is, in order: ``?lang=xx`` (the switch links in the header),
on the management pages the language the logged-in account chose there (the switch
stores it on the account, so it follows the person to any browser), the ``lang``
cookie that the switch leaves, the language a supporter wrote in (on the pages
their emails link to), the browser's Accept-Language, English.
"""

from __future__ import annotations

from pathlib import Path

from babel import Locale
from flask import Flask, g, has_request_context, request, url_for
from flask_babel import get_locale, refresh
from werkzeug.routing import BuildError

TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "translations"

# Interface languages, each named in itself; English is the source language.
INTERFACE_LANGUAGES = {
    "en": "English",
    "be": "Беларуская",
    "ru": "Русский",
    "uk": "Українська",
    "pl": "Polski",
    "lt": "Lietuvių",
    "lv": "Latviešu",
    "de": "Deutsch",
    "fr": "Français",
}
SOURCE_LANGUAGE = "en"
LANG_PARAM = "lang"
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
# The blueprints of the pages the team works in, where an account's language applies.
MANAGEMENT_BLUEPRINTS = frozenset({"organisers", "admin", "staff", "auth"})


class MissingCatalogues(RuntimeError):
    """A catalogue was never compiled; the message says how to compile it."""


def _requested_language() -> str | None:
    code = request.args.get(LANG_PARAM, "")
    return code if code in INTERFACE_LANGUAGES else None


def _management_account():
    """The logged-in account on a management page, else None."""
    if request.blueprint not in MANAGEMENT_BLUEPRINTS:
        return None
    from flask_login import current_user

    return current_user if current_user.is_authenticated else None


def account_language() -> str | None:
    account = _management_account()
    language = account.language if account is not None else None
    return language if language in INTERFACE_LANGUAGES else None


def remember_account_language() -> None:
    """A language chosen with the switch on a management page is stored on the
    account: the person reads the management pages in it from any browser."""
    chosen = _requested_language()
    account = _management_account() if chosen else None
    if account is not None and account.language != chosen:
        from campaign.core.extensions import db

        account.language = chosen
        db.session.commit()


def select_locale() -> str | None:
    if not has_request_context():
        return None  # the default, unless force_locale says otherwise
    chosen = _requested_language() or account_language() or request.cookies.get(LANG_COOKIE)
    if chosen in INTERFACE_LANGUAGES:
        return chosen
    remembered = g.get("supporter_locale")
    if remembered in INTERFACE_LANGUAGES:
        return remembered
    return request.accept_languages.best_match(INTERFACE_LANGUAGES, default=SOURCE_LANGUAGE)


def prefer_supporter_locale(code: str | None) -> None:
    """On a page reached from a supporter's email, speak the language they wrote in,
    unless this browser chose one itself."""
    g.supporter_locale = code
    refresh()


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else SOURCE_LANGUAGE


def text_direction() -> str:
    return Locale.parse(current_language()).text_direction


def language_name(code: str) -> str:
    """The name of language ``code`` in the interface language."""
    names = Locale.parse(current_language()).languages
    return names.get(code, code)


def switch_language_url(code: str) -> str:
    """This page in language ``code``. A view that was reached by POST may name the
    query that brings the visitor back to the same page (g.language_switch_args)."""
    args = request.args.to_dict(flat=False)
    if request.method != "GET":
        args = dict(g.get("language_switch_args") or {})
    args[LANG_PARAM] = [code]
    if request.endpoint is None:
        return url_for("supporters.index", **{LANG_PARAM: code})
    try:
        return url_for(request.endpoint, **(request.view_args or {}), **args)
    except BuildError:  # a page answering an address it does not serve (a partner's 404)
        return url_for("supporters.index", **{LANG_PARAM: code})


def missing_catalogues(directory: Path | None = None) -> list[str]:
    """Interface languages whose compiled catalogue (.mo) is not there."""
    directory = directory or TRANSLATIONS_DIR
    return [
        code
        for code in INTERFACE_LANGUAGES
        if code != SOURCE_LANGUAGE
        and not (directory / code / "LC_MESSAGES" / "messages.mo").exists()
    ]


def init_i18n(app: Flask) -> None:
    """Bind Flask-Babel; raise MissingCatalogues when a catalogue was not compiled,
    rather than serve English to people who chose another language."""
    from campaign.core.extensions import babel

    missing = missing_catalogues()
    if missing:
        raise MissingCatalogues(
            f"compiled translations missing for {', '.join(missing)}: run `make translations` "
            "(or `pybabel compile -d campaign/translations`)"
        )
    app.config.setdefault("BABEL_DEFAULT_LOCALE", SOURCE_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=select_locale)

    # A test client request can share the app context, and so Flask-Babel's cached
    # locale, with the request before it: choose afresh every time.
    app.before_request(refresh)
    app.before_request(remember_account_language)

    @app.after_request
    def remember_language(response):
        chosen = _requested_language()
        if chosen and request.cookies.get(LANG_COOKIE) != chosen:
            response.set_cookie(
                LANG_COOKIE,
                chosen,
                max_age=LANG_COOKIE_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=app.config.get("SESSION_COOKIE_SECURE", False),
            )
        if response.mimetype == "text/html":
            response.vary.update(("Accept-Language", "Cookie"))
        return response

    app.jinja_env.globals.update(
        get_locale=get_locale,
        current_language=current_language,
        text_direction=text_direction,
        language_name=language_name,
        interface_languages=INTERFACE_LANGUAGES,
        switch_language_url=switch_language_url,
    )
    from campaign.core import formatting

    formatting.register(app)
