"""Reading EA, MCA and FOCUS exports from Azurite into the cache: totals, runs, manifests, bad data."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from costtui.cache import CacheReader
from costtui.model import CostQuery, to_cents
from costtui.providers.base import FetchContext, ProviderError
from costtui.refresh import RefreshOptions, load_once, run_refresh
from tests.providers.azure.conftest import ExportBucket, csv_bytes, parquet_bytes, per_day_service

pytestmark = pytest.mark.emulator

NOV = "20261101-20261130"
NOV_START, NOV_END = date(2026, 11, 1), date(2026, 11, 30)
TODAY = date(2026, 11, 15)

EA_HEADER = [
    "Date", "BillingAccountId", "BillingProfileId", "SubscriptionId", "SubscriptionName",
    "MeterCategory", "ResourceLocation", "ChargeType", "CostInBillingCurrency", "BillingCurrencyCode",
]
MCA_HEADER = [
    "date", "billingAccountId", "billingProfileId", "SubscriptionId", "subscriptionName",
    "meterCategory", "resourceLocation", "chargeType", "costInBillingCurrency", "billingCurrency",
]


def ea_row(day: str, sub: str, service: str, location: str, charge: str, cost: str) -> list[str]:
    names = {"sub-a": "Production", "sub-b": "Development"}
    return [day, "8611537", "8611537", sub, names.get(sub, sub), service, location, charge, cost, "EUR"]


def mca_row(day: str, service: str, charge: str, cost: str, sub: str = "sub-m") -> list[str]:
    return [day, "acct:1234_2019-05-31", "PROF-1", sub, "Team, Blue", service, "East US", charge, cost, "USD"]


def manifest(blobs: dict[str, int], submitted: str = "2026-11-03T18:33:03.1032074Z") -> bytes:
    return json.dumps(
        {
            "manifestVersion": "2024-04-01",
            "dataRowCount": sum(blobs.values()),
            "blobCount": len(blobs),
            "exportConfig": {"type": "ActualCost", "granularity": "Daily"},
            "runInfo": {"submittedTime": submitted, "startDate": "2026-11-01T00:00:00"},
            "blobs": [{"blobName": name, "dataRowCount": count} for name, count in blobs.items()],
        }
    ).encode()


def fetch(provider, tmp_path: Path, known: dict[str, str] | None = None):
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    return provider.fetch(FetchContext(NOV_START, NOV_END, workdir, known or {}))


def totals_by(cache: Path, group: str, metric: str = "billed") -> dict[str, Decimal]:
    with CacheReader(cache).session() as queries:
        return {g.keys[group]: g.cost for g in queries.cost_groups(CostQuery(group_by=(group,), metric=metric))}


def test_ea_csv_export_per_day_service_totals_equal_hand_computation(exports: ExportBucket, cache_path: Path):
    run = f"exports/actual/{NOV}/202611031833/3f1a2b3c-0000-4000-8000-000000000001"
    rows = [
        ea_row("11/01/2026", "sub-a", "Virtual Machines", "West Europe", "Usage", "10.123456"),
        ea_row("11/01/2026", "sub-a", "Virtual Machines", "westeurope", "Usage", "5.000004"),
        ea_row("11/01/2026", "sub-b", "Storage", "East US", "Usage", "2.5"),
        ea_row("2026-11-02", "sub-a", "Virtual Machines", "West Europe", "Usage", "7.25"),
        ea_row("11/02/2026", "sub-a", "Virtual Machines", "West Europe", "Refund", "-3.10"),
        ea_row("11/02/2026", "sub-b", "Storage", "", "Tax", "0.99"),
        ea_row("11/02/2026", "sub-a", "Virtual Machines", "West Europe", "UnusedReservation", "1.004"),
    ]
    exports.upload(f"{run}/part_0_0001.csv", csv_bytes(EA_HEADER, rows))
    exports.upload(f"{run}/manifest.json", manifest({f"{run}/part_0_0001.csv": 7}))

    stored = load_once(exports.provider(), cache_path, NOV_START, NOV_END)

    assert per_day_service(cache_path) == {
        ("2026-11-01", "Virtual Machines"): "15.12",  # 10.123456 + 5.000004, one region after normalising
        ("2026-11-01", "Storage"): "2.50",
        ("2026-11-02", "Virtual Machines"): "5.15",  # 7.25 - 3.10 refund + 1.004 unused reservation
        ("2026-11-02", "Storage"): "0.99",
    }
    assert per_day_service(cache_path, "effective") == per_day_service(cache_path)  # no amortized export
    assert stored == 5  # the two 11/01 VM rows share a grain once "West Europe" is "westeurope"
    categories = totals_by(cache_path, "charge_category")
    assert categories["Credit"] == Decimal("-3.10")  # the refund is kept, negative
    assert categories["Tax"] == Decimal("0.99")
    assert set(totals_by(cache_path, "region")) == {"westeurope", "eastus", "global"}
    with CacheReader(cache_path).session() as queries:
        accounts = queries.cost_groups(CostQuery(group_by=("account",)))
    assert {(g.keys["account"], g.keys["account_name"], g.currency) for g in accounts} == {
        ("sub-a", "Production", "EUR"),
        ("sub-b", "Development", "EUR"),
    }


def test_mca_csv_gz_export_in_parts_without_manifest(exports: ExportBucket, tmp_path: Path, cache_path: Path):
    run = f"exports/actual/{NOV}/7d9e0f10-0000-4000-8000-000000000002"
    exports.upload(
        f"{run}/part_0_0001.csv.gz",
        csv_bytes(MCA_HEADER, [mca_row("11/03/2026", "Virtual Machines", "Usage", "1.111111"),
                               mca_row("11/03/2026", "Storage", "Usage", "0.333333")], gz=True),
    )
    exports.upload(
        f"{run}/part_1_0001.csv.gz",
        csv_bytes(MCA_HEADER, [mca_row("11/03/2026", "Virtual Machines", "Usage", "2.222222"),
                               mca_row("11/04/2026", "Virtual Machines", "Purchase", "120"),
                               mca_row("11/04/2026", "Virtual Machines", "Refund", "-20.5")], gz=True),
    )

    result = fetch(exports.provider(), tmp_path)
    assert [(s.start, s.end, s.billing_account_id) for s in result.scopes] == [
        (NOV_START, NOV_END, "acct:1234_2019-05-31")
    ]
    assert set(result.ingested_objects) == {f"{run}/part_0_0001.csv.gz", f"{run}/part_1_0001.csv.gz"}

    load_once(exports.provider(), cache_path, NOV_START, NOV_END)
    assert per_day_service(cache_path) == {
        ("2026-11-03", "Virtual Machines"): "3.33",
        ("2026-11-03", "Storage"): "0.33",
        ("2026-11-04", "Virtual Machines"): "99.50",  # 120 purchase - 20.50 refund
    }
    with CacheReader(cache_path).session() as queries:
        accounts = queries.cost_groups(CostQuery(group_by=("account",)))
    assert [(g.keys["account_name"], g.currency) for g in accounts] == [("Team, Blue", "USD")]


def test_focus_parquet_export_gives_billed_and_effective(exports: ExportBucket, tmp_path: Path, cache_path: Path):
    run = f"exports/focus/{NOV}/202611051200/aa000000-0000-4000-8000-000000000003"
    data = parquet_bytes(
        tmp_path,
        """SELECT * FROM (VALUES
            (TIMESTAMP '2026-11-05 00:00:00', 12.345678::DECIMAL(18,10), 10.000001::DECIMAL(18,10), 'Usage',
             'Virtual Machines'),
            (TIMESTAMP '2026-11-05 00:00:00', 100.0::DECIMAL(18,10), 0.0::DECIMAL(18,10), 'Purchase',
             'Virtual Machines'),
            (TIMESTAMP '2026-11-06 00:00:00', -4.25::DECIMAL(18,10), -4.25::DECIMAL(18,10), 'Credit', 'Storage'))
           AS t(ChargePeriodStart, BilledCost, EffectiveCost, ChargeCategory, ServiceName),
           (SELECT 'EUR' AS BillingCurrency,
                   '/providers/Microsoft.Billing/billingAccounts/8611537' AS BillingAccountId,
                   '/subscriptions/sub-f' AS SubAccountId, 'Focus Sub' AS SubAccountName,
                   'northeurope' AS RegionId)""",
    )
    exports.upload(f"{run}/part_0_0001.parquet", data)

    load_once(exports.provider(path="exports/focus", dataset="focus"), cache_path, NOV_START, NOV_END)

    assert per_day_service(cache_path) == {
        ("2026-11-05", "Virtual Machines"): "112.35",
        ("2026-11-06", "Storage"): "-4.25",
    }
    assert per_day_service(cache_path, "effective") == {
        ("2026-11-05", "Virtual Machines"): "10.00",
        ("2026-11-06", "Storage"): "-4.25",
    }
    with CacheReader(cache_path).session() as queries:
        (group,) = queries.cost_groups(CostQuery(group_by=("account", "region")))
    assert (group.keys["account"], group.keys["region"]) == ("sub-f", "northeurope")


@pytest.mark.parametrize("layout", ["timestamp folders", "manifest submittedTime"])
def test_newest_run_of_a_range_wins_whatever_the_upload_order(
    exports: ExportBucket, tmp_path: Path, cache_path: Path, layout: str
):
    if layout == "timestamp folders":
        newer, older = (f"exports/actual/{NOV}/{stamp}/guid-{stamp}" for stamp in ("202611041200", "202611031200"))
    else:
        newer, older = f"exports/actual/{NOV}/guid-newer", f"exports/actual/{NOV}/guid-older"
    # The newer run is uploaded first: its upload time is older, yet it must win.
    for folder, cost, submitted in ((newer, "40.00", "2026-11-04T12:00:00Z"), (older, "100.00", "2026-11-03T12:00:00Z")):
        exports.upload(f"{folder}/part_0_0001.csv", csv_bytes(
            EA_HEADER, [ea_row("11/02/2026", "sub-a", "Virtual Machines", "West Europe", "Usage", cost)]))
        exports.upload(f"{folder}/manifest.json", manifest({f"{folder}/part_0_0001.csv": 1}, submitted))

    result = fetch(exports.provider(), tmp_path)
    assert all(name.startswith(newer) for name in result.ingested_objects)

    load_once(exports.provider(), cache_path, NOV_START, NOV_END)
    assert per_day_service(cache_path) == {("2026-11-02", "Virtual Machines"): "40.00"}


def test_a_newer_run_restates_its_range_without_double_counting(exports: ExportBucket, cache_path: Path):
    first = f"exports/actual/{NOV}/202611031200/guid-1"
    exports.upload(f"{first}/part_0_0001.csv", csv_bytes(EA_HEADER, [
        ea_row("11/02/2026", "sub-a", "Virtual Machines", "West Europe", "Usage", "100.00"),
        ea_row("11/03/2026", "sub-b", "Storage", "East US", "Usage", "7.00"),
    ]))
    options = RefreshOptions(today=TODAY)
    assert run_refresh([exports.provider()], cache_path, options).failed == []
    assert per_day_service(cache_path) == {
        ("2026-11-02", "Virtual Machines"): "100.00",
        ("2026-11-03", "Storage"): "7.00",
    }

    second = f"exports/actual/{NOV}/202611041200/guid-2"
    exports.upload(f"{second}/part_0_0001.csv", csv_bytes(EA_HEADER, [
        ea_row("11/02/2026", "sub-a", "Virtual Machines", "West Europe", "Usage", "60.00"),
    ]))
    assert run_refresh([exports.provider()], cache_path, options).failed == []
    # The whole range is restated: 11/03 is gone from the newer run, so it is gone from the cache.
    assert per_day_service(cache_path) == {("2026-11-02", "Virtual Machines"): "60.00"}


def test_manifest_row_count_mismatch_refuses_the_run(exports: ExportBucket, tmp_path: Path):
    run = f"exports/actual/{NOV}/202611031200/guid-m"
    blob = f"{run}/part_0_0001.csv"
    exports.upload(blob, csv_bytes(EA_HEADER, [
        ea_row("11/02/2026", "sub-a", "Virtual Machines", "West Europe", "Usage", "1.00"),
        ea_row("11/03/2026", "sub-a", "Virtual Machines", "West Europe", "Usage", "2.00"),
    ]))
    exports.upload(f"{run}/manifest.json", manifest({blob: 3}))

    with pytest.raises(ProviderError) as caught:
        fetch(exports.provider(), tmp_path)
    error = caught.value
    assert error.kind == "invalid_data"
    assert f"{blob} has 2 data rows but manifest {run}/manifest.json says 3" in str(error)
    assert "refused" in str(error)


@pytest.mark.parametrize(
    ("bad_row", "line", "problem"),
    [
        (mca_row("11/05/2026", "Storage", "Usage", "12,5"), "line 4", "cost is not a number"),
        (mca_row("31/11/2026", "Storage", "Usage", "1.0"), "line 4", "'31/11/2026' is not a date"),
        (mca_row("12/01/2026", "Storage", "Usage", "1.0"), "line 4", "'12/01/2026' is not a date within"),
    ],
    ids=["unparsable cost", "unparsable date", "date outside the run's range"],
)
def test_a_bad_row_refuses_the_run_naming_blob_and_line(
    exports: ExportBucket, cache_path: Path, bad_row: list[str], line: str, problem: str
):
    good = f"exports/actual/{NOV}/202611031200/guid-good"
    exports.upload(f"{good}/part_0_0001.csv.gz", csv_bytes(
        MCA_HEADER, [mca_row("11/05/2026", "Storage", "Usage", "3.00")], gz=True))
    options = RefreshOptions(today=TODAY)
    assert run_refresh([exports.provider()], cache_path, options).failed == []

    bad = f"exports/actual/{NOV}/202611041200/guid-bad"
    rows = [mca_row("11/05/2026", "Storage", "Usage", "5.00"), mca_row("11/06/2026", "Storage", "Usage", "5.00"),
            bad_row, mca_row("11/07/2026", "Storage", "Usage", "5.00")]
    exports.upload(f"{bad}/part_0_0001.csv.gz", csv_bytes(MCA_HEADER, rows, gz=True))
    report = run_refresh([exports.provider()], cache_path, options)

    (failed,) = report.failed
    assert failed.error.kind == "invalid_data"
    message = str(failed.error)
    assert f"{bad}/part_0_0001.csv.gz {line}: " in message
    assert problem in message
    # Nothing from the refused run is stored; the previous run's rows stay.
    assert per_day_service(cache_path) == {("2026-11-05", "Storage"): "3.00"}
    with CacheReader(cache_path).session() as queries:
        (fetch_status,) = [f for f in queries.latest_fetches() if f.provider == "azure"]
    assert fetch_status.status == "error" and fetch_status.error_kind == "invalid_data"


def test_missing_required_column_names_it_and_the_header_line(exports: ExportBucket, tmp_path: Path):
    blob = f"exports/actual/{NOV}/202611031200/guid-h/part_0_0001.csv"
    header = [name for name in EA_HEADER if name != "CostInBillingCurrency"]
    exports.upload(blob, csv_bytes(header, [["11/02/2026", "1", "1", "sub-a", "A", "Storage", "", "Usage", "EUR"]]))

    with pytest.raises(ProviderError, match=rf"{blob} line 1: required column CostInBillingCurrency missing"):
        fetch(exports.provider(), tmp_path)


def test_amortized_export_gives_effective_cost(exports: ExportBucket, cache_path: Path):
    actual = f"exports/actual/{NOV}/202611031200/guid-act"
    amortized = f"exports/amortized/{NOV}/202611031210/guid-amo"
    exports.upload(f"{actual}/part_0_0001.csv", csv_bytes(EA_HEADER, [
        ea_row("11/01/2026", "sub-a", "Virtual Machines", "West Europe", "Usage", "10.00"),
        ea_row("11/01/2026", "sub-a", "Virtual Machines", "", "Purchase", "300.00"),
    ]))
    exports.upload(f"{amortized}/part_0_0001.csv", csv_bytes(EA_HEADER, [
        ea_row("11/01/2026", "sub-a", "Virtual Machines", "West Europe", "Usage", "10.00"),
        ea_row("11/01/2026", "sub-a", "Virtual Machines", "West Europe", "Usage", "9.86"),  # reservation, amortized
        ea_row("11/01/2026", "sub-a", "Virtual Machines", "", "Purchase", "0"),
    ]))

    load_once(exports.provider(amortized_path="exports/amortized"), cache_path, NOV_START, NOV_END)

    assert per_day_service(cache_path, "billed") == {("2026-11-01", "Virtual Machines"): "310.00"}
    assert per_day_service(cache_path, "effective") == {("2026-11-01", "Virtual Machines"): "19.86"}
    assert totals_by(cache_path, "charge_category", "effective") == {"Usage": Decimal("19.86"),
                                                                     "Purchase": Decimal("0")}


def test_unchanged_blobs_are_skipped_and_a_rewritten_blob_is_read_again(exports: ExportBucket, cache_path: Path):
    run = f"exports/actual/{NOV}/202611031200/guid-e"
    blob = f"{run}/part_0_0001.csv"
    exports.upload(blob, csv_bytes(EA_HEADER, [ea_row("11/02/2026", "sub-a", "Storage", "", "Usage", "8.00")]))
    options = RefreshOptions(today=TODAY)
    first = run_refresh([exports.provider()], cache_path, options).outcomes[0].result
    assert list(first.ingested_objects) == [blob]

    second = run_refresh([exports.provider()], cache_path, options).outcomes[0].result
    assert (second.scopes, second.ingested_objects, second.parquet_files) == ([], {}, [])
    assert per_day_service(cache_path) == {("2026-11-02", "Storage"): "8.00"}  # cached rows stay

    exports.upload(blob, csv_bytes(EA_HEADER, [ea_row("11/02/2026", "sub-a", "Storage", "", "Usage", "9.00")]))
    third = run_refresh([exports.provider()], cache_path, options).outcomes[0].result
    assert [s.start for s in third.scopes] == [NOV_START]
    assert per_day_service(cache_path) == {("2026-11-02", "Storage"): "9.00"}


def test_only_ranges_overlapping_the_window_are_read(exports: ExportBucket, tmp_path: Path):
    for folder, day in (("20261001-20261031", "10/30/2026"), (NOV, "11/02/2026")):
        exports.upload(f"exports/actual/{folder}/202611031200/guid/part_0_0001.csv",
                       csv_bytes(EA_HEADER, [ea_row(day, "sub-a", "Storage", "", "Usage", "1.00")]))

    result = fetch(exports.provider(), tmp_path)

    assert [(s.start, s.end) for s in result.scopes] == [(NOV_START, NOV_END)]
    assert all(name.startswith(f"exports/actual/{NOV}/") for name in result.ingested_objects)


def test_overlapping_ranges_take_each_day_from_the_newest_run(exports: ExportBucket, cache_path: Path):
    month = f"exports/actual/{NOV}/202611101200/guid-month"
    custom = "exports/actual/20261101-20261105/202611111200/guid-custom"
    exports.upload(f"{month}/part_0_0001.csv", csv_bytes(EA_HEADER, [
        ea_row("11/02/2026", "sub-a", "Storage", "", "Usage", "5.00"),
        ea_row("11/08/2026", "sub-a", "Storage", "", "Usage", "6.00"),
    ]))
    exports.upload(f"{custom}/part_0_0001.csv", csv_bytes(EA_HEADER, [
        ea_row("11/02/2026", "sub-a", "Storage", "", "Usage", "4.50"),
    ]))

    load_once(exports.provider(), cache_path, NOV_START, NOV_END)

    assert to_cents(sum(totals_by(cache_path, "day").values())) == Decimal("10.50")
    assert per_day_service(cache_path) == {
        ("2026-11-02", "Storage"): "4.50",
        ("2026-11-08", "Storage"): "6.00",
    }


def test_a_run_still_being_written_without_its_manifest_is_passed_over(exports: ExportBucket, cache_path: Path):
    done = f"exports/actual/{NOV}/202611031200/guid-done"
    writing = f"exports/actual/{NOV}/202611041200/guid-writing"
    exports.upload(f"{done}/part_0_0001.csv", csv_bytes(EA_HEADER, [
        ea_row("11/02/2026", "sub-a", "Storage", "", "Usage", "8.00")]))
    exports.upload(f"{done}/manifest.json", manifest({f"{done}/part_0_0001.csv": 1}))
    exports.upload(f"{writing}/part_0_0001.csv", csv_bytes(EA_HEADER, [
        ea_row("11/02/2026", "sub-a", "Storage", "", "Usage", "1.00")]))

    load_once(exports.provider(), cache_path, NOV_START, NOV_END)

    assert per_day_service(cache_path) == {("2026-11-02", "Storage"): "8.00"}
