"""Partner organisations (admins only): list, add, edit, attach to campaigns, logo;
each partner's page shows its links and the snippet that embeds the form."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaign.accounts.decorators import roles_required
from campaign.core.blueprints.admin import bp
from campaign.core.translated_form import TranslatedForm
from campaign.core.view_helpers import field_errors, get_or_404
from campaign.models import Partner, Role
from campaign.partners import embedding, logos, origins
from campaign.partners import partners as partner_service
from campaign.partners.forms import PartnerForm

# The partner form carries a logo: anything much larger than the largest logo is
# refused before it is read (413), a logo too large for its field after.
FORM_MAX_BYTES = logos.LOGO_MAX_BYTES + 256 * 1024
_UPLOADS = frozenset({"admin.new_partner", "admin.edit_partner"})


@bp.url_value_preprocessor
def _bounded_uploads(endpoint, values):
    # Runs before the CSRF check reads the form: the limit must be set by then.
    if endpoint in _UPLOADS:
        request.max_content_length = FORM_MAX_BYTES


def _form(partner: Partner | None = None) -> PartnerForm:
    """The form as posted, else as saved (a new partner: active, asking no consent)."""
    saved = {"active": True}
    if partner is not None:
        saved = {
            **partner_service.values_of(partner),
            "frame_origins": "\n".join(partner.frame_origins or []),
            "campaigns": [c.id for c in partner.campaigns],
        }
    form = PartnerForm(data=saved)
    form.campaigns.choices = [(c.id, c.title) for c in partner_service.all_campaigns()]
    return form


def _posted_logo() -> bytes | None:
    upload = request.files.get("logo")
    if upload is None:
        return None
    data = upload.stream.read(logos.LOGO_MAX_BYTES + 1)
    return data or None


def _values(form: PartnerForm) -> dict | None:
    """The posted values, or None after marking the origins that are refused."""
    found, refused = origins.parse_origins(form.frame_origins.data or "")
    if refused:
        form.frame_origins.errors = [
            *form.frame_origins.errors,
            *(f"{line}: {message}" for line, message in refused),
        ]
        return None
    return {
        "name": form.name.data or "",
        "slug": form.slug.data or "",
        "website": form.website.data or "",
        "privacy_url": form.privacy_url.data or "",
        "contact_email": form.contact_email.data or "",
        "frame_origins": found,
        "offers_consent": bool(form.offers_consent.data),
        "active": bool(form.active.data),
    }


@bp.get("/partners")
@roles_required(Role.ADMIN)
def partners():
    return render_template("admin/partners.html", partners=partner_service.all_partners())


@bp.route("/partners/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_partner():
    form = _form()
    if form.validate_on_submit():
        values = _values(form)
        if values is not None:
            try:
                partner = partner_service.create_partner(
                    values, form.campaigns.data or [], _posted_logo(), current_user
                )
            except partner_service.PartnerInvalid as exc:
                field_errors(form, exc.errors)
            else:
                flash(_("The partner %(name)s was added.", name=partner.name), "success")
                return redirect(url_for(".edit_partner", partner_id=partner.id))
    return render_template("admin/partner_form.html", form=form, partner=None), (
        422 if form.errors else 200
    )


def _page(partner: Partner, form: PartnerForm):
    campaigns = [
        {
            "campaign": campaign,
            "via_url": embedding.via_url(partner, campaign),
            "embed_url": embedding.embed_url(partner, campaign),
            "snippet": embedding.snippet(partner, campaign, campaign.title),
        }
        for campaign in sorted(partner.campaigns, key=lambda c: c.id)
    ]
    return render_template(
        "admin/partner_form.html",
        form=form,
        partner=partner,
        campaigns=campaigns,
        logo_digest=logos.logo_digest(partner.logo) if partner.logo else None,
        frame_message=embedding.FRAME_MESSAGE,
    )


@bp.route("/partners/<int:partner_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_partner(partner_id: int):
    partner = get_or_404(Partner, partner_id, _("There is no such partner."))
    form = _form(partner)
    if form.validate_on_submit():
        values = _values(form)
        if values is not None:
            try:
                changes = partner_service.update_partner(
                    partner, values, form.campaigns.data or [], _posted_logo(), current_user
                )
            except partner_service.PartnerInvalid as exc:
                field_errors(form, exc.errors)
            else:
                flash(_("Saved.") if changes else _("Nothing was changed."), "success")
                return redirect(url_for(".edit_partner", partner_id=partner.id))
    return _page(partner, form), (422 if form.errors else 200)


@bp.post("/partners/<int:partner_id>/logo/remove")
@roles_required(Role.ADMIN)
def remove_partner_logo(partner_id: int):
    partner = get_or_404(Partner, partner_id, _("There is no such partner."))
    if not TranslatedForm().validate_on_submit():
        abort(400)
    if partner_service.remove_logo(partner, current_user):
        flash(_("The logo was removed."), "success")
    return redirect(url_for(".edit_partner", partner_id=partner.id))
