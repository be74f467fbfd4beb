"""A campaign's questions for the supporter's own words, and the similarity rule;
the campaign's page shows how many letters carry copied paragraphs."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaign.accounts.decorators import roles_required
from campaign.campaigns.own_words_form import OwnWordsForm
from campaign.core.blueprints.organisers import bp
from campaign.core.view_helpers import get_or_404
from campaign.models import Campaign, Role
from campaign.supporters import own_words


def _as_lines(question: dict[str, str]) -> str:
    return "\n".join(f"{code}: {text}" for code, text in question.items())


def _filled(form: OwnWordsForm, campaign: Campaign) -> None:
    settings = own_words.settings_for(campaign)
    questions = list(settings.questions or [])
    for number, field in enumerate(form.question_fields()):
        field.data = _as_lines(questions[number]) if number < len(questions) else ""
    form.answers_required.data = settings.answers_required
    form.similarity_threshold.data = settings.similarity_threshold
    form.similarity_min_matches.data = settings.similarity_min_matches


@bp.route("/campaigns/<int:campaign_id>/own-words", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def own_words_settings(campaign_id: int):
    campaign = get_or_404(Campaign, campaign_id, _("There is no such campaign."))
    form = OwnWordsForm()
    if form.validate_on_submit():
        questions, bad = [], False
        for field in form.question_fields():
            question, problems = own_words.parse_question(field.data, campaign)
            field.errors = [*field.errors, *problems]
            bad = bad or bool(problems)
            questions.append(question)
        if not bad:
            changed = own_words.save_settings(
                campaign,
                questions,
                bool(form.answers_required.data),
                form.similarity_threshold.data,
                form.similarity_min_matches.data,
                current_user,
            )
            flash(_("Saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for(".own_words_settings", campaign_id=campaign.id))
    elif not form.is_submitted():
        _filled(form, campaign)
    page = render_template(
        "organisers/own_words.html",
        campaign=campaign,
        form=form,
        counts=own_words.letter_counts(campaign),
        languages=", ".join(own_words.question_languages(campaign)),
        missing=own_words.missing_languages(campaign),
    )
    return page, 422 if form.errors else 200


@bp.app_context_processor
def _own_words_helpers():
    return {"own_words_counts": own_words.letter_counts}
