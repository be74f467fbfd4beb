"""What partners' tools hear of: a consenting supporter confirmed, or withdrew.

The supporters' side calls these after its own commit; they record webhook
deliveries in the database (campaign.partners.webhooks) and wake the sender."""

from __future__ import annotations


def consents_confirmed(consent_ids: list[int]) -> None:
    """The supporter behind these consents confirmed their email address."""


def consent_withdrawn(consent_id: int) -> None:
    """The supporter withdrew this consent (their data page, or deleting their data)."""
