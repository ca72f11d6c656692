"""Back-test of the month-end forecast against what each month really cost.

A demo bill (weekday rhythm, ~2%/month growth, fees and tax on the 1st, spikes, daily credits) is built
for 13 months; for each of the six complete months before "today" the forecast is made as of days 3, 8,
15, 22 and 27 (reading only what the cache held by then) and compared with the month's real total, per
provider and for all providers. The old method (month to date + the 7-day average x days left) runs on
the same data as the baseline.

Targets (issue 8): mean absolute error <= 2%, worst <= 9%, every forecast from day 22 on within 1.5%.
Run: python bench/forecast_backtest.py [--seed 42] [--today 2026-12-02]"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from costtui.cache import CacheReader
from costtui.core.forecast import forecast_totals
from costtui.core.windows import forecast_month
from costtui.model import CostQuery, add_months
from costtui.providers.demo import DemoProvider, demo_window
from costtui.refresh import load_once

FORECAST_DAYS = (3, 8, 15, 22, 27)
MONTHS = 6
SELECTIONS = {"all": (), "aws": ("aws",), "azure": ("azure",), "gcp": ("gcp",)}


def naive_forecast(queries, providers: tuple[str, ...], today: date) -> Decimal:
    """The old method: month to date through yesterday + the average of the last 7 days x days left."""
    yesterday = today - timedelta(days=1)
    month = forecast_month(today)
    mtd = sum(queries.totals(CostQuery(start=month.start, end=yesterday, providers=providers)).values(), Decimal(0))
    week = sum(queries.totals(CostQuery(start=yesterday - timedelta(days=6), end=yesterday,
                                        providers=providers)).values(), Decimal(0))
    return mtd + week / 7 * (month.end - today).days + week / 7


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 12, 2))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "backtest.duckdb"
        start, end = demo_window(args.today)
        load_once(DemoProvider(args.today, seed=args.seed), cache, start, end, fresh=True)
        errors: dict[str, list[tuple[int, float]]] = {"new": [], "old": []}
        lines = []
        with CacheReader(cache).session() as queries:
            for months_back in range(MONTHS, 0, -1):
                first = add_months(args.today.replace(day=1), -months_back)
                month = forecast_month(first)
                for name, providers in SELECTIONS.items():
                    real = sum(queries.totals(CostQuery(start=month.start, end=month.end,
                                                        providers=providers)).values(), Decimal(0))
                    row = []
                    for day in FORECAST_DAYS:
                        as_of = first.replace(day=day)
                        new = sum(forecast_totals(queries, CostQuery(providers=providers), as_of).values(),
                                  Decimal(0))
                        old = naive_forecast(queries, providers, as_of)
                        for method, value in (("new", new), ("old", old)):
                            errors[method].append((day, float((value - real) / real * 100)))
                        row.append(f"{float((new - real) / real * 100):+6.2f}%")
                    lines.append(f"{first:%Y-%m} {name:5} real {real:>12,.2f}  " + " ".join(row))
    print(f"forecast error by day {FORECAST_DAYS} (new method):")
    print("\n".join(lines))
    for method in ("new", "old"):
        values = errors[method]
        absolute = [abs(e) for _, e in values]
        late = [abs(e) for day, e in values if day >= 22]
        print(
            f"{method}: mean abs error {statistics.mean(absolute):.2f}%  worst {max(absolute):.2f}%  "
            f"worst from day 22 {max(late):.2f}%  ({len(values)} forecasts)"
        )
    print("targets: mean <= 2%, worst <= 9%, from day 22 <= 1.5%")


if __name__ == "__main__":
    main()
