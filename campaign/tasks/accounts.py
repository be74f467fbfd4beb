from ..services import login_links
from .queues import job


@job
def send_login_link(user_id: int | None) -> bool:
    return login_links.send_login_link(user_id)
