"""Every page and endpoint. The features' view modules add their routes to the audience
blueprints of core/blueprints when they are imported; this module imports them all
and registers the blueprints. A new view module is added to VIEW_MODULES."""

from __future__ import annotations

from flask import Blueprint, Flask

from campaign.accounts import (
    audit_views,
    link_views,
    second_factor_views,
    user_views,
)
from campaign.accounts import views as account_views
from campaign.api import views as api_views
from campaign.campaigns import home_views as organiser_home_views
from campaign.campaigns import own_words_views, sending_views
from campaign.campaigns import views as campaign_views
from campaign.core.blueprints import admin, api, auth, organisers, staff, supporters, webhooks
from campaign.core.extensions import csrf
from campaign.delivery import job_views
from campaign.delivery import views as queue_views
from campaign.health import bp as health_bp
from campaign.letters import version_views
from campaign.letters import views as template_views
from campaign.partners import admin_views as partner_admin_views
from campaign.partners import api_admin_views, webhook_log_views
from campaign.partners import logo_views as partner_logo_views
from campaign.people import address_views, body_name_views, import_views, office_views, place_views
from campaign.people import views as representative_views
from campaign.supporters import (
    after_sending,
    confirmation_views,
    data,
    display,
    held_views,
    landing,
    names,
    write_views,
)
from campaign.tracking import (
    event_views,
    home_views,
    inbound_views,
    reply_views,
    report_views,
    responsiveness_views,
    survey_views,
)

# Audience -> its view modules, in the order they were always imported.
VIEW_MODULES = {
    supporters.bp: (
        after_sending,
        confirmation_views,
        data,
        display,
        landing,
        names,
        partner_logo_views,
        responsiveness_views,
        survey_views,
        write_views,
    ),
    auth.bp: (link_views, second_factor_views, account_views),
    organisers.bp: (
        body_name_views,
        campaign_views,
        import_views,
        own_words_views,
        place_views,
        representative_views,
        sending_views,
        template_views,
        version_views,
        organiser_home_views,
    ),
    admin.bp: (audit_views, user_views, partner_admin_views, api_admin_views),
    staff.bp: (
        address_views,
        held_views,
        job_views,
        office_views,
        queue_views,
        reply_views,
        report_views,
        home_views,
        webhook_log_views,
    ),
    webhooks.bp: (event_views, inbound_views),
    api.bp: (api_views,),
}


def register_public(app: Flask) -> None:
    """The supporters' pages, the health check and the login pages."""
    app.register_blueprint(supporters.bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(auth.bp)


def register_management(app: Flask) -> None:
    """The organisers', admins' and staff pages, and the webhooks (which authenticate
    themselves, so they are exempt from CSRF)."""
    management: tuple[Blueprint, ...] = (organisers.bp, admin.bp, staff.bp)
    for blueprint in management:
        app.register_blueprint(blueprint)
    csrf.exempt(webhooks.bp)
    app.register_blueprint(webhooks.bp)
    # The partners' API: a token on every request, no session, no form.
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
