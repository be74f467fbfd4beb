"""The OpenAPI 3.1 description of the partners' API and its webhooks, served at
/api/openapi.json and rendered into docs/partners-api-reference.md
(campaign.api.openapi_markdown; a test keeps the two equal)."""

from __future__ import annotations

import copy

from campaign.api.openapi_schemas import SCHEMAS, ref

VERSION = "1.0.0"


def _json(schema_name: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": ref(schema_name)}},
    }


def _error(description: str) -> dict:
    return _json("Error", description)


ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "429": {"$ref": "#/components/responses/TooManyRequests"},
}
CAMPAIGN_ERRORS = {
    **ERRORS,
    "403": {"$ref": "#/components/responses/Forbidden"},
    "404": {"$ref": "#/components/responses/NotFound"},
}
SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "the campaign's short name, as in its address /c/<slug>",
    "schema": {"type": "string", "maxLength": 80},
}
LISTING_PARAMETERS = [
    SLUG,
    {
        "name": "since",
        "in": "query",
        "description": "only rows that became visible at or after this time (ISO 8601; "
        "without an offset, UTC)",
        "schema": {"type": "string", "format": "date-time", "maxLength": 40},
    },
    {
        "name": "cursor",
        "in": "query",
        "description": "the next_cursor of the previous page (opaque)",
        "schema": {"type": "string", "maxLength": 200},
    },
    {
        "name": "limit",
        "in": "query",
        "description": "rows per page",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    },
]


def _get(operation_id: str, summary: str, description: str, answer: dict, **extra) -> dict:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "responses": {"200": answer, **extra.pop("errors", ERRORS)},
            **extra,
        }
    }


PATHS = {
    "/api/v1/partner": _get(
        "getPartner",
        "The token's partner",
        "Which partner the token belongs to, and the token's own prefix, label and scope.",
        _json("Partner", "the partner"),
    ),
    "/api/v1/campaigns": _get(
        "listCampaigns",
        "The partner's campaigns",
        "The campaigns the partner is attached to, with the partner's own link to each.",
        _json("CampaignList", "the campaigns"),
    ),
    "/api/v1/campaigns/{slug}/figures": _get(
        "getCampaignFigures",
        "A campaign's figures",
        "Letters written, confirmed, sent, delivered, bounced and answered in the whole "
        "campaign, in total, by country and by body, and how many people wrote.",
        _json("CampaignFigures", "the figures"),
        parameters=[SLUG],
        errors=CAMPAIGN_ERRORS,
    ),
    "/api/v1/campaigns/{slug}/partner-figures": _get(
        "getPartnerFigures",
        "The partner's share of a campaign",
        "The same figures over the letters of supporters who came through the partner's "
        "link or embedded form, with their submissions and consents.",
        _json("PartnerFigures", "the partner's figures"),
        parameters=[SLUG],
        errors=CAMPAIGN_ERRORS,
    ),
    "/api/v1/campaigns/{slug}/people": _get(
        "listPeople",
        "Supporters who agreed to hear from the partner",
        "Supporters of the campaign who agreed that the partner may email them, once "
        "they confirmed their address; never a withdrawn consent, never a supporter whose "
        "data was deleted or anonymised. In the order they were confirmed; each listing "
        "is recorded in the audit log with its count.",
        _json("PeoplePage", "a page of people"),
        parameters=LISTING_PARAMETERS,
        errors={**CAMPAIGN_ERRORS, "400": {"$ref": "#/components/responses/BadRequest"}},
    ),
    "/api/v1/campaigns/{slug}/withdrawals": _get(
        "listWithdrawals",
        "Consents withdrawn",
        "Consents to the partner withdrawn in the campaign, in the order they were "
        "withdrawn: remove these people from the partner's lists.",
        _json("WithdrawalsPage", "a page of withdrawals"),
        parameters=LISTING_PARAMETERS,
        errors={**CAMPAIGN_ERRORS, "400": {"$ref": "#/components/responses/BadRequest"}},
    ),
}
SIGNATURE_HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "description": "the delivery's id, the same on every retry: ignore one seen before",
        "schema": {"type": "string"},
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "description": "when this attempt was sent, in Unix seconds",
        "schema": {"type": "string"},
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "description": "v1, then the base64 HMAC-SHA256 of <webhook-id>.<webhook-timestamp>."
        "<body> keyed with the endpoint's secret",
        "schema": {"type": "string"},
    },
    {
        "name": "webhook-event",
        "in": "header",
        "required": True,
        "description": "the event's type, as in the body",
        "schema": {"type": "string"},
    },
]


def _webhook(operation_id: str, summary: str, schema: str) -> dict:
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": SIGNATURE_HEADERS,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref(schema)}},
            },
            "responses": {
                "2XX": {"description": "received; anything else is tried again later"},
            },
        }
    }


WEBHOOKS = {
    "consent.confirmed": _webhook(
        "consentConfirmed",
        "A supporter who agreed to hear from the partner confirmed their address",
        "ConfirmedEvent",
    ),
    "consent.withdrawn": _webhook(
        "consentWithdrawn", "A supporter withdrew their consent", "WithdrawnEvent"
    ),
}


def description(server_url: str) -> dict:
    """The whole description, with the server at ``server_url`` (PUBLIC_URL)."""
    return copy.deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "Time for release: partners' API",
                "version": VERSION,
                "description": "Read-only access for partner organisations to a campaign's "
                "figures and to the supporters who agreed to hear from them, and the "
                "webhooks that tell their tools of new ones. Guide: docs/partners-api.md.",
                "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
            },
            "servers": [{"url": server_url.rstrip("/")}],
            "security": [{"bearer": []}],
            "paths": PATHS,
            "webhooks": WEBHOOKS,
            "components": {
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "a token an admin made for the partner",
                    }
                },
                "responses": {
                    "BadRequest": _error("a parameter is malformed (the reason says which)"),
                    "Unauthorized": _error("no token, or one unknown, revoked or expired"),
                    "Forbidden": _error("the partner is not attached to this campaign"),
                    "NotFound": _error("no campaign has this slug"),
                    "TooManyRequests": _error("the token's rate limit; see Retry-After"),
                },
                "schemas": SCHEMAS,
            },
        }
    )
