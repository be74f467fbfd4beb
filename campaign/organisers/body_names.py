"""A body's name in each interface language, as supporters read it."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from ..auth.decorators import roles_required
from ..extensions import db
from ..i18n import INTERFACE_LANGUAGES
from ..models import Body, Role
from . import bp
from .common import get_or_404


class BodyNamesForm(FlaskForm):
    names = TextAreaField(_l("Names"), validators=[Length(max=4000)])


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


@bp.route("/bodies/<int:body_id>/names", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def body_names(body_id: int):
    body = get_or_404(Body, body_id, _("There is no such body."))
    form = BodyNamesForm()
    problems: list[str] = []
    if form.validate_on_submit():
        names, problems = parse_names(form.names.data)
        if not problems:
            body.names = names
            db.session.commit()
            return redirect(url_for(".bodies"))
    elif not form.is_submitted():
        form.names.data = "\n".join(f"{code}: {name}" for code, name in (body.names or {}).items())
    return render_template("organisers/body_names.html", body=body, form=form, problems=problems), (
        422 if problems or form.errors else 200
    )
