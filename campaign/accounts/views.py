import time
from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from campaign.accounts import login_throttle, second_factor
from campaign.accounts.forms import LoginForm
from campaign.core import limits
from campaign.core.blueprints.auth import bp
from campaign.core.extensions import db, login_manager
from campaign.models import User
from campaign.models.base import utcnow
from campaign.models.user import burn_password_check

# The account that passed its password and still owes its second factor.
PENDING = "second_factor_pending"
PENDING_SECONDS = 300


@login_manager.user_loader
def load_user(session_id: str):
    """The account a session names, while that session is still one of its own:
    a session of an older generation (before a logout, a new password or role, a
    deactivation) or in the format before generations names nobody."""
    user_id, _sep, generation = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and generation.isascii()):
        return None
    if not generation.isdigit() or len(user_id) > 18:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_generation != int(generation):
        return None
    return user


def _safe_next(target: str | None) -> str:
    """Only redirect to a path on this site after login."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("auth.home")


def complete_login(user: User):
    """The account proved its password (or a login link): ask for its second
    factor if it has one, else start its session and go where it was going."""
    target = _safe_next(request.args.get("next"))
    if second_factor.enabled(user):
        session[PENDING] = {
            "user": user.id,
            "generation": user.session_generation,
            "until": time.time() + PENDING_SECONDS,
            "next": target,
        }
        return redirect(url_for("auth.second_factor_login"))
    return start_session(user, target)


def start_session(user: User, target: str):
    user.last_login_at = utcnow()
    db.session.commit()
    login_user(user)
    return redirect(target)


@bp.route("/login", methods=["GET", "POST"])
@limits.post_limits("login", limits.pair_key, limits.has_email)
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        wait = login_throttle.wait_seconds(request.remote_addr, email)
        if wait:
            # Nothing is checked while the delay runs; other addresses are not delayed.
            error = _(
                "Too many wrong passwords. Try again in %(seconds)s seconds, "
                "or ask for a login link by email.",
                seconds=wait,
            )
            page = render_template("auth/login.html", form=form, error=error)
            return page, 429, {"Retry-After": str(wait)}
        # No account has a NUL in its address (and PostgreSQL cannot even compare one).
        query = db.select(User).filter_by(email=email)
        user = None if "\x00" in email else db.session.execute(query).scalar_one_or_none()
        if user is None:
            burn_password_check(form.password.data)
        if user is not None and user.active and user.check_password(form.password.data):
            login_throttle.succeeded(request.remote_addr, email)
            return complete_login(user)
        login_throttle.failed(request.remote_addr, email)
        error = _("Wrong email address or password.")
    return render_template("auth/login.html", form=form, error=error)


@bp.post("/logout")
@login_required
def logout():
    # Every session of the account ends, not only this browser's: a copied cookie too.
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    return redirect(url_for("supporters.index"))


@bp.get("/manage")
@login_required
def home():
    return render_template("auth/home.html")
