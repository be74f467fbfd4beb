"""Staff: representatives' addresses that bounce, the letters held for them, and
marking an address fixed (which releases them)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from campaign.accounts.decorators import roles_required
from campaign.core.blueprints.staff import bp
from campaign.core.extensions import db
from campaign.core.view_helpers import csv_download
from campaign.delivery import address_holds, address_releases
from campaign.delivery.forms import CancelHeldForm
from campaign.models import AddressFlag, Representative, Role
from campaign.models.base import utcnow


def open_flags():
    """Flags on addresses representatives still have, not marked resolved."""
    return db.session.execute(
        select(AddressFlag, Representative)
        .join(Representative, Representative.id == AddressFlag.representative_id)
        .where(AddressFlag.resolved_at.is_(None))
        .order_by(AddressFlag.last_seen_at.desc())
    ).all()


def _flagged():
    """Open flags on the address each representative has now."""
    return [(flag, rep) for flag, rep in open_flags() if flag.email == (rep.email or "").lower()]


@bp.get("/addresses")
@roles_required(Role.STAFF)
def addresses():
    flagged = _flagged()
    if request.args.get("format") == "csv":
        data = [
            {
                "representative_id": rep.id,
                "representative": rep.name,
                "email": flag.email,
                "reason": flag.reason,
                "source": flag.source,
                "first_seen": flag.created_at.isoformat(timespec="seconds"),
                "last_seen": flag.last_seen_at.isoformat(timespec="seconds"),
            }
            for flag, rep in flagged
        ]
        columns_ = ("representative_id", "representative", "email", "reason", "source")
        return csv_download(data, (*columns_, "first_seen", "last_seen"), "addresses-to-fix")
    return addresses_page(flagged)


def addresses_page(flagged=None, refused: CancelHeldForm | None = None, representative_id=None):
    """The addresses page; ``refused`` is the cancel form of ``representative_id``'s
    row posted without its box ticked (shown with its error), the other rows blank."""
    if flagged is None:
        flagged = _flagged()
    cancel_forms = {
        rep.id: CancelHeldForm(formdata=None, prefix=f"held-{rep.id}") for _flag, rep in flagged
    }
    if refused is not None:
        cancel_forms[representative_id] = refused
    return render_template(
        "staff/addresses.html",
        flagged=flagged,
        held=address_holds.held_counts(),
        cancel_forms=cancel_forms,
    )


@bp.post("/addresses/<int:flag_id>/resolve")
@roles_required(Role.STAFF)
def resolve_address(flag_id: int):
    flag = db.session.get(AddressFlag, flag_id)
    if flag is None:
        abort(404, _("No such address."))
    flag.resolved_at = utcnow()
    db.session.flush()
    released = address_releases.release(
        flag.representative_id, "released: staff marked the address fixed"
    )
    db.session.commit()
    flash(
        ngettext(
            "Marked as fixed; %(num)d held letter goes out.",
            "Marked as fixed; %(num)d held letters go out.",
            released,
        )
    )
    return redirect(url_for(".addresses"))
