from flask import render_template

from campaign.accounts.decorators import roles_required
from campaign.core.blueprints.organisers import bp
from campaign.models import Role


@bp.get("/")
@roles_required(Role.ORGANISER)
def index():
    return render_template("organisers/index.html")
