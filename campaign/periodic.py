"""The clock's schedule: which periodic function runs how often. Each function is safe
to run at any time, by any number of processes at once: it takes a lock in Redis
(core.locks) and its updates are conditional on the state it found. The features
never import this module; the clock (campaign.clock) does."""

from __future__ import annotations

from collections.abc import Callable

from campaign.delivery import address_releases, reconcile
from campaign.letters import digests
from campaign.partners import webhook_sender
from campaign.supporters import privacy, reminders
from campaign.tracking import catch_up, rollups, surveys

# name -> (function, interval in seconds). The clock process runs these.
PERIODIC: dict[str, tuple[Callable[[], int], int]] = {
    "send_reminders": (reminders.send_reminders, 300),
    "expire_unconfirmed": (reminders.expire_unconfirmed, 900),
    # Letters left behind by a killed worker or a Redis that forgot go on.
    "reconcile_letters": (reconcile.reconcile, 60),
    # The day's digests (letters.digests), and digests a letter left.
    "gather_digests": (digests.gather, 60),
    # Held letters whose representative's address was corrected by an import.
    "release_held_letters": (address_releases.release_job, 300),
    # Retention (supporters.privacy; docs/privacy.md).
    "remove_old_letter_texts": (privacy.remove_old_letter_texts, 3600),
    "anonymise_inactive_supporters": (privacy.anonymise_inactive_supporters, 3600),
    "clear_old_ip_hashes": (privacy.clear_old_ip_hashes, 900),
    # Replies, surveys and reports (docs/architecture/tracking.md).
    "send_surveys": (surveys.send_surveys_job, 3600),
    "send_survey_reminders": (surveys.send_survey_reminders_job, 3600),
    "reconcile_tracking": (catch_up.reconcile_job, 300),
    "refresh_response_rollups": (rollups.refresh_job, 60),
    "rebuild_response_rollups": (rollups.rebuild_job, 86400),
    # Partners' webhooks whose wake-up Redis lost, or whose retry is due.
    "wake_webhook_deliveries": (webhook_sender.wake_due, 30),
}
