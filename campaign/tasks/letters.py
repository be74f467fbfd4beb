from ..services import delivery
from .queues import job


@job
def send_letter(letter_id: int) -> str:
    return delivery.send_letter(letter_id)
