"""Settings refused by the real process at config check, before any request, saying why.

Each refusal is checked twice: by ``--validate-config``, and by a run against the sandbox
that must stop before it sends anything. No refusal may show a secret.
"""

from __future__ import annotations

from cli_runs import cli, singer_file
from oauth_apps import issued_secrets, oauth_config, oauth_sandbox
from page_views import CONFIG, VIEW_MAPPING, VIEWS, views
from singer_messages import SECRET

PASSWORD = "pa55word-in-the-url"


def with_userinfo(url: str) -> str:
    """``url`` with ``key:PASSWORD@`` before its host."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://key:{PASSWORD}@{rest}"


def test_validate_config_refuses_credentials_in_api_url_without_showing_them(tmp_path):
    config = {**CONFIG, "access_token": "t", "api_url": with_userinfo("https://us-1.api.gong.io")}
    result = cli(tmp_path, config, "--validate-config")
    assert result.returncode == 1
    assert "api_url: credentials in the URL (user:password@host) are not allowed" in result.stderr
    assert PASSWORD not in result.stderr + result.stdout


def test_ledger_counts_refuses_credentials_in_api_url_without_showing_them(tmp_path):
    config = {**CONFIG, "api_url": with_userinfo("https://us-1.api.gong.io")}
    result = cli(tmp_path, config, "--ledger-counts")
    assert result.returncode == 1
    assert "api_url: credentials in the URL" in result.stderr
    assert PASSWORD not in result.stderr + result.stdout


def test_a_run_with_credentials_in_api_url_sends_nothing_and_shows_no_secret(run_target, sandbox):
    run = run_target({**CONFIG, "api_url": with_userinfo(sandbox.url)}, views(2), sandbox=sandbox)
    assert run.returncode == 1
    assert "api_url: credentials in the URL" in run.stderr
    assert sandbox.store.answers == {}
    for text in (run.stdout, run.stderr):
        assert PASSWORD not in text
        assert SECRET not in text


def test_a_run_with_credentials_in_oauth_token_url_asks_for_no_token(
    run_target, make_sandbox, tmp_path
):
    server = oauth_sandbox(make_sandbox)
    config = oauth_config(server, f"sqlite:///{tmp_path / 'ledger.db'}")
    config["oauth_token_url"] = with_userinfo(server.token_url)
    run = run_target(config, views(2))
    assert run.returncode == 1
    assert "oauth_token_url: credentials in the URL" in run.stderr
    assert server.store.oauth.token_requests == 0
    for text in (run.stdout, run.stderr):
        assert PASSWORD not in text
        assert all(secret not in text for secret in issued_secrets(server))


MISSPELLED = "misspelled-secret-never-readable"


def test_validate_config_warns_about_each_unknown_setting_with_the_closest_name(tmp_path):
    config = {**CONFIG, "access_token": "t", "acces_key_secret": MISSPELLED, "max_concurency": 3}
    result = cli(tmp_path, config, "--validate-config")
    assert result.returncode == 0, result.stderr
    warnings = {line.split(" | ")[-1] for line in result.stderr.splitlines() if "| WARNING" in line}
    assert "unknown setting 'acces_key_secret' (did you mean 'access_key_secret'?)" in warnings
    assert "unknown setting 'max_concurency' (did you mean 'max_concurrency'?)" in warnings
    assert MISSPELLED not in result.stderr + result.stdout


def test_validate_config_with_input_warns_about_an_unknown_setting_once(tmp_path):
    config = {**CONFIG, "dry_run": True, "max_concurency": 3}
    result = cli(tmp_path, config, "--validate-config", "--input", singer_file(tmp_path, views(1)))
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("unknown setting 'max_concurency'") == 1


def test_a_run_warns_about_an_unknown_setting_too(run_target):
    run = run_target({**CONFIG, "dry_run": True, "max_concurency": 3}, views(1))
    assert run.returncode == 0, run.stderr
    assert "unknown setting 'max_concurency' (did you mean 'max_concurrency'?)" in run.stderr


def test_validate_config_knows_the_settings_the_sdk_and_meltano_pass(tmp_path):
    builtin = {
        "add_record_metadata": False,
        "validate_records": True,
        "batch_size_rows": 10,
        "load_method": "append-only",
        "stream_maps": {},
        "stream_map_config": {},
        "faker_config": {},
        "flattening_enabled": False,
        "flattening_max_depth": 1,
    }
    result = cli(tmp_path, {**CONFIG, "access_token": "t", **builtin}, "--validate-config")
    assert result.returncode == 0, result.stderr
    assert "unknown setting" not in result.stderr


def test_validate_config_refuses_a_mapping_that_reads_a_secret_looking_key(tmp_path):
    mapping = {**VIEW_MAPPING, "sessionId": "config['acces_key_secret']"}
    config = {"mappings": {VIEWS: mapping}, "access_token": "t", "acces_key_secret": MISSPELLED}
    result = cli(tmp_path, config, "--validate-config")
    assert result.returncode == 1
    assert (
        "stream 'page_views', field 'sessionId': expression \"config['acces_key_secret']\" "
        "reads config['acces_key_secret']: secrets are not available to expressions"
    ) in result.stderr
    assert MISSPELLED not in result.stderr + result.stdout


def test_a_run_whose_mapping_reads_a_secret_looking_key_sends_nothing(run_target, sandbox):
    mapping = {**VIEW_MAPPING, "sessionId": "config.get('acces_key_secret')"}
    config = {"mappings": {VIEWS: mapping}, "acces_key_secret": MISSPELLED}
    run = run_target(config, views(2), sandbox=sandbox)
    assert run.returncode == 1
    assert "secrets are not available to expressions" in run.stderr
    assert sandbox.store.answers == {}
    assert MISSPELLED not in run.stderr + run.stdout


def test_a_run_gives_expressions_no_secret_looking_key_to_read(run_target, sandbox):
    mapping = {**VIEW_MAPPING, "sessionId": "str(config)"}
    config = {
        "mappings": {VIEWS: mapping},
        "acces_key_secret": MISSPELLED,
        "stream_map_config": {"env": "prod", "api_token": MISSPELLED},
    }
    run = run_target(config, views(1), sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    [body] = sandbox.store.events.values()
    assert "'env': 'prod'" in body["sessionId"]
    for secret in (MISSPELLED, SECRET):
        assert secret not in body["sessionId"]
        assert secret not in run.stderr + run.stdout


OVERFLOWING = {"request_timeout_seconds": 1e308, "max_requests_per_second": 1e-300}


def test_validate_config_refuses_settings_that_would_overflow_naming_each(tmp_path):
    result = cli(tmp_path, {**CONFIG, "access_token": "t", **OVERFLOWING}, "--validate-config")
    assert result.returncode == 1
    errors = {line.split(" | ")[-1] for line in result.stderr.splitlines() if "| ERROR" in line}
    assert "request_timeout_seconds: 1E+308 is greater than the maximum of 3600" in errors
    assert "max_requests_per_second: 1E-300 is less than the minimum of 0.001" in errors
    assert "Traceback" not in result.stderr


def test_a_run_with_settings_that_would_overflow_sends_nothing(run_target, sandbox):
    run = run_target({**CONFIG, **OVERFLOWING}, views(2), sandbox=sandbox)
    assert run.returncode == 1
    assert "request_timeout_seconds: 1E+308 is greater than the maximum of 3600" in run.stderr
    assert "Traceback" not in run.stderr
    assert sandbox.store.answers == {}


def test_sdk_stream_maps_get_no_secret_looking_key_to_read_either(run_target, sandbox):
    config = {
        **CONFIG,
        "stream_maps": {VIEWS: {"page": "str(config)"}},
        "stream_map_config": {"env": "prod", "api_token": MISSPELLED},
    }
    run = run_target(config, views(1), sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    [body] = sandbox.store.events.values()
    assert body["content"]["contentTitle"] == "{'env': 'prod'}"
    assert MISSPELLED not in run.stderr + run.stdout
