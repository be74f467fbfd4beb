"""Admins add and edit partner organisations: name, short name, logo (PNG, JPEG or
WebP, checked by its content, served from this site), website, privacy notice,
contact, the origins that may frame the form, consent, campaigns. Only admins;
every change audited; hostile input is a form error at its field, never a 500 and
never a partial write."""

from __future__ import annotations

import io
import re
import struct
import zlib
from html import unescape

import pytest
from flask import g
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from campaign.core.extensions import db
from campaign.models import AuditEntry, Partner
from campaign.partners.logos import LOGO_MAX_BYTES
from campaign.seed import seed_demo

from . import partner_pages_support as ps
from .conftest import csrf_token
from .organisers_support import field_error, log_in_as

NEW = "/admin/partners/new"


@pytest.fixture
def demo(app):
    seed_demo(second_campaign=True)
    return app


@pytest.fixture
def admin(demo, client):
    log_in_as(client, "admin")
    return client


def form(client, url: str = NEW, **changes) -> dict:
    g.pop("csrf_token", None)
    data = {
        "csrf_token": csrf_token(client.get(url).get_data(as_text=True)),
        "name": "Viasna Friends",
        "slug": "viasna",
        "website": "https://www.viasna.example",
        "privacy_url": "https://www.viasna.example/privacy",
        "contact_email": "team@viasna.example",
        "frame_origins": "https://WWW.Viasna.example:443/\r\nhttp://127.0.0.2:5701",
        "offers_consent": "y",
        "active": "y",
        "campaigns": [str(ps.campaign().id)],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def png(width: int = 120, height: int = 40, padding: int = 0) -> bytes:
    """A valid PNG (a grey picture), ``padding`` bytes larger through a text chunk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    text = chunk(b"tEXt", b"c\x00" + b"x" * padding) if padding else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + text
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def upload(data: bytes, name: str = "logo.png") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name)


def send(client, url: str, data: dict):
    """Post ``data`` as a browser posts a form with a file: multipart, built in memory
    (the test client would spool a large body to a file it never closes)."""
    boundary, body = encode_multipart(data)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def audit_entries() -> list[AuditEntry]:
    return list(
        db.session.execute(
            db.select(AuditEntry).filter_by(object_type="partner").order_by(AuditEntry.id)
        ).scalars()
    )


def the_partner() -> Partner:
    db.session.expire_all()
    return db.session.execute(db.select(Partner)).scalar_one()


def test_an_admin_adds_a_partner_and_sees_its_links_and_snippet(admin):
    home = admin.get("/manage").get_data(as_text=True)
    assert 'href="/admin/partners"' in home
    assert "No partner yet." in admin.get("/admin/partners").get_data(as_text=True)
    logo = (ps.LOGOS / "logo.webp").read_bytes()
    response = send(admin, NEW, form(admin, logo=upload(logo, "logo.webp")))
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    partner = the_partner()
    assert (partner.name, partner.slug, partner.active, partner.offers_consent) == (
        "Viasna Friends",
        "viasna",
        True,
        True,
    )
    assert partner.frame_origins == ["https://www.viasna.example", "http://127.0.0.2:5701"]
    assert partner.logo == logo and partner.logo_type == "image/webp"
    assert [c.slug for c in partner.campaigns] == [ps.CAMPAIGN]
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "http://campaign.example.org/c/time-for-release/via/viasna" in page
    snippet = unescape(
        re.search(r'<textarea id="snippet-\d+"[^>]*>(.*?)</textarea>', page, re.S)[1]
    )
    assert (
        '<iframe src="http://campaign.example.org/c/time-for-release/via/viasna/embed"' in snippet
    )
    assert 'event.origin !== "http://campaign.example.org"' in snippet
    assert '"campaign-frame-height"' in snippet and "<script src" not in snippet
    assert "data-copy=" in page and "copy-snippet.js" in page
    logo_src = re.search(r'<img class="partner-logo" src="([^"]+)"', page)[1]
    assert admin.get(logo_src).data == logo
    (entry,) = audit_entries()
    assert entry.action == "create" and entry.actor == "admin@example.org"
    assert entry.changes["campaigns"] == [None, [ps.CAMPAIGN]]
    assert len(entry.changes["logo"][1]) == 16  # a fingerprint, never the image
    listing = admin.get("/admin/partners").get_data(as_text=True)
    assert "Viasna Friends" in listing and ps.CAMPAIGN in listing


def test_changes_are_audited_and_a_new_wording_is_a_new_version(admin):
    send(admin, NEW, form(admin))
    partner = the_partner()
    url = f"/admin/partners/{partner.id}"
    assert partner.consent_version == 1
    same = send(admin, url, form(admin, url))
    assert same.status_code == 302 and len(audit_entries()) == 1
    renamed = form(admin, url, name="Viasna Friends Abroad", frame_origins="", campaigns=None)
    assert send(admin, url, renamed).status_code == 302
    partner = the_partner()
    assert partner.consent_version == 2 and partner.frame_origins == [] and partner.campaigns == []
    entry = audit_entries()[-1]
    assert entry.action == "update"
    assert entry.changes["name"] == ["Viasna Friends", "Viasna Friends Abroad"]
    assert entry.changes["consent_version"] == [1, 2]
    assert entry.changes["campaigns"] == [[ps.CAMPAIGN], []]
    # Only what is shown beside the box makes a new version.
    off = form(admin, url, name="Viasna Friends Abroad", offers_consent=None, active=None)
    send(admin, url, off)
    assert the_partner().consent_version == 2 and not the_partner().active
    with_logo = form(admin, url, name="Viasna Friends Abroad", logo=upload(png()))
    send(admin, url, with_logo)
    assert the_partner().logo_type == "image/png"
    g.pop("csrf_token", None)
    token = csrf_token(admin.get(url).get_data(as_text=True))
    removed = send(admin, f"{url}/logo/remove", {"csrf_token": token})
    assert removed.status_code == 302 and the_partner().logo is None
    assert [e.summary for e in audit_entries()][-1].startswith("removed the logo")
    log = admin.get(f"/admin/audit?type=partner&id={partner.id}").get_data(as_text=True)
    assert "Viasna Friends Abroad" in log


@pytest.mark.parametrize("role", ["organiser", "staff"])
def test_only_admins_reach_the_partner_pages(demo, client, role):
    partner = ps.make_partner()
    log_in_as(client, role)
    token = csrf_token(client.get("/manage").get_data(as_text=True))
    pages = ["/admin/partners", NEW, f"/admin/partners/{partner.id}"]
    for url in pages:
        assert client.get(url).status_code == 403, url
    for url in (NEW, f"/admin/partners/{partner.id}", f"/admin/partners/{partner.id}/logo/remove"):
        assert client.post(url, data={"csrf_token": token, "name": "x"}).status_code == 403, url
    assert 'href="/admin/partners"' not in client.get("/manage").get_data(as_text=True)
    assert the_partner().name == "Viasna Friends"


def test_anonymous_visitors_are_sent_to_the_login(demo, client):
    for url in ("/admin/partners", NEW):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


BAD = {
    "slug with spaces": ({"slug": "Viasna Friends"}, "slug", "lower-case letters"),
    "slug with double hyphen": ({"slug": "a--b"}, "slug", "lower-case letters"),
    "slug too long": ({"slug": "a" * 81}, "slug", "longer than 80"),
    "slug not latin": ({"slug": "вясна"}, "slug", "lower-case letters"),
    "empty name": ({"name": "  "}, "name", "This field is required."),
    "name over lines": ({"name": "Viasna\nFriends"}, "name", "on one line"),
    "website not web": ({"website": "javascript:alert(1)"}, "website", "https://"),
    "no privacy notice with consent": ({"privacy_url": ""}, "privacy_url", "privacy notice"),
    "contact not an address": ({"contact_email": "team"}, "contact_email", "email address"),
    "plain http origin": (
        {"frame_origins": "http://www.viasna.example"},
        "frame_origins",
        "https://",
    ),
    "origin with a path": ({"frame_origins": "https://a.example/page"}, "frame_origins", "no path"),
    "wildcard origin": ({"frame_origins": "https://*.example.org"}, "frame_origins", "host name"),
    "origin smuggling a directive": (
        {"frame_origins": "https://a.example; script-src *"},
        "frame_origins",
        "one origin per line",
    ),
    "keyword origin": ({"frame_origins": "'self'"}, "frame_origins", "one origin per line"),
    "too many origins": (
        {"frame_origins": "\n".join(f"https://s{i}.example" for i in range(21))},
        "frame_origins",
        "At most 20",
    ),
    "SVG logo": (
        {
            "logo": lambda: upload(
                b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "x.png"
            )
        },
        "logo",
        "no SVG",
    ),
    "text as a logo": ({"logo": lambda: upload(b"just text", "logo.jpg")}, "logo", "no SVG"),
    "damaged PNG": ({"logo": lambda: upload(png()[:-5])}, "logo", "damaged"),
    "PNG too large": (
        {"logo": lambda: upload(png(padding=LOGO_MAX_BYTES))},
        "logo",
        "at most 512 KB",
    ),
    "PNG too wide": ({"logo": lambda: upload(png(width=5000, height=1))}, "logo", "4096 pixels"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_hostile_input_is_an_error_at_its_field_and_saves_nothing(admin, case):
    changes, field, words = BAD[case]
    changes = {k: (v() if callable(v) else v) for k, v in changes.items()}
    response = send(admin, NEW, form(admin, **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[-2000:]
    assert words in unescape(field_error(html, field)), field_error(html, field) or html[-3000:]
    assert db.session.execute(db.select(db.func.count(Partner.id))).scalar() == 0
    assert audit_entries() == []


def test_a_short_name_is_taken_once_and_edits_are_checked_alike(admin):
    ps.make_partner(slug="belarus-solidarity", name="Belarus Solidarity")
    taken = send(admin, NEW, form(admin, slug="belarus-solidarity"))
    assert taken.status_code == 422
    assert "Another partner" in field_error(taken.get_data(as_text=True), "slug")
    partner = ps.make_partner()
    url = f"/admin/partners/{partner.id}"
    bad = send(admin, url, form(admin, url, frame_origins="https://a.example/x"))
    assert bad.status_code == 422
    assert db.session.get(Partner, partner.id).frame_origins == [ps.PARTNER_ORIGIN]


def test_a_nul_or_a_huge_upload_is_refused_whole(admin):
    nul = send(admin, NEW, form(admin, name="Via\x00sna"))
    assert nul.status_code == 422
    # Refused at its field: by the name's own rule (one line, no special
    # characters), which speaks before the forms' NUL rule.
    assert "special characters" in unescape(field_error(nul.get_data(as_text=True), "name"))
    huge = send(admin, NEW, form(admin, logo=upload(b"\x89PNG" + b"\x00" * (3 * 1024 * 1024))))
    assert huge.status_code == 413 and "too large" in huge.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(Partner.id))).scalar() == 0
    assert admin.get("/admin/partners/999999999999").status_code == 404
