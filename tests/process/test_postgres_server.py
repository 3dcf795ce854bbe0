import subprocess


def test_the_session_postgres_server_answers_on_loopback(postgres_url: str) -> None:
    answer = subprocess.run(
        ["psql", postgres_url, "-Atc", "select 40 + 2"],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    assert answer.stdout.strip() == "42"
