"""The audit log: who changed what, and when (admins only), in the reader's language."""

from __future__ import annotations

from flask import render_template, request

from campaign.accounts import audit as audit_service
from campaign.accounts import audit_messages
from campaign.accounts.decorators import roles_required
from campaign.core.blueprints.admin import bp
from campaign.core.view_helpers import page_number
from campaign.models import Role


@bp.get("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    object_type = request.args.get("type", "")
    if object_type not in audit_service.OBJECT_TYPES:
        object_type = ""
    object_id = request.args.get("id", "")
    result = audit_service.entries(
        page=page_number(request.args.get("page")),
        object_type=object_type or None,
        object_id=int(object_id)
        if object_type and object_id.isdigit() and len(object_id) < 10
        else None,
    )
    return render_template(
        "admin/audit.html",
        result=result,
        object_type=object_type,
        object_types=audit_service.OBJECT_TYPES,
        # Each entry in the reader's language (older entries: as they were stored).
        describe=audit_messages.describe,
        actor=audit_messages.actor,
        object_label=audit_messages.object_label,
    )
