"""The boxes to tick before cancelling letters: a campaign's queued letters, or those
held for one representative's bad address."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
)
from wtforms.validators import DataRequired

from campaign.core.translated_form import TranslatedForm


class CancelSendingForm(TranslatedForm):
    """Cancelling cannot be undone: the box must be ticked (no script, so no dialog)."""

    confirm_cancel = BooleanField(
        _l("I understand: every queued letter of this campaign is cancelled for good."),
        validators=[DataRequired(_l("Tick this box to cancel the sending."))],
    )


class CancelHeldForm(TranslatedForm):
    """The same box as CancelSendingForm, for the letters held for a bad address of one
    representative (staff's addresses page: one form per row, so one prefix each)."""

    confirm_cancel = BooleanField(
        _l("I understand: the letters held for this representative are cancelled for good."),
        validators=[DataRequired(_l("Tick this box to cancel the held letters."))],
    )
