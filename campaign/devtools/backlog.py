"""A backlog of queued letters to fictional representatives at example.org, built in
bulk, for tests and benchmarks of delivery. Nothing here is used by the service."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select

from campaign.core.extensions import db
from campaign.delivery import delivery
from campaign.models import (
    Body,
    Campaign,
    Letter,
    LetterState,
    LetterTemplate,
    Representative,
    Submission,
    Supporter,
    TemplateVersion,
)
from campaign.models.base import utcnow

BODY_TEXT = (
    "Dear {name},\n\nAbout 1,200 people are held in Belarus for political reasons. "
    "I ask you to make their release a priority of our country's foreign policy.\n\n"
    "Yours sincerely,\nA supporter\n"
)


@dataclass
class Backlog:
    campaign_id: int
    representative_ids: list[int]
    letter_ids: list[int]


def make_backlog(
    letters: int,
    representatives: int,
    domains: int = 1,
    order: str = "by_representative",
    campaign_slug: str = "backlog",
    tag: str = "",
    **campaign_settings,
) -> Backlog:
    """Commit ``letters`` queued letters spread evenly over ``representatives`` new
    representatives (``rep{i}@office{i % domains}.example.org``) of a new campaign.
    ``order`` is the order of creation: "by_representative" (every letter to the
    first representative, then to the second...) or "round_robin". Letters are
    scheduled now and ranked as delivery.delivery ranks them; the dispatcher is not
    woken (call delivery.dispatch.kick)."""
    now = utcnow()
    campaign = Campaign(slug=campaign_slug, title=f"Backlog {campaign_slug}", **campaign_settings)
    db.session.add(campaign)
    body = Body(country="IE", name=f"Backlog chamber {campaign_slug}{tag}", kind="parliament")
    db.session.add(body)
    db.session.flush()
    template = LetterTemplate(campaign_id=campaign.id, language="en", body_kind="parliament")
    db.session.add(template)
    db.session.flush()
    version = TemplateVersion(template_id=template.id, number=1, subject="Release", body=BODY_TEXT)
    db.session.add(version)
    db.session.flush()
    rep_rows = [
        {
            "body_id": body.id,
            "external_id": f"{campaign_slug}{tag}-{i}",
            "country": "IE",
            "name": f"Representative {i}",
            "email": f"rep{i}{tag}@office{i % domains}.example.org",
            "language": "en",
        }
        for i in range(representatives)
    ]
    db.session.execute(insert(Representative), rep_rows)
    rep_ids = list(
        db.session.execute(
            select(Representative.id)
            .where(Representative.body_id == body.id)
            .order_by(Representative.id)
        ).scalars()
    )
    per_rep = -(-letters // representatives)
    supporter_rows = [
        {"email": f"backer{j}-{campaign_slug}{tag}@example.org", "name": f"Supporter {j}"}
        for j in range(per_rep)
    ]
    db.session.execute(insert(Supporter), supporter_rows)
    supporter_ids = list(
        db.session.execute(
            select(Supporter.id)
            .where(Supporter.email.like(f"backer%-{campaign_slug}{tag}@example.org"))
            .order_by(Supporter.id)
        ).scalars()
    )
    db.session.execute(
        insert(Submission),
        [
            {"campaign_id": campaign.id, "supporter_id": s, "confirmed_at": now}
            for s in supporter_ids
        ],
    )
    submission_of = dict(
        db.session.execute(
            select(Submission.supporter_id, Submission.id).where(
                Submission.campaign_id == campaign.id
            )
        ).all()
    )
    pairs = [(r, s) for r in range(representatives) for s in range(per_rep)]
    if order == "round_robin":
        pairs.sort(key=lambda pair: (pair[1], pair[0]))
    rows = []
    for r, s in pairs[:letters]:
        rows.append(
            {
                "campaign_id": campaign.id,
                "submission_id": submission_of[supporter_ids[s]],
                "supporter_id": supporter_ids[s],
                "representative_id": rep_ids[r],
                "template_version_id": version.id,
                "language": "en",
                "subject": "The time for release is now",
                "body": BODY_TEXT.format(name=f"Representative {r}"),
                "state": LetterState.QUEUED.value,
                "next_attempt_at": now,
            }
        )
    for i in range(0, len(rows), 2000):
        db.session.execute(insert(Letter), rows[i : i + 2000])
    letter_ids = list(
        db.session.execute(
            select(Letter.id).where(Letter.campaign_id == campaign.id).order_by(Letter.id)
        ).scalars()
    )
    for i in range(0, len(letter_ids), 2000):
        delivery.rank_letters(letter_ids[i : i + 2000])
    db.session.commit()
    return Backlog(campaign.id, rep_ids, letter_ids)
