"""Representatives' titles and bodies' names as a supporter reads them: in the
interface language, the title agreeing with the representative's gender, and a
description that needs no gender where the data does not give it."""

from __future__ import annotations

from flask_babel import pgettext

from campaign.core.blueprints.supporters import bp
from campaign.core.i18n import current_language
from campaign.people.addressing import organisers_title


def _titles(kind: str, gender: str) -> str:
    # A ministry is an office: its name says what it is, so no title goes before it.
    if kind == "parliament":
        if gender == "female":
            return pgettext("title of a woman", "Member of parliament")
        if gender == "male":
            return pgettext("title of a man", "Member of parliament")
        return pgettext("title, gender unknown", "Member of parliament")
    if kind == "european_parliament":
        if gender == "female":
            return pgettext("title of a woman", "Member of the European Parliament")
        if gender == "male":
            return pgettext("title of a man", "Member of the European Parliament")
        return pgettext("title, gender unknown", "Member of the European Parliament")
    return ""


def display_title(representative) -> str:
    """The representative's title in the interface language, for the lists: as
    organisers set it for the body, else the catalogue's for its kind."""
    gender = representative.gender or ""
    own = organisers_title(representative.body.titles, current_language(), gender)
    return own or _titles(representative.body.kind, gender)


def body_name(body) -> str:
    """The body's name in the interface language: as organisers gave it, else the
    European Parliament's own translation, else its name as imported."""
    names = body.names or {}
    language = current_language()
    if names.get(language):
        return names[language]
    if body.kind == "european_parliament":
        return pgettext("body", "European Parliament")
    return body.name


@bp.app_context_processor
def inject_names():
    return {"display_title": display_title, "body_name": body_name}
