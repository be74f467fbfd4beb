"""Staff: letters held for a bad address (delivery.address_holds) and what
representatives' offices asked of the campaign (people.office_requests)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from campaign.accounts.decorators import roles_required
from campaign.accounts.menu import add_menu_item
from campaign.core.blueprints.staff import bp
from campaign.core.extensions import db
from campaign.delivery import address_holds
from campaign.delivery.forms import CancelHeldForm
from campaign.models import OfficeRequest, Representative, Role
from campaign.models.office import OFFICE_REQUEST_KINDS
from campaign.people import office_requests as requests_service
from campaign.people.address_views import addresses_page


@bp.record_once
def _menu(state):
    add_menu_item(state.app, "staff.office_requests", _l("Offices' requests"), Role.STAFF)


def _representative(representative_id: int) -> Representative:
    rep = db.session.get(Representative, representative_id)
    if rep is None:
        abort(404, _("No such representative."))
    return rep


@bp.post("/addresses/representatives/<int:representative_id>/cancel-held")
@roles_required(Role.STAFF)
def cancel_held(representative_id: int):
    rep = _representative(representative_id)
    form = CancelHeldForm(prefix=f"held-{rep.id}")
    if not form.validate_on_submit():
        return addresses_page(refused=form, representative_id=rep.id), 422
    count = address_holds.cancel(rep.id, f"cancelled by staff ({current_user.email})")
    db.session.commit()
    flash(
        ngettext(
            "%(num)d held letter to %(name)s cancelled: it will not be sent.",
            "%(num)d held letters to %(name)s cancelled: they will not be sent.",
            count,
            name=rep.name,
        )
    )
    return redirect(url_for(".addresses"))


@bp.get("/office-requests")
@roles_required(Role.STAFF)
def office_requests():
    return render_template(
        "staff/office_requests.html",
        requests=requests_service.standing(),
        labels=requests_service.LABELS,
        rep=None,
    )


@bp.route("/representatives/<int:representative_id>/office-requests", methods=["GET", "POST"])
@roles_required(Role.STAFF)
def representative_office_requests(representative_id: int):
    rep = _representative(representative_id)
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        try:
            requests_service.record(
                rep,
                form.get("kind", ""),
                email=form.get("email", ""),
                url=form.get("url", ""),
                note=form.get("note", ""),
                user=current_user,
            )
        except requests_service.RequestInvalid as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("The office's request is recorded and applies from now on."))
            return redirect(url_for(".representative_office_requests", representative_id=rep.id))
    history = db.session.execute(
        select(OfficeRequest)
        .where(OfficeRequest.representative_id == rep.id)
        .order_by(OfficeRequest.id.desc())
    ).scalars()
    return render_template(
        "staff/office_requests.html",
        rep=rep,
        requests=list(history),
        labels=requests_service.LABELS,
        kinds=OFFICE_REQUEST_KINDS,
        blocked=address_holds.blocked([rep.id]).get(rep.id),
        held=address_holds.held_counts().get(rep.id, 0),
        errors=errors,
        form=form,
    ), (422 if errors else 200)


@bp.post("/office-requests/<int:request_id>/withdraw")
@roles_required(Role.STAFF)
def withdraw_office_request(request_id: int):
    item = db.session.get(OfficeRequest, request_id)
    if item is None:
        abort(404, _("No such request."))
    if requests_service.withdraw(item, current_user):
        flash(_("The request is withdrawn."))
    return redirect(
        url_for(".representative_office_requests", representative_id=item.representative_id)
    )
