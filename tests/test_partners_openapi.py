"""The OpenAPI description: served at /api/openapi.json, valid OpenAPI 3.1, naming
every route of the API, true to what the API and the webhooks send, and rendered
into the documentation page, which names every path."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from campaign.api.openapi import description
from campaign.api.openapi_markdown import render
from campaign.core.extensions import db
from campaign.models import LetterState, WebhookDelivery
from campaign.models.base import utcnow
from campaign.partners import events

from .partners_support import bearer, campaign, make_partner, supporter_with_letters, token_for

DOCS = Path(__file__).resolve().parents[1] / "docs"
REFERENCE = DOCS / "partners-api-reference.md"


def matches(spec: dict, name: str, instance) -> None:
    """``instance`` has the shape of the description's schema ``name``."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(instance)


def test_the_description_is_served_and_valid_openapi_3_1(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # raises on an invalid description
    assert spec["servers"] == [{"url": "http://campaign.example.org"}]


def test_the_description_names_exactly_the_apis_routes(app):
    spec = description("http://x")
    described = {path.replace("{slug}", "<slug>") for path in spec["paths"]}
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")}
    assert described == routes


def test_the_docs_page_is_the_description_rendered_and_names_every_path():
    spec = description("https://campaign.example.org")
    page = REFERENCE.read_text(encoding="utf-8")
    assert page == render(spec), "run: python -m campaign.api.openapi_markdown > " + str(
        REFERENCE.relative_to(DOCS.parent)
    )
    for path, item in spec["paths"].items():
        for method in item:
            assert f"`{method.upper()} {path}`" in page
    for name in spec["webhooks"]:
        assert f"`{name}`" in page
    for name in spec["components"]["schemas"]:
        assert f"### {name}\n" in page
    nav = (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8")
    assert "partners-api-reference.md" in nav and "partners-api.md" in nav


@pytest.fixture
def partner(seeded):
    partner = make_partner("ours", campaign())
    first = campaign()
    supporter_with_letters(first, partner, "DE", letters=2, state=LetterState.SENT)
    supporter_with_letters(first, partner, "PL", confirmed=False)
    _s, _sub, gone = supporter_with_letters(first, partner, "DE")
    gone.withdrawn_at = utcnow()
    db.session.commit()
    return partner


def test_every_answer_has_the_shape_the_description_gives(partner, client):
    spec = description("http://x")
    token = bearer(token_for(partner))
    slug = "time-for-release"
    for path, name in (
        ("/api/v1/partner", "Partner"),
        ("/api/v1/campaigns", "CampaignList"),
        (f"/api/v1/campaigns/{slug}/figures", "CampaignFigures"),
        (f"/api/v1/campaigns/{slug}/partner-figures", "PartnerFigures"),
        (f"/api/v1/campaigns/{slug}/people", "PeoplePage"),
        (f"/api/v1/campaigns/{slug}/people?limit=1", "PeoplePage"),
        (f"/api/v1/campaigns/{slug}/withdrawals", "WithdrawalsPage"),
    ):
        response = client.get(path, headers=token)
        assert response.status_code == 200, path
        body = response.get_json()
        assert body, path
        matches(spec, name, body)
    for path, headers in (
        ("/api/v1/partner", {}),
        (f"/api/v1/campaigns/{slug}/people?limit=0", token),
        ("/api/v1/campaigns/nothing/figures", token),
    ):
        matches(spec, "Error", client.get(path, headers=headers).get_json())


def test_every_webhook_body_has_the_shape_the_description_gives(partner):
    from campaign.models import WebhookEndpoint

    db.session.add(WebhookEndpoint(partner_id=partner.id, url="https://x", secret="whsec_x"))
    db.session.commit()
    spec = description("http://x")
    _s, _sub, consent = supporter_with_letters(campaign(), partner, "LT")
    events.consents_confirmed([consent.id])
    db.session.commit()  # as the caller does
    consent.withdrawn_at = utcnow()
    db.session.commit()
    events.consent_withdrawn(consent.id)
    db.session.commit()  # as the caller does
    confirmed, withdrawn = db.session.execute(
        select(WebhookDelivery).order_by(WebhookDelivery.id)
    ).scalars()
    matches(spec, "ConfirmedEvent", json.loads(confirmed.payload))
    matches(spec, "WithdrawnEvent", json.loads(withdrawn.payload))


def test_the_docs_verification_example_accepts_a_real_signature_only():
    """The Python example partners copy from docs/partners-api.md works."""
    import re
    import time

    from campaign.partners import webhook_signing

    page = (DOCS / "partners-api.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    namespace: dict = {}
    exec(compile(code, "partners-api.md", "exec"), namespace)  # noqa: S102 - our own docs
    verify = namespace["verify"]
    secret, body = webhook_signing.new_secret(), b'{"type":"consent.confirmed"}'
    headers = webhook_signing.headers(secret, 7, "consent.confirmed", int(time.time()), body)
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body + b" ")
    assert not verify(webhook_signing.new_secret(), headers, body)
    old = webhook_signing.headers(secret, 7, "consent.confirmed", int(time.time()) - 600, body)
    assert not verify(secret, old, body)
