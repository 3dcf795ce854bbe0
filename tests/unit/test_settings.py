"""Config rules: what the target refuses before it reads a record, and why."""

from __future__ import annotations

import math
from dataclasses import fields
from decimal import Decimal

import pytest

from target_gong_di.setting_auth import AUTH_KINDS
from target_gong_di.setting_checks import unknown_setting_warnings
from target_gong_di.settings import (
    CONFIG_SCHEMA,
    NUMBER_BOUNDS,
    SECRET_SETTINGS,
    ConfigError,
    Settings,
    config_errors,
    expression_config,
    setting_name,
)
from target_gong_di.target import TargetGongDI

MAPPINGS = {"page_views": "passthrough"}
BASIC = {"access_key": "key", "access_key_secret": "secret", "mappings": MAPPINGS}


def test_defaults_apply_when_settings_are_absent():
    settings = Settings.from_config(BASIC)
    assert settings.api_url == "https://api.gong.io"
    assert settings.dead_letter_path == "gong-di-rejected.jsonl"
    assert settings.dry_run is False
    assert settings.max_requests_per_second == 3
    assert settings.queue_size == 1000
    assert settings.max_concurrency == 64
    assert settings.max_body_bytes == 1_000_000


def test_null_settings_take_their_defaults():
    nulls = dict.fromkeys(["max_concurrency", "max_retries", "request_timeout_seconds"])
    settings = Settings.from_config({**BASIC, **nulls, "max_requests_per_second": None})
    assert settings.max_requests_per_second == 3
    assert settings.max_concurrency == 64


def test_batch_size_rows_sets_how_many_records_may_wait_for_delivery():
    assert Settings.from_config({**BASIC, "batch_size_rows": 7}).queue_size == 7


def test_every_setting_the_target_declares_is_read_once_by_a_field_or_an_auth_kind():
    by_fields = [setting_name(each) for each in fields(Settings) if each.name != "auth"]
    by_auth = {name for names in AUTH_KINDS.values() for name in names} | {"oauth_token_url"}
    assert len(set(by_fields)) == len(by_fields)
    assert set(by_fields) <= set(CONFIG_SCHEMA["properties"])
    assert not by_auth & set(by_fields)
    sdk: dict = {"properties": {}}
    TargetGongDI.append_builtin_config(sdk)
    assert set(CONFIG_SCHEMA["properties"]) - {*by_fields, *by_auth} <= set(sdk["properties"])


def test_secret_settings_are_those_the_schema_marks_secret():
    assert SECRET_SETTINGS == (
        "access_key_secret",
        "access_token",
        "oauth_client_secret",
        "refresh_token",
        "ledger_url",
    )


def test_settings_are_converted_by_their_schema_type():
    config = {**BASIC, "max_concurrency": 8.0, "max_requests_per_second": Decimal("2.5")}
    settings = Settings.from_config({**config, "dry_run": 1, "max_rejected_records": 7.0})
    assert type(settings.max_concurrency) is int
    assert type(settings.max_requests_per_second) is float
    assert settings.dry_run is True
    assert type(settings.max_rejected_records) is float  # the optional limits: as given
    assert settings.daily_request_budget is None


def test_access_key_and_secret_give_http_basic_auth():
    auth = Settings.from_config(BASIC).auth
    assert auth.header == "Basic a2V5OnNlY3JldA=="
    assert "secret" not in auth.description
    assert "secret" not in repr(auth)


def test_access_token_gives_bearer_auth():
    auth = Settings.from_config({"access_token": "t0k3n", "mappings": MAPPINGS}).auth
    assert auth.header == "Bearer t0k3n"
    assert "t0k3n" not in auth.description


OAUTH = {
    "oauth_client_id": "app-1",
    "oauth_client_secret": "client-s3cret",
    "refresh_token": "r3fresh",
    "mappings": MAPPINGS,
}


def test_two_auth_kinds_are_refused_naming_every_kind():
    [error] = config_errors({**BASIC, "access_token": "tok"})
    assert error.startswith("auth: set exactly one auth kind of access_key + access_key_secret")
    assert "access_token" in error
    assert "oauth_client_id + oauth_client_secret + refresh_token" in error
    assert error.endswith("found access_key + access_key_secret and access_token")


def test_an_oauth_app_beside_an_access_token_is_refused():
    [error] = config_errors({**OAUTH, "access_token": "tok"})
    assert error.endswith(
        "found access_token and oauth_client_id + oauth_client_secret + refresh_token"
    )


def test_an_oauth_app_without_its_refresh_token_is_refused():
    config = {key: value for key, value in OAUTH.items() if key != "refresh_token"}
    assert config_errors(config) == [
        "auth: oauth_client_id + oauth_client_secret are set but refresh_token is missing"
    ]


def test_an_oauth_app_asks_gongs_token_endpoint_and_learns_its_base_url():
    auth = Settings.from_config(OAUTH).auth
    assert auth.token_url == "https://app.gong.io/oauth2/generate-customer-token"
    assert auth.discovers_api_url is True
    assert "client-s3cret" not in repr(auth)
    assert "r3fresh" not in repr(auth)


def test_an_oauth_app_with_its_own_api_url_keeps_it():
    auth = Settings.from_config({**OAUTH, "api_url": "https://us-1.api.gong.io"}).auth
    assert auth.discovers_api_url is False


def test_a_plain_http_token_url_off_loopback_is_refused():
    assert config_errors({**OAUTH, "oauth_token_url": "http://app.gong.io/t"}) == [
        "oauth_token_url: 'http://app.gong.io/t' uses plain http://; use https:// "
        "(http is only for loopback)"
    ]


def test_a_loopback_token_url_is_accepted():
    assert config_errors({**OAUTH, "oauth_token_url": "http://127.0.0.1:9/token"}) == []


def test_missing_auth_is_refused():
    assert config_errors({"mappings": MAPPINGS})[0].startswith("auth: no credentials")


def test_access_key_without_secret_is_refused():
    assert config_errors({"access_key": "k", "mappings": MAPPINGS}) == [
        "auth: access_key is set but access_key_secret is missing"
    ]


def test_dry_run_needs_no_credentials():
    settings = Settings.from_config({"dry_run": True, "mappings": MAPPINGS})
    assert settings.auth is None


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8765", "http://localhost:1", "http://[::1]:2", "https://us-1.api.gong.io"],
)
def test_https_and_loopback_http_urls_are_accepted(url):
    assert config_errors({**BASIC, "api_url": url}) == []


def test_plain_http_to_a_remote_host_is_refused():
    assert config_errors({**BASIC, "api_url": "http://api.gong.io"}) == [
        "api_url: 'http://api.gong.io' uses plain http://; use https:// (http is only for loopback)"
    ]


@pytest.mark.parametrize("url", ["api.gong.io", "ftp://api.gong.io", "https://", "http://[::1"])
def test_api_url_that_is_not_http_is_refused(url):
    assert config_errors({**BASIC, "api_url": url})[0].startswith("api_url:")


@pytest.mark.parametrize(
    "url",
    [
        "https://us-1.api.gong.io/v2",
        "https://us-1.api.gong.io/v2/digital-interaction",
        "https://us-1.api.gong.io/?x=1",
        "https://us-1.api.gong.io#top",
    ],
)
def test_api_url_with_the_endpoint_path_a_query_or_a_fragment_is_refused(url):
    [error] = config_errors({**BASIC, "api_url": url})
    assert "should be the base URL only" in error


@pytest.mark.parametrize(
    "url",
    [
        "https://gong:pa55word@us-1.api.gong.io",
        "http://gong@127.0.0.1:1",
        "https://:pa55word@x",
        "http://gong:pa55word@[::1",
        "gong:pa55word@us-1.api.gong.io",
    ],
)
def test_credentials_in_api_url_are_refused_naming_the_setting_without_the_url(url):
    [error] = config_errors({**BASIC, "api_url": url})
    assert error.startswith("api_url: credentials in the URL (user:password@host) are not allowed")
    assert url not in error
    assert "pa55word" not in error


def test_credentials_in_oauth_token_url_are_refused_naming_the_setting_without_the_url():
    url = "https://app:pa55word@app.gong.io/oauth2/generate-customer-token"
    [error] = config_errors({**OAUTH, "oauth_token_url": url})
    assert error.startswith("oauth_token_url: credentials in the URL")
    assert "pa55word" not in error


def test_credentials_in_an_unused_oauth_token_url_are_refused_too():
    url = "https://app:pa55word@app.gong.io/token"
    [error] = config_errors({**BASIC, "oauth_token_url": url})
    assert error.startswith("oauth_token_url: credentials in the URL")


def test_trailing_slash_of_api_url_is_dropped():
    assert Settings.from_config({**BASIC, "api_url": "https://x.api.gong.io/"}).api_url == (
        "https://x.api.gong.io"
    )


def test_empty_mappings_are_refused():
    assert config_errors({**BASIC, "mappings": {}})[0].startswith("mappings:")


def test_mapping_that_is_neither_passthrough_nor_object_is_refused():
    errors = config_errors({**BASIC, "mappings": {"s": "copy"}})
    assert errors == [
        "mappings: stream 's': mapping must be \"passthrough\" or an object shaped like the "
        "body, not str"
    ]


def test_unknown_key_in_a_mapping_is_refused_before_any_schema():
    errors = config_errors({**BASIC, "mappings": {"s": {"contnt": {"contentTitle": "t"}}}})
    assert len(errors) == 1
    assert "stream 's', field 'contnt'" in errors[0]


def test_expression_syntax_error_is_refused_before_any_schema():
    errors = config_errors({**BASIC, "mappings": {"s": {"eventType": "page viewed"}}})
    assert "stream 's', field 'eventType'" in errors[0]


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as raised:
        Settings.from_config({"api_url": "http://x.com", "mappings": {"s": {"x": "1"}}})
    assert len(raised.value.errors) == 3


def test_the_ledger_defaults_to_a_sqlite_file_in_the_working_directory():
    assert Settings.from_config(BASIC).ledger_url == "sqlite:///gong-di-ledger.db"


def test_a_ledger_url_that_is_neither_sqlite_nor_postgresql_is_refused_without_its_password():
    errors = config_errors({**BASIC, "ledger_url": "mysql://gong:pa55word@db/ledger"})
    assert errors == [
        "ledger_url: 'mysql://gong:***@db/ledger' is not a ledger URL like "
        "sqlite:///gong-di-ledger.db or postgresql://user:password@host:5432/database"
    ]


def test_the_ledger_url_is_left_out_of_the_settings_repr():
    settings = Settings.from_config({**BASIC, "ledger_url": "postgresql://gong:pa55word@db/l"})
    assert "pa55word" not in repr(settings)


def test_there_is_no_daily_request_budget_unless_set():
    assert Settings.from_config(BASIC).daily_request_budget is None
    budgeted = Settings.from_config({**BASIC, "daily_request_budget": 9000})
    assert budgeted.daily_request_budget == 9000


def test_an_unknown_setting_is_named_with_the_closest_known_one():
    config = {**BASIC, "acces_key_secret": "typo"}
    assert unknown_setting_warnings(config, CONFIG_SCHEMA["properties"]) == [
        "unknown setting 'acces_key_secret' (did you mean 'access_key_secret'?)"
    ]


def test_an_unknown_setting_unlike_any_known_one_is_named_alone():
    config = {**BASIC, "zzz": 1}
    assert unknown_setting_warnings(config, CONFIG_SCHEMA["properties"]) == [
        "unknown setting 'zzz'"
    ]


def test_expressions_see_no_secret_setting():
    config = {**BASIC, **OAUTH, "access_token": "t", "ledger_url": "postgresql://u:p@h/d"}
    assert set(expression_config(config)) == {"access_key", "oauth_client_id"}


def test_expressions_see_no_key_named_like_a_secret_at_any_depth():
    config = {
        **BASIC,
        "acces_key_secret": "typo",
        "API_Token": "t",
        "db_password": "p",
        "stream_map_config": {"env": "prod", "hash_secret": "s", "nested": {"my_token": "t"}},
    }
    seen = expression_config(config)
    assert set(seen) == {"access_key", "env", "nested", "stream_map_config"}
    assert seen["stream_map_config"] == {"env": "prod", "nested": {}}


def test_settings_that_would_overflow_a_timer_are_refused_naming_them():
    errors = config_errors(
        {**BASIC, "request_timeout_seconds": 1e308, "max_requests_per_second": 1e-300}
    )
    assert errors == [
        "max_requests_per_second: 1e-300 is out of range; use a number from 0.001 to 10000",
        "request_timeout_seconds: 1e+308 is out of range; use a number from 0.01 to 3600",
    ]


@pytest.mark.parametrize("name", sorted(NUMBER_BOUNDS))
def test_every_numeric_setting_is_refused_above_its_maximum(name):
    [error] = config_errors({**BASIC, name: NUMBER_BOUNDS[name][1] * 10})
    assert error.startswith(f"{name}: ")


@pytest.mark.parametrize("name", sorted(NUMBER_BOUNDS))
def test_every_numeric_setting_is_refused_below_its_minimum(name):
    [error] = config_errors({**BASIC, name: -1})
    assert error.startswith(f"{name}: ")


@pytest.mark.parametrize("nan", [math.nan, Decimal("NaN")])
def test_nan_is_refused_although_every_bound_compares_false_with_it(nan):
    assert config_errors({**BASIC, "max_retry_after_seconds": nan}) == [
        "max_retry_after_seconds: must be a number, not NaN"
    ]


def test_numbers_read_as_decimal_by_the_sdk_are_accepted():
    settings = Settings.from_config({**BASIC, "request_timeout_seconds": Decimal("2.5")})
    assert settings.request_timeout_seconds == 2.5
