"""A body's name in each interface language, as supporters read it, and its
members' title in each letter language, as letters print it."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import Length

from campaign.accounts.decorators import roles_required
from campaign.core.blueprints.organisers import bp
from campaign.core.extensions import db
from campaign.core.i18n import INTERFACE_LANGUAGES
from campaign.core.translated_form import TranslatedForm
from campaign.core.view_helpers import get_or_404
from campaign.models import Body, Role
from campaign.people.addressing import GENDERS, LETTER_LANGUAGES


class BodyNamesForm(TranslatedForm):
    names = TextAreaField(_l("Names"), validators=[Length(max=4000)])
    titles = TextAreaField(_l("Members' titles in letters"), validators=[Length(max=8000)])


CODES = ", ".join(INTERFACE_LANGUAGES)


def parse_names(text: str) -> tuple[dict[str, str], list[str]]:
    """{"be": "…"} from lines "be: …"; and one line for each line it cannot read."""
    names, problems = {}, []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        code, colon, name = line.partition(":")
        code, name = code.strip().lower(), name.strip()
        if not colon or code not in INTERFACE_LANGUAGES or not name or len(name) > 200:
            problems.append(
                _(
                    "line %(number)d: write a language code (%(codes)s), a colon and the name",
                    number=number,
                    codes=CODES,
                )
            )
        else:
            names[code] = name
    return names, problems


def parse_titles(text: str) -> tuple[dict[str, list[str]], list[str]]:
    """{"de": [woman, man, not given]} from lines "de: Abgeordnete / Abgeordneter /
    Mitglied des Bundestages"; and one line for each line it cannot read."""
    titles, problems = {}, []
    codes = ", ".join(LETTER_LANGUAGES)
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        code, colon, rest = line.partition(":")
        code = code.strip().lower()
        forms = [form.strip() for form in rest.split("/")]
        if (
            not colon
            or code not in LETTER_LANGUAGES
            or len(forms) != len(GENDERS)
            or not all(forms[:2])
            or any(len(form) > 100 for form in forms)
        ):
            problems.append(
                _(
                    "titles, line %(number)d: write a language code (%(codes)s), a colon and "
                    "the title for a woman / for a man / when the gender is not known",
                    number=number,
                    codes=codes,
                )
            )
        else:
            titles[code] = forms
    return titles, problems


@bp.route("/bodies/<int:body_id>/names", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def body_names(body_id: int):
    body = get_or_404(Body, body_id, _("There is no such body."))
    form = BodyNamesForm()
    problems: list[str] = []
    if form.validate_on_submit():
        names, problems = parse_names(form.names.data)
        titles, title_problems = parse_titles(form.titles.data)
        problems += title_problems
        if not problems:
            body.names = names
            body.titles = titles
            db.session.commit()
            return redirect(url_for(".bodies"))
    elif not form.is_submitted():
        form.names.data = "\n".join(f"{code}: {name}" for code, name in (body.names or {}).items())
        form.titles.data = "\n".join(
            f"{code}: {' / '.join(forms)}" for code, forms in (body.titles or {}).items()
        )
    return render_template("organisers/body_names.html", body=body, form=form, problems=problems), (
        422 if problems or form.errors else 200
    )
