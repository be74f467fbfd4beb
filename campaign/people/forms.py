"""Organisers' forms for representatives and their imports, and the labels of body
kinds and file formats the pages show."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional

from campaign.core.translated_form import TranslatedForm
from campaign.people.importers import FORMATS

BODY_KIND_LABELS = {
    "parliament": _l("National parliament"),
    "european_parliament": _l("European Parliament"),
    "ministry": _l("Ministry"),
}
FORMAT_LABELS = {
    "csv": _l("The project's CSV"),
    "everypolitician": _l("EveryPolitician term CSV"),
    "popolo": _l("Popolo JSON (EveryPolitician)"),
    "ep-csv": _l("European Parliament open-data MEP CSV"),
    "ep-api": _l("European Parliament open-data API person JSON"),
}
MAX_UPLOAD = 20 * 1024 * 1024


class RepresentativeForm(TranslatedForm):
    title = StringField(_l("Title"), validators=[Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("Email address"), validators=[DataRequired(), Length(max=320)])
    party = StringField(_l("Party or group"), validators=[Length(max=200)])
    constituency = StringField(_l("Constituency"), validators=[Length(max=200)])
    language = StringField(
        _l("Language of their letters"), validators=[DataRequired(), Length(max=8)]
    )


class ImportForm(TranslatedForm):
    file = FileField(
        _l("File"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileSize(MAX_UPLOAD, message=_l("The file is larger than 20 MB.")),
        ],
    )
    format = SelectField(_l("Format"), choices=[(f, FORMAT_LABELS[f]) for f in FORMATS])
    country = StringField(_l("Country code"), validators=[Optional(), Length(max=60)])
    body = StringField(_l("Body"), validators=[Optional(), Length(max=200)])
    term = StringField(_l("Term"), validators=[Optional(), Length(max=40)])
    language = StringField(_l("Language code"), validators=[Optional(), Length(max=8)])
    deactivate_missing = BooleanField(
        _l("Deactivate the representatives of these bodies that the file no longer lists")
    )
