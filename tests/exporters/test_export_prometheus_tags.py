"""Prometheus and allocation tags: costtui_tag_coverage_ratio per provider and key whenever the cache
has tags, opt-in tag labels (export.tag_labels) on a month-to-date gauge, promtool-clean, and the
default output of an untagged cache unchanged."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from tests.exporters.test_export_prometheus import export, samples
from tests.faces import require_binary

ALLOCATION = "demo_today = 2026-11-15\n[allocation]\ntag_keys = [\"team\", \"environment\"]\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def exposition(config: Path, cache: Path, tmp_path: Path) -> str:
    output = tmp_path / "costtui.prom"
    assert export(config, cache, "--output", str(output)) == 0
    return output.read_text()


def test_coverage_is_the_share_of_month_to_date_spend_per_provider_and_key(tmp_path, tagged_cache):
    got = samples(exposition(write(tmp_path, ALLOCATION), tagged_cache, tmp_path))
    coverage = {(dict(labels)["cloud_provider"], dict(labels)["tag_key"]): value
                for (name, labels), value in got.items() if name == "costtui_tag_coverage_ratio"}
    # aws month to date: 1504.00, of which team-tagged 1490.00 (EC2 net of its credit, S3), environment 1350.00
    assert coverage == pytest.approx({("aws", "team"): float(Decimal("1490") / Decimal("1504")),
                                      ("aws", "environment"): float(Decimal("1350") / Decimal("1504")),
                                      ("azure", "team"): 1.0, ("azure", "environment"): 1.0})
    assert not any(name == "costtui_month_to_date_cost_by_tag" for name, _ in got)  # labels are opt-in


def test_tag_labels_add_a_month_to_date_gauge_by_the_chosen_keys(tmp_path, tagged_cache):
    config = write(tmp_path, ALLOCATION + "[export]\ntag_labels = [\"team\"]\n")
    got = samples(exposition(config, tagged_cache, tmp_path))
    by_tag = {tuple(sorted(dict(labels).items())): value for (name, labels), value in got.items()
              if name == "costtui_month_to_date_cost_by_tag"}
    assert by_tag == {
        (("cloud_provider", "aws"), ("currency", "USD"), ("tag_team", "payments")): 1350.0,
        (("cloud_provider", "aws"), ("currency", "USD"), ("tag_team", "search")): 140.0,
        (("cloud_provider", "aws"), ("currency", "USD"), ("tag_team", "")): 14.0,
        (("cloud_provider", "azure"), ("currency", "EUR"), ("tag_team", "payments")): 60.0,
    }
    mtd = sum(v for (name, labels), v in got.items()
              if name == "costtui_month_to_date_cost" and dict(labels)["currency"] == "USD")
    assert sum(v for k, v in by_tag.items() if ("currency", "USD") in k) == pytest.approx(mtd)


def test_promtool_accepts_the_tag_metrics(tmp_path, tagged_cache):
    promtool = require_binary("promtool")
    config = write(tmp_path, ALLOCATION + "[export]\ntag_labels = [\"team\", \"environment\"]\n")
    text = exposition(config, tagged_cache, tmp_path)
    assert "costtui_tag_coverage_ratio" in text and "costtui_month_to_date_cost_by_tag" in text
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_untagged_cache_exports_exactly_what_it_did(tmp_path, known_cache):
    text = exposition(write(tmp_path, "demo_today = 2026-11-15\n"), known_cache, tmp_path)
    assert "tag" not in text


def test_a_tag_label_that_is_not_a_configured_key_is_a_config_error(tmp_path, tagged_cache, capsys):
    config = write(tmp_path, ALLOCATION + "[export]\ntag_labels = [\"owner\"]\n")
    assert export(config, tagged_cache) == 2
    assert "export.tag_labels.0: not one of allocation.tag_keys (got 'owner')" in capsys.readouterr().err
