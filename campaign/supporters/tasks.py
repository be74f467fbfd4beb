from campaign.core.queues import job
from campaign.supporters import notifications


@job
def send_confirmation(submission_id: int, reminder: bool = False) -> bool:
    return notifications.send_confirmation(submission_id, reminder)


@job
def send_copy(submission_id: int) -> bool:
    return notifications.send_copy(submission_id)
