"""Every rule of the API's contract that a body is checked against before sending."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from target_gong_di.validation.body_check import body_errors

VALID = {
    "eventId": "e1",
    "timestamp": "2024-05-01T08:00:00Z",
    "eventType": "page viewed",
    "sourceSystemName": "Acme",
    "sessionId": "s1",
    "device": "PC",
    "content": {
        "contentId": "c1",
        "contentTitle": "Pricing",
        "contentLabel": ["pricing"],
        "contentUrl": "https://acme.com/pricing",
        "contentAdditionalInfoUrl": "https://acme.com/info",
        "numericContentDetails": {"value": 9, "rangeFrom": 0, "rangeTo": 10, "numericType": "NPS"},
        "stepContentDetails": {"value": "intro", "availableSteps": ["intro", "exam"]},
        "searchObjectDetails": {
            "name": "Globex",
            "objectType": "VENDOR",
            "domain": "globex.com",
            "objectId": "g1",
            "url": "https://globex.com",
        },
        "contentCustomFields": [{"name": "n", "value": "1", "dataType": "NUMBER"}],
    },
    "person": {
        "name": "Ana",
        "email": "ana@acme.com",
        "phoneNumber": "+1 555",
        "personId": "p1",
        "personBusinessContext": {"objectType": "CONTACT", "objectId": "003", "systemName": "SF"},
        "location": {"country": "US", "state": "US-CA", "region": "US-CA", "city": "SF"},
        "company": {
            "companyId": "co1",
            "name": "Acme",
            "domain": "acme.com",
            "companyBusinessContexts": [
                {"objectType": "ACCOUNT", "objectId": "001", "systemName": "SF"}
            ],
        },
        "personCustomFields": [{"name": "plan", "value": "pro"}],
    },
    "customFields": [{"name": "d", "value": "2024-05-01", "dataType": "DATE"}],
}


def changed(path: str, value: object) -> dict:
    """VALID with the field at dotted ``path`` set to ``value`` (``...`` deletes it)."""
    body = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    node = body
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return body


def test_body_with_every_field_of_the_reference_is_valid():
    assert body_errors(VALID) == []


@pytest.mark.parametrize("field", ["eventId", "timestamp", "eventType", "content"])
def test_required_top_level_field_missing_is_named(field):
    assert any(field in error for error in body_errors(changed(field, ...)))


@pytest.mark.parametrize(
    "path",
    [
        "content.contentTitle",
        "content.numericContentDetails.rangeFrom",
        "content.numericContentDetails.rangeTo",
        "content.stepContentDetails.value",
        "content.stepContentDetails.availableSteps",
        "content.searchObjectDetails.name",
        "content.searchObjectDetails.objectType",
        "content.searchObjectDetails.domain",
        "person.personBusinessContext.objectType",
        "person.personBusinessContext.objectId",
        "person.company.companyBusinessContexts.0.objectType",
        "person.company.companyBusinessContexts.0.objectId",
        "customFields.0.name",
        "customFields.0.value",
    ],
)
def test_required_nested_field_missing_is_refused_with_its_path(path):
    parent, _, name = path.rpartition(".")
    errors = body_errors(changed(path, ...))
    assert any(name in error and error.startswith(parent.replace(".0", "[0]")) for error in errors)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("device", "TABLET"),
        ("content.numericContentDetails.numericType", "SCORE"),
        ("content.searchObjectDetails.objectType", "COMPANY"),
        ("person.personBusinessContext.objectType", "ACCOUNT"),
        ("person.company.companyBusinessContexts.0.objectType", "CONTACT"),
        ("customFields.0.dataType", "INTEGER"),
    ],
)
def test_value_outside_an_enum_is_refused(path, value):
    assert body_errors(changed(path, value))


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 1.5, "9"])
def test_numeric_values_must_be_int32(value):
    errors = body_errors(changed("content.numericContentDetails.value", value))
    assert errors
    assert errors[0].startswith("content.numericContentDetails.value")


def test_errors_show_numbers_as_written_not_as_decimal_objects():
    errors = body_errors(changed("content.numericContentDetails.value", Decimal("9.5")))
    assert errors == ["content.numericContentDetails.value: 9.5 is not of type 'integer'"]


def test_int32_bounds_are_accepted():
    assert body_errors(changed("content.numericContentDetails.rangeFrom", -(2**31))) == []
    assert body_errors(changed("content.numericContentDetails.rangeTo", 2**31 - 1)) == []


@pytest.mark.parametrize("value", ["yesterday", "2024-05-01", "2024-05-01T08:00:00", 1714550400])
def test_timestamp_must_be_an_iso_date_time_with_zone(value):
    assert body_errors(changed("timestamp", value))


@pytest.mark.parametrize(
    "path", ["content.contentLabel", "content.stepContentDetails.availableSteps"]
)
def test_string_arrays_hold_only_strings(path):
    assert body_errors(changed(path, ["a", 1]))


@pytest.mark.parametrize(
    "path", ["bogus", "content.bogus", "person.location.bogus", "customFields.0.bogus"]
)
def test_unknown_keys_are_refused(path):
    errors = body_errors(changed(path, "x"))
    assert any("bogus" in error for error in errors)


def test_person_and_tracking_id_together_are_refused():
    errors = body_errors(changed("trackingId", "t1"))
    assert errors == ["person, trackingId: send either a person or a trackingId, not both"]


def test_tracking_id_alone_is_enough():
    assert body_errors({**changed("person", ...), "trackingId": "t1"}) == []


def test_neither_person_nor_tracking_id_is_refused():
    assert body_errors(changed("person", ...)) == ["person, trackingId: one of them is required"]


ANONYMOUS = {"personId": "p1", "company": {"domain": "acme.com"}}


def test_anonymous_person_with_person_id_and_company_domain_is_valid():
    assert body_errors(changed("person", ANONYMOUS)) == []


def test_anonymous_person_needs_person_id():
    errors = body_errors(changed("person", {"company": {"domain": "acme.com"}}))
    assert errors == [
        "person.personId: required for an anonymous person "
        "(no name, email, phoneNumber or personBusinessContext)"
    ]


def test_anonymous_person_needs_company_domain():
    errors = body_errors(changed("person", {"personId": "p1"}))
    assert [error.split(":")[0] for error in errors] == ["person.company.domain"]


def test_person_with_an_email_is_not_anonymous():
    assert body_errors(changed("person", {"email": "ana@acme.com"})) == []


def test_company_needs_a_domain_or_a_business_context():
    body = changed("person", {"email": "ana@acme.com", "company": {"name": "Acme"}})
    assert [error.split(":")[0] for error in body_errors(body)] == ["person.company"]


def test_company_with_only_a_business_context_is_valid():
    company = {"companyBusinessContexts": [{"objectType": "OPPORTUNITY", "objectId": "006"}]}
    assert body_errors(changed("person", {"email": "a@b.c", "company": company})) == []


@pytest.mark.parametrize(
    ("data_type", "good", "bad"),
    [
        ("NUMBER", "-12.5", "twelve"),
        ("DURATION", "90", "-5"),
        ("BOOLEAN", "TRUE", "yes"),
        ("DATE", "2024-05-01T08:00:00Z", "05/01/2024"),
        ("URL", "https://acme.com/x", "acme.com/x"),
        ("STRING", "anything", None),
    ],
)
@pytest.mark.parametrize(
    "path", ["customFields", "content.contentCustomFields", "person.personCustomFields"]
)
def test_custom_field_values_must_parse_as_their_data_type(path, data_type, good, bad):
    field = {"name": "f", "value": good, "dataType": data_type}
    assert body_errors(changed(path, [field])) == []
    if bad is not None:
        errors = body_errors(changed(path, [{**field, "value": bad}]))
        assert errors
        assert errors[0].startswith(f"{path}[0].value")
