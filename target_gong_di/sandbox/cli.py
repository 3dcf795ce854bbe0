"""The ``gong-di-sandbox`` command: the sandbox in the foreground, set from the command line.

Apart from the server so that importing the sandbox (as the tests, the demo and the bench
do) loads no argument parsing, and so that ``python -m target_gong_di.sandbox.cli`` runs
the command without the package importing it first.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import typing as t

from target_gong_di.sandbox import server
from target_gong_di.sandbox.server import Sandbox
from target_gong_di.sandbox.store import SandboxOptions


def _options() -> list[dataclasses.Field[t.Any]]:
    """The fields of ``SandboxOptions`` that are also command-line options."""
    return [option for option in dataclasses.fields(SandboxOptions) if "help" in option.metadata]


def _scalar(hint: t.Any) -> t.Any:
    """What argparse converts a value with: ``float`` for ``float | None``."""
    return next((arg for arg in t.get_args(hint) if arg is not type(None)), hint)


def _parser() -> argparse.ArgumentParser:
    summary = (server.__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="gong-di-sandbox", description=summary)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    hints = t.get_type_hints(SandboxOptions)
    for option in _options():
        flag = option.metadata["flag"] or "--" + option.name.replace("_", "-")
        parser.add_argument(
            flag,
            dest=option.name,
            metavar=flag.removeprefix("--").replace("-", "_").upper(),
            type=_scalar(hints[option.name]),
            default=option.default,
            help=option.metadata["help"],
        )
    return parser


def main(argv: list[str] | None = None) -> None:
    """Run the sandbox in the foreground until interrupted."""
    args = _parser().parse_args(argv)
    if args.host not in {"127.0.0.1", "localhost", "::1"}:
        sys.exit("gong-di-sandbox only listens on loopback (127.0.0.1, localhost, ::1)")
    options = SandboxOptions(**{option.name: getattr(args, option.name) for option in _options()})
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
