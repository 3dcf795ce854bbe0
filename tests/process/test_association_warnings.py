"""Values Gong will not associate: a run and --validate-config warn once per stream, and send."""

from __future__ import annotations

from cli_runs import cli, singer_file
from page_views import CONFIG, VIEWS, view, views

EMAIL_WARNING = (
    "Stream 'page_views', 2 events: person.email has no '@', so Gong cannot associate the "
    "event with a person (e.g. 'not-an-email'); a warning only, the events are not rejected"
)
TITLE_WARNING = (
    "Stream 'page_views', 1 event: content.contentTitle is over 1,000 characters, most likely "
    "not a title (e.g. '"
)


def dirty() -> list[dict]:
    return [
        *views(2),
        view(2, email="not-an-email"),
        view(3, email="also-not-an-email"),
        view(4, page="T" * 1200),
    ]


def test_a_run_warns_once_per_stream_with_a_count_and_an_example_and_sends_them(
    run_target, sandbox
):
    run = run_target(CONFIG, dirty(), sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    assert run.stderr.count(EMAIL_WARNING) == 1
    assert run.stderr.count(TITLE_WARNING) == 1
    assert "(1,200 characters)" in run.stderr
    assert len(sandbox.store.events) == 5


def test_validate_config_with_input_shows_the_same_warnings(tmp_path):
    path = singer_file(tmp_path, dirty())
    result = cli(tmp_path, {**CONFIG, "access_token": "t"}, "--validate-config", "--input", path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(EMAIL_WARNING) == 1
    assert result.stderr.count(TITLE_WARNING) == 1
    assert "every record in the input builds a valid body" in result.stderr


def test_a_clean_run_warns_about_no_value(run_target, sandbox):
    run = run_target(CONFIG, views(3), sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    assert f"Stream '{VIEWS}'," not in run.stderr
