"""check_auth and fetch failures: each becomes a ProviderError that says what failed and how to fix it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from google.api_core import exceptions as api
from google.cloud import bigquery

from costtui.config import GcpConfig
from costtui.providers import gcp
from costtui.providers.base import FetchContext, ProviderError
from costtui.providers.gcp import GcpBillingExportProvider, provider_error
from tests.providers.gcp.conftest import DATASET, PROJECT, free_port

MISSING_TABLE = f"{PROJECT}.{DATASET}.gcp_billing_export_v1_000000_000000_000000"


def auth_error(config: GcpConfig) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        GcpBillingExportProvider(config).check_auth()
    return caught.value


def test_check_auth_passes_on_the_export_table(gcp_config: GcpConfig) -> None:
    assert GcpBillingExportProvider(gcp_config).check_auth() is None


def test_missing_table_is_not_found_and_named(gcp_config: GcpConfig) -> None:
    error = auth_error(replace(gcp_config, table=MISSING_TABLE))
    assert error.kind == "not_found"
    assert MISSING_TABLE in str(error)


def test_missing_dataset_is_not_found(gcp_config: GcpConfig) -> None:
    table = f"{PROJECT}.no_such_dataset.gcp_billing_export_v1_01ABCD"
    error = auth_error(replace(gcp_config, table=table))
    assert error.kind == "not_found" and table in str(error)


def test_fetch_from_a_missing_table_fails_and_counts_the_job(gcp_config: GcpConfig, tmp_path: Path) -> None:
    provider = GcpBillingExportProvider(replace(gcp_config, table=MISSING_TABLE))
    with pytest.raises(ProviderError) as caught:
        provider.fetch(FetchContext(date(2024, 3, 1), date(2024, 3, 3), tmp_path))
    assert caught.value.kind == "not_found"
    assert caught.value.api_calls == 1


def test_a_table_that_is_not_a_billing_export_is_explained(
    gcp_config: GcpConfig, bq_client: bigquery.Client
) -> None:
    table_id = f"{PROJECT}.{DATASET}.not_an_export"
    bq_client.create_table(
        bigquery.Table(table_id, schema=[bigquery.SchemaField("amount", "FLOAT")]), exists_ok=True
    )
    error = auth_error(replace(gcp_config, table=table_id))
    assert error.kind == "invalid_table"
    assert "standard usage cost export" in (error.hint or "")


def test_no_credentials_gives_the_gcloud_hint(
    gcp_config: GcpConfig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))  # no application-default login
    monkeypatch.setattr("google.auth.compute_engine._metadata._NO_GCE_CHECK", True)  # not on GCE
    error = auth_error(replace(gcp_config, anonymous=False))
    assert error.kind == "no_credentials"
    assert "gcloud auth application-default login" in (error.hint or "")
    assert "GOOGLE_APPLICATION_CREDENTIALS" in (error.hint or "")


def test_unreachable_endpoint(gcp_config: GcpConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gcp, "CHECK_DEADLINE_S", 1.0)
    closed = f"http://127.0.0.1:{free_port()}"
    error = auth_error(replace(gcp_config, api_endpoint=closed))
    assert error.kind == "unreachable"


def test_access_denied_names_the_roles_to_grant() -> None:
    denied = api.Forbidden(
        "Access Denied: Table billing-project:billing_export.gcp_billing_export_v1: "
        "User does not have permission to query table",
        errors=[{"reason": "accessDenied"}],
    )
    error = provider_error(denied, "billing-project.billing_export.gcp_billing_export_v1")
    assert error.kind == "permission_denied"
    assert "roles/bigquery.jobUser" in (error.hint or "")
    assert "roles/bigquery.dataViewer" in (error.hint or "")


def test_quota_exceeded_is_not_mistaken_for_a_permission_problem() -> None:
    quota = api.Forbidden("Quota exceeded: Your project exceeded quota for free query bytes scanned",
                          errors=[{"reason": "quotaExceeded"}])
    assert provider_error(quota, "p.d.t").kind == "throttled"
