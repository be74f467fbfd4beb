"""Representatives: search, edit, deactivate; each body's data and its age."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaign.accounts.decorators import roles_required
from campaign.core.blueprints.organisers import bp
from campaign.core.extensions import db
from campaign.core.translated_form import TranslatedForm
from campaign.core.view_helpers import field_errors, get_or_404, page_number
from campaign.models import Body, Representative, Role
from campaign.people import representatives as rep_service
from campaign.people.forms import BODY_KIND_LABELS, RepresentativeForm

STATUSES = ("active", "inactive", "all")


@bp.get("/representatives")
@roles_required(Role.ORGANISER)
def representatives():
    args = request.args
    status = args.get("status") if args.get("status") in STATUSES else "active"
    body_id = args.get("body", "")
    filters = {
        "query": args.get("q", "")[:100],
        "country": args.get("country", "")[:2].upper(),
        "body_id": int(body_id) if body_id.isdigit() and len(body_id) < 10 else None,
        "status": status,
    }
    result = rep_service.search(**filters, page=page_number(args.get("page")))
    bodies = db.session.execute(db.select(Body).order_by(Body.country, Body.name)).scalars()
    return render_template(
        "organisers/representatives.html",
        result=result,
        filters=filters,
        bodies=list(bodies),
        statuses=STATUSES,
        query_args={k: v for k, v in args.items() if k != "page"},
    )


@bp.route("/representatives/<int:rep_id>", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def edit_representative(rep_id: int):
    rep = get_or_404(Representative, rep_id, _("There is no such representative."))
    form = RepresentativeForm(obj=rep)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in rep_service.EDITABLE}
        try:
            changes = rep_service.update(rep, values, current_user)
        except rep_service.RepresentativeInvalid as exc:
            field_errors(form, exc.errors)
        else:
            flash(
                _("Saved.") if changes else _("Nothing was changed."),
                "success" if changes else "notice",
            )
            return redirect(url_for(".edit_representative", rep_id=rep.id))
    return render_template(
        "organisers/representative_form.html",
        rep=rep,
        form=form,
        kind_label=BODY_KIND_LABELS.get(rep.body.kind, rep.body.kind),
    ), (422 if form.errors else 200)


def _set_active(rep_id: int, active: bool):
    rep = get_or_404(Representative, rep_id, _("There is no such representative."))
    if not TranslatedForm().validate_on_submit():
        abort(400)
    if rep_service.set_active(rep, active, current_user):
        flash(
            _("%(name)s can receive letters again.", name=rep.name)
            if active
            else _(
                "%(name)s is deactivated: supporters can no longer write to them.", name=rep.name
            ),
            "success",
        )
    return redirect(url_for(".edit_representative", rep_id=rep.id))


@bp.post("/representatives/<int:rep_id>/deactivate")
@roles_required(Role.ORGANISER)
def deactivate_representative(rep_id: int):
    return _set_active(rep_id, False)


@bp.post("/representatives/<int:rep_id>/reactivate")
@roles_required(Role.ORGANISER)
def reactivate_representative(rep_id: int):
    return _set_active(rep_id, True)


@bp.get("/bodies")
@roles_required(Role.ORGANISER)
def bodies():
    return render_template(
        "organisers/bodies.html",
        statuses=rep_service.body_statuses(),
        kind_labels=BODY_KIND_LABELS,
        stale_months=rep_service.STALE_AFTER_MONTHS,
    )
