"""Canary for the one private urllib3 method the client overrides (``_make_request``).

``request_timeout_seconds`` bounds a whole attempt because each request tells the attempt
which connection it uses, from urllib3's private ``HTTPConnectionPool._make_request``; if an
upgrade stops passing the connection there, trickled headers could hold a run for ever.
This fails first, naming the installed urllib3.
"""

from __future__ import annotations

from importlib.metadata import version

from target_gong_di.delivery import client

URLLIB3 = f"urllib3 {version('urllib3')} no longer hands _make_request its connection"


def test_each_request_tells_the_attempt_which_connection_it_uses(sandbox):
    session = client.pooled_session(1)
    client._attempt.connections = []
    try:
        session.get(f"{sandbox.url}/", timeout=10)
        connections = client._attempt.connections
    finally:
        del client._attempt.connections
        session.close()
    assert len(connections) == 1, URLLIB3
    assert hasattr(connections[0], "sock"), URLLIB3
