"""Answers stored at publish (cache/stored.py): valid in the snapshot of the publish that stored or
kept them, dropped by a publish that changes charges, computed only when missing."""

from __future__ import annotations

from datetime import date

import duckdb

from costtui.cache import CacheReader, open_writer
from costtui.cache.stored import StoredAnswer
from costtui.model import CostQuery, ReplaceScope
from tests.cachefactory import row, write_rows

DAY = date(2026, 11, 10)


def counting(key: str = "total") -> tuple[StoredAnswer, list[int]]:
    """An answer whose body is the cache's total, counting its computations."""
    calls: list[int] = []

    def compute(queries) -> dict[str, bytes]:
        calls.append(1)
        return {key: str(queries.totals(CostQuery())["USD"]).encode()}

    return StoredAnswer((key,), compute), calls


def stored(path, key: str = "total") -> bytes | None:
    with CacheReader(path).session() as queries:
        return queries.stored_answer(key)


def test_stored_at_publish_kept_by_a_publish_without_change_dropped_by_a_change(cache_path):
    write_rows(cache_path, [row(DAY, cost="10.00")])
    assert stored(cache_path) is None  # none stored yet
    answer, calls = counting()
    with open_writer(cache_path, answers=[answer]) as writer:
        writer.record_alert_events([])
    assert stored(cache_path) == b"10.000000" and len(calls) == 1
    with open_writer(cache_path, answers=[answer]) as writer:  # no charge changed: kept, not computed again
        writer.record_alert_events([])
    assert stored(cache_path) == b"10.000000" and len(calls) == 1
    with open_writer(cache_path) as writer:  # a publish that wants nothing stored (alerts) keeps it too
        writer.record_alert_events([])
    assert stored(cache_path) == b"10.000000"
    with open_writer(cache_path) as writer:  # charges changed, nobody recomputes: gone, never stale
        writer.replace_charges([ReplaceScope("aws", DAY, DAY)], [row(DAY, cost="7.00")])
    assert stored(cache_path) is None
    with open_writer(cache_path, answers=[answer]) as writer:
        writer.replace_charges([ReplaceScope("aws", DAY, DAY)], [row(DAY, cost="8.00")])
    assert stored(cache_path) == b"8.000000" and len(calls) == 2


def test_an_answer_of_another_publish_is_not_valid(cache_path):
    """A writer that knows nothing of stored answers (an older costtui) changes the stamp, not the table."""
    write_rows(cache_path, [row(DAY, cost="10.00")])
    answer, _ = counting()
    with open_writer(cache_path, answers=[answer]) as writer:
        writer.record_alert_events([])
    with duckdb.connect(str(cache_path)) as con:
        con.execute("UPDATE charges SET billed_cost = 99; UPDATE meta SET value = '2030-01-01T00:00:00' "
                    "WHERE key = 'published_at'")
    assert stored(cache_path) is None
    with open_writer(cache_path) as writer:  # and the next publish does not revive it
        writer.record_alert_events([])
    assert stored(cache_path) is None


def test_a_publish_that_wants_other_answers_drops_the_old_ones(cache_path):
    write_rows(cache_path, [row(DAY, cost="10.00")])
    first, _ = counting("first")
    second, _ = counting("second")
    with open_writer(cache_path, answers=[first]) as writer:
        writer.record_alert_events([])
    with open_writer(cache_path, answers=[second]) as writer:
        writer.record_alert_events([])
    assert stored(cache_path, "first") is None and stored(cache_path, "second") == b"10.000000"


def test_a_cache_from_before_stored_answers_has_none(cache_path):
    write_rows(cache_path, [row(DAY, cost="10.00")])
    with duckdb.connect(str(cache_path)) as con:
        con.execute("DROP TABLE IF EXISTS stored_answers")
    assert stored(cache_path) is None


def test_a_body_of_many_parts_reads_back_whole_and_an_earlier_layout_is_replaced(cache_path):
    write_rows(cache_path, [row(DAY, cost="10.00")])
    with duckdb.connect(str(cache_path)) as con:  # the first development layout: one row per key
        con.execute("CREATE OR REPLACE TABLE stored_answers (key VARCHAR PRIMARY KEY, published_at VARCHAR, body BLOB)")
        con.execute("INSERT INTO stored_answers SELECT 'big', value, 'old' FROM meta WHERE key = 'published_at'")
    assert stored(cache_path, "big") is None
    body = bytes(range(256)) * 1000  # about four parts
    with open_writer(cache_path, answers=[StoredAnswer(("big", "empty"), lambda _: {"big": body, "empty": b""})]) \
            as writer:
        writer.record_alert_events([])
    assert stored(cache_path, "big") == body and stored(cache_path, "empty") == b""


def test_an_answer_that_fails_is_not_stored_and_the_publish_goes_on(cache_path, capsys):
    write_rows(cache_path, [row(DAY, cost="10.00")])

    def broken(queries) -> dict[str, bytes]:
        raise ValueError("boom\nsecond line")

    good, _ = counting()
    with open_writer(cache_path, answers=[StoredAnswer(("broken",), broken), good]) as writer:
        writer.replace_charges([ReplaceScope("aws", DAY, DAY)], [row(DAY, cost="7.00")])
    assert stored(cache_path, "broken") is None and stored(cache_path) == b"7.000000"
    assert capsys.readouterr().err == ("costtui: broken: not stored with the snapshot (boom); servers compute it "
                                       "on demand\n")
