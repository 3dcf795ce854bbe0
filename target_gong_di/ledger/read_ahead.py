"""Confirmations read ahead in the order the ledger wrote them: what a re-sync asks next.

A re-sync re-reads a table in the order a first sync read it, so it asks the ledger for
its eventIds in about the order their confirmations were written. Looking one up by its
index costs SQLite two B-tree searches (about 6 µs each at 50,000 confirmations, most of a
re-sync's lookup); reading the rows that follow, in the order they were written, costs
about a third of that. So after each lookup whose confirmations lie close together, the
ones written after them are read ahead, and the next lookup finds its eventIds there; what
it does not find there is looked up by index as before. A lookup whose confirmations lie
far apart (a tap reading in another order) reads nothing ahead and costs what it did.

Only SQLite orders rows as they were written (its rowid; PostgreSQL's ``ctid`` moves with
updates and VACUUM). Called inside the lookup's transaction, whose lock serialises the
threads that look up.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from collections.abc import Sequence

    from target_gong_di.ledger.databases import SqliteDatabase

AHEAD = 2
"""Lookups' worth of confirmations read ahead of the last one a lookup found."""
CLOSE = 4
"""Confirmations lie close together when their positions span at most this many per
eventId looked up: delivery reorders a few (concurrent requests, retries), a tap's own
order none."""


class ReadAhead:
    """The confirmations of one ``api_url`` written after those looked up last."""

    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database
        self._api_url: str | None = None
        self._window: dict[str, tuple[int, str]] = {}
        """eventId: (position, body hash), of the rows read ahead."""
        self._end = 0
        """The position of the last row read ahead."""

    def confirmed(self, api_url: str, event_ids: Sequence[str]) -> dict[str, str]:
        """The body hash of each of ``event_ids`` confirmed for ``api_url`` (in a transaction)."""
        if api_url != self._api_url:
            self._api_url, self._window, self._end = api_url, {}, 0
        found: dict[str, str] = {}
        positions: list[int] = []
        missing: list[str] = []
        window = self._window
        for event_id in event_ids:
            entry = window.get(event_id)
            if entry is None:
                missing.append(event_id)
            else:
                positions.append(entry[0])
                found[event_id] = entry[1]
        if missing:
            match, params = self._database.any_of(missing)
            rows = self._database.rows_at_once(
                "SELECT rowid, event_id, body_hash "  # noqa: S608
                f"FROM gong_di_confirmations WHERE api_url = ? AND event_id {match}",
                [api_url, *params],
                width=3,
            )
            for position, event_id, known_hash in rows:
                positions.append(position)
                found[event_id] = known_hash
        if positions:
            hit = len(missing) < len(event_ids)
            self._read_ahead(api_url, min(positions), max(positions), len(event_ids), hit=hit)
        return found

    def _read_ahead(self, api_url: str, first: int, last: int, asked: int, *, hit: bool) -> None:
        """Keep what lies from ``first`` on, and read on to ``AHEAD`` lookups past ``last``.

        A lookup that found nothing read ahead has moved elsewhere: read on from there.
        """
        if last - first > CLOSE * asked:  # not looked up in the order written
            self._window, self._end = {}, 0
            return
        if hit:
            self._window = {key: entry for key, entry in self._window.items() if entry[0] >= first}
        else:
            self._window, self._end = {}, last
        start = max(self._end, last)
        wanted = last + AHEAD * asked - start
        if wanted <= asked // 2:  # what is read ahead already reaches far enough
            return
        rows = self._database.rows_at_once(
            "SELECT rowid, event_id, body_hash FROM gong_di_confirmations NOT INDEXED "
            "WHERE api_url = ? AND rowid > ? ORDER BY rowid LIMIT ?",
            [api_url, start, wanted],
            width=3,
        )
        for position, event_id, known_hash in rows:
            self._window[event_id] = (position, known_hash)
        self._end = max((row[0] for row in rows), default=start)
