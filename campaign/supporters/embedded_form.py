"""The letters form in a partner's frame: checked by its form token and the request's
Origin instead of the session (campaign.partners.form_tokens), and answered, once
sent, with a page that says the confirmation link is in the supporter's mailbox:
confirming opens this site in a window of its own, never in the frame."""

from __future__ import annotations

from flask import render_template, request

from campaign.models import Campaign, Partner, Submission
from campaign.partners import form_tokens

FIELD = "form_token"


def new_token(partner: Partner, campaign: Campaign) -> str:
    return form_tokens.issue(partner, campaign)


def _own_origin() -> str:
    return request.host_url.rstrip("/")


def _refusal_page(refused: form_tokens.FormRefused):
    page = render_template("error.html", code=refused.status, message=str(refused.message))
    return page, refused.status


def check_post(partner: Partner, campaign: Campaign):
    """For a POST of the frame: (a page refusing it, or None; whether its token has
    expired). An expired form is shown again, with a new token, and sends nothing."""
    try:
        form_tokens.check(
            request.form.get(FIELD, ""), partner, campaign, request.origin, _own_origin()
        )
    except form_tokens.FormExpired as expired:
        return None, expired
    except form_tokens.FormRefused as refused:
        return _refusal_page(refused), None
    return None, None


def use_token(partner: Partner, campaign: Campaign):
    """Mark the form's token used, just before the letters are written: None, or the
    page refusing a token used already."""
    try:
        form_tokens.check(
            request.form.get(FIELD, ""), partner, campaign, request.origin, _own_origin(), use=True
        )
    except form_tokens.FormRefused as refused:
        return _refusal_page(refused)
    return None


def sent_page(campaign: Campaign, submission: Submission | None):
    """What the frame shows once the letters are written (or a robot was let down)."""
    return render_template(
        "supporters/embed_sent.html",
        campaign=campaign,
        email=submission.supporter.email if submission is not None else None,
    )
