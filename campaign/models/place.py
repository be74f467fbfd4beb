from __future__ import annotations

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.extensions import db


class PlaceConstituency(db.Model):
    """A postcode or place, and a constituency of a body it lies in (organisers
    import these; a postcode that spans several constituencies has several rows)."""

    __table_args__ = (
        UniqueConstraint("body_id", "key", "constituency"),
        Index("ix_place_constituency_lookup", "body_id", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"))
    # The postcode or place as a supporter may type it, folded (people.places.key_of).
    key: Mapped[str] = mapped_column(db.String(120))
    place: Mapped[str] = mapped_column(db.String(120))
    constituency: Mapped[str] = mapped_column(db.String(200))

    body = relationship("Body")
