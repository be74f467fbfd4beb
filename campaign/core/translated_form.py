"""The base of every form: its error messages come from the app's own catalogues,
and no field takes a NUL character.

WTForms ships catalogues for some of the interface languages only (none for
Belarusian, Lithuanian or Latvian), and Flask-WTF's CSRF messages are never
translated; campaign/form_messages.py lists the stock messages so that they are
extracted and translated with the app's other texts.

PostgreSQL text cannot hold U+0000 and no form needs one: a field that carries
it (in its value, or in an uploaded file's name) is refused at the field, in the
reader's language, whatever its own validators say."""

from __future__ import annotations

from flask import has_request_context
from flask_babel import get_domain
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

NUL = "\x00"
NUL_MESSAGE = _l("This field contains an invisible control character (U+0000). Please remove it.")


def holds_nul(raw_data) -> bool:
    """Whether any value posted for a field (a text, or a file by its name) holds NUL."""
    for value in raw_data or ():
        text = getattr(value, "filename", value)
        if isinstance(text, str) and NUL in text:
            return True
    return False


class CatalogueTranslations:
    """gettext/ngettext for WTForms against the app's catalogue in the page's
    language. No formatting here: WTForms fills in %(min)d and the like itself."""

    def _catalogue(self):
        return get_domain().get_translations() if has_request_context() else None

    def gettext(self, string: str) -> str:
        catalogue = self._catalogue()
        return string if catalogue is None else catalogue.ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        catalogue = self._catalogue()
        if catalogue is None:
            return singular if n == 1 else plural
        return catalogue.ungettext(singular, plural, n)


TRANSLATIONS = CatalogueTranslations()


class TranslatedForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return TRANSLATIONS

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        # Flask-WTF raises its CSRF messages untranslated.
        csrf_field = getattr(self, "csrf_token", None)
        if csrf_field is not None and csrf_field.errors:
            csrf_field.errors = [TRANSLATIONS.gettext(str(e)) for e in csrf_field.errors]
        for field in self:
            if holds_nul(field.raw_data):
                valid = False
                # A field its own validators refused already says what to correct
                # (the supporters' forms name control characters themselves).
                if not field.errors:
                    field.errors = [str(NUL_MESSAGE)]
        return valid
