"""Importing representatives from a file: upload → dry run → confirm.

The uploaded bytes wait in the database (an ImportRun keyed by a random token),
never in the session cookie; the confirm button applies exactly the dry run it
was shown with (its fingerprint travels in the form)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import HiddenField

from campaign.accounts.decorators import roles_required
from campaign.core.blueprints.organisers import bp
from campaign.core.extensions import db
from campaign.core.translated_form import TranslatedForm
from campaign.core.view_helpers import ListPage, page_number
from campaign.models import ImportRun, Role
from campaign.people import import_plan, import_uploads
from campaign.people.forms import FORMAT_LABELS, ImportForm
from campaign.people.import_sample import COLUMN_HELP, sample_csv

PER_PAGE = 30
# Names listed per page in each section of a dry run.
CHANGES_PER_PAGE = 50
CHANGE_KINDS = ("created", "updated", "deactivated", "skipped")


class ConfirmForm(TranslatedForm):
    digest = HiddenField()


@bp.get("/imports")
@roles_required(Role.ORGANISER)
def imports():
    page = page_number(request.args.get("page"))
    runs = db.paginate(
        db.select(ImportRun)
        .filter(ImportRun.status == "applied")
        .order_by(ImportRun.applied_at.desc(), ImportRun.id.desc()),
        page=page,
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template("organisers/imports.html", runs=runs, format_labels=FORMAT_LABELS)


@bp.route("/imports/new", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def new_import():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        options = import_plan.ImportOptions(
            fmt=form.format.data,
            country=(form.country.data or "").strip() or None,
            body=(form.body.data or "").strip() or None,
            term=(form.term.data or "").strip() or None,
            language=(form.language.data or "").strip() or None,
            deactivate_missing=bool(form.deactivate_missing.data),
        )
        try:
            run, _plan = import_uploads.stage_upload(
                upload.read(), upload.filename or "upload", options, current_user
            )
        except import_plan.NothingToImport as exc:
            form.file.errors = [str(exc)]
            return render_template(
                "organisers/import_form.html",
                form=form,
                skipped=exc.skipped,
                columns=COLUMN_HELP,
            ), 422
        except import_plan.ImportRejected as exc:
            form.file.errors = [_("This file cannot be imported: %(reason)s", reason=str(exc))]
        else:
            return redirect(url_for(".import_run", token=run.token))
    return render_template(
        "organisers/import_form.html", form=form, skipped=[], columns=COLUMN_HELP
    ), (422 if form.errors else 200)


@bp.get("/imports/sample.csv")
@roles_required(Role.ORGANISER)
def import_sample():
    return Response(
        sample_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="representatives-sample.csv"'},
    )


def _run(token: str) -> ImportRun:
    run = import_uploads.find_run(token[:100])
    if run is None:
        abort(404, _("There is no such import, or its upload was forgotten after two days."))
    return run


def _dry_run_page(run: ImportRun, form: ConfirmForm, status: int = 200):
    try:
        plan = import_uploads.staged_plan(run)
    except import_plan.ImportRejected as exc:
        flash(str(exc), "error")
        return redirect(url_for(".new_import"))
    form.digest.data = plan.digest()
    listing = plan.listing()
    # Each section pages on its own (?created=2), keeping the others where they were.
    pages = {kind: page_number(request.args.get(kind)) for kind in CHANGE_KINDS}
    sections = {
        kind: ListPage(listing[kind], pages[kind], CHANGES_PER_PAGE) for kind in CHANGE_KINDS
    }
    return render_template(
        "organisers/import_dry_run.html",
        run=run,
        plan=plan,
        form=form,
        sections=sections,
        pages={kind: section.page for kind, section in sections.items()},
        format_labels=FORMAT_LABELS,
    ), status


@bp.get("/imports/<token>")
@roles_required(Role.ORGANISER)
def import_run(token: str):
    run = _run(token)
    if run.status == "applied":
        return render_template(
            "organisers/import_result.html", run=run, format_labels=FORMAT_LABELS
        )
    return _dry_run_page(run, ConfirmForm())


@bp.post("/imports/<token>/confirm")
@roles_required(Role.ORGANISER)
def confirm_import(token: str):
    run = _run(token)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        import_uploads.apply_staged(run, form.digest.data or "", current_user)
    except import_plan.PlanChanged as exc:
        flash(str(exc), "error")
        return _dry_run_page(run, ConfirmForm(formdata=None), 409)
    except import_plan.ImportRejected as exc:
        flash(str(exc), "error")
        return redirect(url_for(".import_run", token=run.token))
    flash(_("The import was written."), "success")
    return redirect(url_for(".import_run", token=run.token))
