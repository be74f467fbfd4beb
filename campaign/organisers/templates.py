"""The letter editor: drafts, preview, publish, versions, rollback, test letter.

The editor's buttons post the same form to different addresses (formaction), so
it works without JavaScript; static/template-preview.js only refreshes the
preview while typing, through preview_text."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.decorators import roles_required
from ..extensions import db
from ..mail import MailError
from ..models import Campaign, LetterTemplate, Representative, Role
from ..services import letter_markers, letter_reviews
from ..services import template_editing as editing
from ..services.campaigns import known_language
from ..translated_form import TranslatedForm
from . import bp
from .common import get_or_404
from .forms import BODY_KIND_LABELS, NewTemplateForm, PublishForm, TemplateForm

SAMPLE = "sample"


def _template(template_id: int) -> LetterTemplate:
    return get_or_404(LetterTemplate, template_id, _("There is no such letter."))


def _form(template: LetterTemplate) -> TemplateForm:
    form = TemplateForm()
    choices = [(SAMPLE, _("A fictional representative"))]
    choices += [
        (str(rep.id), f"{rep.name} — {rep.body.name} ({rep.country}, {rep.language})")
        for rep in editing.preview_choices(template)
    ]
    form.representative.choices = choices
    if not form.is_submitted():
        text = editing.editor_text(template)
        form.subject.data, form.body.data = text.subject, text.body
        if request.args.get("raw") != "1":
            _show_markers(form)
    return form


def _show_markers(form: TemplateForm) -> None:
    """Put the text in the form with readable markers, unless it cannot be."""
    subject = letter_markers.to_markers(form.subject.data or "")
    body = letter_markers.to_markers(form.body.data or "")
    if subject is not None and body is not None:
        form.subject.data, form.body.data, form.mode.data = subject, body, "markers"


def _raw(form: TemplateForm) -> tuple[str, str, list]:
    """The template text the form holds, and the problems of its markers, if any.
    Raw text (no ``mode``) passes through unchanged."""
    subject, body = form.subject.data or "", form.body.data or ""
    if form.mode.data != "markers":
        return subject, body, []
    subject, subject_problems = letter_markers.from_markers(subject, "subject")
    body, body_problems = letter_markers.from_markers(body, "body")
    return subject, body, subject_problems + body_problems


def _chosen_representative(form: TemplateForm, template: LetterTemplate) -> Representative | None:
    value = form.representative.data or ""
    if not value.isdigit():
        return None
    rep = db.session.get(Representative, int(value))
    if rep is None or rep.body.kind != template.body_kind:
        return None
    return rep


def _editor(template: LetterTemplate, form: TemplateForm, problems=(), result=None, status=200):
    problems = list(problems)
    form.subject.errors = [
        *form.subject.errors,
        *(str(p) for p in problems if p.field == "subject"),
    ]
    form.body.errors = [*form.body.errors, *(str(p) for p in problems if p.field == "body")]
    default = editing.default_letter(template.body_kind, template.language)
    return (
        render_template(
            "organisers/template_editor.html",
            template=template,
            form=form,
            problems=problems,
            preview=result,
            preview_text=both_ways(result) if result and not result.problems else "",
            origin=editing.editor_text(template).origin,
            variables=editing.variables_help(),
            refused=editing.stored_problems(template),
            default=default,
            kind_label=BODY_KIND_LABELS.get(template.body_kind, template.body_kind),
            markers=letter_markers.markers() if form.mode.data == "markers" else None,
        ),
        status,
    )


@bp.get("/campaigns/<int:campaign_id>/letters")
@roles_required(Role.ORGANISER)
def templates(campaign_id: int):
    campaign = get_or_404(Campaign, campaign_id, _("There is no such campaign."))
    return _templates_page(campaign, NewTemplateForm())


def _templates_page(campaign: Campaign, form: NewTemplateForm, status: int = 200):
    rows = db.session.execute(
        db.select(LetterTemplate)
        .filter_by(campaign_id=campaign.id)
        .order_by(LetterTemplate.body_kind, LetterTemplate.language)
    ).scalars()
    templates = list(rows)
    return (
        render_template(
            "organisers/templates.html",
            campaign=campaign,
            templates=templates,
            refused={t.id: problems for t in templates if (problems := editing.stored_problems(t))},
            form=form,
            kind_labels=BODY_KIND_LABELS,
        ),
        status,
    )


@bp.post("/campaigns/<int:campaign_id>/letters")
@roles_required(Role.ORGANISER)
def create_template(campaign_id: int):
    campaign = get_or_404(Campaign, campaign_id, _("There is no such campaign."))
    form = NewTemplateForm()
    if form.validate_on_submit():
        language = form.language.data.strip().lower()
        if not known_language(language):
            form.language.errors = [_("Give a two-letter language code, e.g. lt.")]
        else:
            try:
                template = editing.create_template(
                    campaign, language, form.body_kind.data, current_user
                )
            except editing.EditingError as exc:
                form.language.errors = [str(exc)]
            else:
                flash(_("The letter was created. Publish it to offer it to supporters."), "success")
                return redirect(url_for(".edit_template", template_id=template.id))
    return _templates_page(campaign, form, 422)


@bp.get("/letters/<int:template_id>")
@roles_required(Role.ORGANISER)
def edit_template(template_id: int):
    template = _template(template_id)
    form = _form(template)
    if request.args.get("start") == "default":
        default = editing.default_letter(template.body_kind, template.language)
        if default is not None:
            form.subject.data, form.body.data, form.mode.data = default.subject, default.body, ""
            if request.args.get("raw") != "1":
                _show_markers(form)
            flash(_("The default text is in the editor; it is not saved yet."), "notice")
    return _editor(template, form)


@bp.post("/letters/<int:template_id>/preview")
@roles_required(Role.ORGANISER)
def preview_template(template_id: int):
    template = _template(template_id)
    form = _form(template)
    if not form.validate_on_submit():
        return _editor(template, form, status=422)
    subject, body, problems = _raw(form)
    if problems:
        return _editor(template, form, problems, status=422)
    result = editing.preview(template, subject, body, _chosen_representative(form, template))
    return _editor(template, form, result.problems, result, 422 if result.problems else 200)


@bp.post("/letters/<int:template_id>/preview.txt")
@roles_required(Role.ORGANISER)
def preview_text(template_id: int):
    """The preview as plain text, for the editor's script."""
    template = _template(template_id)
    form = _form(template)
    if not form.validate_on_submit():
        errors = [e for field in form for e in field.errors] or [_("The form could not be read.")]
        return Response("\n".join(map(str, errors)), 422, mimetype="text/plain")
    subject, body, problems = _raw(form)
    if problems:
        return Response("\n".join(map(str, problems)), 422, mimetype="text/plain")
    result = editing.preview(template, subject, body, _chosen_representative(form, template))
    if result.problems:
        text = "\n".join(str(p) for p in result.problems)
        return Response(text, 422, mimetype="text/plain")
    return Response(both_ways(result), mimetype="text/plain")


def both_ways(result: editing.Preview) -> str:
    """The preview's text: the letter from a constituent, then from a supporter
    living elsewhere, so that what each will claim is seen before publishing."""
    return (
        f"{_('Subject')}: {result.subject}\n\n"
        f"── {_('From a constituent (or a resident of their country)')} ──\n\n{result.body}\n"
        f"── {_('From a supporter who lives elsewhere or did not say')} ──\n\n"
        f"{result.body_elsewhere}"
    )


@bp.post("/letters/<int:template_id>/draft")
@roles_required(Role.ORGANISER)
def save_draft(template_id: int):
    template = _template(template_id)
    form = _form(template)
    if not form.validate_on_submit():
        return _editor(template, form, status=422)
    subject, body, problems = _raw(form)
    try:
        if problems:
            raise editing.TemplateInvalid(problems)
        kept = editing.save_draft(template, subject, body, current_user)
    except editing.TemplateInvalid as exc:
        flash(_("Nothing was saved: please correct the problems below."), "error")
        return _editor(template, form, exc.problems, status=422)
    if kept:
        flash(_("The draft was saved. Supporters still get the published version."), "success")
    else:
        flash(_("The text is the same as the published version: no draft is needed."), "notice")
    return redirect(url_for(".edit_template", template_id=template.id))


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
    template = _template(template_id)
    form = _form(template)
    if not form.validate_on_submit():
        return _editor(template, form, status=422)
    subject, body, problems = _raw(form)
    try:
        if problems:
            raise editing.TemplateInvalid(problems)
        check = editing.check_publish(template, subject, body)
    except editing.TemplateInvalid as exc:
        flash(_("Nothing was published: please correct the problems below."), "error")
        return _editor(template, form, exc.problems, status=422)
    return _publish_page(template, PublishForm(formdata=None), check)


@bp.post("/letters/<int:template_id>/publish/confirm")
@roles_required(Role.ORGANISER)
def confirm_publish(template_id: int):
    template = _template(template_id)
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
        editor_form = _form(template)
        editor_form.subject.data, editor_form.body.data = form.subject.data, form.body.data
        flash(_("Nothing was published: please correct the problems below."), "error")
        return _editor(template, editor_form, exc.problems, status=422)
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


@bp.post("/letters/<int:template_id>/test")
@roles_required(Role.ORGANISER)
def send_test_letter(template_id: int):
    template = _template(template_id)
    form = _form(template)
    if not form.validate_on_submit():
        return _editor(template, form, status=422)
    subject, body, problems = _raw(form)
    try:
        if problems:
            raise editing.TemplateInvalid(problems)
        editing.send_test(
            template, subject, body, current_user, _chosen_representative(form, template)
        )
    except editing.TemplateInvalid as exc:
        flash(_("Nothing was sent: please correct the problems below."), "error")
        return _editor(template, form, exc.problems, status=422)
    except MailError as exc:
        flash(_("The test letter could not be sent: %(reason)s", reason=str(exc)), "error")
        return _editor(template, form, status=502)
    flash(
        _(
            "A test letter was sent to %(email)s. Your text is not saved by this.",
            email=current_user.email,
        ),
        "success",
    )
    return _editor(template, form)


@bp.post("/letters/<int:template_id>/discard")
@roles_required(Role.ORGANISER)
def discard_draft(template_id: int):
    template = _template(template_id)
    if not TranslatedForm().validate_on_submit():
        abort(400)
    try:
        editing.discard_draft(template, current_user)
    except editing.EditingError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The draft was discarded."), "success")
    return redirect(url_for(".edit_template", template_id=template.id))


@bp.get("/letters/<int:template_id>/versions")
@roles_required(Role.ORGANISER)
def template_versions(template_id: int):
    template = _template(template_id)
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
    template = _template(template_id)
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


@bp.get("/campaigns/<int:campaign_id>/translations")
@roles_required(Role.ORGANISER)
def translations(campaign_id: int):
    """Every letter of the campaign by body kind and language: reviewed by a native
    speaker (who, when), not reviewed, or missing."""
    campaign = get_or_404(Campaign, campaign_id, _("There is no such campaign."))
    kinds, languages, cells = letter_reviews.overview(campaign)
    totals = {state: 0 for state in ("reviewed", "unreviewed", "missing")}
    for cell in cells.values():
        totals[cell.state] += 1
    return render_template(
        "organisers/translations.html",
        campaign=campaign,
        kinds=kinds,
        languages=languages,
        cells=cells,
        totals=totals,
        kind_labels=BODY_KIND_LABELS,
    )
