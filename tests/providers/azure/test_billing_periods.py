"""Azure exports that name billing periods restate (billing account, billing period) slices: a late
credit on next month's invoice survives re-reading either month (EA, MCA and FOCUS spellings),
multi-day FOCUS usage is spread over its days, and a run shorter than its period keeps the day rule."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from costtui.providers.base import FetchContext, ProviderError
from costtui.refresh import restate_once
from tests.faces import run_costtui
from tests.providers.azure.conftest import ENV_VAR, ExportBucket, csv_bytes, parquet_bytes, per_day_service
from tests.providers.azure.test_exports import EA_HEADER, MCA_HEADER, ea_row, mca_row

pytestmark = pytest.mark.emulator

SEP_START, SEP_END = date(2026, 9, 1), date(2026, 9, 30)
OCT_START, OCT_END = date(2026, 10, 1), date(2026, 10, 31)
SEP_RUN = "exports/actual/20260901-20260930/202610031200/guid-sep"
OCT_RUN = "exports/actual/20261001-20261031/202611031200/guid-oct"


def ea(day: str, service: str, charge: str, cost: str, period: str) -> list[str]:
    return [*ea_row(day, "sub-a", service, "West Europe", charge, cost), period]


def mca(day: str, service: str, charge: str, cost: str, period: str) -> list[str]:
    return [*mca_row(day, service, charge, cost), period]


# Each column set: its header (with its spelling of the billing period), a row maker, the billing
# account it names and the billing period in its date format.
COLUMN_SETS = {
    "EA": ([*EA_HEADER, "BillingPeriodStartDate"], ea, "8611537", "{m:02d}/01/2026"),
    "MCA": ([*MCA_HEADER, "billingPeriodStartDate"], mca, "acct:1234_2019-05-31", "2026-{m:02d}-01"),
}


def upload_months(exports: ExportBucket, kind: str, october_credit: bool = True) -> None:
    header, make, _, period = COLUMN_SETS[kind]
    sep, oct_ = period.format(m=9), period.format(m=10)
    exports.upload(f"{SEP_RUN}/part_0_0001.csv", csv_bytes(header, [
        make("09/24/2026", "Virtual Machines", "Usage", "10.00", sep),
        make("09/30/2026", "Storage", "Usage", "8.01", sep),
    ]))
    october = [make("10/02/2026", "Virtual Machines", "Usage", "20.00", oct_)]
    if october_credit:  # dated 24 September, on the October invoice
        october.append(make("09/24/2026", "Virtual Machines", "Refund", "-3.00", oct_))
    exports.upload(f"{OCT_RUN}/part_0_0001.csv", csv_bytes(header, october))


def load_month(exports: ExportBucket, cache: Path, month: str):
    start, end = (SEP_START, SEP_END) if month == "sep" else (OCT_START, OCT_END)
    return restate_once(exports.provider(), cache, start, end)


def stored_periods(cache: Path) -> set[tuple[str, str, str | None]]:
    con = duckdb.connect(str(cache), read_only=True)
    try:
        rows = con.execute("SELECT charge_date, charge_category, billing_period_start FROM charges").fetchall()
    finally:
        con.close()
    return {(str(day), category, str(period) if period else None) for day, category, period in rows}


EXPECTED = {
    ("2026-09-24", "Virtual Machines"): "7.00",  # 10.00 usage - 3.00 late credit
    ("2026-09-30", "Storage"): "8.01",
    ("2026-10-02", "Virtual Machines"): "20.00",
}


@pytest.mark.parametrize("kind", COLUMN_SETS)
@pytest.mark.parametrize("order", [("sep", "oct"), ("oct", "sep")])
def test_a_late_credit_survives_reading_either_month_again(exports: ExportBucket, cache_path: Path, kind, order):
    upload_months(exports, kind)
    for month in order:
        load_month(exports, cache_path, month)
    assert per_day_service(cache_path) == EXPECTED
    for month in ("sep", "oct", "sep"):
        load_month(exports, cache_path, month)
        assert per_day_service(cache_path) == EXPECTED, f"after reading {month} again"
    assert stored_periods(cache_path) == {
        ("2026-09-24", "Usage", "2026-09-01"),
        ("2026-09-24", "Credit", "2026-10-01"),
        ("2026-09-30", "Usage", "2026-09-01"),
        ("2026-10-02", "Usage", "2026-10-01"),
    }


def test_each_replaced_slice_is_reported_and_a_restated_month_drops_only_its_own_credit(
    exports: ExportBucket, cache_path: Path
):
    upload_months(exports, "EA")
    load_month(exports, cache_path, "sep")
    october = load_month(exports, cache_path, "oct")
    assert [c.describe() for c in october.changes] == ["azure 8611537 2026-10: 0.00 -> 17.00 EUR (0 -> 2 rows)"]
    assert [(s.billing_period, s.start, s.end) for s in (c.scope for c in october.changes)] == [
        (OCT_START, OCT_START, OCT_END)
    ]

    # A newer October run without the credit: October's slice loses it, September keeps its usage.
    header, make, _, _ = COLUMN_SETS["EA"]
    newer = "exports/actual/20261001-20261031/202611041200/guid-oct-2"
    exports.upload(f"{newer}/part_0_0001.csv", csv_bytes(header, [
        make("10/02/2026", "Virtual Machines", "Usage", "20.00", "10/01/2026")]))
    again = load_month(exports, cache_path, "oct")
    assert [c.describe() for c in again.changes] == ["azure 8611537 2026-10: 17.00 -> 20.00 EUR (2 -> 1 rows)"]
    assert per_day_service(cache_path) == {**EXPECTED, ("2026-09-24", "Virtual Machines"): "10.00"}


def test_refresh_prints_the_slices_it_replaced(exports: ExportBucket, tmp_path: Path, cache_path: Path):
    upload_months(exports, "MCA")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[providers.azure]\nenabled = true\nconnection_string_env = "{ENV_VAR}"\n'
        f'container = "{exports.name}"\npath = "exports/actual"\n'
    )

    result = run_costtui(["--config", str(config), "--cache", str(cache_path), "refresh", "--since", "2026-09-01"],
                         today=date(2026, 10, 20))

    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if "replaced" in line] == [
        "costtui: replaced azure acct:1234_2019-05-31 2026-09: 0.00 -> 18.01 USD (0 -> 2 rows)",
        "costtui: replaced azure acct:1234_2019-05-31 2026-10: 0.00 -> 17.00 USD (0 -> 2 rows)",
    ]


def test_focus_export_restates_billing_periods_and_spreads_monthly_usage(
    exports: ExportBucket, tmp_path: Path, cache_path: Path
):
    def focus_run(folder: str, values: str) -> None:
        exports.upload(f"{folder}/part_0_0001.parquet", parquet_bytes(tmp_path, f"""
            SELECT * FROM (VALUES {values}) AS t(ChargePeriodStart, ChargePeriodEnd, BillingPeriodStart,
                BilledCost, EffectiveCost, ChargeCategory, ServiceName),
            (SELECT 'EUR' AS BillingCurrency, '/providers/Microsoft.Billing/billingAccounts/8611537'
                    AS BillingAccountId, '/subscriptions/sub-f' AS SubAccountId, 'Focus Sub' AS SubAccountName,
                    'northeurope' AS RegionId)"""))

    focus_run("exports/focus/20261001-20261031/202611021200/guid-oct", """
        (TIMESTAMP '2026-10-24 00:00:00', TIMESTAMP '2026-10-25 00:00:00', TIMESTAMP '2026-10-01 00:00:00',
         12.00::DECIMAL(18,10), 12.00::DECIMAL(18,10), 'Usage', 'Storage')""")
    focus_run("exports/focus/20261101-20261130/202611151200/guid-nov", """
        (TIMESTAMP '2026-11-01 00:00:00', TIMESTAMP '2026-12-01 00:00:00', TIMESTAMP '2026-11-01 00:00:00',
         30.000001::DECIMAL(18,10), 15.00::DECIMAL(18,10), 'Usage', 'Virtual Machines'),
        (TIMESTAMP '2026-11-03 00:00:00', TIMESTAMP '2026-12-01 00:00:00', TIMESTAMP '2026-11-01 00:00:00',
         100.00::DECIMAL(18,10), 0.00::DECIMAL(18,10), 'Purchase', 'Virtual Machines'),
        (TIMESTAMP '2026-10-24 00:00:00', TIMESTAMP '2026-10-25 00:00:00', TIMESTAMP '2026-11-01 00:00:00',
         -5.00::DECIMAL(18,10), -5.00::DECIMAL(18,10), 'Credit', 'Storage')""")
    provider = exports.provider(path="exports/focus", dataset="focus")

    restate_once(provider, cache_path, OCT_START, date(2026, 11, 30))
    for start, end in ((OCT_START, OCT_END), (date(2026, 11, 1), date(2026, 11, 30)), (OCT_START, OCT_END)):
        restate_once(provider, cache_path, start, end)

    billed = per_day_service(cache_path)
    assert billed[("2026-10-24", "Storage")] == "7.00"  # October's usage and November's late credit
    vm_days = {day: cost for (day, service), cost in billed.items() if service == "Virtual Machines"}
    assert len(vm_days) == 30  # the month's usage on each of its 30 days, not all on the 1st
    assert vm_days["2026-11-02"] == "1.00" and vm_days["2026-11-03"] == "101.00"  # the purchase stays put
    con = duckdb.connect(str(cache_path), read_only=True)
    try:
        total, last_day = con.execute(
            "SELECT sum(billed_cost), max(billed_cost) FILTER (WHERE charge_date = DATE '2026-11-30') FROM charges"
            " WHERE service = 'Virtual Machines' AND charge_category = 'Usage'"
        ).fetchone()
    finally:
        con.close()
    assert (str(total), str(last_day)) == ("30.000001", "1.000001")  # exact: the remainder on the last day
    assert per_day_service(cache_path, "effective")[("2026-11-30", "Virtual Machines")] == "0.50"


def test_a_run_shorter_than_its_billing_period_restates_only_its_days(exports: ExportBucket, tmp_path: Path):
    header, make, _, _ = COLUMN_SETS["EA"]
    weekly = "exports/actual/20261108-20261114/202611151200/guid-week"
    exports.upload(f"{weekly}/part_0_0001.csv", csv_bytes(header, [
        make("11/09/2026", "Storage", "Usage", "1.00", "11/01/2026")]))
    workdir = tmp_path / "work"
    workdir.mkdir()

    result = exports.provider().fetch(FetchContext(date(2026, 11, 1), date(2026, 11, 30), workdir, {}))

    assert [(s.start, s.end, s.billing_period) for s in result.scopes] == [
        (date(2026, 11, 8), date(2026, 11, 14), None)
    ]


@pytest.mark.parametrize(
    ("bad_row", "problem"),
    [
        (ea("10/05/2026", "Storage", "Usage", "1.00", "13/01/2026"), "billing period start '13/01/2026' is not a date"),
        (ea("11/02/2026", "Storage", "Usage", "1.00", "10/01/2026"), "date '11/02/2026' is not a date within"),
    ],
    ids=["unparsable billing period", "dated after its run's range"],
)
def test_a_bad_billing_period_row_refuses_the_run_naming_blob_and_line(
    exports: ExportBucket, tmp_path: Path, bad_row: list[str], problem: str
):
    header, make, _, _ = COLUMN_SETS["EA"]
    blob = f"{OCT_RUN}/part_0_0001.csv"
    exports.upload(blob, csv_bytes(header, [make("10/02/2026", "Storage", "Usage", "2.00", "10/01/2026"), bad_row]))
    workdir = tmp_path / "work"
    workdir.mkdir()

    with pytest.raises(ProviderError) as caught:
        exports.provider().fetch(FetchContext(OCT_START, OCT_END, workdir, {}))

    assert caught.value.kind == "invalid_data"
    assert f"{blob} line 3: {problem}" in str(caught.value)


def test_a_focus_charge_period_end_that_is_not_iso_refuses_the_run_naming_blob_and_row(
    exports: ExportBucket, tmp_path: Path
):
    blob = "exports/focus/20261001-20261031/202611021200/guid-oct/part_0_0001.parquet"
    exports.upload(blob, parquet_bytes(tmp_path, """
        SELECT * FROM (VALUES
            (TIMESTAMP '2026-10-24 00:00:00', '2026-10-25T00:00:00Z', TIMESTAMP '2026-10-01 00:00:00'),
            (TIMESTAMP '2026-10-25 00:00:00', '25/10/2026', TIMESTAMP '2026-10-01 00:00:00'))
            AS t(ChargePeriodStart, ChargePeriodEnd, BillingPeriodStart),
        (SELECT 1.00::DECIMAL(18,10) AS BilledCost, 1.00::DECIMAL(18,10) AS EffectiveCost, 'Usage' AS ChargeCategory,
                'Storage' AS ServiceName, 'EUR' AS BillingCurrency,
                '/providers/Microsoft.Billing/billingAccounts/8611537' AS BillingAccountId,
                '/subscriptions/sub-f' AS SubAccountId, 'Focus Sub' AS SubAccountName, 'northeurope' AS RegionId)"""))
    workdir = tmp_path / "work"
    workdir.mkdir()

    with pytest.raises(ProviderError) as caught:
        exports.provider(path="exports/focus", dataset="focus").fetch(FetchContext(OCT_START, OCT_END, workdir, {}))

    assert caught.value.kind == "invalid_data"
    assert f"{blob} row 2: charge period end '25/10/2026' is not ISO 8601" in str(caught.value)
