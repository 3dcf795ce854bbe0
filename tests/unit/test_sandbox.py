"""The sandbox behaves like Gong's endpoint, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import time
import typing as t

import pytest
import requests
from sandbox_requests import BODY, post

from target_gong_di.sandbox import Sandbox, SandboxOptions
from target_gong_di.sandbox import server as sandbox_server


def test_valid_body_is_accepted_with_a_request_id(sandbox):
    response = post(sandbox, BODY)
    assert response.status_code == 200
    assert response.json()["requestId"]


def test_accepted_events_are_read_back(sandbox):
    post(sandbox, BODY)
    events = requests.get(f"{sandbox.url}/sandbox/events", timeout=5).json()["events"]
    assert events == [BODY]


def test_stats_count_answers_by_status(sandbox):
    post(sandbox, BODY)
    post(sandbox, BODY)
    stats = requests.get(f"{sandbox.url}/sandbox/stats", timeout=5).json()
    assert stats == {
        "answers": {"200": 1, "409": 1},
        "stored": 1,
        "peak_in_flight": 1,
        "token_refreshes": 0,
        "invalid_grants": 0,
    }


def test_stats_do_not_count_their_own_reads(sandbox):
    post(sandbox, BODY)
    requests.get(f"{sandbox.url}/sandbox/events", timeout=5)
    requests.get(f"{sandbox.url}/sandbox/stats", timeout=5)
    stats = requests.get(f"{sandbox.url}/sandbox/stats", timeout=5).json()
    assert stats["answers"] == {"200": 1}


def test_delete_forgets_everything(sandbox):
    post(sandbox, BODY)
    requests.delete(f"{sandbox.url}/sandbox/events", timeout=5)
    assert post(sandbox, BODY).status_code == 200


def test_wrong_credentials_get_401(sandbox):
    response = post(sandbox, BODY, auth=("key", "wrong"))
    assert response.status_code == 401
    assert response.json()["errors"]
    assert sandbox.store.events == {}


def test_bearer_token_is_accepted_when_configured():
    with Sandbox(SandboxOptions(access_token="tok")) as server:
        headers = {"Authorization": "Bearer tok"}
        response = requests.post(
            f"{server.url}/v2/digital-interaction", json=BODY, headers=headers, timeout=5
        )
    assert response.status_code == 200


def test_invalid_body_gets_400_naming_the_field(sandbox):
    response = post(sandbox, {**BODY, "device": "TABLET"})
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("device:")


def test_repeated_event_id_gets_409(sandbox):
    post(sandbox, BODY)
    assert post(sandbox, {**BODY, "eventType": "other"}).status_code == 409


def test_requests_above_the_rate_limit_get_429_with_retry_after(make_sandbox):
    server = make_sandbox(rate_limit=2, retry_after_seconds=5)
    answers = [post(server, {**BODY, "eventId": f"e{n}"}) for n in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["Retry-After"] == "5"


def test_after_throttle_after_requests_every_request_gets_429_with_its_retry_after(
    make_sandbox,
):
    server = make_sandbox(throttle_after=1, retry_after_seconds=-1)
    answers = [post(server, {**BODY, "eventId": f"e{n}"}) for n in range(4)]
    assert [a.status_code for a in answers] == [200, 429, 429, 429]
    assert answers[-1].headers["Retry-After"] == "-1"


def test_a_body_over_max_body_bytes_gets_nginxs_413_page_and_is_not_stored(make_sandbox):
    server = make_sandbox(max_body_bytes=200)
    answer = post(server, {**BODY, "content": {"contentTitle": "x" * 200}})
    assert answer.status_code == 413
    assert "413 Request Entity Too Large" in answer.text
    assert server.store.events == {}
    assert post(server, BODY).status_code == 200


def test_injected_failures_answer_500(make_sandbox):
    assert post(make_sandbox(fail_rate=1.0), BODY).status_code == 500


def test_dropped_connection_stores_nothing(make_sandbox):
    server = make_sandbox(drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        post(server, BODY)
    assert server.store.events == {}


def test_lost_reply_stores_the_event_then_hangs_up_before_or_during_the_answer(make_sandbox):
    server = make_sandbox(lost_reply_rate=1.0, seed=1)
    failures = set()
    for number in range(8):
        with pytest.raises(requests.RequestException) as raised:
            post(server, {**BODY, "eventId": f"e{number}"})
        failures.add(type(raised.value).__name__)
    assert len(server.store.events) == 8
    assert server.store.answers == {"lost_reply": 8}
    assert failures == {"ConnectionError", "ChunkedEncodingError"}


def test_latency_delays_each_answer(make_sandbox, monkeypatch):
    server = make_sandbox(latency_ms=200)
    waits: list[tuple[float, int]] = []  # each wait, and how many events were stored by then

    class Waiting:
        """The sandbox module's ``time``, noting each sleep before it sleeps."""

        def __getattr__(self, name: str) -> t.Any:
            return getattr(time, name)

        def sleep(self, seconds: float) -> None:
            waits.append((seconds, len(server.store.events)))
            time.sleep(seconds)

    monkeypatch.setattr(sandbox_server, "time", Waiting())
    first = post(server, BODY)
    second = post(server, {**BODY, "eventId": "e2"})
    assert (first.status_code, second.status_code) == (200, 200)
    # Each answer waited the latency first, before its event was stored and answered.
    assert waits == [(0.2, 0), (0.2, 1)]
