"""OAuth apps over real HTTP: tokens that expire and rotate, runs that follow each other,
processes that share a ledger or are killed, and secrets that never show."""

from __future__ import annotations

import os
import sqlite3
import time

from oauth_apps import (
    CLIENT_ID,
    CONSENT,
    assert_delivered,
    oauth_config,
    oauth_sandbox,
    shown_secrets,
    sqlite_ledger,
)
from page_views import interleaved, view, views
from processes import TargetProcess, last_id, wait_until
from singer_messages import SECRET

from target_gong_di.sandbox import Sandbox, SandboxOptions


def test_tokens_expiring_several_times_in_one_run_deliver_every_event_once(
    run_target, make_sandbox, tmp_path
):
    server = oauth_sandbox(make_sandbox, access_token_lifetime=1)
    run = run_target(oauth_config(server, sqlite_ledger(tmp_path)), views(60))
    assert_delivered(run, server, 60)
    assert server.store.answers["200"] == 60
    assert server.store.oauth.refreshes >= 3
    assert server.store.oauth.expired_rejections == 0  # renewed before each expired
    assert server.store.oauth.invalid_grants == 0


def test_a_second_run_with_the_configs_spent_refresh_token_goes_on_from_the_rotated_one(
    run_target, make_sandbox, tmp_path
):
    server = oauth_sandbox(make_sandbox, access_token_lifetime=1)
    config = oauth_config(server, sqlite_ledger(tmp_path))
    first = run_target(config, views(5))
    second = run_target(config, views(10))
    assert first.returncode == second.returncode == 0, second.stderr
    assert CONSENT not in server.store.oauth.refresh_tokens  # spent by the first run
    assert len(server.store.events) == 10
    assert server.store.oauth.invalid_grants == 0


def test_a_still_valid_stored_access_token_is_used_without_a_refresh(
    run_target, make_sandbox, tmp_path
):
    server = oauth_sandbox(make_sandbox)
    config = oauth_config(server, sqlite_ledger(tmp_path))
    run_target(config, views(1))
    run = run_target(config, views(2))
    assert run.returncode == 0, run.stderr
    assert server.store.oauth.refreshes == 1
    assert "Using the stored OAuth access token" in run.stderr


def test_a_new_refresh_token_in_the_config_is_a_new_consent_and_replaces_the_stored_one(
    run_target, make_sandbox, tmp_path
):
    server = oauth_sandbox(make_sandbox)
    ledger = sqlite_ledger(tmp_path)
    run_target(oauth_config(server, ledger), views(1))
    server.store.oauth.refresh_tokens.add("rt-new-consent")
    run = run_target(oauth_config(server, ledger, refresh_token="rt-new-consent"), views(2))
    assert run.returncode == 0, run.stderr
    assert "rt-new-consent" not in server.store.oauth.refresh_tokens  # it was used
    assert server.store.oauth.invalid_grants == 0


def test_without_api_url_events_go_to_the_base_url_of_the_token_response(
    run_target, make_sandbox, tmp_path
):
    server = oauth_sandbox(make_sandbox)
    config = oauth_config(server, sqlite_ledger(tmp_path), api_url=None)
    run = run_target(config, views(3))
    assert_delivered(run, server, 3)


def test_a_token_response_naming_a_base_url_with_credentials_is_refused_without_them(
    run_target, make_sandbox, tmp_path
):
    server = oauth_sandbox(
        make_sandbox, api_base_url_for_customer="https://key:pa55word@us-1.api.gong.io"
    )
    run = run_target(oauth_config(server, sqlite_ledger(tmp_path), api_url=None), views(2))
    assert run.returncode == 1
    assert "api_base_url_for_customer: credentials in the URL" in run.stderr
    assert "pa55word" not in run.stderr + run.stdout
    assert server.store.answers == {}


def test_a_401_for_a_token_that_should_still_be_valid_renews_it_once_and_retries(
    make_sandbox, tmp_path
):
    server = oauth_sandbox(make_sandbox)
    target = TargetProcess(
        tmp_path,
        server,
        oauth_config(server, sqlite_ledger(tmp_path)),
        views(3),
        close_stdin=False,
    )
    wait_until(lambda: len(server.store.events) == 3)
    server.store.oauth.access_tokens.clear()  # revoked at Gong, long before it expires
    target.write([view(n) for n in range(3, 6)])
    target.process.stdin.close()
    code, stderr = target.finish()
    assert code == 0, stderr
    assert len(server.store.events) == 6
    assert server.store.oauth.refreshes == 2
    assert server.store.answers["401"] == 1


def test_a_second_401_right_after_a_renewal_stops_the_run_naming_the_auth_kind_and_api_url(
    run_target, make_sandbox, tmp_path
):
    issuer = oauth_sandbox(make_sandbox)
    stranger = make_sandbox()  # another company's base URL: it knows none of the tokens
    config = oauth_config(issuer, sqlite_ledger(tmp_path), api_url=stranger.url)
    run = run_target(config, views(5))
    assert run.returncode == 1
    assert f"HTTP 401 (OAuth app with oauth_client_id {CLIENT_ID!r}, api_url {stranger.url}" in (
        run.stderr
    )
    assert stranger.store.answers["401"] == 2
    assert issuer.store.oauth.refreshes == 2


def test_invalid_grant_stops_the_run_checkpointed_saying_the_consent_must_be_renewed(
    make_sandbox, tmp_path
):
    server = oauth_sandbox(make_sandbox, access_token_lifetime=1)
    config = oauth_config(server, sqlite_ledger(tmp_path))
    target = TargetProcess(tmp_path, server, config, interleaved(3), close_stdin=False)
    while last_id(target.states) < 2:
        assert target.read_state(timeout=30) is not None
    oauth = server.store.oauth
    oauth.refresh_tokens.clear()  # the customer revoked the consent
    wait_until(lambda: time.monotonic() > max(expiry for expiry, _ in oauth.access_tokens.values()))
    target.write(interleaved(6)[7:])  # records 3 to 5, each with its STATE
    target.process.stdin.close()
    code, stderr = target.finish()
    assert code == 1
    assert "the customer's consent must be renewed" in stderr
    assert server.store.oauth.invalid_grants == 1
    assert last_id(target.states) == 2


def test_token_endpoint_failures_are_retried_without_spending_the_refresh_token(
    run_target, make_sandbox, tmp_path
):
    server = oauth_sandbox(make_sandbox, token_failures=2)
    run = run_target(oauth_config(server, sqlite_ledger(tmp_path)), views(2))
    assert_delivered(run, server, 2)
    assert server.store.oauth.refreshes == 1


def test_two_processes_sharing_a_ledger_refresh_one_at_a_time_without_invalid_grant(
    make_sandbox, tmp_path, ledger_url
):
    server = oauth_sandbox(make_sandbox, access_token_lifetime=1, token_latency_ms=50)
    config = oauth_config(server, ledger_url)
    first = TargetProcess(tmp_path, server, config, views(50))
    second = TargetProcess(
        tmp_path, server, config, [views(0)[0], *(view for view in views(100)[51:])]
    )
    assert first.finish()[0] == 0
    code, stderr = second.finish()
    assert code == 0, stderr
    assert len(server.store.events) == 100
    assert server.store.oauth.invalid_grants == 0
    assert server.store.oauth.refreshes >= 3


def test_sigkill_right_after_a_refresh_leaves_the_rotated_token_for_the_next_run(
    run_target, make_sandbox, tmp_path
):
    server = oauth_sandbox(make_sandbox, access_token_lifetime=1)
    config = oauth_config(server, sqlite_ledger(tmp_path))
    target = TargetProcess(tmp_path, server, config, views(200))
    # A POST with the second access token: the rotation was committed before its use.
    wait_until(lambda: server.store.oauth.newest_generation_used >= 2)
    target.process.kill()
    target.process.wait(timeout=30)
    run = run_target(config, views(3))
    assert run.returncode == 0, run.stderr
    assert server.store.oauth.invalid_grants == 0


def test_no_token_or_secret_shows_at_debug_in_logs_errors_or_dead_letters(run_target, tmp_path):
    options = SandboxOptions(
        access_key="key",
        access_key_secret=SECRET,
        oauth_client_id=CLIENT_ID,
        oauth_client_secret="client-s3cret-never-printed",
        refresh_token=CONSENT,
        access_token_lifetime=1,
        reject_rate=0.3,
        seed=7,
    )
    with Sandbox(options) as server:
        config = oauth_config(server, sqlite_ledger(tmp_path))
        env = {**os.environ, "TARGET_GONG_DI_LOGLEVEL": "DEBUG"}
        run = run_target(config, views(40), env=env)
        assert run.returncode == 0, run.stderr
        assert run.dead_letters  # some were refused, so the dead-letter file was written
        assert "refresh_token=[redacted]" in run.stderr  # urllib3's request line, blanked
        assert shown_secrets(server, run.stdout, run.stderr, run.dead_letter_path.read_text()) == []


def test_the_ledger_keeps_the_tokens_only_in_its_oauth_table(run_target, make_sandbox, tmp_path):
    server = oauth_sandbox(make_sandbox)
    run_target(oauth_config(server, sqlite_ledger(tmp_path)), views(2))
    with sqlite3.connect(tmp_path / "ledger.db") as connection:
        [(client_id, refresh_token)] = connection.execute(
            "SELECT oauth_client_id, refresh_token FROM gong_di_oauth_tokens"
        ).fetchall()
    assert client_id == CLIENT_ID
    assert refresh_token in server.store.oauth.refresh_tokens  # the live one, rotated
    assert CONSENT not in (tmp_path / "ledger.db").read_bytes().decode("latin-1")
