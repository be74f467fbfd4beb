"""Publishing a letter (the comparison with the published text and the questions to
answer, then the confirmation), its versions and the rollback to one of them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaign.accounts.decorators import roles_required
from campaign.core.blueprints.organisers import bp
from campaign.core.extensions import db
from campaign.core.translated_form import TranslatedForm
from campaign.letters import template_editing as editing
from campaign.letters.forms import PublishForm
from campaign.letters.views import checked_text, editor_form_for, editor_page, template_or_404
from campaign.models import LetterTemplate, Role
from campaign.people.forms import BODY_KIND_LABELS


def _publish_page(template: LetterTemplate, form: PublishForm, check, status: int = 200):
    form.subject.data, form.body.data = check.subject, check.body
    form.compared_with.data = str(check.published.number if check.published else 0)
    return (
        render_template(
            "organisers/template_publish.html",
            template=template,
            form=form,
            check=check,
            kind_label=BODY_KIND_LABELS.get(template.body_kind, template.body_kind),
        ),
        status,
    )


@bp.post("/letters/<int:template_id>/publish")
@roles_required(Role.ORGANISER)
def publish_template(template_id: int):
    """The first step of publishing: the comparison with the published text, and
    the questions to answer. Nothing is published here."""
    text = checked_text(template_id, _("Nothing was published: please correct the problems below."))
    try:
        check = editing.check_publish(text.template, text.subject, text.body)
    except editing.TemplateInvalid as exc:
        return text.refused(exc.problems)
    return _publish_page(text.template, PublishForm(formdata=None), check)


@bp.post("/letters/<int:template_id>/publish/confirm")
@roles_required(Role.ORGANISER)
def confirm_publish(template_id: int):
    template = template_or_404(template_id)
    form = PublishForm()
    if not form.validate_on_submit():
        abort(
            400, _("The confirmation could not be read: go back to the editor and publish again.")
        )
    compared_with = form.compared_with.data or ""
    try:
        check = editing.check_publish(template, form.subject.data, form.body.data)
        version = editing.publish(
            template,
            form.subject.data,
            form.body.data,
            bool(form.reviewed.data),
            current_user,
            accept_losses=bool(form.accept_losses.data),
            compared_with=int(compared_with) if compared_with.isdigit() else -1,
        )
    except editing.TemplateInvalid as exc:
        editor_form = editor_form_for(template)
        editor_form.subject.data, editor_form.body.data = form.subject.data, form.body.data
        flash(_("Nothing was published: please correct the problems below."), "error")
        return editor_page(template, editor_form, exc.problems, status=422)
    except editing.LossesNotAccepted:
        form.accept_losses.errors = [
            _("Nothing was published: tick this box to publish a text that drops this.")
        ]
        return _publish_page(template, form, check, 422)
    except editing.EditingError as exc:
        flash(str(exc), "error")
        db.session.expire_all()
        check = editing.check_publish(template, form.subject.data, form.body.data)
        return _publish_page(template, PublishForm(formdata=None), check, 409)
    flash(
        _("Version %(number)d is published: supporters get it from now on.", number=version.number),
        "success",
    )
    return redirect(url_for(".edit_template", template_id=template.id))


@bp.get("/letters/<int:template_id>/versions")
@roles_required(Role.ORGANISER)
def template_versions(template_id: int):
    template = template_or_404(template_id)
    versions = list(reversed(template.versions))
    old, new = request.args.get("old", ""), request.args.get("new", "")
    comparison, error = None, None
    if old.isdigit() and new.isdigit():
        try:
            comparison = editing.compare_versions(template, int(old), int(new))
        except editing.EditingError as exc:
            error = str(exc)
    elif versions:
        published = template.published_version
        new = str(published.number if published else versions[0].number)
        old = str(max(1, int(new) - 1))
    return render_template(
        "organisers/template_versions.html",
        template=template,
        versions=versions,
        old=old,
        new=new,
        comparison=comparison,
        error=error,
        kind_label=BODY_KIND_LABELS.get(template.body_kind, template.body_kind),
    ), (404 if error else 200)


@bp.post("/letters/<int:template_id>/versions/<int:number>/rollback")
@roles_required(Role.ORGANISER)
def rollback_template(template_id: int, number: int):
    template = template_or_404(template_id)
    if not TranslatedForm().validate_on_submit():
        abort(400)
    try:
        version = editing.rollback(template, number, current_user)
    except editing.EditingError as exc:
        flash(str(exc), "error")
    else:
        flash(
            _(
                "The text of version %(old)d is published again, as version %(new)d.",
                old=number,
                new=version.number,
            ),
            "success",
        )
    return redirect(url_for(".template_versions", template_id=template.id))
