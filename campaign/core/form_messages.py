"""The stock messages of WTForms and Flask-WTF that the app's fields and validators
can show, marked so that `make messages` extracts them into the app's catalogues
(campaign/translated_form.py looks them up there). The msgids are the libraries'
own, exactly: a library upgrade that changes one shows up as an English message in
tests/test_i18n_forms.py."""


def N_(message: str) -> str:
    """Marks a message for extraction; translated where it is shown."""
    return message


def ngettext(singular: str, plural: str, n: int) -> tuple[str, str]:
    """Marks a message with plural forms for extraction (the keyword pybabel knows)."""
    return singular, plural


WTFORMS_MESSAGES = (
    N_("Invalid field name '%s'."),
    N_("Field must be equal to %(other_name)s."),
    ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        2,
    ),
    ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        2,
    ),
    ngettext(
        "Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.",
        2,
    ),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("This field is required."),
    N_("Invalid input."),
    N_("Invalid email address."),
    N_("Invalid IP address."),
    N_("Invalid Mac address."),
    N_("Invalid URL."),
    N_("Invalid UUID."),
    N_("Invalid value, must be one of: %(values)s."),
    N_("Invalid value, can't be any of: %(values)s."),
    N_("This field cannot be edited."),
    N_("This field is disabled and cannot have a value."),
    N_("Invalid CSRF Token."),
    N_("CSRF token missing."),
    N_("CSRF failed."),
    N_("CSRF token expired."),
    N_("Invalid Choice: could not coerce."),
    N_("Choices cannot be None."),
    N_("Not a valid choice."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    ngettext(
        "'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.",
        2,
    ),
    N_("Not a valid datetime value."),
    N_("Not a valid date value."),
    N_("Not a valid time value."),
    N_("Not a valid week value."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid float value."),
)

FLASK_WTF_MESSAGES = (
    N_("The CSRF token is missing."),
    N_("The CSRF session token is missing."),
    N_("The CSRF token has expired."),
    N_("The CSRF token is invalid."),
    N_("The CSRF tokens do not match."),
    N_("File does not have an approved extension."),
)
