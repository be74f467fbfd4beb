"""Response report at scale: 1,000,000 letters, 2,000,000 delivery events and
100,000 replies across 2,000 representatives in PostgreSQL (in a database of its
own, created and dropped here, on DATABASE_URL's server). Prints the time of the
per-representative report (median of 5 runs, as the staff page and the command
compute it) next to the same aggregate as one hand-written SQL query over the
raw tables, in the same run, and checks that both give the same figures.

    .venv/bin/python bench/report.py [--letters 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from campaign import create_app  # noqa: E402
from campaign.core.config import normalise_database_url  # noqa: E402

REPRESENTATIVES = 2000
LANGUAGES = ("de", "fr", "pl", "lt", "en", "nl", "it", "es", "sv", "cs")
KINDS = ("parliament", "european_parliament", "ministry")

# The raw records, aggregated by hand: per representative, what the report shows.
RAW_QUERY = """
WITH replies AS (
    SELECT letter_id,
           min(received_at) FILTER (WHERE kind = 'human') AS captured_at,
           bool_or(kind = 'automatic') AS automatic,
           bool_or(kind = 'human' AND stance = 'supportive') AS supportive,
           bool_or(kind = 'human' AND stance = 'non_committal') AS non_committal,
           bool_or(kind = 'human' AND stance = 'opposed') AS opposed
    FROM reply WHERE letter_id IS NOT NULL GROUP BY letter_id
), logged AS (
    SELECT letter_id, min(occurred_at) AS logged_at,
           bool_or(stance = 'supportive') AS supportive,
           bool_or(stance = 'non_committal') AS non_committal,
           bool_or(stance = 'opposed') AS opposed
    FROM logged_response GROUP BY letter_id
), surveyed AS (
    SELECT DISTINCT letter_id FROM survey_answer WHERE answer = 'yes'
), facts AS (
    SELECT l.representative_id, l.state, l.sent_at, r.captured_at, g.logged_at,
           s.letter_id IS NOT NULL AS surveyed,
           coalesce(r.automatic, false) AS automatic,
           coalesce(r.supportive, false) OR coalesce(g.supportive, false) AS supportive,
           coalesce(r.non_committal, false) OR coalesce(g.non_committal, false) AS non_committal,
           coalesce(r.opposed, false) OR coalesce(g.opposed, false) AS opposed
    FROM letter l
    LEFT JOIN replies r ON r.letter_id = l.id
    LEFT JOIN logged g ON g.letter_id = l.id
    LEFT JOIN surveyed s ON s.letter_id = l.id
    WHERE l.sent_at IS NOT NULL
)
SELECT representative_id,
       count(*) AS sent,
       count(*) FILTER (WHERE state IN ('delivered', 'replied')) AS delivered,
       count(*) FILTER (WHERE state = 'bounced') AS bounced,
       count(*) FILTER (WHERE captured_at IS NOT NULL OR logged_at IS NOT NULL OR surveyed)
           AS replied,
       count(*) FILTER (WHERE captured_at IS NOT NULL) AS replied_captured,
       count(*) FILTER (WHERE surveyed) AS replied_surveyed,
       count(*) FILTER (WHERE logged_at IS NOT NULL) AS replied_logged,
       count(*) FILTER (WHERE automatic) AS automatic,
       count(*) FILTER (WHERE supportive) AS supportive,
       count(*) FILTER (WHERE non_committal) AS non_committal,
       count(*) FILTER (WHERE opposed) AS opposed,
       percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM least(captured_at, logged_at) - sent_at)
       ) / 86400 AS median_days_to_reply
FROM facts
GROUP BY representative_id
"""
COUNTS = (
    "sent", "delivered", "bounced", "replied", "replied_captured", "replied_surveyed",
    "replied_logged", "automatic", "supportive", "non_committal", "opposed",
)  # fmt: skip


def step(label: str, started: float) -> float:
    now = time.perf_counter()
    print(f"  {label:<52} {now - started:7.1f} s", flush=True)
    return now


def small_tables(db, letters: int) -> None:
    """Campaigns, bodies, 2,000 representatives, templates: through the models."""
    from campaign.models import Body, Campaign, LetterTemplate, Representative, TemplateVersion

    campaigns = [Campaign(slug=f"bench-{i}", title=f"Bench campaign {i}") for i in (1, 2)]
    db.session.add_all(campaigns)
    bodies = []
    for country_index in range(20):
        country = f"{chr(65 + country_index // 5)}{chr(65 + country_index % 5)}"
        for kind in KINDS:
            bodies.append(Body(country=country, name=f"{kind} {country}", kind=kind))
    db.session.add_all(bodies)
    db.session.flush()
    reps = []
    for i in range(REPRESENTATIVES):
        body = bodies[i % len(bodies)]
        reps.append(
            Representative(
                body_id=body.id,
                external_id=f"rep-{i}",
                country=body.country,
                name=f"Representative {i:04d}",
                email=f"rep{i}@example.org",
                party=f"Party {i % 40:02d}",
                language=LANGUAGES[i % len(LANGUAGES)],
            )
        )
    db.session.add_all(reps)
    db.session.flush()
    for campaign in campaigns:
        for language in LANGUAGES:
            for kind in KINDS:
                template = LetterTemplate(
                    campaign_id=campaign.id, language=language, body_kind=kind
                )
                db.session.add(template)
                db.session.flush()
                for number in (1, 2):
                    db.session.add(
                        TemplateVersion(
                            template_id=template.id,
                            number=number,
                            subject="The time for release is now",
                            body="Dear {{ representative.name }}, ...",
                        )
                    )
    db.session.commit()


def bulk_data(conn, letters: int) -> None:
    """Supporters, submissions, letters, events, replies, survey answers and logged
    responses, generated in the database. Which letter gets what follows from its
    id, so each letter's final state is known when it is inserted."""
    supporters = letters // 5
    timings = []

    def run(label: str, sql: str) -> None:
        started = time.perf_counter()
        conn.execute(text(sql))
        timings.append((label, time.perf_counter() - started))

    run("settings", "SET LOCAL synchronous_commit = off; SET LOCAL work_mem = '256MB'")
    # Generated rows are consistent by construction: skip the foreign-key triggers
    # while loading when the account may (a superuser); otherwise they just cost time.
    try:
        with conn.begin_nested():
            conn.execute(text("SET LOCAL session_replication_role = replica"))
    except Exception:  # noqa: BLE001 - not a superuser: load with the checks
        pass
    run(
        "templates per representative",
        """
        CREATE TEMP TABLE rep_template AS
        SELECT r.id AS rep_id, t.campaign_id, v.number, v.id AS version_id
        FROM representative r JOIN body b ON b.id = r.body_id
        JOIN letter_template t ON t.language = r.language AND t.body_kind = b.kind
        JOIN template_version v ON v.template_id = t.id
    """,
    )
    run(
        "supporters",
        f"""
        INSERT INTO supporter (id, email, name, city, locale, created_at, last_activity_at)
        SELECT s, 'supporter' || s || '@example.org', 'Supporter ' || s, '', 'en', now(), now()
        FROM generate_series(1, {supporters}) AS s
    """,
    )
    run(
        "submissions",
        f"""
        INSERT INTO submission (id, campaign_id, supporter_id, created_at, confirmed_at)
        SELECT s, 1 + s % 2, s, now() - interval '91 days', now() - interval '91 days'
        FROM generate_series(1, {supporters}) AS s
    """,
    )
    # Each supporter writes to five representatives; letters are spread over 90 days.
    # Replies (human) go to ids ending in 3 with id % 100 < 60, survey "yes" answers
    # to id % 50 = 7, logged responses to id % 200 = 11; every 20th letter bounces.
    run(
        "letters",
        f"""
        INSERT INTO letter (id, campaign_id, submission_id, supporter_id, representative_id,
                            template_version_id, language, subject, body, state, attempts,
                            provider_message_id, created_at, sent_at, updated_at)
        SELECT g.i, 1 + g.s % 2, g.s, g.s, g.rep, rt.version_id, 'en',
               'The time for release is now', 'Bench letter',
               CASE WHEN g.i % 20 = 0 THEN 'bounced'
                    WHEN (g.i % 10 = 3 AND g.i % 100 < 60) OR g.i % 50 = 7 OR g.i % 200 = 11
                        THEN 'replied'
                    WHEN g.i % 10 = 1 THEN 'sent'
                    ELSE 'delivered' END,
               1, 'msg' || g.i, g.sent_at, g.sent_at, g.sent_at
        FROM (
            SELECT i, (i - 1) / 5 + 1 AS s,
                   ((((i - 1) / 5 + 1) * 37 + ((i - 1) % 5) * 401) % {REPRESENTATIVES}) + 1 AS rep,
                   now() - (random() * interval '90 days') AS sent_at
            FROM generate_series(1, {letters}) AS i
        ) g
        JOIN rep_template rt ON rt.rep_id = g.rep AND rt.campaign_id = 1 + g.s % 2
                            AND rt.number = 1 + (g.i % 3 = 0)::int
    """,
    )
    # Two events per letter: processed, then delivered (or a hard bounce).
    run(
        "delivery events",
        """
        INSERT INTO delivery_event (sg_event_id, letter_id, event, severity, reason,
                                    sg_message_id, occurred_at, received_at, payload)
        SELECT e.kind || l.id, l.id, e.name, e.severity, '', 'msg' || l.id || '.filter',
               l.sent_at + e.after, l.sent_at + e.after,
               json_build_object('event', e.name, 'letter_id', l.id::text)
        FROM letter l
        CROSS JOIN LATERAL (VALUES
            ('p', 'processed', '', interval '0 seconds'),
            ('d', CASE WHEN l.state = 'bounced' THEN 'bounce' ELSE 'delivered' END,
                  CASE WHEN l.state = 'bounced' THEN 'hard' ELSE '' END, interval '5 seconds')
        ) AS e(kind, name, severity, after)
    """,
    )
    # 100,000 replies: 60 % human (a third with a stance), 30 % automatic, 10 % soft bounces.
    run(
        "replies",
        """
        INSERT INTO reply (letter_id, received_at, from_addr, subject, text, own_text, kind,
                           classified_kind, classification_reason, bounce, stance, matched_by,
                           raw, dedupe_key, forward_status)
        SELECT l.id, l.sent_at + (0.05 + random() * 20) * interval '1 day',
               'rep' || l.representative_id || '@example.org', 'Re: The time for release is now',
               'Thank you for your letter.', 'Thank you for your letter.',
               k.kind, k.kind, 'bench', CASE WHEN k.kind = 'bounce' THEN 'soft' ELSE '' END,
               CASE WHEN k.kind = 'human' AND l.id % 3 = 0 THEN
                    (ARRAY['supportive', 'non_committal', 'opposed'])[1 + l.id % 9 / 3] END,
               'envelope', '', 'bench:' || l.id, CASE WHEN k.kind = 'human' THEN 'sent' ELSE '' END
        FROM letter l
        CROSS JOIN LATERAL (SELECT CASE WHEN l.id % 100 < 60 THEN 'human'
                                        WHEN l.id % 100 < 90 THEN 'automatic'
                                        ELSE 'bounce' END AS kind) k
        WHERE l.id % 10 = 3
    """,
    )
    run(
        "survey answers",
        """
        INSERT INTO survey_invitation (id, supporter_id, created_at, sent_at, answered_at)
        SELECT l.id, l.supporter_id, l.sent_at + interval '14 days',
               l.sent_at + interval '14 days', l.sent_at + interval '15 days'
        FROM letter l WHERE l.id % 50 = 7;
        INSERT INTO survey_answer (invitation_id, letter_id, answer, note, answered_at)
        SELECT id, id, 'yes', '', answered_at FROM survey_invitation
    """,
    )
    run(
        "logged responses",
        """
        INSERT INTO logged_response (letter_id, channel, stance, note, occurred_at, created_at)
        SELECT l.id, 'phone', 'supportive', '', l.sent_at + interval '3 days', now()
        FROM letter l WHERE l.id % 200 = 11
    """,
    )
    for table in ("supporter", "submission", "letter", "survey_invitation"):
        sequence = f"pg_get_serial_sequence('{table}', 'id')"
        conn.execute(text(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))"))
    print("    " + ", ".join(f"{label} {seconds:.1f} s" for label, seconds in timings[1:]))


def sent_to_report(db, reports, rollups, runs: int) -> float:
    """Median seconds from the worker's commit of a letter as `sent` (the same
    executemany write delivery.outcomes.record makes) to a report that counts it:
    the staff page's and `report responses`' refresh and query."""
    from campaign.delivery import outcomes

    times = []
    for _ in range(runs):
        letter_id = db.session.execute(
            text(
                """
                INSERT INTO letter (campaign_id, submission_id, supporter_id, representative_id,
                                    template_version_id, language, subject, body, state, attempts,
                                    created_at, updated_at)
                SELECT l.campaign_id, l.submission_id, l.supporter_id, r.id,
                       l.template_version_id, l.language, l.subject, l.body, 'sending', 1,
                       now(), now()
                FROM letter l CROSS JOIN LATERAL (
                    SELECT id FROM representative WHERE id NOT IN (
                        SELECT representative_id FROM letter
                        WHERE supporter_id = l.supporter_id AND campaign_id = l.campaign_id
                    ) ORDER BY id LIMIT 1
                ) r
                WHERE l.id = 1 RETURNING id, representative_id
                """
            )
        ).one()
        db.session.commit()
        rows = {row.ident: row for row in reports.responses("representative", refresh=False)}
        before = rows[letter_id.representative_id].counts["sent"]
        outcomes.record([outcomes.Outcome(letter_id.id, 1, "sent", message_id="bench")])
        committed = time.perf_counter()
        rollups.refresh()
        rows = {row.ident: row for row in reports.responses("representative", refresh=False)}
        times.append(time.perf_counter() - committed)
        assert rows[letter_id.representative_id].counts["sent"] == before + 1
    return statistics.median(times)


def timed(func, runs: int) -> tuple[float, object]:
    func()  # warm up (caches, plans) before measuring
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql")):
        print("DATABASE_URL must point at a PostgreSQL server", file=sys.stderr)
        return 2
    url = make_url(normalise_database_url(base))
    name = f"campaign_bench_report_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        return run(url.set(database=name).render_as_string(hide_password=False), args)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(database_url: str, args) -> int:
    from flask_migrate import upgrade

    from campaign.core.extensions import db
    from campaign.tracking import reports, rollups

    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench-" + "k" * 32,
            "SQLALCHEMY_DATABASE_URI": database_url,
            # Never contacted: the benchmark refreshes the rollups itself.
            "REDIS_URL": "redis://127.0.0.1:1/0",
        }
    )
    print(f"report benchmark: {args.letters:,} letters, {REPRESENTATIVES:,} representatives")
    with app.app_context():
        started = time.perf_counter()
        upgrade(revision="heads")
        started = step("schema (migrations)", started)
        small_tables(db, args.letters)
        with db.engine.begin() as conn:
            bulk_data(conn, args.letters)
            conn.execute(text("ANALYZE"))
        started = step("data (INSERT … SELECT generate_series)", started)
        sizes = {
            table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("letter", "delivery_event", "reply", "survey_answer", "logged_response")
        }
        print("  rows: " + ", ".join(f"{table} {count:,}" for table, count in sizes.items()))
        rollups.rebuild()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        step("rollups built from the raw records (rebuild)", started)
        counted = {
            table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("response_rollup", "response_summary", "response_delay")
        }
        print("  rollup rows: " + ", ".join(f"{t} {n:,}" for t, n in counted.items()))

        # What keeping the rollups current costs: a webhook batch touching 1,000
        # letters sent on any day, then the refresh the page or the clock runs.
        refresh_times = []
        for _ in range(args.runs):
            db.session.execute(
                text(
                    "INSERT INTO rollup_pending (letter_id) "
                    "SELECT id FROM letter ORDER BY random() LIMIT 1000"
                )
            )
            db.session.commit()
            started = time.perf_counter()
            rollups.refresh()
            refresh_times.append(time.perf_counter() - started)
        refresh_time = statistics.median(refresh_times)

        def report():
            rollups.refresh()  # what the page does first: nothing queued here
            return reports.responses("representative", refresh=False)

        def raw(jit: bool):
            def query():
                with db.engine.connect() as conn:
                    conn.execute(text(f"SET jit = {'on' if jit else 'off'}"))
                    return conn.execute(text(RAW_QUERY)).mappings().all()

            return query

        freshness = sent_to_report(db, reports, rollups, args.runs)
        report_time, report_rows = timed(report, args.runs)
        # The raw query at its best: PostgreSQL's JIT helps or hurts it depending
        # on the machine, so it is timed both ways and the faster one counts.
        raw_jit_time, raw_rows = timed(raw(True), args.runs)
        raw_plain_time, _ = timed(raw(False), args.runs)
        raw_time = min(raw_jit_time, raw_plain_time)

    by_rep = {row.ident: row for row in report_rows}
    mismatches = 0
    for row in raw_rows:
        ours = by_rep.get(row["representative_id"])
        same = ours is not None and all(ours.counts[c] == row[c] for c in COUNTS)
        theirs, mine = row["median_days_to_reply"], ours.median_days_to_reply if ours else None
        same = same and (
            (theirs is None and mine is None)
            or (theirs is not None and mine is not None and abs(float(theirs) - mine) < 1e-6)
        )
        mismatches += not same
    mismatches += abs(len(by_rep) - len(raw_rows))
    print(f"per-representative report, median of {args.runs} runs:")
    print(
        f"  report (rollups):          {report_time * 1000:8.1f} ms   ({len(report_rows):,} rows)"
    )
    print(
        f"  hand-written SQL (raw):    {raw_time * 1000:8.1f} ms   ({len(raw_rows):,} rows; "
        f"{raw_jit_time * 1000:.0f} ms with JIT, {raw_plain_time * 1000:.0f} ms without)"
    )
    print(f"  report / raw:              {report_time / raw_time:8.2f}")
    print(f"  rollup refresh, 1,000 letters touched: {refresh_time * 1000:.0f} ms (median)")
    from campaign.periodic import PERIODIC

    interval = PERIODIC["refresh_response_rollups"][1]
    print("from a letter's `sent` (the worker's commit) to the report, median of runs:")
    print(
        f"  staff page / `report responses`, next request: {freshness * 1000:8.1f} ms "
        "(the request refreshes what the triggers queued, then reads)"
    )
    print(
        f"  rollups with only the clock running:          ≤ {interval} s + "
        f"{freshness * 1000:.0f} ms (refresh_response_rollups every {interval} s)"
    )
    print(
        f"  same figures:              {'yes' if mismatches == 0 else f'NO ({mismatches} differ)'}"
    )
    ok = mismatches == 0 and report_time < 0.5 and report_time <= 2 * raw_time
    ok = ok and freshness < 0.5 and interval <= 60
    print(f"  target (≤ 2× raw and < 0.5 s): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
