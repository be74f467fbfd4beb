from ..services import privacy
from .queues import job


@job
def send_data_link(supporter_id: int | None) -> bool:
    return privacy.send_data_link(supporter_id)
