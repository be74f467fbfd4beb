"""How alike a personal paragraph is to a campaign's earlier ones: the Jaccard
similarity of their word 3-shingles, estimated by MinHash (datasketch).

The record is the table paragraph_signature (models.own_words): one signature per
confirmed submission, never the text. Each process keeps, per campaign, the
signatures in memory (the low 16 bits of each of the 128 values: 256 bytes a
paragraph) and scans them with numpy; what the scan finds is then checked against
the table with the full signatures, so a paragraph deleted since (erasure,
retention, anonymisation) never counts, and the in-memory copy is only a cache:
rebuilt from the table at the first check after a start, caught up with what other
processes added at each check, rebuilt in full every few hours. Redis plays no
part. docs/benchmarks.md compares this with datasketch's MinHashLSH and with
exact pairwise Jaccard.
"""

from __future__ import annotations

import math
import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash

from campaign.core.extensions import db
from campaign.models import Letter, ParagraphSignature
from campaign.models.base import utcnow

NUM_PERM = 128
SEED = 1
SCHEME = "affine32"
SHINGLE_WORDS = 3
# Fewer shingles (under five words) say too little to call a paragraph a copy.
MIN_SHINGLES = 3
# Hostile input costs bounded time and memory whatever its size: at most this much
# of it is read.
MAX_CHARS = 20_000
MAX_WORDS = 4_000
# The scan keeps what its 16-bit estimate puts this close below the threshold; the
# full signatures then decide.
SCAN_MARGIN = 0.1
# Rows confirmed up to this long before the newest one seen are read again at each
# check: a transaction that committed late, or a clock a little behind, is not missed.
CATCH_UP_OVERLAP = timedelta(seconds=60)
# The in-memory copy is rebuilt from the table after this long (rows deleted since
# are dropped from memory; they never counted anyway).
REBUILD_AFTER = timedelta(hours=6)
# At most this many candidates are checked against the table for one paragraph.
MAX_VERIFIED = 512

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The words of ``text`` as compared: NFKC-normalised (full-width letters,
    ligatures), invisible format characters (zero-width spaces, direction marks)
    dropped, case-folded; at most MAX_WORDS of the first MAX_CHARS characters."""
    text = unicodedata.normalize("NFKC", (text or "")[:MAX_CHARS])
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    found = []
    for match in _WORD.finditer(text.casefold()):
        found.append(match.group())
        if len(found) >= MAX_WORDS:
            break
    return found


def shingles(text: str) -> set[str]:
    """The paragraph's word 3-shingles (every three consecutive words)."""
    w = words(text)
    return {" ".join(w[i : i + SHINGLE_WORDS]) for i in range(len(w) - SHINGLE_WORDS + 1)}


def exact_jaccard(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / |a ∪ b| of two shingle sets (0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


@lru_cache(maxsize=1)
def _permutations():
    # Drawn once per process from the fixed seed: every signature is comparable.
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def signature(text: str) -> bytes | None:
    """The MinHash signature of the paragraph's shingles (NUM_PERM little-endian
    32-bit values), or None when it has fewer than MIN_SHINGLES of them."""
    found = shingles(text)
    if len(found) < MIN_SHINGLES:
        return None
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=_permutations())
    minhash.update_batch([s.encode("utf-8") for s in found])
    return minhash.hashvalues.astype("<u4").tobytes()


def _lean(raw: bytes) -> LeanMinHash:
    return LeanMinHash(seed=SEED, hashvalues=np.frombuffer(raw, dtype="<u4"), scheme=SCHEME)


def estimate(a: bytes, b: bytes) -> float:
    """The MinHash estimate of the Jaccard similarity of two signatures."""
    return _lean(a).jaccard(_lean(b))


def _low_bits(raw: bytes) -> np.ndarray:
    return (np.frombuffer(raw, dtype="<u4") & 0xFFFF).astype(np.uint16)


# -- one campaign's signatures in memory -------------------------------------------


@dataclass
class _Index:
    campaign_id: int
    built_at: float = field(default_factory=time.monotonic)
    rows: np.ndarray = field(default_factory=lambda: np.empty((0, NUM_PERM), np.uint16))
    ids: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    supporters: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    alive: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    size: int = 0
    position: dict[int, int] = field(default_factory=dict)
    # The newest confirmation seen, and the rows confirmed within CATCH_UP_OVERLAP of
    # it (id -> when): what the next check compares with the table's window.
    watermark: datetime | None = None
    recent: dict[int, datetime] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _grow(self, extra: int) -> None:
        needed = self.size + extra
        if needed <= len(self.ids):
            return
        capacity = max(needed, 2 * len(self.ids), 1024)
        for name, shape, dtype in (
            ("rows", (capacity, NUM_PERM), np.uint16),
            ("ids", (capacity,), np.int64),
            ("supporters", (capacity,), np.int64),
            ("alive", (capacity,), bool),
        ):
            grown = np.zeros(shape, dtype=dtype)
            grown[: self.size] = getattr(self, name)[: self.size]
            setattr(self, name, grown)

    def add(self, rows: list[tuple[int, int, datetime, bytes]]) -> None:
        """Add (id, supporter id, confirmed at, signature) rows not held yet."""
        fresh = [row for row in rows if row[0] not in self.position]
        self._grow(len(fresh))
        for row_id, supporter_id, confirmed_at, raw in fresh:
            at = self.size
            self.rows[at] = _low_bits(raw)
            self.ids[at], self.supporters[at], self.alive[at] = row_id, supporter_id, True
            self.position[row_id] = at
            self.size += 1
            if self.watermark is None or confirmed_at > self.watermark:
                self.watermark = confirmed_at
            self.recent[row_id] = confirmed_at

    def drop(self, row_id: int) -> None:
        at = self.position.pop(row_id, None)
        self.recent.pop(row_id, None)
        if at is not None:
            self.alive[at] = False

    def window(self) -> datetime | None:
        """Where the next catch-up starts; forgets the recent rows before it."""
        if self.watermark is None:
            return None
        since = self.watermark - CATCH_UP_OVERLAP
        self.recent = {i: at for i, at in self.recent.items() if at >= since}
        return since

    def candidates(self, raw: bytes, floor: float, exclude_supporter: int | None) -> list[int]:
        """Row ids whose 16-bit estimate is at least ``floor``, the likest first."""
        if self.size == 0:
            return []
        held = self.rows[: self.size]
        # Summing the equal bytes is about a third faster than count_nonzero here.
        equal = (held == _low_bits(raw)).view(np.uint8).sum(axis=1, dtype=np.uint16)
        keep = (equal >= math.ceil(floor * NUM_PERM)) & self.alive[: self.size]
        if exclude_supporter is not None:
            keep &= self.supporters[: self.size] != exclude_supporter
        hits = np.flatnonzero(keep)
        hits = hits[np.argsort(-equal[hits].astype(np.int32), kind="stable")]
        return [int(i) for i in self.ids[hits]]


_INDEXES: dict[tuple[str, int], _Index] = {}
_REGISTRY_LOCK = threading.Lock()


def reset() -> None:
    """Forget every in-memory copy (the next check rebuilds from the table)."""
    with _REGISTRY_LOCK:
        _INDEXES.clear()


def _confirmed(campaign_id: int, since: datetime | None, *columns):
    query = db.select(*columns).filter(
        ParagraphSignature.campaign_id == campaign_id,
        ParagraphSignature.confirmed_at.is_not(None),
    )
    if since is not None:
        query = query.filter(ParagraphSignature.confirmed_at >= since)
    return query


def _read(index: _Index, query) -> None:
    for chunk in db.session.execute(query.execution_options(yield_per=5000)).partitions():
        index.add([(i, supporter, at, bytes(raw)) for i, supporter, at, raw in chunk])


def _catch_up(index: _Index) -> None:
    """Bring the index up to the table. The first time, read every confirmed row;
    then compare the count and the sum of the ids confirmed in the recent window
    with what the index holds (one aggregate query), and read the rows only when
    they differ: then the missing signatures come, and rows gone from the table go."""
    row = ParagraphSignature
    full = (row.id, row.supporter_id, row.confirmed_at, row.signature)
    since = index.window()
    if since is None:
        _read(index, _confirmed(index.campaign_id, None, *full).order_by(row.id))
        return
    count, total = db.session.execute(
        _confirmed(
            index.campaign_id,
            since,
            db.func.count(row.id),
            db.func.coalesce(db.func.sum(row.id), 0),
        )
    ).one()
    if count == len(index.recent) and total == sum(index.recent):
        return
    listed = set(db.session.execute(_confirmed(index.campaign_id, since, row.id)).scalars())
    for gone in set(index.recent) - listed:
        index.drop(gone)
    missing = sorted(listed - set(index.recent))
    for start in range(0, len(missing), 5000):
        chunk = missing[start : start + 5000]
        _read(index, _confirmed(index.campaign_id, None, *full).filter(row.id.in_(chunk)))


def _index_for(campaign_id: int) -> _Index:
    key = (str(db.engine.url), campaign_id)
    with _REGISTRY_LOCK:
        index = _INDEXES.get(key)
        stale = index is not None and time.monotonic() - index.built_at > (
            REBUILD_AFTER.total_seconds()
        )
        if index is None or stale:
            index = _INDEXES[key] = _Index(campaign_id)
    return index


@dataclass(frozen=True)
class Likeness:
    """A paragraph compared with a campaign's earlier ones: the highest estimated
    similarity among those checked (None when there was nothing to compare), and
    how many earlier paragraphs are at or above the threshold (counted up to
    ``enough``)."""

    similarity: float | None
    matches: int


def compare(
    campaign_id: int,
    raw: bytes,
    threshold: float,
    enough: int,
    exclude_supporter: int | None = None,
) -> Likeness:
    """Compare the signature ``raw`` with the campaign's confirmed paragraphs (other
    supporters' only, when ``exclude_supporter`` is given). Stops counting at
    ``enough`` matches. Reads the table; writes nothing."""
    index = _index_for(campaign_id)
    with index.lock:
        _catch_up(index)
        candidates = index.candidates(raw, max(threshold - SCAN_MARGIN, 0.05), exclude_supporter)
        best, matches = None, 0
        for start in range(0, min(len(candidates), MAX_VERIFIED), 64):
            batch = candidates[start : start + 64]
            found = dict(
                db.session.execute(
                    db.select(ParagraphSignature.id, ParagraphSignature.signature).filter(
                        ParagraphSignature.id.in_(batch),
                        ParagraphSignature.campaign_id == campaign_id,
                        ParagraphSignature.confirmed_at.is_not(None),
                        ParagraphSignature.supporter_id != (exclude_supporter or 0),
                    )
                ).all()
            )
            for row_id in batch:
                if row_id not in found:
                    index.drop(row_id)  # deleted since it was read
                    continue
                likeness = estimate(raw, bytes(found[row_id]))
                best = likeness if best is None else max(best, likeness)
                matches += likeness >= threshold
            if matches >= enough:
                break
    return Likeness(similarity=best, matches=matches)


# -- the table --------------------------------------------------------------------


def record(submission, raw: bytes | None) -> None:
    """Keep the signature of ``submission``'s paragraph (flushed), not compared
    against until the submission is confirmed (confirm()). The caller commits."""
    if raw is None:
        return
    db.session.add(
        ParagraphSignature(
            submission_id=submission.id,
            campaign_id=submission.campaign_id,
            supporter_id=submission.supporter_id,
            signature=raw,
        )
    )


def confirm(submission_id: int) -> None:
    """From now on, later paragraphs are compared with this submission's. The caller
    commits."""
    db.session.execute(
        db.update(ParagraphSignature)
        .where(
            ParagraphSignature.submission_id == submission_id,
            ParagraphSignature.confirmed_at.is_(None),
        )
        .values(confirmed_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def forget_letters(letter_ids: list[int]) -> None:
    """Remove the signatures of the paragraphs these letters carried (their text is
    being removed: erasure, retention, anonymisation). The caller commits."""
    if not letter_ids:
        return
    submissions = db.select(Letter.submission_id).filter(Letter.id.in_(letter_ids))
    db.session.execute(
        db.delete(ParagraphSignature)
        .where(ParagraphSignature.submission_id.in_(submissions))
        .execution_options(synchronize_session=False)
    )


def forget_supporter(supporter_id: int) -> None:
    """Remove every signature of the supporter's paragraphs. The caller commits."""
    db.session.execute(
        db.delete(ParagraphSignature)
        .where(ParagraphSignature.supporter_id == supporter_id)
        .execution_options(synchronize_session=False)
    )
