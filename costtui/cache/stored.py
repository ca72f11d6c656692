"""Answers computed once at publish and stored in the snapshot they describe (`/metrics` today).

A face that serves the same big answer from every process and replica (the API's default
/metrics: megabytes, seconds to compute on a 10M-row cache) hands the writer a `StoredAnswer`:
keys naming everything the answer depends on besides the snapshot (the face's settings, today),
and how to compute it. The writer computes it in its private copy, after the rollups, and stores
it; readers take it by key (`CostQueries.stored_answer`) and compute it themselves when the key
differs (other settings, another day).

Each stored answer carries the `published_at` stamp of the publish that stored or kept it, so an
answer is valid only in the snapshot of that publish: a later write that changes charges drops
them, one that changes none (alerts) keeps them, and a writer that knows nothing of this table
(an older costtui) leaves a stamp that no longer matches."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from costtui.cache.errors import first_line
from costtui.cache.rollups import table_columns

if TYPE_CHECKING:
    from costtui.cache.queries import CostQueries

TABLE = "stored_answers"
# Bodies are stored in parts: DuckDB reads a few 64 kB values several times faster than one big one.
PART = 64 * 1024


@dataclass(frozen=True)
class StoredAnswer:
    """Answers a face wants stored at publish: `compute(queries)` returns {key: body} for every key."""

    keys: tuple[str, ...]
    compute: Callable[[CostQueries], dict[str, bytes]]


def store_answers(con: duckdb.DuckDBPyConnection, published_at: str, charges_changed: bool,
                  wanted: Sequence[StoredAnswer]) -> None:
    """In the writer's copy, before it is published: keep (restamped) or drop what is stored, then
    compute and store each wanted answer not already valid. A write that wants none (alerts) keeps
    every valid one; one that wants some drops the others."""
    from costtui.cache.queries import CostQueries

    if "part" not in table_columns(con, TABLE):  # none yet, or of an earlier layout: derived data, replaced
        con.execute(f"DROP TABLE IF EXISTS {TABLE}")
        con.execute(f"CREATE TABLE {TABLE} (key VARCHAR, part INTEGER, published_at VARCHAR, body BLOB, "
                    "PRIMARY KEY (key, part))")
    if charges_changed:
        con.execute(f"DELETE FROM {TABLE}")
    else:  # valid in the old snapshot (its stamp matches), so in this one; anything else goes
        con.execute(f"DELETE FROM {TABLE} WHERE published_at IS DISTINCT FROM "
                    "(SELECT value FROM meta WHERE key = 'published_at')")
        con.execute(f"UPDATE {TABLE} SET published_at = ?", [published_at])
    wanted_keys = [key for answer in wanted for key in answer.keys]
    if wanted_keys:  # a publisher that says what it wants stored replaces the set (no stale settings linger)
        con.execute(f"DELETE FROM {TABLE} WHERE key NOT IN ({', '.join('?' for _ in wanted_keys)})", wanted_keys)
    queries = None
    for answer in wanted:
        present = con.execute(f"SELECT count(DISTINCT key) FROM {TABLE} WHERE key IN "
                              f"({', '.join('?' for _ in answer.keys)})", list(answer.keys)).fetchone()[0]
        if present == len(answer.keys):
            continue
        queries = queries or CostQueries(con)
        try:
            bodies = answer.compute(queries)
        except Exception as exc:  # an answer for readers never holds up the data: they compute it themselves
            print(f"costtui: {answer.keys[0]}: not stored with the snapshot ({first_line(exc)}); servers "
                  "compute it on demand", file=sys.stderr)
            continue
        con.executemany(f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?, ?)",
                        [(key, number, published_at, bodies[key][start:start + PART])
                         for key in answer.keys for number, start in enumerate(range(0, len(bodies[key]) or 1, PART))])


def stored_answer(con: duckdb.DuckDBPyConnection, key: str) -> bytes | None:
    """The body stored under `key` for this snapshot, else None (none stored, or by another publish)."""
    try:
        rows = con.execute(
            f"SELECT body FROM {TABLE} WHERE key = ? AND published_at = "
            "(SELECT value FROM meta WHERE key = 'published_at') ORDER BY part", [key]).fetchall()
    except (duckdb.CatalogException, duckdb.BinderException):  # none yet (an older cache), or an earlier layout
        return None
    return b"".join(bytes(row[0]) for row in rows) if rows else None
