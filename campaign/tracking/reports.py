"""Response reports: who answers, how fast and how, by representative, party,
body, country, campaign, template version or subject line version ("variant":
letters.text_versions; counted from the letters themselves). Read from the rollups
(tracking.rollups: response_summary for the counts, response_delay for the
medians, response_rollup for the days), which the report brings up to date first.

Definitions (docs/staff/index.md):
- sent: letters that left (the mail provider accepted them);
- delivered: letters known to have arrived (a delivery event, or a reply);
- bounced: letters whose address failed for good (hard bounce or drop);
- replied: letters with a human response of any source: a captured reply, a
  survey "yes", or a response staff logged (each also counted on its own);
- response_rate: replied / sent;
- median_days_to_reply: median time from sending to the first dated human
  response (a captured reply or a logged response; survey answers carry no date).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import and_, func, select, true

from campaign.core.extensions import db
from campaign.letters import text_versions
from campaign.models import (
    Body,
    Campaign,
    Digest,
    Letter,
    LetterTemplate,
    Representative,
    ResponseDelay,
    ResponseRollup,
    ResponseSummary,
    TemplateVersion,
)
from campaign.models.base import utcnow
from campaign.tracking import rollups

DIMENSIONS = ("representative", "party", "body", "country", "campaign", "template", "variant")
# Cuts of some letters only (their rows do not add up to all letters sent).
PARTIAL_CUTS = ("digest",)
COUNTS = rollups.COUNTERS
COLUMNS = ("key", *COUNTS, "response_rate", "median_days_to_reply")
REPRESENTATIVE_COLUMNS = ("representative_id", "party", "body", "country")
VARIANT_COLUMNS = ("template_version_id", "subject_version")
DIGEST_COLUMNS = ("digest_id", "representative_id", "day")


@dataclass
class ReportRow:
    key: str
    ident: object
    counts: dict[str, int]
    median_days_to_reply: float | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def __getattr__(self, name: str):
        counts = self.__dict__.get("counts", {})
        if name in counts:
            return counts[name]
        raise AttributeError(name)

    @property
    def median_seconds_to_reply(self) -> float | None:
        median = self.median_days_to_reply
        return None if median is None else median * 86400

    @property
    def response_rate(self) -> float | None:
        sent = self.counts.get("sent", 0)
        return self.counts.get("replied", 0) / sent if sent else None

    def as_dict(self) -> dict:
        row = {"key": self.key, **self.extra, **self.counts}
        rate = self.response_rate
        row["response_rate"] = round(rate, 4) if rate is not None else None
        median = self.median_days_to_reply
        row["median_days_to_reply"] = round(median, 2) if median is not None else None
        return row


def min_sample() -> int:
    return int(current_app.config.get("REPORT_MIN_SAMPLE", 10))


def _grouping(by: str, model):
    """(select source, group column) for ``model`` (a rollup table) by dimension."""
    if by == "representative":
        return model.__table__, model.representative_id
    if by == "campaign":
        return model.__table__, model.campaign_id
    if by == "template":
        return model.__table__, model.template_version_id
    joined = model.__table__.join(
        Representative.__table__, Representative.id == model.representative_id
    )
    if by == "party":
        return joined, Representative.party
    if by == "country":
        return joined, Representative.country
    if by == "body":
        return joined, Representative.body_id
    raise ValueError(f"unknown dimension {by!r}")


def _filters(model, campaign_id: int | None, representative_id: int | None) -> list:
    where = []
    if campaign_id is not None:
        where.append(model.campaign_id == campaign_id)
    if representative_id is not None:
        where.append(model.representative_id == representative_id)
    return where


def _medians(by: str, campaign_id: int | None, representative_id: int | None = None) -> dict:
    """{group: median days to the first dated human response}; ``by`` "all" gives
    {"all": the median over every letter selected}."""
    where = _filters(ResponseDelay, campaign_id, representative_id)
    if by == "all":
        if db.session.get_bind().dialect.name == "postgresql":
            median = func.percentile_cont(0.5).within_group(ResponseDelay.delay_seconds)
            value = db.session.execute(select(median).where(*where)).scalar()
            return {} if value is None else {"all": float(value) / 86400}
        seconds = list(
            db.session.execute(select(ResponseDelay.delay_seconds).where(*where)).scalars()
        )
        return {"all": statistics.median(seconds) / 86400} if seconds else {}
    source, group = _grouping(by, ResponseDelay)
    if db.session.get_bind().dialect.name == "postgresql":
        median = func.percentile_cont(0.5).within_group(ResponseDelay.delay_seconds)
        rows = db.session.execute(
            select(group, median).select_from(source).where(*where).group_by(group)
        ).all()
        return {key: float(value) / 86400 for key, value in rows if value is not None}
    delays: dict = {}
    query = select(group, ResponseDelay.delay_seconds).select_from(source).where(*where)
    for key, seconds in db.session.execute(query):
        delays.setdefault(key, []).append(seconds)
    return {key: statistics.median(values) / 86400 for key, values in delays.items()}


def _where_in(column, idents: list) -> list:
    # A long IN list costs more than reading the whole (small) table.
    return [column.in_(idents)] if len(idents) <= 500 else []


def _labels(by: str, idents: list) -> dict:
    """(key, extra columns) for each group identity."""
    if by in ("party", "country"):
        return {ident: (ident or "—", {}) for ident in idents}
    if by == "representative":
        rows = db.session.execute(
            select(
                Representative.id,
                Representative.name,
                Representative.party,
                Representative.country,
                Body.name,
            )
            .join(Body, Body.id == Representative.body_id)
            .where(*_where_in(Representative.id, idents))
        ).all()
        return {
            rep_id: (
                name,
                {"representative_id": rep_id, "party": party, "body": body, "country": country},
            )
            for rep_id, name, party, country, body in rows
        }
    if by == "body":
        rows = db.session.execute(
            select(Body.id, Body.name, Body.country).where(*_where_in(Body.id, idents))
        ).all()
        return {
            ident: (name, {"body_id": ident, "country": country}) for ident, name, country in rows
        }
    if by == "campaign":
        rows = db.session.execute(
            select(Campaign.id, Campaign.slug).where(*_where_in(Campaign.id, idents))
        ).all()
        return {ident: (slug, {"campaign_id": ident}) for ident, slug in rows}
    rows = db.session.execute(
        select(
            TemplateVersion.id,
            TemplateVersion.number,
            LetterTemplate.body_kind,
            LetterTemplate.language,
        )
        .join(LetterTemplate, LetterTemplate.id == TemplateVersion.template_id)
        .where(*_where_in(TemplateVersion.id, idents))
    ).all()
    return {
        ident: (f"{kind}/{language} v{number}", {"template_version_id": ident})
        for ident, number, kind, language in rows
    }


def responses(
    by: str = "representative",
    campaign_id: int | None = None,
    refresh: bool = True,
    representative_id: int | None = None,
) -> list[ReportRow]:
    """One ReportRow per group of ``by`` (see DIMENSIONS; "digest": one per digest,
    of the letters sent in digests only), for one campaign or
    all (and one representative or all), sorted by key. Brings the rollups up
    to date first unless ``refresh`` is False. Raises ValueError for an unknown
    dimension."""
    if by not in DIMENSIONS + PARTIAL_CUTS:
        raise ValueError(f"unknown dimension {by!r}")
    if by == "variant":
        return _by_subject_version(campaign_id, representative_id)
    if by == "digest":
        return _by_digest(campaign_id, representative_id)
    if refresh:
        rollups.refresh_if_free()
    source, group = _grouping(by, ResponseSummary)
    where = _filters(ResponseSummary, campaign_id, representative_id)
    sums = [func.sum(getattr(ResponseSummary, name)) for name in COUNTS]
    rows = db.session.execute(
        select(group, *sums).select_from(source).where(*where).group_by(group)
    ).all()
    medians = _medians(by, campaign_id, representative_id)
    labels = _labels(by, [row[0] for row in rows])
    report = []
    for ident, *values in rows:
        key, extra = labels.get(ident, (str(ident), {}))
        counts = _counts(values)
        report.append(ReportRow(key, ident, counts, medians.get(ident), extra))
    report.sort(key=lambda row: (str(row.key).casefold(), str(row.ident)))
    return report


def _by_subject_version(campaign_id: int | None, representative_id: int | None) -> list[ReportRow]:
    """One row per template version and version of its subject drawn (letters
    without versions count as the first), with the rollups' definitions of each
    count, read from the sent letters themselves (the rollups are not kept per
    version drawn)."""
    where = [Letter.campaign_id == campaign_id] if campaign_id is not None else []
    if representative_id is not None:
        where.append(Letter.representative_id == representative_id)
    facts = rollups.letter_facts(and_(true(), *where))
    drawn = func.coalesce(Letter.text_draw[("subject", 0)].as_integer(), 0)
    grouped = rollups.counts_select(facts, facts.c.template_version_id, drawn).join(
        Letter, Letter.id == facts.c.letter_id
    )
    rows = db.session.execute(grouped).all()
    versions = {
        v.id: v
        for v in db.session.execute(
            select(TemplateVersion).where(TemplateVersion.id.in_({row[0] for row in rows} or {0}))
        ).scalars()
    }
    report = []
    for version_id, number, *values in rows:
        version = versions.get(version_id)
        counts = _counts(values)
        if version is None:
            key = f"{version_id}/{number + 1}"
        else:
            subject = text_versions.resolve(version.subject, (number,))
            key = (
                f"{version.template.body_kind}/{version.template.language} v{version.number}"
                f" · {number + 1}: {subject[:80]}"
            )
        extra = {"template_version_id": version_id, "subject_version": number + 1}
        report.append(ReportRow(key, (version_id, number), counts, None, extra))
    report.sort(key=lambda row: row.ident)
    return report


def _by_digest(campaign_id: int | None, representative_id: int | None) -> list[ReportRow]:
    """One row per digest sent (letters.digests): the letters it carried, counted
    as the rollups count letters; letters sent singly are not in this cut."""
    where = [Letter.digest_id.is_not(None)]
    if campaign_id is not None:
        where.append(Letter.campaign_id == campaign_id)
    if representative_id is not None:
        where.append(Letter.representative_id == representative_id)
    facts = rollups.letter_facts(and_(*where))
    grouped = rollups.counts_select(facts, Letter.digest_id).join(
        Letter, Letter.id == facts.c.letter_id
    )
    rows = db.session.execute(grouped).all()
    digests = {
        d.id: d
        for d in db.session.execute(
            select(Digest).where(Digest.id.in_({row[0] for row in rows} or {0}))
        ).scalars()
    }
    report = []
    for digest_id, *values in rows:
        digest = digests[digest_id]
        counts = _counts(values)
        key = f"digest {digest_id} · {digest.representative.name} · {digest.day.isoformat()}"
        extra = {
            "digest_id": digest_id,
            "representative_id": digest.representative_id,
            "day": digest.day.isoformat(),
        }
        report.append(ReportRow(key, digest_id, counts, None, extra))
    report.sort(key=lambda row: row.ident)
    return report


def _counts(values) -> dict[str, int]:
    """COUNTS by name, from a row's sums in COUNTS order (None: 0)."""
    return {name: int(value or 0) for name, value in zip(COUNTS, values, strict=True)}


def ranked(rows: list[ReportRow], minimum: int | None = None) -> list[ReportRow]:
    """Rows with at least ``minimum`` letters sent (REPORT_MIN_SAMPLE), best
    response rate first, then the fastest."""
    minimum = min_sample() if minimum is None else minimum
    eligible = [row for row in rows if row.counts["sent"] >= minimum]
    return sorted(
        eligible,
        key=lambda row: (
            -(row.response_rate or 0.0),
            row.median_days_to_reply if row.median_days_to_reply is not None else float("inf"),
            -row.counts["sent"],
            str(row.key),
        ),
    )


def totals(rows: list[ReportRow], campaign_id: int | None = None) -> ReportRow:
    """The rows added up; with ``campaign_id`` (None: all campaigns) the median
    delay over all of them too (a median of medians would not be one)."""
    counts = {name: sum(row.counts[name] for row in rows) for name in COUNTS}
    median = _medians("all", campaign_id).get("all") if rows else None
    return ReportRow("all", None, counts, median)


@dataclass
class Day:
    day: date
    letters: int
    replies: int


def daily(campaign_id: int | None = None, days: int = 60) -> list[Day]:
    """Letters sent and first human responses per day over the last ``days`` days."""
    today = utcnow().date()
    since = today - timedelta(days=days - 1)
    where = [ResponseRollup.day >= since]
    if campaign_id is not None:
        where.append(ResponseRollup.campaign_id == campaign_id)
    letters = {
        rollups.as_date(day): int(count or 0)
        for day, count in db.session.execute(
            select(ResponseRollup.day, func.sum(ResponseRollup.sent))
            .where(*where)
            .group_by(ResponseRollup.day)
        )
    }
    first_day = rollups.day_of(ResponseDelay.first_response_at)
    where = [ResponseDelay.first_response_at >= rollups.day_start(since)]
    if campaign_id is not None:
        where.append(ResponseDelay.campaign_id == campaign_id)
    replies = {
        rollups.as_date(day): int(count)
        for day, count in db.session.execute(
            select(first_day, func.count()).where(*where).group_by(first_day)
        )
    }
    return [
        Day(
            since + timedelta(days=i),
            letters.get(since + timedelta(days=i), 0),
            replies.get(since + timedelta(days=i), 0),
        )
        for i in range(days)
    ]


def row_columns(by: str) -> tuple[str, ...]:
    extra = {
        "representative": REPRESENTATIVE_COLUMNS,
        "variant": VARIANT_COLUMNS,
        "digest": DIGEST_COLUMNS,
    }.get(by, ())
    return ("key", *extra, *COUNTS, "response_rate", "median_days_to_reply")
