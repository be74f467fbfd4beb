"""What representatives' offices ask of the campaign, recorded by staff, and what
follows from it:

- ``stop``: nothing more is written to them; letters not yet sent are cancelled
  and supporters are no longer offered them;
- ``web_form``: the same, and supporters are shown the office's web form instead;
- ``redirect``: letters go to the address the office gave from now on (it
  replaces the representative's address, as an organiser's correction would, so a
  flag on the old address no longer applies and held letters go);
- ``dispute``: the office says its figures on the public page are wrong; the page
  shows its figures as under review until staff withdraw the request.

Each request and each withdrawal is kept in the audit log with who recorded it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from campaign.accounts import audit
from campaign.core.extensions import db
from campaign.core.translated_form import NUL_MESSAGE, holds_nul
from campaign.delivery import address_holds, address_releases
from campaign.models import LetterState, OfficeRequest, Representative, User
from campaign.models.base import utcnow
from campaign.models.office import OFFICE_REQUEST_KINDS
from campaign.people.importers.base import valid_email

S = LetterState
# What the office asked, in the words of the audit log and the letters' history:
# records keep one language, whoever reads them later.
RECORDED = {
    "stop": "stop writing to us",
    "redirect": "write to this other address",
    "web_form": "use our web form instead",
    "dispute": "our figures on the public page are wrong",
}
# The same, as staff read them on the pages, in their own language.
LABELS = {
    "stop": _l("stop writing to us"),
    "redirect": _l("write to this other address"),
    "web_form": _l("use our web form instead"),
    "dispute": _l("our figures on the public page are wrong"),
}
NOTE_LIMIT = 2000


class RequestInvalid(ValueError):
    """Nothing was recorded; ``errors`` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _web_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc or len(value) > 500 or " " in value:
        return None
    return value


def record(
    rep: Representative, kind: str, *, email: str = "", url: str = "", note: str = "", user: User
) -> OfficeRequest:
    """Record the office's request and apply it (see the module docstring); commits.
    Raises RequestInvalid, having changed nothing, for an unknown kind, a redirect
    without a valid address or a web form without an https address."""
    email, url, note = email.strip(), url.strip(), note.strip()
    errors = {}
    if kind not in OFFICE_REQUEST_KINDS:
        errors["kind"] = gettext("Choose what the office asked for.")
    if kind == "redirect":
        email = valid_email(email) or ""
        if not email:
            errors["email"] = gettext("Give the address the office asked us to write to.")
        elif email.lower() == (rep.email or "").lower():
            errors["email"] = gettext("This is the address letters already go to.")
    if kind == "web_form" and _web_url(url) is None:
        errors["url"] = gettext("Give the office's web form as an https:// address.")
    if len(note) > NOTE_LIMIT:
        errors["note"] = gettext("Keep the note under %(limit)s characters.", limit=NOTE_LIMIT)
    # The page posts no form class (TranslatedForm refuses NUL for the others).
    for name, value in (("email", email), ("url", url), ("note", note)):
        if holds_nul([value]):
            errors[name] = str(NUL_MESSAGE)
    if errors:
        raise RequestInvalid(errors)
    request = OfficeRequest(
        representative_id=rep.id,
        kind=kind,
        email=email if kind == "redirect" else "",
        url=url if kind == "web_form" else "",
        note=note,
        created_by_id=user.id if user else None,
    )
    db.session.add(request)
    db.session.flush()
    changes: dict = {"office_request": [None, kind]}
    message, params = "office_request", {"name": rep.name, "request": RECORDED[kind]}
    if kind in address_holds.BLOCKING_REQUESTS:
        cancelled = address_holds.cancel(
            rep.id,
            f"cancelled: the office asked: {RECORDED[kind]}",
            states=(
                S.AWAITING_CONFIRMATION,
                S.AWAITING_DIGEST,
                S.IN_DIGEST,
                S.QUEUED,
                S.HELD_ADDRESS,
            ),
        )
        message, params["count"] = "office_request_cancelling", cancelled
    elif kind == "redirect":
        changes["email"] = [rep.email, email]
        rep.email = email
        db.session.flush()
        address_releases.release(rep.id, "released: the office gave another address")
    audit.record(
        "office_request", "representative", rep.id, message, params, user=user, changes=changes
    )
    db.session.commit()
    return request


def withdraw(request: OfficeRequest, user: User) -> bool:
    """End a standing request (the office changed its mind, or it was recorded in
    error); False when it had already ended. A redirect's address stays (change it
    as any address). Commits."""
    if request.withdrawn_at is not None:
        return False
    request.withdrawn_at = utcnow()
    rep = request.representative
    audit.record(
        "office_request_withdrawn",
        "representative",
        rep.id,
        "office_request_withdrawn",
        {"name": rep.name, "request": RECORDED[request.kind]},
        user=user,
        changes={"office_request": [request.kind, None]},
    )
    db.session.flush()
    address_releases.release(rep.id, "released: the office's request was withdrawn")
    db.session.commit()
    return True


def standing(representative_id: int | None = None) -> list[OfficeRequest]:
    """Requests not withdrawn, newest first."""
    query = select(OfficeRequest).where(OfficeRequest.withdrawn_at.is_(None))
    if representative_id is not None:
        query = query.where(OfficeRequest.representative_id == representative_id)
    return list(db.session.execute(query.order_by(OfficeRequest.id.desc())).scalars())


def figures_disputed(representative_ids) -> set[int]:
    """For the public page: the representatives whose office disputes its figures
    (shown as under review instead of the figures)."""
    ids = set(representative_ids)
    if not ids:
        return set()
    return set(
        db.session.execute(
            select(OfficeRequest.representative_id).where(
                OfficeRequest.representative_id.in_(ids),
                OfficeRequest.kind == "dispute",
                OfficeRequest.withdrawn_at.is_(None),
            )
        ).scalars()
    )
