"""Outcomes reach the database as soon as they are known, whatever the next request
does.

A worker process has one writer thread. The code that sends hands each outcome over
(``submit``) the moment its request returns and goes on with the next letter; the
writer writes everything handed over since its last write in one transaction
(delivery.outcomes.record) and starts again at once, so an accepted letter is in the
database a few milliseconds after its 202 even while the next request hangs until
its timeout. Until then the send journal in Redis knows of it (delivery.journal_sent).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from flask import Flask, current_app

from campaign.core.extensions import db
from campaign.delivery import outcomes, send_metrics

log = logging.getLogger(__name__)


@dataclass
class Batch:
    """The outcomes of one dispatch pass: ``wait`` returns once all are written,
    with how many of each kind were written (an outcome whose letter moved on is not
    counted)."""

    counts: Counter = field(default_factory=Counter)
    _pending: int = 0
    _cond: threading.Condition = field(default_factory=threading.Condition)

    @property
    def settled(self) -> bool:
        """Every outcome handed over so far is written."""
        with self._cond:
            return self._pending == 0

    def wait(self) -> Counter:
        with self._cond:
            self._cond.wait_for(lambda: self._pending == 0)
        return self.counts


@dataclass
class _Item:
    outcome: outcomes.Outcome
    batch: Batch
    known_at: float  # time.monotonic() when the outcome was known (the 202 arrived)


class OutcomeWriter:
    def __init__(self, app: Flask):
        self.app = app
        self._items: list[_Item] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="outcome-writer", daemon=True)
        self._thread.start()

    def submit(self, outcome: outcomes.Outcome, batch: Batch) -> None:
        with batch._cond:
            batch._pending += 1
        with self._cond:
            self._items.append(_Item(outcome, batch, time.monotonic()))
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._items)
                items, self._items = self._items, []
            with self.app.app_context():
                try:
                    self._write(items)
                finally:
                    db.session.remove()

    def _write(self, items: list[_Item]) -> None:
        by_batch: dict[int, list[_Item]] = {}
        for item in items:
            by_batch.setdefault(id(item.batch), []).append(item)
        for members in by_batch.values():
            batch = members[0].batch
            try:
                written = outcomes.record([item.outcome for item in members])
            except Exception:  # noqa: BLE001 - the journal and the reconciler catch up
                log.exception("could not record %d outcomes", len(members))
                written = {}
            committed = time.monotonic()
            accepted = [committed - i.known_at for i in members if i.outcome.kind == "sent"]
            if accepted:
                send_metrics.note_max(send_metrics.ACCEPT_TO_COMMIT, max(accepted))
            with batch._cond:
                batch.counts.update(written)
                batch._pending -= len(members)
                batch._cond.notify_all()


def get_writer() -> OutcomeWriter:
    """The app's writer thread (started on first use)."""
    ext = current_app.extensions
    if "outcome_writer" not in ext:
        ext["outcome_writer"] = OutcomeWriter(current_app._get_current_object())
    return ext["outcome_writer"]
