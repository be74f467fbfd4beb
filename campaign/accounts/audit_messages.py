"""What an audit entry says: a code and its parameters, read in the reader's language.

An entry stores the code of one of MESSAGES and the values of its placeholders
(in ``AuditEntry.changes`` under MESSAGE_KEY), and its English sentence in
``summary`` for the command line, exports and entries read without the app. The
admin's audit page says each entry again in the reader's language (describe);
an entry stored before codes existed, or whose code has since gone, shows its
stored sentence. The English texts are the msgids: changing one leaves older
entries readable (they keep their code), only in the new words.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from campaign.models import AuditEntry
from campaign.models.audit import COMMAND_LINE, MESSAGE_KEY


def N_(message: str) -> str:
    """Marks a message for extraction; translated when an entry is read."""
    return message


MESSAGES = {
    # accounts
    "user_created": N_("created the %(role)s account %(email)s"),
    "development_admin_created": N_("created the development admin account %(email)s"),
    "password_set": N_("set a new password for %(email)s"),
    "role_changed": N_("made %(email)s %(role)s"),
    "user_reactivated": N_("reactivated %(email)s"),
    "user_deactivated": N_("deactivated %(email)s"),
    "second_factor_required": N_("second factor required for: %(roles)s"),
    "second_factor_required_for_nobody": N_("second factor required for: nobody"),
    "second_factor_set_up": N_("%(email)s set up a second factor"),
    "second_factor_removed": N_("removed the second factor of %(email)s"),
    "recovery_code_used": N_("%(email)s used a recovery code"),
    # campaigns and their sending
    "campaign_created": N_("created the campaign %(campaign)s"),
    "campaign_changed": N_("changed %(fields)s of the campaign %(campaign)s"),
    "own_words_changed": N_(
        "changed the own-words settings (%(fields)s) of the campaign %(campaign)s"
    ),
    "campaign_no_longer_default": N_(
        "the campaign %(campaign)s is no longer the default; %(default)s is"
    ),
    "default_letters_added": N_("added %(count)s default letters from letters/"),
    "sending_paused": N_("paused the sending of %(campaign)s: %(count)s queued letters wait"),
    "sending_resumed": N_("resumed the sending of %(campaign)s: %(count)s letters queued"),
    "sending_cancelled": N_(
        "cancelled the sending of %(campaign)s: %(count)s queued letters cancelled"
    ),
    # letters
    "letter_created": N_("created the letter %(letter)s"),
    "draft_saved": N_("saved a draft of %(letter)s of campaign %(campaign)s"),
    "draft_same_as_published": N_(
        "draft of %(letter)s of campaign %(campaign)s equals the published text: no draft kept"
    ),
    "draft_discarded": N_("discarded the draft of %(letter)s of campaign %(campaign)s"),
    "published_reviewed": N_(
        "published version %(number)s of %(letter)s of campaign %(campaign)s (reviewed)"
    ),
    "published_not_reviewed": N_(
        "published version %(number)s of %(letter)s of campaign %(campaign)s (not reviewed)"
    ),
    "published_reviewed_with_losses": N_(
        "published version %(number)s of %(letter)s of campaign %(campaign)s (reviewed) "
        "(accepted %(losses)s loss(es) for supporters)"
    ),
    "published_not_reviewed_with_losses": N_(
        "published version %(number)s of %(letter)s of campaign %(campaign)s (not reviewed) "
        "(accepted %(losses)s loss(es) for supporters)"
    ),
    "rolled_back": N_(
        "rolled %(letter)s of campaign %(campaign)s back to the text of version %(old)s "
        "(published as version %(new)s)"
    ),
    # representatives and imports
    "representative_changed": N_("changed %(fields)s of %(name)s (%(body)s)"),
    "representative_reactivated": N_("reactivated %(name)s (%(body)s)"),
    "representative_deactivated": N_("deactivated %(name)s (%(body)s)"),
    "office_request": N_("office of %(name)s asked: %(request)s"),
    "office_request_cancelling": N_(
        "office of %(name)s asked: %(request)s; %(count)s letters not yet sent cancelled"
    ),
    "office_request_withdrawn": N_("office request of %(name)s withdrawn: %(request)s"),
    "imported": N_(
        "imported %(source)s (%(format)s) into %(bodies)s: created=%(created)s "
        "updated=%(updated)s unchanged=%(unchanged)s skipped=%(skipped)s"
    ),
    "imported_deactivating": N_(
        "imported %(source)s (%(format)s) into %(bodies)s: created=%(created)s "
        "updated=%(updated)s unchanged=%(unchanged)s skipped=%(skipped)s "
        "deactivated=%(deactivated)s"
    ),
    # job queues
    "queue_emptied": N_("emptied the %(queue)s queue: %(count)s waiting jobs deleted"),
    "queue_compacted": N_("compacted the %(queue)s queue"),
    "queue_failed_requeued": N_("requeued the failed jobs of the %(queue)s queue: %(count)s"),
    "queue_failed_deleted": N_("deleted the failed jobs of the %(queue)s queue: %(count)s"),
    "job_requeued": N_("requeued the job %(job)s (%(function)s) on %(queue)s"),
    "job_deleted": N_("deleted the job %(job)s (%(function)s) on %(queue)s"),
    # partner organisations, their API access and webhooks
    "partner_created": N_("created the partner %(partner)s"),
    "partner_changed": N_("changed %(fields)s of the partner %(partner)s"),
    "partner_logo_removed": N_("removed the logo of the partner %(partner)s"),
    "api_token_created": N_("API token %(prefix)s… created for %(partner)s: %(label)s"),
    "api_token_revoked": N_("API token %(prefix)s… of %(partner)s revoked: %(label)s"),
    "webhook_added": N_("webhook endpoint %(id)s added for %(partner)s: %(url)s"),
    "webhook_deactivated": N_("webhook endpoint %(id)s of %(partner)s deactivated: %(url)s"),
    # supporters' personal data seen or exported
    "held_letters_listed": N_("list: held letters (/staff/held)"),
    "replies_listed": N_("list: replies (/staff/replies page %(page)s)"),
    "replies_exported": N_("export: replies CSV (/staff/replies)"),
    "replies_exported_on_the_command_line": N_("export: replies list (%(format)s, command line)"),
    "reply_viewed": N_("view: reply %(id)s"),
    "letter_viewed": N_("view: letter %(id)s"),
    "api_listing": N_("list: API %(listing)s of %(campaign)s for partner %(partner)s"),
}

# Parameters whose values are codes or English words, said in the reader's language.
ROLE_NAMES = {"admin": _l("admin"), "organiser": _l("organiser"), "staff": _l("staff")}
# What an office asked for, as people.office_requests records it (the same msgids
# as its LABELS).
OFFICE_REQUESTS = {
    "stop writing to us": _l("stop writing to us"),
    "write to this other address": _l("write to this other address"),
    "use our web form instead": _l("use our web form instead"),
    "our figures on the public page are wrong": _l("our figures on the public page are wrong"),
}
_LABELS = {"role": ROLE_NAMES, "roles": ROLE_NAMES, "request": OFFICE_REQUESTS}
OBJECT_TYPE_LABELS = {
    "campaign": _l("campaign"),
    "template": _l("letter"),
    "representative": _l("representative"),
    "import": _l("import"),
    "user": _l("account"),
    "queue": _l("job queue"),
    "job": _l("job"),
    "partner": _l("partner organisation"),
    "personal_data": _l("personal data"),
}
COMMAND_LINE_LABEL = _l("command line")


def _shown(name: str, value: Any, translate: bool) -> Any:
    labels = _LABELS.get(name, {}) if translate else {}
    if isinstance(value, list | tuple):
        return ", ".join(str(labels.get(v, v)) for v in value)
    return str(labels[value]) if value in labels else value


def _filled(message: str, params: dict[str, Any], translate: bool) -> str:
    return message % {name: _shown(name, value, translate) for name, value in params.items()}


def english(code: str, params: dict[str, Any]) -> str:
    """The sentence stored in ``summary``. Raises ValueError for an unknown code or
    a placeholder without its parameter (a mistake in the caller)."""
    if code not in MESSAGES:
        raise ValueError(f"unknown audit message {code!r}")
    try:
        return _filled(MESSAGES[code], params, translate=False)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"audit message {code!r}: parameters {sorted(params)}: {exc}") from None


def stored(code: str, params: dict[str, Any]) -> dict[str, Any]:
    """What an entry keeps under MESSAGE_KEY."""
    return {"code": code, "params": params}


def describe(entry: AuditEntry) -> str:
    """The entry's sentence in the reader's language; the stored English one for an
    entry without a known code (older ones), or should a translation not fit."""
    said = (entry.changes or {}).get(MESSAGE_KEY)
    if not isinstance(said, dict) or said.get("code") not in MESSAGES:
        return entry.summary
    message = MESSAGES[said["code"]]
    try:
        return _filled(gettext(message), dict(said.get("params") or {}), translate=True)
    except (KeyError, TypeError, ValueError):
        return entry.summary


def actor(entry: AuditEntry) -> str:
    """Who did it: the account's address, or "command line" in the reader's language."""
    return str(COMMAND_LINE_LABEL) if entry.actor == COMMAND_LINE else entry.actor


def object_label(object_type: str) -> str:
    return str(OBJECT_TYPE_LABELS.get(object_type, object_type))
