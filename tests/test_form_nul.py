"""No form takes a NUL character (PostgreSQL text cannot hold one): TranslatedForm
refuses it at the field, in the reader's language, on every page that has a form;
the one management page without a form class says so at its field too."""

from __future__ import annotations

import io

from flask_babel import force_locale
from wtforms import StringField
from wtforms.validators import ValidationError

from campaign.core.extensions import db
from campaign.core.translated_form import TranslatedForm
from campaign.models import Campaign, ImportRun, OfficeRequest

from . import tracking_helpers as th
from .conftest import csrf_token
from .organisers_support import field_error, log_in_as, token_of
from .test_auth import login, make_user

NUL_EN = "This field contains an invisible control character (U+0000). Please remove it."
NUL_BE = "У гэтым полі ёсць нябачны кіроўны сімвал (U+0000). Выдаліце яго, калі ласка."


def _refuse_x(form, field):
    if "x" in (field.data or ""):
        raise ValidationError("no x here")


class Sample(TranslatedForm):
    class Meta:
        csrf = False

    name = StringField()
    note = StringField()
    other = StringField(validators=[_refuse_x])


def test_every_translated_form_refuses_nul_at_the_field_in_the_readers_language(app):
    data = {"name": "Ann\x00", "note": "fine", "other": "x\x00"}
    with app.test_request_context(method="POST", data=data):
        form = Sample()
        assert not form.validate()
        assert form.name.errors == [NUL_EN] and form.note.errors == []
        # A field its own validators refused keeps their message alone.
        assert form.other.errors == ["no x here"]
    with app.test_request_context(method="POST", data=data), force_locale("be"):
        form = Sample()
        assert not form.validate() and form.name.errors == [NUL_BE]
    with app.test_request_context(method="POST", data={"name": "Ann", "note": "", "other": ""}):
        assert Sample().validate()


def test_a_belarusian_organiser_is_told_at_the_field_and_nothing_is_saved(seeded, client):
    user = log_in_as(client)
    user.language = "be"
    db.session.commit()
    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    title, updated = campaign.title, campaign.updated_at
    url = f"/organise/campaigns/{campaign.id}"
    page = client.get(url).get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(page),
        "slug": campaign.slug,
        "title": "Новая\x00назва",
        "default_language": "en",
        "target_countries": "DE, LT, PL",
        "target_body_kinds": "parliament",
        "imprisoned": "1200",
    }
    response = client.post(url, data=form)
    assert response.status_code == 422
    assert NUL_BE in field_error(response.get_data(as_text=True), "title")
    db.session.expire_all()
    assert (campaign.title, campaign.updated_at) == (title, updated)


def test_an_uploaded_files_name_with_nul_is_refused_at_the_field(app, client):
    log_in_as(client)
    token = token_of(client, "/organise/imports/new")
    form = {"csrf_token": token, "file": (io.BytesIO(b"a,b\n"), "list\x00.csv"), "format": "csv"}
    response = client.post("/organise/imports/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 422
    assert NUL_EN in field_error(response.get_data(as_text=True), "file")
    assert db.session.execute(db.select(db.func.count()).select_from(ImportRun)).scalar() == 0


def test_the_login_form_refuses_nul_at_the_field(app, client):
    make_user("staff@example.org", "staff")
    db.session.commit()
    response = login(client, "staff@example.org", "correct horse\x00battery")
    assert response.status_code in (200, 422)
    assert NUL_EN in field_error(response.get_data(as_text=True), "password")


def test_an_office_request_with_nul_is_refused_at_its_field(seeded, client):
    rep = th.reps_of("FR")[0]
    log_in_as(client, "staff")
    url = f"/staff/representatives/{rep.id}/office-requests"
    token = token_of(client, url)
    response = client.post(url, data={"csrf_token": token, "kind": "stop", "note": "Call\x00"})
    assert response.status_code == 422
    assert NUL_EN in field_error(response.get_data(as_text=True), "note")
    assert db.session.execute(db.select(db.func.count()).select_from(OfficeRequest)).scalar() == 0
