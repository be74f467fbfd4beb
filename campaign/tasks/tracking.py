"""Jobs for replies and surveys: forwarding a reply, mailing a survey."""

from ..services import replies, surveys
from .queues import job


@job
def forward_reply(reply_id: int) -> str:
    return replies.forward_reply(reply_id)


@job
def send_survey(invitation_id: int, reminder: bool = False) -> bool:
    return surveys.send_survey(invitation_id, reminder)
