"""Decide whether an inbound message was written by a person.

:func:`classify` returns one of three kinds:

``bounce``
    A delivery failure or delay notice. Checked first, because many bounces
    also carry ``Auto-Submitted: auto-replied`` or, when relayed through a
    mailing list, ``Precedence: bulk``. Evidence: a delivery-status report
    (RFC 3464), an ``X-Failed-Recipients`` header, or a message from a mailer
    daemon, a postmaster, a no-reply sender or the null sender whose subject or
    text reads like a delivery failure; failing that, Mailman's bounce detectors
    (``flufl.bounce``: DSNs and some twenty MTAs' plain-text formats) finding a
    failed recipient. ``bounce`` is ``"hard"`` for a permanent failure and
    ``"soft"`` for a temporary one (delay, mailbox full, over quota).
``automatic``
    Out-of-office notices, autoresponders, read receipts, challenge-response
    requests (TMDA, SpamArrest, Boxbe and the like) and other machine-generated
    mail (RFC 3834 ``Auto-Submitted``, vendor headers, out-of-office subjects,
    the null sender). ``Precedence: bulk`` (or ``junk``) alone does
    not make a reply automatic when the message is plainly a reply (a reply
    subject and In-Reply-To/References): forwarding hops and lists add it to
    what people write.
``human``
    Everything else.
"""

from __future__ import annotations

from collections.abc import Iterable

from campaign.tracking.inbound.automatic import DEFAULT_OOO_SUBJECTS, check_automatic
from campaign.tracking.inbound.bounces import check_bounce
from campaign.tracking.inbound.classification import Classification
from campaign.tracking.inbound.message import InboundMessage


def classify(
    msg: InboundMessage, ooo_subjects: Iterable[str] = DEFAULT_OOO_SUBJECTS
) -> Classification:
    """Classify ``msg`` as a bounce, an automatic reply or a human reply."""
    phrases = tuple(ooo_subjects)
    return (
        check_bounce(msg)
        or check_automatic(msg, phrases)
        or Classification("human", "", "no bounce or automatic-reply evidence")
    )
