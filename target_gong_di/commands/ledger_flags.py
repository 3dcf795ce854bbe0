"""The command's ledger flags: look at what the ledger holds for ``api_url``, and forget it.

``--ledger-counts`` prints confirmed events per stream, UTC day and outcome, the rejected
records pending per stream and stage, today's spent requests against
``daily_request_budget``, and any remembered end of Gong's spent quota. ``--ledger-pending``
lists the pending records as JSON Lines, without their content. ``--ledger-forget STREAM``
and ``--ledger-forget-all`` forget confirmations so those events are sent again, and the
pending records so no run retries them. Each reads the config like a run and prints to
stdout: in these modes no Singer messages are written there.
"""

from __future__ import annotations

import typing as t
from datetime import timedelta

import click

from target_gong_di.encoding import to_json
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
        ["--ledger-pending"],
        is_flag=True,
        help=(
            "Print to stdout, as JSON Lines, the rejected records the ledger keeps pending "
            "for the config's api_url (stream, key, stage, errors, attempts, first and last "
            "seen; not their content); then exit. Sends nothing."
        ),
    ),
    click.Option(
        ["--ledger-forget"],
        metavar="STREAM",
        help=(
            "Forget the ledger's confirmations of STREAM for the config's api_url, so its "
            "events are sent again (Gong answers 409 for those it has), and its pending "
            "rejected records, so no run retries them; print how many, exit."
        ),
    ),
    click.Option(
        ["--ledger-forget-all"],
        is_flag=True,
        help="Like --ledger-forget, for every stream of the config's api_url.",
    ),
)


def run(
    settings: Settings, *, counts: bool, pending: bool, forget: str | None, forget_all: bool
) -> str:
    """Do what the one flag given asks; the text to print."""
    if counts + pending + bool(forget) + forget_all != 1:
        raise click.UsageError(
            "use one of --ledger-counts, --ledger-pending, --ledger-forget, --ledger-forget-all"
        )
    api_url = settings.api_url
    if counts or pending:
        with open_ledger(settings.ledger_url, read_only=True) as ledger:
            if pending:
                return pending_lines(ledger, api_url)
            return counts_table(ledger, api_url, settings.daily_request_budget)
    with open_ledger(settings.ledger_url) as ledger:
        forgotten = ledger.forget(api_url, forget)
        dropped = ledger.pending.forget(api_url, forget)
    events = f"{forgotten} confirmed event{'' if forgotten == 1 else 's'}"
    which = f"of stream {forget}" if forget else "of every stream"
    return (
        f"Forgot {events} {which} for {api_url}; they are sent again when a tap sends them. "
        f"Forgot {dropped} pending rejected record{'' if dropped == 1 else 's'} too; no run "
        "retries them (the dead-letter file still has them, for --replay)."
    )


def pending_lines(ledger: Ledger, api_url: str) -> str:
    """One JSON line per pending record: which it is and why it waits, not its content."""
    return "\n".join(
        to_json(
            {
                "stream": row.stream,
                "key": row.key,
                "stage": row.stage,
                "errors": list(row.errors),
                "attempts": row.attempts,
                "first_seen": row.first_seen,
                "last_seen": row.last_seen,
            }
        ).decode()
        for row in ledger.pending.listed(api_url)
    )


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
    lines += pending_table(ledger, api_url)
    spent = ledger.spent_today(api_url)
    limit = f"of daily_request_budget {budget}" if budget is not None else "(no budget set)"
    tomorrow = ledger.today() + timedelta(days=1)
    lines.append(f"Requests today: {spent} {limit}; the day resets at {tomorrow} 00:00 UTC.")
    until = ledger.quota_spent_until(api_url)
    if until is not None:
        lines.append(f"Gong's daily quota is spent until {until:%Y-%m-%d %H:%M} UTC.")
    return "\n".join(lines)


def pending_table(ledger: Ledger, api_url: str) -> list[str]:
    """The rejected records pending per stream and stage, as lines of a table."""
    rows = [("stream", "stage", "records")] + [
        (stream, stage, str(count)) for stream, stage, count in ledger.pending.counts(api_url)
    ]
    if len(rows) == 1:
        return [f"Pending rejected records for {api_url}: none"]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return [
        f"Pending rejected records for {api_url} (retried by every run until delivered):",
        *(
            f"  {stream:<{widths[0]}}  {stage:<{widths[1]}}  {count:>{widths[2]}}"
            for stream, stage, count in rows
        ),
    ]
