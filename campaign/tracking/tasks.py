"""Jobs for replies and surveys: forwarding a reply, mailing a survey."""

from campaign.core.queues import job
from campaign.tracking import replies, surveys


@job
def forward_reply(reply_id: int) -> str:
    return replies.forward_reply(reply_id)


@job
def send_survey(invitation_id: int, reminder: bool = False) -> bool:
    return surveys.send_survey(invitation_id, reminder)
