from flask import render_template

from ..auth.decorators import roles_required
from ..models import Role
from . import bp


@bp.get("/")
@roles_required(Role.STAFF)
def index():
    return render_template("staff/index.html")
