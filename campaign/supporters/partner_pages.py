"""Pages reached through a partner: /c/<slug>/via/<partner>/… (the partner's own
link) and /c/<slug>/via/<partner>/embed/… (its form, framed by its own site).

Both serve the same views as /c/<slug>/…: the partner is taken off the URL's
values before the view runs (the page remembers it, like its campaign) and put
back into every link the page builds to a page that has a partner variant, so
the supporter stays with the partner until they send. Only the partner is kept:
no referrer, no query parameter. The embedded pages have endpoints of their own
(``embed_<view>``): their form is exempt from the session's CSRF check and carries
the partner's form token instead (supporters.embedded_form)."""

from __future__ import annotations

from flask import abort, has_request_context, make_response, render_template, request, url_for

from campaign.core.blueprints.supporters import bp
from campaign.core.extensions import csrf
from campaign.core.security import FRAME_ANCESTORS
from campaign.models import Campaign, Partner
from campaign.partners import embedding, logos
from campaign.partners import partners as partner_service
from campaign.supporters.display import PAGE_SLUG

VIA_PREFIX = "/c/<slug>/via/<partner>"
EMBED_PREFIX = VIA_PREFIX + "/embed"
EMBED = "embed_"
# Where a request keeps the partner's short name its address gives, and the partner
# once found (a page is through a partner, or in its frame, only then).
PAGE_PARTNER_SLUG = "campaign.page_partner_slug"
PAGE_PARTNER = "campaign.page_partner"
# The endpoints with a partner variant ("supporters.index"), and their embedded ones.
VIA_ENDPOINTS: set[str] = set()
EMBED_ENDPOINTS: dict[str, str] = {}


def _embedded_view(view):
    """The same view under an endpoint (and a name) of its own."""

    def embedded(**values):
        return view(**values)

    embedded.__name__ = embedded.__qualname__ = EMBED + view.__name__
    embedded.__module__ = __name__
    return embedded


def add_routes(rule: str, view, options: dict, *, via: bool, embed: bool) -> None:
    """Serve ``view`` (a campaign page at ``rule``) through a partner's link and, with
    ``embed``, in its embedded form. ``rule`` "/" is the campaign's first page."""
    tail = "" if rule == "/" else rule
    endpoint = f"{bp.name}.{options.get('endpoint') or view.__name__}"
    if via:
        bp.add_url_rule(VIA_PREFIX + tail, view_func=view, **options)
        VIA_ENDPOINTS.add(endpoint)
    if embed:
        framed = _embedded_view(view)
        name = EMBED + (options.get("endpoint") or view.__name__)
        bp.add_url_rule(
            EMBED_PREFIX + tail,
            view_func=framed,
            **{k: v for k, v in options.items() if k != "endpoint"},
            endpoint=name,
        )
        EMBED_ENDPOINTS[endpoint] = f"{bp.name}.{name}"
        VIA_ENDPOINTS.add(f"{bp.name}.{name}")
        if "POST" in (options.get("methods") or ()):
            # The frame gets no session cookie: its form token stands in for CSRF.
            csrf.exempt(framed)


@bp.url_value_preprocessor
def _take_partner(endpoint, values):
    if values and "partner" in values:
        request.environ[PAGE_PARTNER_SLUG] = values.pop("partner")


@bp.url_defaults
def _keep_partner(endpoint, values):
    """A link from a partner's page to another of the campaign's pages keeps the partner
    (and, in the frame, the language asked for: the frame keeps no cookie)."""
    if not has_request_context() or "partner" in values:
        return
    partner = page_partner()
    if partner is None or endpoint not in VIA_ENDPOINTS:
        return
    if values.get("slug") != request.environ.get(PAGE_SLUG):
        return
    values["partner"] = partner.slug
    if embedded() and "lang" in request.args and "lang" not in values:
        values["lang"] = request.args["lang"]


def resolve(campaign: Campaign) -> Partner | None:
    """The page's partner, when its address names one: 404 with a page that says so
    unless it is active and takes part in ``campaign``. In the frame, only the
    partner's registered origins may show the page (frame-ancestors)."""
    slug = request.environ.get(PAGE_PARTNER_SLUG)
    if slug is None:
        return None
    partner = partner_service.public_partner(campaign, slug)
    if partner is None:
        page = render_template("supporters/partner_unknown.html", campaign=campaign)
        abort(make_response(page, 404))
    request.environ[PAGE_PARTNER] = partner
    if embedded():
        request.environ[FRAME_ANCESTORS] = list(partner.frame_origins or [])
    return partner


def page_partner() -> Partner | None:
    return request.environ.get(PAGE_PARTNER) if has_request_context() else None


def embedded() -> bool:
    """The page is the partner's embedded form (its partner found)."""
    if page_partner() is None:
        return False
    return (request.endpoint or "").startswith(f"{bp.name}.{EMBED}")


def page_endpoint(endpoint: str) -> str:
    """``endpoint``, or its embedded variant on an embedded page."""
    if not embedded():
        return endpoint
    full = endpoint if not endpoint.startswith(".") else bp.name + endpoint
    return EMBED_ENDPOINTS.get(full, endpoint)


def page_url(endpoint: str, **values) -> str:
    """A link to ``endpoint`` in the page's campaign (and partner, and frame)."""
    return url_for(page_endpoint(endpoint), slug=request.environ.get(PAGE_SLUG), **values)


def only_language_kept():
    """A partner's link with anything but the language in its query (tracking
    parameters): the same page without them, so that they are kept nowhere, not even
    in the supporter's history or the links they share. None when there is none."""
    extra = [key for key in request.args if key != "lang"]
    if request.method != "GET" or not extra:
        return None
    kept = {"lang": request.args["lang"]} if "lang" in request.args else {}
    return url_for(request.endpoint, **(request.view_args or {}), **kept)


@bp.app_context_processor
def inject_partner():
    partner = page_partner()
    logo = None
    if partner is not None and partner.logo:
        logo = url_for(
            "supporters.partner_logo", partner_id=partner.id, digest=logos.logo_digest(partner.logo)
        )
    return {
        "page_partner": partner,
        "page_partner_logo": logo,
        "page_embedded": embedded(),
        "page_url": page_url,
        "frame_message": embedding.FRAME_MESSAGE,
    }
