from campaign.accounts import login_links
from campaign.core.i18n import SOURCE_LANGUAGE
from campaign.core.queues import job


@job
def send_login_link(user_id: int | None, language: str = SOURCE_LANGUAGE) -> bool:
    return login_links.send_login_link(user_id, language)
