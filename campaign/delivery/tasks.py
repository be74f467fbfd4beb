"""RQ jobs for letters. Each is a thin wrapper that calls a service."""

from campaign.core.queues import job
from campaign.delivery import delivery
from campaign.delivery import dispatch as dispatch_service


@job
def dispatch(slot: int, token: str | None = None) -> dict:
    """One job of a dispatch chain (delivery.dispatch)."""
    return dispatch_service.run_chain(slot, token)


@job
def wake() -> int:
    """Deferred letters are due (or may be): start dispatch chains in free slots."""
    return dispatch_service.kick()


@job
def send_letter(letter_id: int) -> int:
    """A letter was moved to `queued`: see that it is scheduled and ranked, and wake
    the dispatcher, which sends it in its turn. Kept for code (and jobs already in
    Redis) that enqueue a letter by id; safe to run any number of times."""
    return delivery.letters_queued([letter_id])
