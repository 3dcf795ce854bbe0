"""One valid body, the sandbox's credentials, and a POST of a body to a sandbox."""

from __future__ import annotations

import requests
from singer_messages import SECRET

from target_gong_di.sandbox.server import Sandbox

BODY = {
    "eventId": "e1",
    "timestamp": "2024-05-01T08:00:00Z",
    "eventType": "page viewed",
    "content": {"contentTitle": "Pricing"},
    "trackingId": "t1",
}
AUTH = ("key", SECRET)


def post(server: Sandbox, body: dict, auth: tuple[str, str] = AUTH) -> requests.Response:
    return requests.post(f"{server.url}/v2/digital-interaction", json=body, auth=auth, timeout=5)
