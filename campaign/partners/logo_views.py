"""Partners' logos, served from this site: a page that showed a logo from the
partner's own server would tell that server who opened it."""

from __future__ import annotations

from flask import Response, abort

from campaign.core.blueprints.supporters import bp
from campaign.core.extensions import db
from campaign.models import Partner
from campaign.partners import logos


@bp.get("/partner-logos/<int:partner_id>/<digest>")
def partner_logo(partner_id: int, digest: str):
    """The logo at an address that changes with it, so browsers may keep it a year."""
    partner = db.session.get(Partner, partner_id)
    if partner is None or not partner.logo or digest != logos.logo_digest(partner.logo):
        abort(404)
    if partner.logo_type not in (logos.PNG, logos.JPEG, logos.WEBP):
        abort(404)
    return Response(
        partner.logo,
        mimetype=partner.logo_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "Content-Disposition": "inline",
        },
    )
