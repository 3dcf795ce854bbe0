"""A new user's ten minutes: PostgreSQL → tap-postgres → target-gong-di → Gong, with Meltano.

One real Meltano project for the module (the README's way: the loader added `--from-ref`
the shipped definition, the extractor `meltanolabs-tap-postgres` from PyPI), reading three
real tables from the session's PostgreSQL server into the sandbox.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
from meltano_project import ROOT, MeltanoProject
from readme_blocks import typed_commands
from repo_paths import DATA
from singer_messages import SECRET

pytestmark = pytest.mark.meltano

STREAMS = {"public-web_visits", "public-nps_answers", "public-feature_usage"}


def target(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "target_gong_di", *args],
        input=stdin, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def database(postgres_url: str) -> str:
    subprocess.run(
        ["psql", postgres_url, "-v", "ON_ERROR_STOP=1", "-qf", str(DATA / "postgres_tables.sql")],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return postgres_url


@pytest.fixture(scope="module")
def tap_env(database: str) -> dict[str, str]:
    # tap-postgres insists on a password; the test server trusts loopback and ignores it.
    user, rest = database.removeprefix("postgresql://").split("@", 1)
    return {"TAP_POSTGRES_SQLALCHEMY_URL": f"postgresql://{user}:unused@{rest}"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, tap_env: dict[str, str]) -> MeltanoProject:
    project = MeltanoProject(tmp_path_factory.mktemp("meltano"))
    project.add_target_from_ref()
    # The README's PostgreSQL block: the pinned definition instead of the Hub's, this
    # session's server instead of db.example.com.
    readme = {
        "--variant meltanolabs": f"--from-ref {DATA / 'tap-postgres.meltano.yml'} --no-install",
        "postgresql://gong_reader:<password>@db.example.com/app": tap_env[
            "TAP_POSTGRES_SQLALCHEMY_URL"
        ],
    }
    for command in typed_commands("postgres", readme):
        project.meltano(*shlex.split(command)[1:])
    project.meltano(
        "add", "--plugin-type", "extractor", "tap-jsonl",
        "--from-ref", str(DATA / "tap-jsonl.meltano.yml"), "--no-install",
    )  # fmt: skip
    project.meltano("install")
    return project


@pytest.fixture(scope="module")
def catalog(project: MeltanoProject, tap_env: dict[str, str]) -> Path:
    path = project.root / "catalog.json"
    path.write_text(project.meltano("invoke", "tap-postgres", "--discover", env=tap_env).stdout)
    return path


@pytest.fixture(scope="module")
def sample(project: MeltanoProject, tap_env: dict[str, str]) -> Path:
    path = project.root / "sample.singer"
    path.write_text(project.meltano("invoke", "tap-postgres", env=tap_env).stdout)
    return path


def suggested(path: Path) -> dict[str, t.Any]:
    run = target("--suggest-mappings", str(path))
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)["mappings"]


def target_env(sandbox, sample: Path, **settings: str) -> dict[str, str]:
    """The loader's settings as Meltano takes them from the environment: the sandbox's
    credentials, mappings suggested from ``sample``, and ``settings``."""
    return {
        "TARGET_GONG_DI_API_URL": sandbox.url,
        "TARGET_GONG_DI_ACCESS_KEY": "key",
        "TARGET_GONG_DI_ACCESS_KEY_SECRET": SECRET,
        "TARGET_GONG_DI_MAPPINGS": json.dumps(suggested(sample)),
        **{f"TARGET_GONG_DI_{name.upper()}": value for name, value in settings.items()},
    }


def test_meltano_add_from_ref_declares_every_setting_as_supported(project):
    listed = project.meltano("config", "list", "target-gong-di", "--all").stdout
    assert "Custom, possibly unsupported" not in listed
    for name in ("access_key", "access_key_secret", "access_token", "mappings", "api_url"):
        assert f"{name} [env: TARGET_GONG_DI_{name.upper()}]" in listed


def test_suggestion_from_a_tap_postgres_catalog_has_every_stream_under_its_real_name(catalog):
    assert set(suggested(catalog)) == STREAMS


def test_suggestion_from_a_tap_postgres_catalog_passes_validate_config(catalog, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"mappings": suggested(catalog), "dry_run": True}))
    run = target("--config", str(config), "--validate-config")
    assert run.returncode == 0, run.stderr


def test_suggestion_from_a_tap_postgres_sample_builds_valid_bodies_for_most_records(
    sample, tmp_path
):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"mappings": suggested(sample), "dry_run": True}))
    run = target("--config", str(config), "--validate-config", "--input", str(sample))
    # Only the 2 of 16 usages without an email name no person (visits still have a name).
    assert "2 records would be dead-lettered" in run.stderr, run.stderr


@pytest.mark.parametrize("stream", ["web_visits", "nps_responses", "intent_signals"])
def test_suggestion_from_tap_jsonl_output_builds_a_valid_body_for_every_record(
    project, stream, tmp_path
):
    data = ROOT / "demo" / "data" / f"{stream}.jsonl"
    key = json.loads(data.read_text().splitlines()[0])
    env = {
        "TAP_JSONL_PATH": str(data),
        "TAP_JSONL_STREAM_NAME": stream,
        "TAP_JSONL_PRIMARY_KEYS": json.dumps([next(iter(key))]),
    }
    sample = tmp_path / "sample.singer"
    sample.write_text(project.meltano("invoke", "tap-jsonl", env=env).stdout)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"mappings": suggested(sample), "dry_run": True}))
    run = target("--config", str(config), "--validate-config", "--input", str(sample))
    assert run.returncode == 0, run.stderr


def test_missing_credentials_under_meltano_say_that_meltano_passes_only_declared_settings(
    project,
):
    run = project.meltano(
        "invoke", "target-gong-di", env={"TARGET_GONG_DI_MAPPINGS": '{"x": "passthrough"}'},
        check=False,
    )  # fmt: skip
    assert run.returncode != 0
    assert "Meltano passes only declared settings" in run.stderr


def test_meltano_run_delivers_the_tables_to_gong_and_rejects_rows_without_a_person(
    project, tap_env, sample, sandbox
):
    env = {
        **tap_env,
        **target_env(sandbox, sample, dead_letter_path=str(project.root / "rejected.jsonl")),
    }
    run = project.meltano("run", "tap-postgres", "target-gong-di", env=env)
    assert SECRET not in run.stdout + run.stderr
    assert len(sandbox.store.events) == 30 + 12 + 16 - 2
    assert len((project.root / "rejected.jsonl").read_text().splitlines()) == 2


def test_meltano_invoke_passes_send_sample_through_to_the_target(project, sample, sandbox):
    # Its own ledger and dead letters: the sample must not settle the meltano run's events.
    env = target_env(
        sandbox,
        sample,
        ledger_url=f"sqlite:///{project.root / 'sample-ledger.db'}",
        dead_letter_path=str(project.root / "sample-rejected.jsonl"),
    )
    run = project.meltano(
        "invoke", "target-gong-di", "--send-sample", "2", "--input", str(sample), env=env
    )
    assert len(sandbox.store.events) == 2
    assert "Sample: sent 2 of 58 records read" in run.stderr


def test_meltano_run_past_the_daily_budget_exits_0_with_no_traceback(project, sandbox, tmp_path):
    """tap-jsonl writes far more than a pipe holds; the target reads it all at the limit."""
    visit = json.loads((ROOT / "demo" / "data" / "web_visits.jsonl").read_text().splitlines()[0])
    data = tmp_path / "visits.jsonl"
    rows = (json.dumps({**visit, "visit_id": f"v-{n}"}) + "\n" for n in range(3000))
    data.write_text("".join(rows))
    tap_env = {
        "TAP_JSONL_PATH": str(data),
        "TAP_JSONL_STREAM_NAME": "web_visits",
        "TAP_JSONL_PRIMARY_KEYS": '["visit_id"]',
    }
    sample = tmp_path / "sample.singer"
    sample.write_text(project.meltano("invoke", "tap-jsonl", env=tap_env).stdout)
    summary = tmp_path / "summary.json"
    env = {
        **tap_env,
        **target_env(
            sandbox,
            sample,
            ledger_url=f"sqlite:///{tmp_path / 'ledger.db'}",
            dead_letter_path=str(tmp_path / "rejected.jsonl"),
            daily_request_budget="5",
            batch_size_rows="10",
            run_summary_path=str(summary),
        ),
    }
    run = project.meltano("run", "tap-jsonl", "target-gong-di", env=env, check=False)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    assert "Traceback" not in log
    assert "BrokenPipe" not in log
    assert len(sandbox.store.events) == 5
    assert json.loads(summary.read_text())["stop_reason"] == "daily_request_budget reached"
