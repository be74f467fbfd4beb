"""Importing a postcode-or-place to constituency table for a body: check the file
(a dry run that writes nothing), then import it, which replaces the body's table."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from campaign.accounts.decorators import roles_required
from campaign.core.blueprints.organisers import bp
from campaign.core.extensions import db
from campaign.core.translated_form import TranslatedForm
from campaign.models import Body, PlaceConstituency, Representative, Role
from campaign.people import places


class PlacesForm(TranslatedForm):
    file = FileField(
        _l("CSV file (columns place, constituency)"),
        validators=[FileRequired(_l("Choose a file."))],
    )
    body = SelectField(_l("Body"), choices=[], coerce=int)


def _bodies_with_constituencies() -> list[Body]:
    with_members = db.select(Representative.body_id).filter(
        Representative.constituency != "", Representative.active.is_(True)
    )
    return list(
        db.session.execute(
            db.select(Body).filter(Body.id.in_(with_members)).order_by(Body.country, Body.name)
        ).scalars()
    )


@bp.route("/places", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def import_places():
    form = PlacesForm()
    bodies = _bodies_with_constituencies()
    form.body.choices = [(b.id, f"{b.name} ({b.country})") for b in bodies]
    plan, problem, applied = None, None, False
    if form.validate_on_submit():
        body = db.session.get(Body, form.body.data)
        try:
            plan = places.read_plan(form.file.data.read(places.MAX_BYTES + 1), body)
        except places.PlacesFileError as exc:
            problem = _("Nothing was imported: %(reason)s.", reason=str(exc))
        else:
            # Both buttons send the file; only "Import" writes, after the same checks.
            if "apply" in request.form:
                places.apply_plan(plan)
                applied = True
    counts = dict(
        db.session.execute(
            db.select(PlaceConstituency.body_id, db.func.count(PlaceConstituency.id)).group_by(
                PlaceConstituency.body_id
            )
        ).all()
    )
    status = 422 if (form.errors or problem) else 200
    return render_template(
        "organisers/places.html",
        form=form,
        plan=plan,
        problem=problem,
        applied=applied,
        bodies=bodies,
        counts=counts,
    ), status
