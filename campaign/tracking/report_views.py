"""Staff: response reports (tables, charts drawn here as inline SVG, CSV of every
table) and one representative's record. Addresses that bounce: people/address_views."""

from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from campaign.accounts.decorators import roles_required
from campaign.core.blueprints.staff import bp
from campaign.core.extensions import db
from campaign.core.view_helpers import csv_download
from campaign.models import AddressFlag, Campaign, Letter, Representative, Role
from campaign.models.base import utcnow
from campaign.tracking import reports as report_service

DIMENSION_LABELS = {
    "representative": _l("Representative"),
    "party": _l("Party"),
    "body": _l("Body"),
    "country": _l("Country"),
    "campaign": _l("Campaign"),
    "template": _l("Template version"),
    "variant": _l("Subject line version"),
}
CHART_WIDTH = 640


def bars(rows: list[report_service.ReportRow], limit: int = 25) -> list[dict]:
    """A bar per group with letters sent: its full label, its response rate (0–100,
    the bar's length) and the counts behind it."""
    items = []
    for row in [row for row in rows if row.response_rate is not None][:limit]:
        rate = row.response_rate or 0.0
        items.append(
            {
                "label": str(row.key),
                "width": round(100 * rate, 1),
                "rate": rate,
                "replied": row.counts["replied"],
                "sent": row.counts["sent"],
            }
        )
    return items


def columns(days: list[report_service.Day]) -> dict:
    """Geometry of a column chart of letters and replies per day."""
    height, top, bottom = 160, 10, 20
    plot = height - top - bottom
    peak = max([d.letters for d in days] + [d.replies for d in days] + [1])
    step = CHART_WIDTH / max(1, len(days))
    items = []
    for index, day in enumerate(days):
        letters_h = round(plot * day.letters / peak, 1)
        replies_h = round(plot * day.replies / peak, 1)
        x = round(index * step, 1)
        items.append(
            {
                "day": day.day.isoformat(),
                "letters": day.letters,
                "replies": day.replies,
                "x": x,
                "reply_x": round(x + step / 2, 1),
                "w": round(max(step / 2 - 1, 1), 1),
                "letters_y": top + plot - letters_h,
                "letters_h": letters_h,
                "replies_y": top + plot - replies_h,
                "replies_h": replies_h,
            }
        )
    return {
        "items": items,
        "width": CHART_WIDTH,
        "height": height,
        "baseline": top + plot,
        "peak": peak,
        "first": days[0].day.isoformat() if days else "",
        "last": days[-1].day.isoformat() if days else "",
        "empty": not any(d.letters or d.replies for d in days),
    }


def _campaign_filter() -> int | None:
    value = request.args.get("campaign", "")
    return int(value) if value.isdigit() else None


def _rows(by: str, campaign_id: int | None, current: tuple[str, list]) -> list:
    """The report by ``by``, reusing the one already computed for the page."""
    if by == current[0]:
        return current[1]
    return report_service.responses(by, campaign_id, refresh=False)


def _export(table: str, by: str, campaign_id: int | None, rows: list, ranked: list) -> Response:
    if table == "ranked":
        data = [row.as_dict() for row in ranked]
        return csv_download(
            data, report_service.row_columns("representative"), "ranked-representatives"
        )
    if table == "daily":
        days = report_service.daily(campaign_id)
        data = [
            {"day": day.day.isoformat(), "letters": day.letters, "replies": day.replies}
            for day in days
        ]
        return csv_download(data, ("day", "letters", "replies"), "letters-and-replies-per-day")
    if table in ("party", "body"):
        data = [row.as_dict() for row in _rows(table, campaign_id, (by, rows))]
        return csv_download(data, report_service.row_columns(table), f"responses-by-{table}")
    data = [row.as_dict() for row in rows]
    return csv_download(data, report_service.row_columns(by), f"responses-by-{by}")


def _by_rate(rows: list) -> list:
    return sorted(rows, key=lambda row: -(row.response_rate or 0.0))


@bp.get("/reports")
@roles_required(Role.STAFF)
def reports():
    by = request.args.get("by", "representative")
    if by not in report_service.DIMENSIONS:
        abort(404, _("Unknown report."))
    campaign_id = _campaign_filter()
    rows = report_service.responses(by, campaign_id)
    by_campaign = _rows("campaign", campaign_id, (by, rows))
    by_rep = _rows("representative", campaign_id, (by, rows))
    ranked = report_service.ranked(by_rep)
    if request.args.get("format") == "csv":
        return _export(request.args.get("table", "by"), by, campaign_id, rows, ranked)
    minimum = report_service.min_sample()
    return render_template(
        "staff/reports.html",
        by=by,
        rows=rows,
        total=report_service.totals(rows, campaign_id),
        by_campaign=by_campaign,
        titles=dict(db.session.execute(select(Campaign.id, Campaign.title)).all()),
        ranked=ranked,
        min_sample=minimum,
        below_minimum=sum(1 for row in by_rep if row.counts["sent"] < minimum),
        campaigns=db.session.execute(select(Campaign).order_by(Campaign.title)).scalars().all(),
        campaign_id=campaign_id,
        dimensions=DIMENSION_LABELS,
        daily=columns(report_service.daily(campaign_id)),
        party_chart=bars(_by_rate(_rows("party", campaign_id, (by, rows)))),
        body_chart=bars(_by_rate(_rows("body", campaign_id, (by, rows)))),
        generated_at=utcnow(),
    )


@bp.get("/representatives/<int:representative_id>")
@roles_required(Role.STAFF)
def representative(representative_id: int):
    rep = db.session.get(Representative, representative_id)
    if rep is None:
        abort(404, _("No such representative."))
    rows = report_service.responses("campaign", representative_id=rep.id)
    letters = (
        db.session.execute(
            select(Letter)
            .where(Letter.representative_id == rep.id, Letter.sent_at.is_not(None))
            .order_by(Letter.sent_at.desc())
            .limit(200)
        )
        .scalars()
        .all()
    )
    flags = (
        db.session.execute(select(AddressFlag).where(AddressFlag.representative_id == rep.id))
        .scalars()
        .all()
    )
    return render_template(
        "staff/representative.html", rep=rep, rows=rows, letters=letters, flags=flags
    )
