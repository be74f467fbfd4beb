from functools import wraps

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from campaign.core.extensions import login_manager


def roles_required(*roles: str):
    """Let through logged-in users with one of ``roles`` (admins always);
    send anonymous users to the login page, refuse the others with 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403, _("Your account does not give access to this page."))
            return view(*args, **kwargs)

        return wrapped

    return decorator
