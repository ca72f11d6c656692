"""The forecast's SQL: each charge series' month so far and projection, computed live or stored at publish.

A forecast is additive over series (provider, account, service, region, category, currency): any
grouping or filter on those keys is a sum over the series it keeps. So a publish computes every
series' parts once for the snapshot's "today" (`forecast_series`), and a forecast for that day
filters and sums the stored rows; a forecast for another day, or filtered on anything else (tags),
runs the whole query on `charges`. Both end in the same final SQL over the same column types, so the
answers are identical, digit for digit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import duckdb

from costtui.cache.rollups import needed_dimensions
from costtui.model import CostQuery, days_in_month, month_start

LOOKBACK_DAYS = 28  # four of each weekday
CLASSIFY_DAYS = 62  # a monthly charge shows up at least twice
METRIC_COLUMNS = {"billed": "billed_cost", "effective": "effective_cost"}
SERIES_GROUPS = {"provider": "provider", "account": "account_id", "service": "service", "region": "region",
                 "charge_category": "charge_category"}
STORED_TABLE = "forecast_series"

# Each series is keyed by a 64-bit hash of its keys: grouping and joining 1-2M series-days on
# one integer is several times faster than on six strings (a collision among ~10^5 series: ~10^-9).
# Each cost column is written once per metric ({m}: billed or effective): the publish stores both
# metrics from one scan; a live forecast computes only the one asked for.
SERIES_SQL = """
WITH base AS MATERIALIZED (
    SELECT hash(provider, account_id, service, region, charge_category, currency) AS sid, charge_date,
           any_value(charge_category) AS charge_category, {base_costs},
           any_value(provider) AS provider, any_value(account_id) AS account_id, any_value(service) AS service,
           any_value(region) AS region, any_value(currency) AS currency, max(account_name) AS account_name
    FROM charges {where}
    GROUP BY sid, charge_date
),
series AS MATERIALIZED (
    -- what recurs: not a purchase or tax, and billed on at least half the days since it first
    -- appeared in the classification window (long enough to see a monthly fee twice)
    SELECT sid, min(charge_date) AS first_day
    FROM base WHERE charge_date BETWEEN $classify_start AND $yesterday
      AND charge_category NOT IN ('Purchase', 'Tax')
    GROUP BY sid
    HAVING count(*) * 2 >= date_diff('day', min(charge_date), $yesterday) + 1
),
days AS (
    SELECT CAST(range AS DATE) AS day FROM range($lookback_start, $yesterday + INTERVAL 1 DAY, INTERVAL 1 DAY)
),
filled AS (
    SELECT s.sid, dayofweek(d.day) AS weekday, {filled_costs}
    FROM series s CROSS JOIN days d
    LEFT JOIN base b ON b.sid = s.sid AND b.charge_date = d.day
    WHERE d.day >= s.first_day
),
levels AS (
    -- the median of a weekday's (at most four) values, from sum, min and max: exact, and far
    -- cheaper than median() over a million series-days
    SELECT sid, weekday, {levels}
    FROM filled GROUP BY ALL
),
-- weekdays a new series has not billed on yet: its mean day
typical AS (SELECT sid, {typical} FROM filled GROUP BY ALL),
remaining AS (
    SELECT dayofweek(CAST(range AS DATE)) AS weekday, count(*) AS days
    FROM range($today, $month_end + INTERVAL 1 DAY, INTERVAL 1 DAY) GROUP BY 1
),
projection AS (
    SELECT t.sid, {projected}
    FROM typical t CROSS JOIN remaining r
    LEFT JOIN levels v ON v.sid = t.sid AND v.weekday = r.weekday
    GROUP BY t.sid
),
actual AS (
    -- recurring series count their complete days (today is projected); the rest count all they billed
    SELECT b.sid, {actual}
    FROM base b LEFT JOIN series s ON s.sid = b.sid
    WHERE b.charge_date >= $month_start AND (s.sid IS NULL OR b.charge_date <= $yesterday)
    GROUP BY b.sid
),
labels AS (
    SELECT sid, any_value(provider) AS provider, any_value(account_id) AS account_id,
           any_value(service) AS service, any_value(region) AS region,
           any_value(charge_category) AS charge_category, any_value(currency) AS currency,
           max(account_name) AS account_name
    FROM base GROUP BY sid
),
parts AS (
    SELECT coalesce(a.sid, p.sid) AS sid, {parts}
    FROM actual a FULL JOIN projection p ON a.sid = p.sid
)
-- every series seen, for the account names; `counted` marks those with a part to add up
SELECT labels.* EXCLUDE (sid), parts.sid IS NOT NULL AS counted, {output}
FROM labels LEFT JOIN parts USING (sid)
"""
# Per metric m: the expressions of each CTE above.
SERIES_COSTS = {
    "base_costs": "sum({column}) AS cost_{m}",
    "filled_costs": "coalesce(b.cost_{m}, 0) AS cost_{m}",
    "levels": "CASE count(*) WHEN 4 THEN (sum(cost_{m}) - max(cost_{m}) - min(cost_{m})) * 0.5 "
              "WHEN 3 THEN sum(cost_{m}) - max(cost_{m}) - min(cost_{m}) "
              "WHEN 2 THEN sum(cost_{m}) * 0.5 ELSE sum(cost_{m}) END AS level_{m}",
    "typical": "CAST(sum(cost_{m}) / count(*) AS DECIMAL(18, 6)) AS level_{m}",
    "projected": "sum(coalesce(v.level_{m}, t.level_{m}) * r.days) AS projected_{m}",
    "actual": "sum(b.cost_{m}) AS actual_{m}",
    "parts": "coalesce(a.actual_{m}, 0) AS actual_{m}, coalesce(p.projected_{m}, 0) AS projected_{m}",
    "output": "coalesce(parts.actual_{m}, 0) AS actual_{m}, coalesce(parts.projected_{m}, 0) AS projected_{m}",
}


def series_sql(metrics: tuple[str, ...], where: str) -> str:
    """SERIES_SQL for the given metrics (columns actual_<metric>, projected_<metric>)."""
    return SERIES_SQL.format(where=where, **{
        name: ", ".join(template.format(m=m, column=METRIC_COLUMNS[m]) for m in metrics)
        for name, template in SERIES_COSTS.items()})


# The groups' sums over the series `per_series` holds (live or stored): names per account from its series.
GROUPS_SQL = """
WITH per_series AS ({series}),
names AS (SELECT provider, account_id, max(account_name) AS account_name FROM per_series GROUP BY ALL)
SELECT {select} currency, sum(actual_{m}) AS actual, sum(projected_{m}) AS projected
FROM (SELECT * EXCLUDE (account_name) FROM per_series WHERE counted) LEFT JOIN names USING (provider, account_id)
GROUP BY {group} currency
ORDER BY sum(actual_{m}) + sum(projected_{m}) DESC, {order} currency
"""


@dataclass(frozen=True)
class ForecastPart:
    """One group's month so far (`actual`) and its projection for today through the month's end."""

    keys: dict[str, object]
    currency: str
    actual: Decimal
    projected: Decimal


@dataclass(frozen=True)
class ForecastDays:
    """The days a forecast made on `today` reads: the month, the weekday lookback, the classification."""

    today: date

    @property
    def yesterday(self) -> date:
        return self.today - timedelta(days=1)  # the latest complete day

    @property
    def month_start(self) -> date:
        return month_start(self.today)

    @property
    def month_end(self) -> date:
        return self.today.replace(day=days_in_month(self.today))

    @property
    def lookback_start(self) -> date:
        return self.yesterday - timedelta(days=LOOKBACK_DAYS - 1)

    @property
    def classify_start(self) -> date:
        return self.yesterday - timedelta(days=CLASSIFY_DAYS - 1)

    def named(self) -> dict[str, date]:
        return {"classify_start": self.classify_start, "lookback_start": self.lookback_start,
                "yesterday": self.yesterday, "today": self.today, "month_start": self.month_start,
                "month_end": self.month_end}


def _series_sql(query: CostQuery, days: ForecastDays, metrics: tuple[str, ...],
                tag_columns: Mapping[str, str] | None = None) -> tuple[str, list]:
    """Every series' parts in `metrics` under the query's filters (its dates replaced by the forecast's)."""
    from costtui.cache.queries import where_clause  # one filter rule for every read

    start = min(days.classify_start, days.lookback_start, days.month_start)
    where, params = where_clause(replace(query, start=start, end=days.today), tag_columns)
    sql = series_sql(metrics, where)
    named = days.named()
    # DuckDB takes either positional or named parameters: number the named ones after the filters.
    for offset, (name, value) in enumerate(named.items(), start=len(params) + 1):
        sql = sql.replace(f"${name}", f"${offset}")
        params.append(value)
    return _positional(sql, len(params) - len(named)), params


def store_forecast(con: duckdb.DuckDBPyConnection, today: date) -> None:
    """(Re)write every series' parts for `today`, both metrics from one scan, net (gross drops the
    Credit series)."""
    sql, params = _series_sql(CostQuery(), ForecastDays(today), tuple(METRIC_COLUMNS))
    con.execute(f"CREATE OR REPLACE TABLE {STORED_TABLE} AS SELECT CAST(${len(params) + 1} AS DATE) AS as_of, * "
                f"FROM ({sql}) ORDER BY provider, account_id", [*params, today])


def stored_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The day the stored parts were made for (None: none stored, as in caches before v4)."""
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = "
                       "current_database() AND schema_name = current_schema()", [STORED_TABLE]).fetchone()[0]:
        return None
    row = con.execute(f"SELECT max(as_of) FROM {STORED_TABLE}").fetchone()
    return row[0] if row else None


def forecast_parts(con: duckdb.DuckDBPyConnection, query: CostQuery, today: date,
                   stored: date | None, tag_columns: Mapping[str, str] | None = None) -> list[ForecastPart]:
    """The forecast's inputs per group of `query.group_by` (provider, account, service, region,
    charge_category): each charge series is either projected from the median of its same weekdays
    over the last LOOKBACK_DAYS (recurring usage, credits, adjustments: billed on at least half the
    days since they first appeared in the last CLASSIFY_DAYS) or counted as billed (purchases, tax,
    anything billed on fewer days). The query's dates are ignored. From the stored parts when they
    were made for `today` and the query filters on series keys only."""
    from costtui.cache.queries import where_clause

    for name in query.group_by:
        if name not in SERIES_GROUPS:
            raise ValueError(f"cannot forecast by {name!r}")
    query = replace(query, start=None, end=None)
    if stored == today and needed_dimensions(query) is not None:
        where, params = where_clause(query)
        series = f"SELECT * EXCLUDE (as_of) FROM {STORED_TABLE} WHERE as_of = ?" + where.replace(" WHERE ", " AND ", 1)
        params = [today, *params]
    else:
        series, params = _series_sql(query, ForecastDays(today), (query.metric,), tag_columns)
    select, group, order, keys = [], [], [], []
    for name in query.group_by:
        column = SERIES_GROUPS[name]
        select.append(f"{column} AS {name},")
        group.append(f"{column},")
        order.append(f"{column},")
        keys.append(name)
        if name == "account":
            select.append("max(account_name) AS account_name,")
            keys.append("account_name")
    sql = GROUPS_SQL.format(series=series, select=" ".join(select), group=" ".join(group), order=" ".join(order),
                            m=query.metric)
    parts = []
    for row in con.execute(sql, params).fetchall():
        values = dict(zip(keys, row[: len(keys)], strict=True))
        parts.append(ForecastPart(values, row[-3], _money(row[-2]), _money(row[-1])))
    return parts


def _positional(sql: str, count: int) -> str:
    """Number the filters' `?` placeholders $1..$count, so they mix with numbered parameters."""
    for number in range(1, count + 1):
        sql = sql.replace("?", f"${number}", 1)
    return sql


def _money(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))
