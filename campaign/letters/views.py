"""The letter editor: the campaign's letters, drafts, preview, test letter, and the
state of their translations. Publishing and versions are in version_views.

The editor's buttons post the same form to different addresses (formaction), so
it works without JavaScript; static/template-preview.js only refreshes the
preview while typing, through preview_text."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaign.accounts.decorators import roles_required
from campaign.core.blueprints.organisers import bp
from campaign.core.extensions import db
from campaign.core.mail import MailError
from campaign.core.translated_form import TranslatedForm
from campaign.core.view_helpers import get_or_404
from campaign.letters import letter_markers, letter_reviews, template_preview, template_setup
from campaign.letters import template_editing as editing
from campaign.letters.forms import NewTemplateForm, TemplateForm
from campaign.models import Campaign, LetterTemplate, Representative, Role
from campaign.people.forms import BODY_KIND_LABELS
from campaign.people.importers.base import known_language

SAMPLE = "sample"


def template_or_404(template_id: int) -> LetterTemplate:
    return get_or_404(LetterTemplate, template_id, _("There is no such letter."))


def editor_form_for(template: LetterTemplate) -> TemplateForm:
    form = TemplateForm()
    choices = [(SAMPLE, _("A fictional representative"))]
    choices += [
        (str(rep.id), f"{rep.name} — {rep.body.name} ({rep.country}, {rep.language})")
        for rep in template_preview.preview_choices(template)
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


def raw_text(form: TemplateForm) -> tuple[str, str, list]:
    """The template text the form holds, and the problems of its markers, if any.
    Raw text (no ``mode``) passes through unchanged."""
    subject, body = form.subject.data or "", form.body.data or ""
    if form.mode.data != "markers":
        return subject, body, []
    subject, subject_problems = letter_markers.from_markers(subject, "subject")
    body, body_problems = letter_markers.from_markers(body, "body")
    return subject, body, subject_problems + body_problems


@dataclass(frozen=True)
class EditorText:
    """A letter, its editor's form as posted, and the template text the form holds."""

    template: LetterTemplate
    form: TemplateForm
    subject: str
    body: str
    refusal: str | None  # flashed when the text is refused

    def refused(self, problems) -> tuple:
        """The editor again, with ``problems`` at their fields: nothing was done."""
        if self.refusal:
            flash(self.refusal, "error")
        return editor_page(self.template, self.form, problems, status=422)

    @property
    def representative(self) -> Representative | None:
        """The representative chosen for the preview or the test letter, if any."""
        value = self.form.representative.data or ""
        if not value.isdigit():
            return None
        rep = db.session.get(Representative, int(value))
        if rep is None or rep.body.kind != self.template.body_kind:
            return None
        return rep


def checked_text(
    template_id: int, refusal: str | None = None, *, plain: bool = False
) -> EditorText:
    """The prelude of every editor action: the letter (404 if there is none), its
    form, and the template text in it. A form that cannot be read, or markers that
    are wrong, end the request here: with the editor page again (422), ``refusal``
    flashed; or, for the editor's script (``plain``), with the problems as text."""
    template = template_or_404(template_id)
    form = editor_form_for(template)
    if not form.validate_on_submit():
        if not plain:
            abort(make_response(editor_page(template, form, status=422)))
        errors = [e for field in form for e in field.errors]
        abort(plain_problems(errors or [_("The form could not be read.")]))
    subject, body, problems = raw_text(form)
    text = EditorText(template, form, subject, body, refusal)
    if problems:
        abort(plain_problems(problems) if plain else make_response(text.refused(problems)))
    return text


def plain_problems(problems) -> Response:
    """Problems as plain text, one a line (their technical detail indented below)."""
    lines = []
    for problem in problems:
        lines.append(str(problem))
        if getattr(problem, "detail", ""):
            lines.append(f"    {_('Technical detail')}: {problem.detail}")
    return Response("\n".join(lines), 422, mimetype="text/plain")


def editor_page(template: LetterTemplate, form: TemplateForm, problems=(), result=None, status=200):
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
                template = template_setup.create_template(
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
    template = template_or_404(template_id)
    form = editor_form_for(template)
    if request.args.get("start") == "default":
        default = editing.default_letter(template.body_kind, template.language)
        if default is not None:
            form.subject.data, form.body.data, form.mode.data = default.subject, default.body, ""
            if request.args.get("raw") != "1":
                _show_markers(form)
            flash(_("The default text is in the editor; it is not saved yet."), "notice")
    return editor_page(template, form)


@bp.post("/letters/<int:template_id>/preview")
@roles_required(Role.ORGANISER)
def preview_template(template_id: int):
    text = checked_text(template_id)
    result = template_preview.preview(text.template, text.subject, text.body, text.representative)
    status = 422 if result.problems else 200
    return editor_page(text.template, text.form, result.problems, result, status)


@bp.post("/letters/<int:template_id>/preview.txt")
@roles_required(Role.ORGANISER)
def preview_text(template_id: int):
    """The preview as plain text, for the editor's script."""
    text = checked_text(template_id, plain=True)
    result = template_preview.preview(text.template, text.subject, text.body, text.representative)
    if result.problems:
        return plain_problems(result.problems)
    return Response(both_ways(result), mimetype="text/plain")


def both_ways(result: template_preview.Preview) -> str:
    """The preview's text: the letter from a constituent, then from a supporter
    living elsewhere, so that what each will claim is seen before publishing."""
    # Outside the f-string: the catalogue's extraction does not look inside one.
    subject = _("Subject")
    constituent = _("From a constituent (or a resident of their country)")
    elsewhere = _("From a supporter who lives elsewhere or did not say")
    return (
        f"{subject}: {result.subject}\n\n"
        f"── {constituent} ──\n\n{result.body}\n"
        f"── {elsewhere} ──\n\n"
        f"{result.body_elsewhere}"
    )


@bp.post("/letters/<int:template_id>/draft")
@roles_required(Role.ORGANISER)
def save_draft(template_id: int):
    text = checked_text(template_id, _("Nothing was saved: please correct the problems below."))
    try:
        kept = editing.save_draft(text.template, text.subject, text.body, current_user)
    except editing.TemplateInvalid as exc:
        return text.refused(exc.problems)
    if kept:
        flash(_("The draft was saved. Supporters still get the published version."), "success")
    else:
        flash(_("The text is the same as the published version: no draft is needed."), "notice")
    return redirect(url_for(".edit_template", template_id=template_id))


@bp.post("/letters/<int:template_id>/test")
@roles_required(Role.ORGANISER)
def send_test_letter(template_id: int):
    text = checked_text(template_id, _("Nothing was sent: please correct the problems below."))
    try:
        template_preview.send_test(
            text.template, text.subject, text.body, current_user, text.representative
        )
    except editing.TemplateInvalid as exc:
        return text.refused(exc.problems)
    except MailError as exc:
        flash(_("The test letter could not be sent: %(reason)s", reason=str(exc)), "error")
        return editor_page(text.template, text.form, status=502)
    flash(
        _(
            "A test letter was sent to %(email)s. Your text is not saved by this.",
            email=current_user.email,
        ),
        "success",
    )
    return editor_page(text.template, text.form)


@bp.post("/letters/<int:template_id>/discard")
@roles_required(Role.ORGANISER)
def discard_draft(template_id: int):
    template = template_or_404(template_id)
    if not TranslatedForm().validate_on_submit():
        abort(400)
    try:
        editing.discard_draft(template, current_user)
    except editing.EditingError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The draft was discarded."), "success")
    return redirect(url_for(".edit_template", template_id=template.id))


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
