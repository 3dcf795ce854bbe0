"""The digital-interaction body: its JSON Schema and the rules the schema cannot express.

Written from Gong's reference for ``POST /v2/digital-interaction``
(``shared/reference/post-digital-interaction.txt``). The mapping uses the schema to know
which keys a body may have and what type each leaf takes; validation and the sandbox use
it to check bodies. It is the one place the API's contract lives in this project.
"""

from __future__ import annotations

import typing as t

ENDPOINT = "/v2/digital-interaction"
"""The path of the endpoint under a company's base URL (``api_url``)."""

INT32 = {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
STRING = {"type": "string"}
STRING_LIST = {"type": "array", "items": STRING}

DEVICES = ("MOBILE", "PC")
NUMERIC_TYPES = ("PERCENTAGE", "NPS", "RATING", "OTHER")
SEARCH_OBJECT_TYPES = ("VENDOR", "PRODUCT", "CATEGORY")
PERSON_CONTEXT_TYPES = ("CONTACT", "LEAD")
COMPANY_CONTEXT_TYPES = ("ACCOUNT", "OPPORTUNITY")
CUSTOM_FIELD_DATA_TYPES = ("STRING", "NUMBER", "DATE", "URL", "BOOLEAN", "DURATION")

CUSTOM_FIELD_LISTS = ("customFields", "contentCustomFields", "personCustomFields")
"""Body keys holding arrays of ``{name, value, dataType}`` custom fields."""


def _object(properties: dict[str, t.Any], required: tuple[str, ...] = ()) -> dict[str, t.Any]:
    """A closed object: Gong rejects keys it does not know, so the schema does too."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


CUSTOM_FIELD = _object(
    {
        "name": STRING,
        "value": STRING,
        "dataType": {"enum": list(CUSTOM_FIELD_DATA_TYPES)},
    },
    ("name", "value"),
)
CUSTOM_FIELDS = {"type": "array", "items": CUSTOM_FIELD}

CONTENT = _object(
    {
        "contentId": STRING,
        "contentTitle": STRING,
        "contentLabel": STRING_LIST,
        "contentUrl": STRING,
        "contentAdditionalInfoUrl": STRING,
        "numericContentDetails": _object(
            {
                "value": INT32,
                "rangeFrom": INT32,
                "rangeTo": INT32,
                "numericType": {"enum": list(NUMERIC_TYPES)},
            },
            ("rangeFrom", "rangeTo"),
        ),
        "stepContentDetails": _object(
            {"value": STRING, "availableSteps": STRING_LIST},
            ("value", "availableSteps"),
        ),
        "searchObjectDetails": _object(
            {
                "name": STRING,
                "objectType": {"enum": list(SEARCH_OBJECT_TYPES)},
                "domain": STRING,
                "objectId": STRING,
                "url": STRING,
            },
            ("name", "objectType", "domain"),
        ),
        "contentCustomFields": CUSTOM_FIELDS,
    },
    ("contentTitle",),
)

PERSON = _object(
    {
        "name": STRING,
        "email": STRING,
        "phoneNumber": STRING,
        "personId": STRING,
        "personBusinessContext": _object(
            {
                "objectType": {"enum": list(PERSON_CONTEXT_TYPES)},
                "objectId": STRING,
                "systemName": STRING,
            },
            ("objectType", "objectId"),
        ),
        "location": _object(
            {"country": STRING, "state": STRING, "region": STRING, "city": STRING},
        ),
        "company": _object(
            {
                "companyId": STRING,
                "name": STRING,
                "domain": STRING,
                "companyBusinessContexts": {
                    "type": "array",
                    "items": _object(
                        {
                            "objectType": {"enum": list(COMPANY_CONTEXT_TYPES)},
                            "objectId": STRING,
                            "systemName": STRING,
                        },
                        ("objectType", "objectId"),
                    ),
                },
            },
        ),
        "personCustomFields": CUSTOM_FIELDS,
    },
)

BODY_SCHEMA: dict[str, t.Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Gong digital interaction",
    **_object(
        {
            "eventId": {"type": "string", "minLength": 1},
            "timestamp": {"type": "string", "format": "date-time"},
            "eventType": {"type": "string", "minLength": 1},
            "sourceSystemName": STRING,
            "sessionId": STRING,
            "device": {"enum": list(DEVICES)},
            "content": CONTENT,
            "person": PERSON,
            "customFields": CUSTOM_FIELDS,
            "trackingId": STRING,
        },
        ("eventId", "timestamp", "eventType", "content"),
    ),
}
"""Draft 2020-12 schema of one body, as the reference describes it."""
