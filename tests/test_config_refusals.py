"""Settings refused by the real process at config check, before any request, saying why.

Each refusal is checked twice: by ``--validate-config``, and by a run against the sandbox
that must stop before it sends anything. No refusal may show a secret.
"""

from __future__ import annotations

from conftest import SECRET
from oauth_apps import issued_secrets, oauth_config, oauth_sandbox
from test_cli import cli
from test_target import CONFIG, views

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
