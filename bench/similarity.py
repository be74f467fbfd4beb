"""The personal-paragraph similarity check against a campaign's earlier
paragraphs: time per check at 1,000, 10,000 and 100,000 stored paragraphs, the
method the product uses (campaign.supporters.similarity: MinHash signatures from
the database, scanned in memory, the likely matches confirmed from the table)
against exact pairwise Jaccard of word 3-shingles (the baseline) and datasketch's
MinHashLSH; and the recall on planted near-copies (1,000 paragraphs each made from
a stored one by a few word edits).

    DATABASE_URL=postgresql://… python bench/similarity.py [--sizes 1000,10000,100000]

Paragraphs are synthetic (40 to 120 words drawn from a Zipf-distributed vocabulary
of 8,000 words), stored as real rows (supporter, submission, paragraph_signature),
confirmed one every ten seconds up to a day ago. Each size is measured with a cold
process copy (its first check reads every signature: "cold build"), then with
--queries checks, half unrelated paragraphs, half near-copies.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import random
import statistics
import time
from datetime import timedelta

import psutil
from _common import describe, services


def make_paragraphs(count: int, rng: random.Random) -> list[str]:
    vocabulary = [f"w{i}" for i in range(8000)]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    return [
        " ".join(rng.choices(vocabulary, weights, k=rng.randint(40, 120))) for _ in range(count)
    ]


def near_copy(text: str, rng: random.Random) -> str:
    """A few word edits (replace, insert, delete): 1 to 3 of them."""
    words = text.split()
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(words))
        kind = rng.choice(("replace", "insert", "delete"))
        if kind == "replace":
            words[at] = f"edit{rng.randrange(10**6)}"
        elif kind == "insert":
            words.insert(at, f"edit{rng.randrange(10**6)}")
        elif len(words) > 10:
            del words[at]
    return " ".join(words)


def timed(function, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args)
    return (time.perf_counter() - started) * 1000, result


def rss_mb() -> float:
    gc.collect()
    return psutil.Process().memory_info().rss / 1e6


def store(db, campaign_id: int, first: int, signatures: list[bytes]) -> None:
    """Rows for paragraphs first … first+len-1: a supporter, a confirmed submission
    and its signature each (bulk inserts)."""
    from campaign.models import ParagraphSignature, Submission, Supporter
    from campaign.models.base import utcnow

    now = utcnow()

    def confirmed(i: int):
        # One confirmation every ten seconds, the latest a day ago.
        return now - timedelta(days=1, seconds=10 * (10**6 - i))

    for start in range(0, len(signatures), 5000):
        chunk = signatures[start : start + 5000]
        ids = range(first + start + 1, first + start + len(chunk) + 1)
        db.session.execute(
            db.insert(Supporter),
            [
                {"id": i, "email": f"s{i}@example.org", "name": "S", "created_at": now}
                | {"last_activity_at": now, "city": "", "locale": "en"}
                for i in ids
            ],
        )
        db.session.execute(
            db.insert(Submission),
            [
                {"id": i, "campaign_id": campaign_id, "supporter_id": i, "created_at": now}
                | {"confirmed_at": now}
                for i in ids
            ],
        )
        db.session.execute(
            db.insert(ParagraphSignature),
            [
                {"id": i, "submission_id": i, "campaign_id": campaign_id, "supporter_id": i}
                | {"signature": raw, "created_at": now, "confirmed_at": confirmed(i)}
                for i, raw in zip(ids, chunk, strict=True)
            ],
        )
        db.session.commit()


def median_p95(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--baseline-queries", type=int, default=30)
    parser.add_argument("--planted", type=int, default=1000)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--no-lsh", action="store_true", help="skip datasketch's MinHashLSH")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    rng = random.Random(19)

    with services() as (database_url, redis_url):
        from flask_migrate import upgrade

        from campaign import create_app
        from campaign.core.extensions import db
        from campaign.models import Campaign
        from campaign.supporters import similarity

        app = create_app(
            {
                "ENV": "testing",
                "SECRET_KEY": "bench-" + "k" * 32,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "REDIS_URL": redis_url,
            }
        )
        with app.app_context(), contextlib.redirect_stderr(io.StringIO()):
            upgrade()  # quietly: the migrations' log lines are not figures
        with app.app_context():
            campaign = Campaign(slug="bench", title="Bench")
            db.session.add(campaign)
            db.session.commit()
            print(f"similarity check — {describe(database_url, redis_url)}")
            print(
                f"MinHash: {similarity.NUM_PERM} permutations, word {similarity.SHINGLE_WORDS}"
                f"-shingles, threshold {args.threshold}; datasketch MinHashLSH with the same"
            )
            started = time.perf_counter()
            texts = make_paragraphs(sizes[-1], rng)
            signatures = [similarity.signature(t) for t in texts]
            per_signature = (time.perf_counter() - started) * 1000 / len(texts)
            print(f"signature of one paragraph: {per_signature:.2f} ms (tokenising included)")
            shingle_sets = [frozenset(similarity.shingles(t)) for t in texts]
            fresh = make_paragraphs(args.queries // 2, random.Random(7))
            copies = [near_copy(texts[rng.randrange(sizes[0])], rng) for _ in range(args.queries)]
            queries = [*fresh, *copies[: args.queries - len(fresh)]]
            print()
            print(
                f"{'stored':>8} | {'product median':>14} {'p95':>7} {'cold build':>10} |"
                f" {'exact pairwise':>14} {'ratio':>6} | {'LSH median':>10} {'LSH build':>9}"
                f" {'LSH memory':>10}"
            )
            stored = 0
            for size in sizes:
                store(db, campaign.id, stored, signatures[stored:size])
                stored = size
                similarity.reset()
                first, _ = timed(
                    similarity.compare, campaign.id, similarity.signature(queries[0]), 0.5, 1
                )
                times = []
                for text in queries:
                    raw = similarity.signature(text)
                    elapsed, _ = timed(similarity.compare, campaign.id, raw, args.threshold, 3)
                    times.append(elapsed)
                product, p95 = median_p95(times)
                baseline_times = []
                for text in queries[: args.baseline_queries]:
                    elapsed, _ = timed(exact_matches, text, shingle_sets[:size], args.threshold)
                    baseline_times.append(elapsed)
                baseline = statistics.median(baseline_times)
                lsh_cells = ""
                if not args.no_lsh:
                    lsh_median, lsh_build, lsh_memory = bench_lsh(
                        signatures[:size], queries, args.threshold
                    )
                    lsh_cells = f" {lsh_median:>8.2f}ms {lsh_build:>8.1f}s {lsh_memory:>8.0f}MB"
                print(
                    f"{size:>8,} | {product:>12.2f}ms {p95:>5.1f}ms {first:>8.0f}ms |"
                    f" {baseline:>12.1f}ms {baseline / product:>5.0f}x |{lsh_cells}"
                )
            print()
            recall(campaign.id, texts, shingle_sets, args, rng)


def exact_matches(text: str, stored: list[frozenset], threshold: float) -> int:
    """The baseline: exact Jaccard of word 3-shingles against every stored paragraph."""
    from campaign.supporters.similarity import shingles

    mine = frozenset(shingles(text))
    found = 0
    for other in stored:
        union = len(mine | other)
        found += bool(union) and len(mine & other) / union >= threshold
    return found


def bench_lsh(signatures: list[bytes], queries: list[str], threshold: float):
    import numpy as np
    from datasketch import LeanMinHash, MinHashLSH

    from campaign.supporters import similarity

    def lean(raw):
        hashvalues = np.frombuffer(raw, dtype="<u4")
        return LeanMinHash(seed=similarity.SEED, hashvalues=hashvalues, scheme=similarity.SCHEME)

    before = rss_mb()
    started = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=similarity.NUM_PERM)
    with lsh.insertion_session() as session:
        for key, raw in enumerate(signatures):
            session.insert(key, lean(raw), check_duplication=False)
    build = time.perf_counter() - started
    memory = rss_mb() - before
    times = []
    for text in queries:
        query = lean(similarity.signature(text))
        elapsed, found = timed(lsh.query, query)
        times.append(elapsed)
    del lsh
    gc.collect()
    return statistics.median(times), build, memory


def recall(campaign_id: int, texts, shingle_sets, args, rng) -> None:
    """Planted near-copies of stored paragraphs: how many the check catches, among
    those whose exact Jaccard with their source reaches the threshold; and how many
    unrelated paragraphs it flags."""
    from campaign.supporters import similarity

    similarity.reset()
    caught = detectable = caught_detectable = 0
    for _ in range(args.planted):
        source = rng.randrange(len(texts))
        planted = near_copy(texts[source], rng)
        exact = similarity.exact_jaccard(similarity.shingles(planted), shingle_sets[source])
        found = similarity.compare(
            campaign_id, similarity.signature(planted), args.threshold, 1
        ).matches
        caught += found > 0
        if exact >= args.threshold:
            detectable += 1
            caught_detectable += found > 0
    unrelated = make_paragraphs(args.planted, random.Random(23))
    flagged = sum(
        similarity.compare(campaign_id, similarity.signature(t), args.threshold, 1).matches > 0
        for t in unrelated
    )
    print(
        f"recall on {args.planted:,} planted near-copies (1 to 3 word edits) against"
        f" {len(texts):,} stored: {caught_detectable}/{detectable} of those with exact"
        f" Jaccard >= {args.threshold} caught ({100 * caught_detectable / detectable:.1f}%);"
        f" {caught}/{args.planted} of all planted"
    )
    print(f"unrelated paragraphs flagged: {flagged}/{args.planted}")


if __name__ == "__main__":
    main()
