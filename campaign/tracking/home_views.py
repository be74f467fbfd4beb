"""The staff home: what needs attention today, and the day's and the week's figures."""

from flask import render_template

from campaign.accounts.decorators import roles_required
from campaign.core.blueprints.staff import bp
from campaign.models import Role
from campaign.tracking import attention


@bp.get("/")
@roles_required(Role.STAFF)
def index():
    since = attention.periods()
    return render_template(
        "staff/index.html",
        todo=attention.attention(),
        figures={name: attention.figures(start) for name, start in since.items()},
        since=since,
    )
