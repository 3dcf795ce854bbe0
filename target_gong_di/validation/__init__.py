"""The API's contract and the checks against it: nothing is sent that Gong would refuse.

Owns the digital-interaction body's JSON Schema and the rules it cannot express
(``contract``), the check of a built body (``body_check``), the values Gong stores but will
not associate (``association``, warnings only) and of a tap's record against
its stream's SCHEMA (``record_check``). Imports only the top-level base modules
(``exceptions``, ``encoding``, ``sdk_hooks``); the sandbox checks bodies with it too.
"""

from target_gong_di.validation.association import association_warnings
from target_gong_di.validation.body_check import (
    MAPPED_FIELD_CHECKS,
    body_errors,
    body_size_errors,
    field_check,
    iso_datetime,
    mapped_body_errors,
)
from target_gong_di.validation.contract import (
    BODY_SCHEMA,
    CUSTOM_FIELD_LISTS,
    CUSTOM_FIELDS,
    ENDPOINT,
)
from target_gong_di.validation.record_check import (
    RecordCheck,
    date_parsers,
    parse_dates,
    usable_draft,
)

__all__ = [
    "BODY_SCHEMA",
    "CUSTOM_FIELDS",
    "CUSTOM_FIELD_LISTS",
    "ENDPOINT",
    "MAPPED_FIELD_CHECKS",
    "RecordCheck",
    "association_warnings",
    "body_errors",
    "body_size_errors",
    "date_parsers",
    "field_check",
    "iso_datetime",
    "mapped_body_errors",
    "parse_dates",
    "usable_draft",
]
