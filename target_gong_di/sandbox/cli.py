"""The ``gong-di-sandbox`` command: the sandbox in the foreground, set from the command line.

Apart from the server so that importing the sandbox (as the tests, the demo and the bench
do) loads no argument parsing, and so that ``python -m target_gong_di.sandbox.cli`` runs
the command without the package importing it first.
"""

from __future__ import annotations

import argparse
import sys

from target_gong_di.sandbox import server
from target_gong_di.sandbox.server import Sandbox
from target_gong_di.sandbox.store import SandboxOptions


def _parser() -> argparse.ArgumentParser:
    defaults = SandboxOptions()
    summary = (server.__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="gong-di-sandbox", description=summary)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    parser.add_argument("--access-key", default=defaults.access_key)
    parser.add_argument("--access-key-secret", default=defaults.access_key_secret)
    parser.add_argument("--access-token", default=None, help="also accept this bearer token")
    parser.add_argument("--rate-limit", type=float, default=None, help="requests/s before 429s")
    parser.add_argument("--retry-after", type=int, default=defaults.retry_after_seconds)
    parser.add_argument("--reject-rate", type=float, default=0.0, help="valid bodies answered 400")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share answered 500")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="share of dropped connections")
    parser.add_argument("--lost-reply-rate", type=float, default=0.0, help="stored, then hung up")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before each answer")
    parser.add_argument("--html-ok-rate", type=float, default=0.0, help="200 HTML, as a proxy")
    parser.add_argument("--empty-ok-rate", type=float, default=0.0, help="200 with no body")
    parser.add_argument("--trickle-answers", type=int, default=0, help="first answers trickled")
    parser.add_argument("--trickle-ms", type=float, default=defaults.trickle_ms)
    parser.add_argument("--seed", type=int, default=None, help="seed for the fault draws")
    parser.add_argument("--max-body-bytes", type=int, default=None, help="413 for larger bodies")
    parser.add_argument(
        "--throttle-after", type=int, default=None, help="then 429 for ever (--retry-after)"
    )
    parser.add_argument("--oauth-client-id", default=None, help="serve the token endpoint")
    parser.add_argument("--oauth-client-secret", default=None)
    parser.add_argument("--refresh-token", default=None, help="the consent's refresh token")
    parser.add_argument(
        "--access-token-lifetime", type=float, default=defaults.access_token_lifetime
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    """Run the sandbox in the foreground until interrupted."""
    args = _parser().parse_args(argv)
    if args.host not in {"127.0.0.1", "localhost", "::1"}:
        sys.exit("gong-di-sandbox only listens on loopback (127.0.0.1, localhost, ::1)")
    options = SandboxOptions(
        access_key=args.access_key,
        access_key_secret=args.access_key_secret,
        access_token=args.access_token,
        rate_limit=args.rate_limit,
        retry_after_seconds=args.retry_after,
        reject_rate=args.reject_rate,
        fail_rate=args.fail_rate,
        drop_rate=args.drop_rate,
        lost_reply_rate=args.lost_reply_rate,
        latency_ms=args.latency_ms,
        html_ok_rate=args.html_ok_rate,
        empty_ok_rate=args.empty_ok_rate,
        trickle_answers=args.trickle_answers,
        trickle_ms=args.trickle_ms,
        max_body_bytes=args.max_body_bytes,
        throttle_after=args.throttle_after,
        seed=args.seed,
        oauth_client_id=args.oauth_client_id,
        oauth_client_secret=args.oauth_client_secret,
        refresh_token=args.refresh_token,
        access_token_lifetime=args.access_token_lifetime,
    )
    sandbox = Sandbox(options, args.host, args.port)
    print(f"gong-di-sandbox listening on {sandbox.url}", file=sys.stderr, flush=True)
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
