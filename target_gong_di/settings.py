"""The target's settings, checked once and read into a typed ``Settings``.

``CONFIG_SCHEMA`` serves the SDK, ``--about`` and Meltano (``make docs`` writes the README's
table and both Meltano definitions' settings from ``--about``); ``config_errors`` adds the rules
a schema cannot say (one auth method, https unless loopback, mappings that compile), written
in ``setting_checks`` and ``setting_auth``.

A setting is declared once, in ``setting_schema.CONFIG_SCHEMA``: name, type, default, bounds.
``Settings.from_config`` reads each field from the setting of its name, converted by its
schema type, so a field says only what differs (another setting's name, another conversion).
"""

from __future__ import annotations

import typing as t
from dataclasses import Field, dataclass, field, fields

from target_gong_di.exceptions import ConfigError
from target_gong_di.ledger import ledger_url_errors
from target_gong_di.mapping import without_secrets
from target_gong_di.setting_auth import Auth, OAuthApp, auth_errors, credentials
from target_gong_di.setting_checks import (
    api_url_errors,
    http_url_errors,
    mapping_errors,
    number_errors,
    skip_events_before_errors,
    userinfo_errors,
)
from target_gong_di.setting_schema import (
    CONFIG_SCHEMA,
    DEFAULT_TOKEN_URL,
    NUMBER_BOUNDS,
    SECRET_SETTINGS,
)

READ_AS: dict[str, t.Callable[[t.Any], t.Any]] = {
    "number": float,
    "integer": int,
    "boolean": bool,
    "object": dict,
}
"""How a set value of each schema type becomes its ``Settings`` field; a string stays as is."""


def _as_given(value: t.Any) -> t.Any:
    return value


AS_GIVEN = {"convert": _as_given}
"""A ``Settings`` field's metadata: the setting's value is not converted."""


@dataclass(frozen=True)
class Settings:
    """The config, checked and typed, with defaults applied.

    Each field but ``auth`` is the setting of its name (or its metadata's ``setting``):
    None when unset without a default, else converted by its schema type (``READ_AS``) or
    by its metadata's ``convert``. The two optional limits keep the number as given, which
    their messages show.
    """

    api_url: str = field(metadata={"convert": lambda url: url.rstrip("/")})
    auth: Auth | OAuthApp | None
    source_system_name: str | None
    mappings: dict[str, t.Any]
    dead_letter_path: str
    dry_run: bool
    dry_run_path: str
    max_requests_per_second: float
    max_concurrency: int
    max_retries: int
    request_timeout_seconds: float
    max_retry_after_seconds: float
    max_body_bytes: int
    max_rejected_records: int | None = field(metadata=AS_GIVEN)
    max_pending_per_stream: int
    progress_interval_seconds: float
    queue_size: int = field(metadata={"setting": "batch_size_rows"})
    ledger_url: str = field(repr=False)  # it can hold a password
    daily_request_budget: int | None = field(metadata=AS_GIVEN)
    on_daily_limit: t.Literal["finish", "fail"]
    run_summary_path: str | None
    skip_events_before: str | None
    """As given: a duration means a moment only once the run starts (``skip_horizon``)."""

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> Settings:
        """Read ``config``; raises ConfigError listing every problem found."""
        errors = config_errors(config)
        if errors:
            raise ConfigError(errors)
        values = _with_defaults(config)
        read = {each.name: _value(each, values) for each in fields(cls) if each.name != "auth"}
        return cls(auth=None if values["dry_run"] else credentials(values), **read)


def setting_name(settings_field: Field[t.Any]) -> str:
    """The setting a ``Settings`` field is read from."""
    return settings_field.metadata.get("setting") or settings_field.name


def _value(settings_field: Field[t.Any], values: t.Mapping[str, t.Any]) -> t.Any:
    name = setting_name(settings_field)
    value = values.get(name)
    if value is None:
        return None
    kinds = CONFIG_SCHEMA["properties"][name]["type"]
    kind = next(kind for kind in ([kinds] if isinstance(kinds, str) else kinds) if kind != "null")
    convert = settings_field.metadata.get("convert") or READ_AS.get(kind, _as_given)
    return convert(value)


def _with_defaults(config: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """``config`` with each unset or null setting at its default (Meltano may pass nulls)."""
    defaults = {
        name: prop["default"]
        for name, prop in CONFIG_SCHEMA["properties"].items()
        if "default" in prop
    }
    return {**defaults, **{name: value for name, value in config.items() if value is not None}}


def config_errors(config: t.Mapping[str, t.Any]) -> list[str]:
    """Problems the config schema cannot express, one readable line each."""
    values = _with_defaults(config)
    errors = api_url_errors(values["api_url"]) + ledger_url_errors(values["ledger_url"])
    errors += number_errors(values, NUMBER_BOUNDS)
    errors += skip_events_before_errors(values.get("skip_events_before"))
    if not values["dry_run"]:
        errors += auth_errors(values)
    if values.get("oauth_client_id") and not values["dry_run"]:
        errors += http_url_errors("oauth_token_url", values["oauth_token_url"], DEFAULT_TOKEN_URL)
    else:  # unused, but a password in it is still refused
        errors += userinfo_errors("oauth_token_url", values["oauth_token_url"])
    return errors + mapping_errors(values.get("mappings"))


def expression_config(config: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """What ``config`` is in mapping expressions, with every secret-looking key left out.

    As in SDK stream maps it is ``stream_map_config``; the other settings are readable
    where ``stream_map_config`` does not use the name. Secret settings, and any key named
    like a secret at any depth (a misspelled ``acces_key_secret`` too), are not: a mapping
    could otherwise copy a secret into an event that Gong stores and shows.
    """
    settings = {
        key: value for key, value in config.items() if key not in {*SECRET_SETTINGS, "mappings"}
    }
    return without_secrets({**settings, **(config.get("stream_map_config") or {})})
