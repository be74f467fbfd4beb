"""Which campaign a public page belongs to, and the pages that choose one.

Each campaign with a published letter has its own address, /c/<slug>/…; the site's
first addresses (/write/…, /confirm/…, /status/…) keep serving the default campaign,
which organisers choose. The site's root lists the open campaigns, or shows the only
one. Before its opening date and after its closing date a campaign's pages say so,
with the dates, and take no letters."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from campaign.core.blueprints.supporters import bp
from campaign.core.urls import public_url
from campaign.letters import compose
from campaign.models import Campaign
from campaign.people import directory
from campaign.supporters import partner_pages, public_counts
from campaign.supporters.display import PAGE_CAMPAIGN, PAGE_SLUG, country_sort_key

CAMPAIGN_PREFIX = "/c/<slug>"

# What the privacy notice names as the service that carries mail.
MAIL_SERVICES = {"sendgrid": "SendGrid (Twilio Inc.)", "smtp": "SMTP"}


def campaign_route(rule: str, *, via: bool = False, embed: bool = False, **options):
    """Serve a view at ``rule`` for the default campaign and at /c/<slug>``rule`` for
    the campaign named there (the view takes ``slug=None``). One endpoint: url_for
    with a slug builds the campaign's address, without one the first address. With
    ``via``, also through a partner's link (/c/<slug>/via/<partner>``rule``); with
    ``embed``, in the partner's embedded form too (supporters.partner_pages)."""

    def decorator(view):
        bp.route(rule, **options)(view)
        bp.route(CAMPAIGN_PREFIX + rule, **options)(view)
        partner_pages.add_routes(rule, view, options, via=via, embed=embed)
        return view

    return decorator


def belongs_to(campaign: Campaign, slug: str | None) -> None:
    """Remember the page's campaign: its footer, privacy link and own links follow it.
    Kept in the request's environ, not in g: an app context (a test's) can outlive
    many requests."""
    request.environ[PAGE_CAMPAIGN] = campaign
    request.environ[PAGE_SLUG] = slug


def current_campaign() -> Campaign:
    """The campaign of the page: the one named by /c/<slug>/ (404 unless it has a
    published letter), else the default campaign."""
    slug = (request.view_args or {}).get("slug")
    if slug:
        campaign = directory.public_campaign(slug)
        if campaign is None:
            abort(404, _("There is no campaign at this address."))
    else:
        campaign = directory.default_campaign(current_app.config.get("CAMPAIGN_SLUG"))
        if campaign is None:
            abort(404, _("No campaign has been set up yet."))
    belongs_to(campaign, slug)
    partner_pages.resolve(campaign)
    return campaign


def here(endpoint: str, **values) -> str:
    """A link to ``endpoint`` in the page's campaign: under /c/<slug>/ when the page
    is, at the site's first addresses otherwise (through the page's partner, and in
    its frame, when the page is)."""
    return partner_pages.page_url(endpoint, **values)


def share_url(campaign: Campaign) -> str:
    """The campaign's own landing page: the site's root may list several campaigns."""
    return public_url("supporters.index", slug=campaign.slug)


def not_open_page(campaign: Campaign):
    """None while ``campaign`` takes letters; else the page saying that it does not
    yet or no longer, with its dates: shown to a GET, and refusing a POST (403)."""
    reason = campaign.not_open_reason(directory.today())
    if reason is None:
        return None
    others = [c for c in directory.open_campaigns() if c.id != campaign.id]
    page = render_template(
        "supporters/not_open.html", campaign=campaign, reason=reason, others=others
    )
    return page, (403 if request.method == "POST" else 200)


def _landing(campaign: Campaign):
    refused = not_open_page(campaign)
    if refused:
        return refused
    if partner_pages.page_partner() is not None:
        clean = partner_pages.only_language_kept()
        if clean:
            return redirect(clean)
    countries = directory.countries_with_representatives()
    return render_template(
        "supporters/embed_index.html" if partner_pages.embedded() else "supporters/index.html",
        campaign=campaign,
        figures=compose.figures_for(campaign, str(get_locale())),
        countries=sorted(countries, key=country_sort_key),
        counts=public_counts.public_counts(campaign),
    )


@campaign_route("/", via=True, embed=True, methods=["GET"])
def index(slug: str | None = None):
    if slug or current_app.config.get("CAMPAIGN_SLUG"):
        return _landing(current_campaign())
    open_now = directory.open_campaigns()
    if len(open_now) > 1:
        return render_template(
            "supporters/campaigns.html",
            campaigns=open_now,
            counts={c.id: public_counts.public_counts(c) for c in open_now},
        )
    campaign = current_campaign()
    if len(open_now) == 1 and open_now[0].id != campaign.id:
        return redirect(url_for(".index", slug=open_now[0].slug))
    return _landing(campaign)


@campaign_route("/write", via=True, embed=True)
def choose_country(slug: str | None = None):
    current_campaign()
    country = (request.args.get("country") or "").upper()
    if country in directory.countries_with_representatives():
        return redirect(here(".choose_representatives", country=country))
    return redirect(here(".index", _anchor="write"))


@campaign_route("/privacy", endpoint="privacy")
def privacy_notice(slug: str | None = None):
    backend = current_app.config["MAIL_BACKEND"]
    return render_template(
        "supporters/privacy.html",
        campaign=current_campaign(),
        mail_service=MAIL_SERVICES.get(backend, backend),
    )
