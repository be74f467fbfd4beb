"""Digest run: LETTERS confirmed letters to REPRESENTATIVES representatives of a
campaign that sends daily digests become one digest per representative
(letters.digests.gather, as the clock runs it), which worker processes send
(`python worker.py`, throttle on) through the sendgrid client to the loopback
SendGrid server (its own process, over HTTP). Counted from the server's own
record: each digest accepted once; and from the database: each letter recorded
as sent in its digest (the digest's message id and time).

The baseline, in the same run against the same server and workers: as many single
letters as there are representatives (one message each, the same throttle), so
that the time a digest takes to send compares with a single letter's.

    .venv/bin/python bench/digest_run.py [--letters 10000] [--representatives 700]
        [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from _common import (
    SendGridServer,
    Workers,
    describe,
    make_app,
    services,
    settings,
    wait_settled,
)

RATE = 100  # letters (messages) a second, the campaign's throttle for the run


def _make_letters(count: int, representatives: int, slug: str, digests: bool):
    """A backlog (campaign.devtools.backlog) of ``count`` letters; for digests, every
    letter confirmed and waiting for its digest, with its entry."""
    from sqlalchemy import String, cast, literal, update

    from campaign.core.extensions import db
    from campaign.devtools.backlog import make_backlog
    from campaign.models import Campaign, Letter, LetterState

    backlog = make_backlog(
        count,
        representatives,
        domains=20,
        order="round_robin",  # every representative gets letters: 14 or 15 each
        campaign_slug=slug,
        tag=slug,
        sending_status="paused",
        throttle_per_second=RATE,
        throttle_rep_per_hour=1000,
        throttle_rep_per_day=10000,
        throttle_domain_per_minute=100000,
    )
    if digests:
        campaign = db.session.get(Campaign, backlog.campaign_id)
        campaign.digest_kinds = {"parliament": 0}
        entry = (
            literal(" • Supporter ", String)
            + cast(Letter.supporter_id, String)
            + literal(", Dublin\n   Please raise the case of the prisoners held since 2020.")
        )
        db.session.execute(
            update(Letter)
            .where(Letter.campaign_id == backlog.campaign_id)
            .values(
                state=LetterState.AWAITING_DIGEST.value,
                next_attempt_at=None,
                fair_rank=0,
                digest_entry=entry,
            )
        )
        db.session.commit()
    return backlog


def _sent_in_digests(campaign_id: int) -> tuple[int, int, int]:
    """(letters sent, of them with their digest's message id and time, digests)."""
    from sqlalchemy import and_, func, select
    from sqlalchemy.orm import aliased

    from campaign.core.extensions import db
    from campaign.models import Digest, Letter

    lead = aliased(Letter)
    sent = db.session.execute(
        select(func.count()).where(Letter.campaign_id == campaign_id, Letter.state == "sent")
    ).scalar()
    matching = db.session.execute(
        select(func.count())
        .select_from(Letter)
        .join(Digest, Digest.id == Letter.digest_id)
        .join(lead, lead.id == Digest.lead_letter_id)
        .where(
            Letter.campaign_id == campaign_id,
            Letter.state == "sent",
            and_(
                Letter.provider_message_id == lead.provider_message_id,
                Letter.sent_at == lead.sent_at,
                lead.provider_message_id.is_not(None),
            ),
        )
    ).scalar()
    digests = db.session.execute(
        select(func.count()).select_from(Digest).where(Digest.campaign_id == campaign_id)
    ).scalar()
    return sent, matching, digests


def _send(app, server, total: int, campaign_slug: str) -> tuple[float, list]:
    """Make the campaign send, wait until its ``total`` messages' letters settle;
    (seconds, the messages the server accepted meanwhile)."""
    from campaign.core.extensions import db
    from campaign.delivery import dispatch
    from campaign.models import Campaign

    before = server.remote.stats()["accepted"]
    started = time.perf_counter()
    with app.app_context():
        db.session.execute(
            db.update(Campaign)
            .where(Campaign.slug == campaign_slug)
            .values(sending_status="active")
        )
        db.session.commit()
        dispatch.kick(total)
    deadline = time.monotonic() + 600
    while server.remote.stats()["accepted"] - before < total and time.monotonic() < deadline:
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    return seconds, server.remote.messages(since=before)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=10000)
    parser.add_argument("--representatives", type=int, default=700)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with services() as (database_url, redis_url), SendGridServer() as server:
        env = settings(
            database_url,
            redis_url,
            server.host,
            DIGEST_TIME="00:00",
            DISPATCH_CONCURRENCY=args.workers,
        )
        app = make_app(env)
        from campaign.core.extensions import db
        from campaign.letters import digests

        with app.app_context():
            _make_letters(args.representatives, args.representatives, "single", False)
            made = _make_letters(args.letters, args.representatives, "digests", True)
            db.session.remove()
        print(
            f"digest run: {args.letters} letters to {args.representatives} representatives, "
            f"{args.workers} worker processes, throttle {RATE} messages/s"
        )
        print(f"  services: {describe(database_url, redis_url)}")
        with Workers(args.workers, env):
            time.sleep(2.0)  # let the workers start (imports, connections)
            single_seconds, single_messages = _send(app, server, args.representatives, "single")
            with app.app_context():
                started = time.perf_counter()
                digests_made = digests.gather()
                gather_seconds = time.perf_counter() - started
                db.session.remove()
            digest_seconds, digest_messages = _send(app, server, args.representatives, "digests")
            wait_settled(app, args.letters + args.representatives, timeout=600, poll=0.2)
            time.sleep(1.0)  # anything sent twice would arrive meanwhile
            digest_messages = server.remote.messages(since=len(single_messages))
        with app.app_context():
            sent, matching, digests_recorded = _sent_in_digests(made.campaign_id)
            db.session.remove()
    copies = Counter(int(m.custom_args["letter_id"]) for m in digest_messages)
    twice = sum(1 for n in copies.values() if n > 1)
    carried = sum(int(m.subject.rsplit(": ", 1)[1].rstrip(")")) for m in digest_messages)
    per_single = single_seconds / max(1, len(single_messages))
    per_digest = digest_seconds / max(1, len(digest_messages))
    print(
        f"  gathered:  {digests_made} digests in {gather_seconds:.1f} s "
        f"({1000 * gather_seconds / args.letters:.2f} ms a letter)"
    )
    print(
        f"  digests:   {len(digest_messages)} accepted by the server in {digest_seconds:.1f} s; "
        f"{len(copies)} digests, {twice} accepted twice; letters they name: {carried}"
    )
    print(
        f"  letters:   {sent} recorded as sent, {matching} with their digest's message id "
        f"and time; digests recorded: {digests_recorded}"
    )
    print(f"  baseline:  {len(single_messages)} single letters in {single_seconds:.1f} s")
    print(
        f"  per message: digest {1000 * per_digest:.1f} ms, single letter "
        f"{1000 * per_single:.1f} ms; ratio {per_digest / per_single:.2f}"
    )
    print(
        f"  messages:  {len(digest_messages)} for {args.letters} letters "
        f"({args.letters / max(1, len(digest_messages)):.1f} letters a message)"
    )
    targets = {
        "digests made": digests_made == args.representatives,
        "digests accepted once": len(digest_messages) == args.representatives and twice == 0,
        "letters recorded as sent in their digest": sent == matching == args.letters,
        "letters named in the digests": carried == args.letters,
    }
    missed = [name for name, ok in targets.items() if not ok]
    print("  targets:   " + ("all met" if not missed else "MISSED: " + ", ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
