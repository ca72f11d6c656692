"""GCP labels as tags, through the BigQuery emulator: the line's `labels` (key/value array), its
project's labels when the line lacks the key, aliases and trimmed keys; per-tag totals equal the export's."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from costtui.config import GcpConfig
from costtui.providers.base import FetchContext
from costtui.providers.gcp import GcpBillingExportProvider
from costtui.tagrules import TagRules
from tests.providers.gcp.billing_rows import WINDOW, day_of, line
from tests.providers.gcp.conftest import DATASET, PROJECT

RULES = TagRules(("team", "cost-center", "environment"), {"environment": ("env",)})


def labelled(row: dict, labels: list[tuple[str, str]], project_labels: list[tuple[str, str]]) -> dict:
    row = dict(row)
    row["labels"] = [{"key": k, "value": v} for k, v in labels]
    row["project"] = dict(row["project"], labels=[{"key": k, "value": v} for k, v in project_labels])
    return row


LINES = [
    labelled(line("2024-03-01T10:00:00", "shop-prod", "Compute Engine", "100.10", credits=(("SUD", "-10.01"),)),
             [("team", "web"), ("env", "prod")], [("cost-center", "cc-1"), ("team", "platform")]),
    labelled(line("2024-03-01T11:00:00", "shop-prod", "Cloud Storage", "20.00"),
             [(" team", "data"), ("environment", "prod"), ("env", "dev")], [("cost-center", "cc-1")]),
    labelled(line("2024-03-02T09:00:00", "shop-dev", "Compute Engine", "7.77", region="europe-west1"),
             [], [("team", "platform")]),  # the project's label stands in for the line's
    labelled(line("2024-03-02T10:00:00", "shop-dev", "BigQuery", "5.50"),
             [("team", "")], []),  # an empty value is untagged
    labelled(line("2024-03-03T00:00:00", "shop-prod", "Compute Engine", "14.30", region=None, cost_type="tax"),
             [], []),
]


def expected(key: str) -> dict[str | None, Decimal]:
    totals: dict[str | None, Decimal] = defaultdict(Decimal)
    for row in LINES:
        own = {entry["key"].strip(): entry["value"] for entry in row["labels"] if entry["value"]}
        project = {entry["key"].strip(): entry["value"] for entry in row["project"]["labels"] if entry["value"]}
        spellings = RULES.spellings(key)
        value = next((own[s] for s in spellings if s in own), None) or next(
            (project[s] for s in spellings if s in project), None)
        amount = Decimal(row["cost"]) + sum((Decimal(c["amount"]) for c in row["credits"]), Decimal(0))
        if WINDOW[0] <= day_of(row) <= WINDOW[1]:
            totals[value] += amount
    return dict(totals)


@pytest.fixture(scope="module")
def labels_table(load_export: Callable[[str, list[dict]], str]) -> str:
    return load_export(f"{PROJECT}.{DATASET}.gcp_billing_export_v1_labels", LINES)


def test_per_label_totals_equal_the_exports_untagged_included(
    labels_table: str, gcp_config: GcpConfig, tmp_path: Path
) -> None:
    config = GcpConfig(**{**gcp_config.__dict__, "table": labels_table})
    result = GcpBillingExportProvider(config).fetch(FetchContext(*WINDOW, tmp_path, tags=RULES))
    for key in RULES.keys:
        stored: dict[str | None, Decimal] = defaultdict(Decimal)
        for row in result.rows:
            stored[row.tags.get(key)] += row.billed_cost
        assert dict(stored) == expected(key), key
    by_team = {(r.service, r.charge_category, r.tags.get("team")) for r in result.rows if r.charge_date == WINDOW[0]}
    assert ("Compute Engine", "Credit", "web") in by_team  # a credit keeps its line's labels
    assert expected("team")[None] == Decimal("19.80")  # the empty label and the untagged tax line


def test_without_tag_keys_rows_carry_no_tags(labels_table: str, gcp_config: GcpConfig, tmp_path: Path) -> None:
    config = GcpConfig(**{**gcp_config.__dict__, "table": labels_table})
    result = GcpBillingExportProvider(config).fetch(FetchContext(*WINDOW, tmp_path))
    assert all(not row.tags for row in result.rows)
    assert sum(r.billed_cost for r in result.rows) == sum(expected("team").values())
