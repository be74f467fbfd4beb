"""Which translations a native speaker has checked: the interface catalogues
(campaign/translations/REVIEW.toml) and the letters (TemplateVersion.reviewed,
seeded from the ``Reviewed:`` header of letters/*.txt).

A review covers a catalogue as it was when reviewed: REVIEW.toml keeps the
SHA-256 of its translations then, and a catalogue changed since shows as such.
It also covers each message as it was: a fingerprint of every message and its
translation is kept beside the catalogue (LC_MESSAGES/reviewed.txt), so a message
added or retranslated later counts as unreviewed until the next review.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from babel.messages.pofile import read_po

from campaign.core.i18n import INTERFACE_LANGUAGES, SOURCE_LANGUAGE, TRANSLATIONS_DIR

REVIEW_FILE = TRANSLATIONS_DIR / "REVIEW.toml"
REVIEW_HEADER = """\
# Review of the interface translations by native speakers.
# `flask --app wsgi i18n status` shows these marks beside each catalogue;
# `flask --app wsgi i18n reviewed LANG --by NAME` records a review.
# `checksum` is the SHA-256 of the catalogue's translations when reviewed: once
# they change, the status says so, and the catalogue needs another look.
"""


@dataclass(frozen=True)
class CatalogueStatus:
    language: str
    name: str
    messages: int
    translated: int
    fuzzy: int
    reviewed: bool
    reviewer: str
    review_date: str
    changed_since_review: bool
    unreviewed: int = 0  # messages no review covers: new or changed since

    @property
    def complete(self) -> bool:
        return self.translated == self.messages and self.fuzzy == 0

    @property
    def review_mark(self) -> str:
        if not self.reviewed:
            return "not reviewed"
        if self.changed_since_review:
            return (
                f"changed since review by {self.reviewer} ({self.review_date}): "
                f"{self.unreviewed} message(s) not reviewed"
            )
        return f"reviewed by {self.reviewer} ({self.review_date})"


def po_path(language: str, directory: Path = TRANSLATIONS_DIR) -> Path:
    return directory / language / "LC_MESSAGES" / "messages.po"


def _is_translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return all(s.strip() for s in strings)


def catalogue_checksum(path: Path) -> str:
    """SHA-256 of every msgid with its translation, independent of order and comments."""
    with path.open("rb") as fh:
        catalog = read_po(fh)
    pairs = sorted(
        (json.dumps(m.id, ensure_ascii=False), json.dumps(m.string, ensure_ascii=False))
        for m in catalog
        if m.id
    )
    return hashlib.sha256("\n".join(f"{i}\t{s}" for i, s in pairs).encode()).hexdigest()


def reviewed_messages_path(language: str, directory: Path = TRANSLATIONS_DIR) -> Path:
    return directory / language / "LC_MESSAGES" / "reviewed.txt"


def message_fingerprint(message) -> str:
    """A message with its translation, as a short hash: another translation, or a
    changed source text, is another fingerprint."""
    pair = json.dumps([message.id, message.string], ensure_ascii=False)
    return hashlib.sha256(pair.encode()).hexdigest()[:16]


def _messages(path: Path) -> list:
    with path.open("rb") as fh:
        return [m for m in read_po(fh) if m.id]


def unreviewed_messages(language: str, directory: Path = TRANSLATIONS_DIR) -> list:
    """The messages of ``language`` that no native speaker's review covers: all of
    them before the first review, then those added or changed since."""
    path = reviewed_messages_path(language, directory)
    covered = set(path.read_text(encoding="utf-8").split()) if path.exists() else set()
    return [
        m for m in _messages(po_path(language, directory)) if message_fingerprint(m) not in covered
    ]


def read_reviews(path: Path = REVIEW_FILE) -> dict[str, dict]:
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def write_reviews(reviews: dict[str, dict], path: Path = REVIEW_FILE) -> None:
    lines = [REVIEW_HEADER.rstrip("\n")]
    for language in INTERFACE_LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        entry = reviews.get(language, {})
        lines += ["", f"[{language}]"]
        lines.append(f"reviewed = {'true' if entry.get('reviewed') else 'false'}")
        for key in ("reviewer", "date", "checksum"):
            lines.append(f"{key} = {json.dumps(str(entry.get(key, '')), ensure_ascii=False)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def mark_reviewed(
    language: str, reviewer: str, when: date | None = None, directory: Path = TRANSLATIONS_DIR
) -> dict:
    """Record that ``reviewer`` checked the catalogue of ``language`` as it is now.
    Raises ValueError for a language without a catalogue."""
    if language not in INTERFACE_LANGUAGES or language == SOURCE_LANGUAGE:
        raise ValueError(f"no catalogue for {language!r}")
    reviews = read_reviews(directory / "REVIEW.toml")
    reviews[language] = {
        "reviewed": True,
        "reviewer": reviewer,
        "date": (when or date.today()).isoformat(),
        "checksum": catalogue_checksum(po_path(language, directory)),
    }
    write_reviews(reviews, directory / "REVIEW.toml")
    fingerprints = sorted({message_fingerprint(m) for m in _messages(po_path(language, directory))})
    reviewed_messages_path(language, directory).write_text(
        "".join(f"{f}\n" for f in fingerprints), encoding="utf-8"
    )
    return reviews[language]


def catalogue_statuses(directory: Path = TRANSLATIONS_DIR) -> list[CatalogueStatus]:
    """One status per interface language other than the source language."""
    reviews = read_reviews(directory / "REVIEW.toml")
    statuses = []
    for language, name in INTERFACE_LANGUAGES.items():
        if language == SOURCE_LANGUAGE:
            continue
        path = po_path(language, directory)
        messages = _messages(path)
        review = reviews.get(language, {})
        reviewed = bool(review.get("reviewed"))
        statuses.append(
            CatalogueStatus(
                language=language,
                name=name,
                messages=len(messages),
                translated=sum(1 for m in messages if _is_translated(m)),
                fuzzy=sum(1 for m in messages if m.fuzzy),
                reviewed=reviewed,
                reviewer=str(review.get("reviewer", "")),
                review_date=str(review.get("date", "")),
                changed_since_review=reviewed
                and review.get("checksum") != catalogue_checksum(path),
                unreviewed=len(unreviewed_messages(language, directory)),
            )
        )
    return statuses


@dataclass(frozen=True)
class LetterStatus:
    campaign: str
    body_kind: str
    language: str
    version: int
    reviewed: bool


def letter_statuses() -> list[LetterStatus]:
    """The review mark of every published letter, campaign by campaign."""
    from campaign.core.extensions import db
    from campaign.models import Campaign, LetterTemplate, TemplateVersion

    rows = db.session.execute(
        db.select(Campaign.slug, LetterTemplate.body_kind, LetterTemplate.language, TemplateVersion)
        .join(LetterTemplate, LetterTemplate.campaign_id == Campaign.id)
        .join(TemplateVersion, TemplateVersion.id == LetterTemplate.published_version_id)
        .order_by(Campaign.slug, LetterTemplate.body_kind, LetterTemplate.language)
    ).all()
    return [
        LetterStatus(slug, kind, language, version.number, version.reviewed)
        for slug, kind, language, version in rows
    ]
