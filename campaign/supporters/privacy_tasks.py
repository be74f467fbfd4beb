from campaign.core.queues import job
from campaign.supporters import privacy


@job
def send_data_link(supporter_id: int | None) -> bool:
    return privacy.send_data_link(supporter_id)


@job
def send_status_links(supporter_id: int | None) -> bool:
    from campaign.supporters import status_links

    return status_links.send_status_links(supporter_id)
