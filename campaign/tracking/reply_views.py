"""Staff: the reply inbox, one reply (correct its kind, record its stance,
match it by hand), one letter's history, and responses logged by hand."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from campaign.accounts import audit
from campaign.accounts.decorators import roles_required
from campaign.core.blueprints.staff import bp
from campaign.core.extensions import db
from campaign.core.spreadsheet import csv_text
from campaign.core.translated_form import TranslatedForm
from campaign.models import (
    Campaign,
    DeliveryEvent,
    Letter,
    LoggedResponse,
    Reply,
    Role,
    SurveyAnswer,
)
from campaign.models.base import utcnow
from campaign.tracking import replies as reply_service
from campaign.tracking import reply_inbox

KIND_LABELS = {
    "human": _l("human"),
    "automatic": _l("automatic"),
    "bounce": _l("bounce"),
}
STANCE_LABELS = {
    "supportive": _l("supportive"),
    "non_committal": _l("non-committal"),
    "opposed": _l("opposed"),
}
CHANNEL_LABELS = {
    "phone": _l("phone call"),
    "letter": _l("paper letter"),
    "email": _l("email we did not capture"),
    "meeting": _l("meeting"),
    "other": _l("other"),
}
PER_PAGE = 50


class KindForm(TranslatedForm):
    kind = SelectField(_l("Kind"), choices=list(KIND_LABELS.items()))


class StanceForm(TranslatedForm):
    stance = SelectField(_l("Stance"), choices=[("", _l("not recorded")), *STANCE_LABELS.items()])


class AssignForm(TranslatedForm):
    letter_id = IntegerField(_l("Letter number"), validators=[DataRequired(), NumberRange(min=1)])


class LogResponseForm(TranslatedForm):
    channel = SelectField(_l("How they responded"), choices=list(CHANNEL_LABELS.items()))
    stance = SelectField(_l("Stance"), choices=[("", _l("not recorded")), *STANCE_LABELS.items()])
    occurred_on = DateField(_l("When"), validators=[DataRequired()])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=5000)])


@bp.app_template_global()
def reply_kind_label(kind: str | None) -> str:
    return str(KIND_LABELS.get(kind, _l("unread"))) if kind else str(_l("unread"))


@bp.app_template_global()
def stance_label(stance: str | None) -> str:
    return str(STANCE_LABELS.get(stance, "")) if stance else ""


def _filters() -> reply_inbox.InboxFilters:
    campaign = request.args.get("campaign", "")
    return reply_inbox.InboxFilters(
        kind=request.args.get("kind", ""),
        stance=request.args.get("stance", ""),
        matched=request.args.get("matched", ""),
        campaign_id=int(campaign) if campaign.isdigit() else None,
    )


@bp.get("/replies")
@roles_required(Role.STAFF)
def replies():
    filters = _filters()
    if request.args.get("format") == "csv":
        rows = reply_inbox.inbox_rows(filters)
        audit.record_access("export", "replies_exported", len(rows), user=current_user)
        return Response(
            csv_text(rows, reply_inbox.INBOX_COLUMNS),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=replies.csv"},
        )
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    rows, total = reply_inbox.inbox(filters, page, PER_PAGE)
    audit.record_access("list", "replies_listed", len(rows), {"page": page}, user=current_user)
    campaigns = db.session.execute(select(Campaign).order_by(Campaign.title)).scalars().all()
    args = {k: v for k, v in request.args.items() if k not in ("page", "format") and v}
    return render_template(
        "staff/replies.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        filters=filters,
        campaigns=campaigns,
        args=args,
        kinds=KIND_LABELS,
        stances=STANCE_LABELS,
    )


def _reply_or_404(reply_id: int) -> Reply:
    reply = db.session.get(Reply, reply_id)
    if reply is None:
        abort(404, _("No such reply."))
    return reply


@bp.get("/replies/<int:reply_id>")
@roles_required(Role.STAFF)
def reply(reply_id: int):
    item = _reply_or_404(reply_id)
    # A reply quotes the supporter's letter: their name, city and words.
    audit.record_access("view", "reply_viewed", 1, {"id": item.id}, user=current_user)
    kind_form = KindForm(kind=item.kind or "human")
    stance_form = StanceForm(stance=item.stance or "")
    return render_template(
        "staff/reply.html",
        reply=item,
        quoted=_quoted(item),
        kind_form=kind_form,
        stance_form=stance_form,
        assign_form=AssignForm(),
    )


def _quoted(item: Reply) -> str:
    from campaign.tracking.inbound import quoted_part

    try:
        return quoted_part(reply_service.head_of(item.text))
    except Exception:  # noqa: BLE001 - show nothing rather than fail the page
        return ""


@bp.post("/replies/<int:reply_id>")
@roles_required(Role.STAFF)
def update_reply(reply_id: int):
    item = _reply_or_404(reply_id)
    action = request.form.get("action", "")
    try:
        if action == "kind":
            form = KindForm()
            if form.validate_on_submit():
                reply_service.set_kind(item, form.kind.data, current_user.id)
                flash(_("Kind saved."))
        elif action == "stance":
            form = StanceForm()
            if form.validate_on_submit():
                reply_service.set_stance(item, form.stance.data or None, current_user.id)
                flash(_("Stance saved."))
        elif action == "assign":
            form = AssignForm()
            if form.validate_on_submit():
                letter = db.session.get(Letter, form.letter_id.data)
                if letter is None:
                    flash(_("There is no letter with that number."))
                else:
                    reply_service.assign(item, letter, current_user.id)
                    flash(_("Reply matched to letter %(id)s.", id=letter.id))
        else:
            abort(400, _("Unknown action."))
    except ValueError as exc:
        db.session.rollback()
        flash(str(exc))
    return redirect(url_for(".reply", reply_id=reply_id))


@bp.get("/letters/<int:letter_id>")
@roles_required(Role.STAFF)
def letter(letter_id: int):
    item = db.session.get(Letter, letter_id)
    if item is None:
        abort(404, _("No such letter."))
    form = LogResponseForm(occurred_on=utcnow().date())
    audit.record_access("view", "letter_viewed", 1, {"id": item.id}, user=current_user)
    return render_template("staff/letter.html", letter=item, form=form, **_history(item))


def _history(item: Letter) -> dict:
    def rows(model, order):
        return (
            db.session.execute(select(model).where(model.letter_id == item.id).order_by(order))
            .scalars()
            .all()
        )

    return {
        "delivery_events": rows(DeliveryEvent, DeliveryEvent.id),
        "replies": rows(Reply, Reply.received_at),
        "survey_answers": rows(SurveyAnswer, SurveyAnswer.id),
        "logged": rows(LoggedResponse, LoggedResponse.occurred_at),
        "channels": CHANNEL_LABELS,
    }


@bp.post("/letters/<int:letter_id>/responses")
@roles_required(Role.STAFF)
def log_response(letter_id: int):
    item = db.session.get(Letter, letter_id)
    if item is None:
        abort(404, _("No such letter."))
    form = LogResponseForm()
    if not form.validate_on_submit():
        return render_template("staff/letter.html", letter=item, form=form, **_history(item)), 400
    occurred = datetime.combine(form.occurred_on.data, time(12, 0), tzinfo=UTC)
    if item.sent_at is None:
        flash(_("This letter was never sent."))
        return redirect(url_for(".letter", letter_id=letter_id))
    reply_service.log_response(
        item,
        form.channel.data,
        form.stance.data or None,
        form.note.data or "",
        max(occurred, item.sent_at),
        current_user.id,
    )
    flash(_("Response logged."))
    return redirect(url_for(".letter", letter_id=letter_id))
