"""The shapes of the API's answers and webhook bodies (OpenAPI 3.1 components, which
are JSON Schema 2020-12)."""

from __future__ import annotations


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


STRING = {"type": "string"}
COUNT = {"type": "integer", "minimum": 0}
TIME = {"type": "string", "format": "date-time"}
COUNT_NAMES = ("written", "confirmed", "sent", "delivered", "bounced", "answered")
COUNT_MEANINGS = {
    "written": "letters written (confirmed or not)",
    "confirmed": "letters whose supporter confirmed their email address",
    "sent": "letters the mail provider accepted",
    "delivered": "letters known to have arrived (a delivery event, or an answer)",
    "bounced": "letters whose address failed for good",
    "answered": "letters with a human answer (a reply, a survey 'yes', or one staff logged)",
}


def _object(properties: dict, required: list[str] | None = None, **extra) -> dict:
    schema = {"type": "object", "properties": properties, **extra}
    schema["required"] = list(properties) if required is None else required
    return schema


SCHEMAS: dict[str, dict] = {
    "Error": _object(
        {
            "error": {**STRING, "description": "a stable code, like invalid_token or not_found"},
            "reason": {**STRING, "description": "what was wrong, in English"},
        }
    ),
    "Partner": _object(
        {
            "slug": STRING,
            "name": STRING,
            "token": _object({"prefix": STRING, "label": STRING, "scope": {"const": "read"}}),
        }
    ),
    "Link": _object({"href": STRING}),
    "Campaign": _object(
        {
            "identifiers": {"type": "array", "items": STRING},
            "slug": STRING,
            "title": STRING,
            "browser_url": {
                **STRING,
                "format": "uri",
                "description": "the partner's own link to the campaign",
            },
            "_links": {"type": "object", "additionalProperties": ref("Link")},
        }
    ),
    "CampaignList": _object({"items": {"type": "array", "items": ref("Campaign")}}),
    "Counts": _object(
        {name: {**COUNT, "description": meaning} for name, meaning in COUNT_MEANINGS.items()}
    ),
    "CountryCounts": {
        "allOf": [ref("Counts"), _object({"country": {**STRING, "description": "ISO 3166-1"}})]
    },
    "BodyCounts": {
        "allOf": [
            ref("Counts"),
            _object({"body": _object({"id": COUNT, "name": STRING, "country": STRING})}),
        ]
    },
    "CampaignRef": _object({"slug": STRING, "title": STRING}),
    "CampaignFigures": _object(
        {
            "campaign": ref("CampaignRef"),
            "as_of": TIME,
            "supporters": {**COUNT, "description": "people who confirmed at least one letter"},
            "letters": ref("Counts"),
            "by_country": {"type": "array", "items": ref("CountryCounts")},
            "by_body": {"type": "array", "items": ref("BodyCounts")},
        }
    ),
    "PartnerFigures": _object(
        {
            "campaign": ref("CampaignRef"),
            "partner": _object({"slug": STRING, "name": STRING}),
            "as_of": TIME,
            "supporters": {**COUNT, "description": "people who confirmed through the partner"},
            "submissions": _object({"started": COUNT, "confirmed": COUNT}),
            "consents": _object(
                {
                    "listed": {**COUNT, "description": "consents the people listing gives"},
                    "withdrawn": COUNT,
                }
            ),
            "letters": ref("Counts"),
            "by_country": {"type": "array", "items": ref("CountryCounts")},
            "by_body": {"type": "array", "items": ref("BodyCounts")},
        }
    ),
    "EmailAddress": _object(
        {
            "address": {**STRING, "format": "email"},
            "primary": {"type": "boolean"},
            "status": {"enum": ["subscribed", "unsubscribed"]},
        }
    ),
    "Consent": _object(
        {
            "id": COUNT,
            "given_at": TIME,
            "confirmed_at": TIME,
            "wording": {**STRING, "description": "the sentence the supporter agreed to, as shown"},
            "wording_version": COUNT,
            "language": {**STRING, "description": "the language the wording was shown in"},
        }
    ),
    "Person": _object(
        {
            "identifiers": {
                "type": "array",
                "items": STRING,
                "description": "time-for-release:<id>, the same across the partner's campaigns",
            },
            "name": STRING,
            "email_addresses": {"type": "array", "items": ref("EmailAddress")},
            "languages_spoken": {"type": "array", "items": STRING},
            "postal_addresses": {
                "type": "array",
                "items": _object({"country": STRING}),
                "description": "the country of the representatives written to (when known)",
            },
            "consent": ref("Consent"),
        }
    ),
    "PeoplePage": _object(
        {
            "items": {"type": "array", "items": ref("Person")},
            "next_cursor": {"type": ["string", "null"]},
            "_links": _object({"next": ref("Link")}, required=[]),
        }
    ),
    "Withdrawal": _object(
        {
            "identifiers": {"type": "array", "items": STRING},
            "email_addresses": {"type": "array", "items": ref("EmailAddress")},
            "consent": _object({"id": COUNT, "withdrawn_at": TIME}),
        }
    ),
    "WithdrawalsPage": _object(
        {
            "items": {"type": "array", "items": ref("Withdrawal")},
            "next_cursor": {"type": ["string", "null"]},
            "_links": _object({"next": ref("Link")}, required=[]),
        }
    ),
    "ConfirmedEvent": _object(
        {
            "type": {"const": "consent.confirmed"},
            "timestamp": TIME,
            "data": _object(
                {
                    "campaign": ref("CampaignRef"),
                    "person": ref("Person"),
                    "consent": ref("Consent"),
                }
            ),
        }
    ),
    "WithdrawnEvent": _object(
        {
            "type": {"const": "consent.withdrawn"},
            "timestamp": TIME,
            "data": _object(
                {
                    "campaign": ref("CampaignRef"),
                    "person": _object(
                        {
                            "identifiers": {"type": "array", "items": STRING},
                            "email_addresses": {"type": "array", "items": ref("EmailAddress")},
                        }
                    ),
                    "consent": _object({"id": COUNT, "withdrawn_at": TIME}),
                }
            ),
        }
    ),
}
# In the people listing the consent sits inside the person; in an event, beside it.
SCHEMAS["Person"]["required"] = [
    "identifiers",
    "name",
    "email_addresses",
    "languages_spoken",
    "postal_addresses",
]
