"""The command's ledger flags: look at what the ledger holds for ``api_url``, and forget it.

``--ledger-counts`` prints confirmed events per stream, UTC day and outcome, today's spent
requests against ``daily_request_budget``, and any remembered end of Gong's spent quota.
``--ledger-forget STREAM`` and ``--ledger-forget-all`` forget confirmations so those events
are sent again. Each reads the config like a run and prints to stdout: in these modes no
Singer messages are written there.
"""

from __future__ import annotations

import typing as t
from datetime import timedelta

import click

from target_gong_di.ledger import Ledger, open_ledger

if t.TYPE_CHECKING:
    from target_gong_di.settings import Settings

OPTIONS = (
    click.Option(
        ["--ledger-counts"],
        is_flag=True,
        help=(
            "Print to stdout, for the config's api_url, the events the ledger holds as "
            "confirmed per stream, UTC day and outcome, today's requests against "
            "daily_request_budget, and until when Gong's daily quota is known to be spent; "
            "then exit. Sends nothing."
        ),
    ),
    click.Option(
        ["--ledger-forget"],
        metavar="STREAM",
        help=(
            "Forget the ledger's confirmations of STREAM for the config's api_url, so its "
            "events are sent again (Gong answers 409 for those it has); print how many, exit."
        ),
    ),
    click.Option(
        ["--ledger-forget-all"],
        is_flag=True,
        help="Like --ledger-forget, for every stream of the config's api_url.",
    ),
)


def run(settings: Settings, *, counts: bool, forget: str | None, forget_all: bool) -> str:
    """Do what the one flag given asks; the text to print."""
    if counts + bool(forget) + forget_all != 1:
        raise click.UsageError("use one of --ledger-counts, --ledger-forget, --ledger-forget-all")
    api_url = settings.api_url
    if counts:
        with open_ledger(settings.ledger_url, read_only=True) as ledger:
            return counts_table(ledger, api_url, settings.daily_request_budget)
    with open_ledger(settings.ledger_url) as ledger:
        forgotten = ledger.forget(api_url, forget)
    events = f"{forgotten} confirmed event{'' if forgotten == 1 else 's'}"
    which = f"of stream {forget}" if forget else "of every stream"
    return f"Forgot {events} {which} for {api_url}; they are sent again when a tap sends them."


def events_per_stream(settings: Settings) -> dict[str, int]:
    """The ledger's confirmed events per stream name for ``api_url``, read-only."""
    with open_ledger(settings.ledger_url, read_only=True) as ledger:
        return ledger.events_per_stream(settings.api_url)


def counts_table(ledger: Ledger, api_url: str, budget: int | None) -> str:
    """The counts, today's requests and the quota, as a plain-text table."""
    rows = [("stream", "day (UTC)", "outcome", "events")] + [
        (row.stream, row.day.isoformat(), row.outcome, str(row.events))
        for row in ledger.counts(api_url)
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = [f"Confirmed events for {api_url}:"]
    if len(rows) == 1:
        lines.append("  none")
    else:
        for stream, day, outcome, events in rows:
            lines.append(
                f"  {stream:<{widths[0]}}  {day:<{widths[1]}}  {outcome:<{widths[2]}}"
                f"  {events:>{widths[3]}}"
            )
    spent = ledger.spent_today(api_url)
    limit = f"of daily_request_budget {budget}" if budget is not None else "(no budget set)"
    tomorrow = ledger.today() + timedelta(days=1)
    lines.append(f"Requests today: {spent} {limit}; the day resets at {tomorrow} 00:00 UTC.")
    until = ledger.quota_spent_until(api_url)
    if until is not None:
        lines.append(f"Gong's daily quota is spent until {until:%Y-%m-%d %H:%M} UTC.")
    return "\n".join(lines)
