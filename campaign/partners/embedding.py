"""A partner's links to a campaign, and the snippet its own site pastes to embed the
form: an iframe, and a few lines of the partner's own script that set the frame's
height when the frame says how tall its content is (docs/organisers/partners.md).

The frame says so with ``window.parent.postMessage({type: FRAME_MESSAGE, height:
<CSS pixels>}, <the partner page's origin>)`` (campaign/static/embed-frame.js): only
to one of the partner's registered origins, never to "*". Nothing is loaded from
this site into the partner's page but the frame itself."""

from __future__ import annotations

from urllib.parse import urlsplit

from markupsafe import escape

from campaign.core.urls import public_url
from campaign.models import Campaign, Partner

FRAME_MESSAGE = "campaign-frame-height"
# The frame's height until its first message (and where scripts are off).
INITIAL_HEIGHT = 800


def via_url(partner: Partner, campaign: Campaign) -> str:
    """The partner's own link to the campaign: /c/<campaign>/via/<partner>."""
    return public_url("supporters.index", slug=campaign.slug, partner=partner.slug)


def embed_url(partner: Partner, campaign: Campaign) -> str:
    """The address the partner's iframe opens: /c/<campaign>/via/<partner>/embed."""
    return public_url("supporters.embed_index", slug=campaign.slug, partner=partner.slug)


def site_origin() -> str:
    parts = urlsplit(public_url("supporters.index"))
    return f"{parts.scheme}://{parts.netloc}"


def snippet(partner: Partner, campaign: Campaign, title: str) -> str:
    """What the partner pastes into its page: the iframe, and the listener that
    resizes it (no script of this site runs in the partner's page)."""
    origin = site_origin()
    return f"""<iframe src="{escape(embed_url(partner, campaign))}" title="{escape(title)}"
  referrerpolicy="no-referrer" loading="lazy"
  style="display:block;width:100%;max-width:48rem;height:{INITIAL_HEIGHT}px;border:0"></iframe>
<script>
window.addEventListener("message", function (event) {{
  if (event.origin !== "{origin}" || !event.data || event.data.type !== "{FRAME_MESSAGE}") return;
  var frames = document.getElementsByTagName("iframe");
  for (var i = 0; i < frames.length; i++) {{
    if (frames[i].contentWindow === event.source) frames[i].style.height = event.data.height + "px";
  }}
}});
</script>"""
