"""A partner's link, /c/<slug>/via/<partner>: its pages say "with <partner>" and show
its logo (served from this site); the submission records the partner and nothing
else about where the supporter came from; a link of no partner of the campaign is a
404 that says so; each page's Content-Security-Policy lets only the partner's
registered origins frame its embedded form, and nobody any other page."""

from __future__ import annotations

import re

import pytest

from campaign.core.extensions import db
from campaign.core.security import CSP
from campaign.models import Letter, Submission
from campaign.seed import seed_demo

from . import flow
from . import partner_pages_support as ps
from .htmlforms import inline_problems
from .test_security_headers import directives

VIA = f"/c/{ps.CAMPAIGN}/via/viasna"


@pytest.fixture
def demo(app):
    seed_demo(second_campaign=True)
    return app


def test_pages_through_the_partner_link_say_with_whom_and_show_its_logo(demo, client):
    partner = ps.make_partner(logo=(ps.LOGOS / "logo.png").read_bytes(), logo_type="image/png")
    landing = client.get(VIA)
    html = landing.get_data(as_text=True)
    assert landing.status_code == 200
    assert "with Viasna Friends" in html
    logo = re.search(r'<img class="partner-logo" src="([^"]+)"', html).group(1)
    assert logo.startswith(f"/partner-logos/{partner.id}/")
    image = client.get(logo)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data == (ps.LOGOS / "logo.png").read_bytes()
    assert "immutable" in image.headers["Cache-Control"]
    # The next steps keep the partner, and so its name: the country form, the list.
    assert f'action="{VIA}/write"' in html
    chosen = client.get(f"{VIA}/write?country=LT")
    assert chosen.status_code == 302 and chosen.headers["Location"] == f"{VIA}/write/LT"
    listing = client.get(f"{VIA}/write/LT").get_data(as_text=True)
    assert "with Viasna Friends" in listing and f'action="{VIA}/write/LT/letters"' in listing
    letters = client.get(ps.letters_path(VIA, "LT", ps.rep_ids())).get_data(as_text=True)
    assert "with Viasna Friends" in letters
    # The campaign's own pages name no partner.
    own = client.get(f"/c/{ps.CAMPAIGN}/").get_data(as_text=True)
    assert "Viasna" not in own
    # A logo at an address that no longer fits it, or of nobody, is not found.
    assert client.get(f"/partner-logos/{partner.id}/0000000000000000").status_code == 404
    assert client.get("/partner-logos/999/0000000000000000").status_code == 404


def test_the_submission_records_the_partner_and_nothing_else(demo, client):
    partner = ps.make_partner()
    # A newsletter's link with tracking parameters: the page drops them at once.
    tracked = client.get(
        f"{VIA}?utm_source=newsletter&utm_campaign=march&fbclid=abc&lang=de",
        headers={"Referer": "https://mail.example/inbox?user=maryja"},
    )
    assert tracked.status_code == 302 and tracked.headers["Location"] == f"{VIA}?lang=de"
    response = ps.write_via(
        client, VIA, flow.Details(email="via@example.org"), extra={"utm_source": "x"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{VIA}/check-your-email"
    check = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "via@example.org" in check and "mit Viasna Friends" in check  # German, as chosen
    (submission,) = ps.submissions()
    assert submission.partner_id == partner.id
    # Everything the row holds: the partner is the only trace of where it came from.
    row = {c.name: getattr(submission, c.name) for c in Submission.__table__.columns}
    assert not any("utm" in str(v) or "mail.example" in str(v) for v in row.values())
    # The campaign's own address records no partner.
    g_client = demo.test_client()
    ps.write_via(g_client, f"/c/{ps.CAMPAIGN}", flow.Details(email="own@example.org"))
    assert ps.submissions()[-1].partner_id is None


@pytest.mark.parametrize("case", ["unknown", "inactive", "other campaign", "no campaign"])
def test_a_link_of_no_partner_of_the_campaign_is_a_clear_404(demo, client, case):
    if case == "inactive":
        ps.make_partner(active=False)
    elif case == "other campaign":
        ps.make_partner(campaign_slug="no-one-dies-in-custody")
    elif case == "no campaign":
        ps.make_partner(campaign_slug=None)
    for path in (VIA, f"{VIA}/write/LT", f"{VIA}/embed", f"{VIA}/embed/write/LT"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 404, path
        assert "This partner link does not work" in html
        # It points at the campaign's own page, not back at the partner's link.
        assert f'href="/c/{ps.CAMPAIGN}/"' in html and "/via/" not in html
        assert directives(response.headers["Content-Security-Policy"])["frame-ancestors"] == (
            "'none'"
        )
    reps = ps.rep_ids()
    posted = client.post(f"{VIA}/write/LT/letters", data={"representatives": reps})
    assert posted.status_code in (400, 404)
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 0


def test_frame_ancestors_list_only_the_partners_origins_on_its_embedded_pages(demo, client):
    ps.make_partner(frame_origins=["https://www.viasna.example", "http://127.0.0.2:5701"])
    ps.make_partner(
        slug="closed", name="No Frames", frame_origins=[], offers_consent=False, privacy_url=""
    )
    embedded = [
        f"{VIA}/embed",
        f"{VIA}/embed/write/LT",
        ps.letters_path(f"{VIA}/embed", "LT", ps.rep_ids()),
    ]
    for path in embedded:
        response = client.get(path)
        assert response.status_code == 200, path
        policy = directives(response.headers["Content-Security-Policy"])
        assert policy["frame-ancestors"] == "https://www.viasna.example http://127.0.0.2:5701"
        # Nothing else is looser than anywhere else.
        assert {k: v for k, v in policy.items() if k != "frame-ancestors"} == {
            k: v for k, v in directives(CSP).items() if k != "frame-ancestors"
        }
        assert "X-Frame-Options" not in response.headers
        # Under no-referrer a browser posts the frame's form with "Origin: null": these
        # pages tell their own site (and only it) where a request comes from.
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert inline_problems(response.get_data(as_text=True)) == []
    # The partner's first-party pages, the campaign's, another partner's frame without
    # origins: framed by nobody.
    for path in (VIA, f"{VIA}/write/LT", f"/c/{ps.CAMPAIGN}/", "/", "/c/x/via/closed/embed"):
        response = client.get(path)
        assert response.headers["Content-Security-Policy"] == CSP, path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["Referrer-Policy"] == "no-referrer", path
    closed = client.get(f"/c/{ps.CAMPAIGN}/via/closed/embed")
    assert closed.status_code == 200
    assert closed.headers["Content-Security-Policy"] == CSP
    assert closed.headers["X-Frame-Options"] == "DENY"
