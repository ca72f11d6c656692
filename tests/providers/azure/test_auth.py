"""check_auth() says exactly what is wrong with the Azure setup, without leaking the secret."""

from __future__ import annotations

import base64

import pytest

from costtui.config import AzureConfig
from costtui.providers.azure.exports import AzureExportsProvider
from costtui.providers.base import ProviderError
from tests.providers.azure.conftest import (
    ACCOUNT_KEY,
    ENV_VAR,
    ExportBucket,
    connection_string,
    csv_bytes,
    free_port,
    unset_azure_identity_env,
)

pytestmark = pytest.mark.emulator


def auth_error(provider: AzureExportsProvider) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        provider.check_auth()
    return caught.value


def test_a_readable_export_folder_passes(exports: ExportBucket):
    exports.upload("exports/actual/20261101-20261130/guid/part_0_0001.csv", csv_bytes(["Date"], [["11/01/2026"]]))

    exports.provider().check_auth()


def test_missing_container_is_not_found_naming_it(exports: ExportBucket):
    error = auth_error(exports.provider(container="no-such-container"))

    assert error.kind == "not_found"
    assert "'no-such-container' not found" in str(error)
    assert "providers.azure.container" in error.hint


def test_empty_export_folder_is_not_found_naming_the_path(exports: ExportBucket):
    error = auth_error(exports.provider(path="exports/typo"))

    assert error.kind == "not_found"
    assert "exports/typo/" in str(error)


def test_unset_connection_string_variable_is_no_credentials_naming_the_variable(
    exports: ExportBucket, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv(ENV_VAR)

    error = auth_error(exports.provider())

    assert error.kind == "no_credentials"
    assert ENV_VAR in str(error)


def test_wrong_account_key_is_permission_denied_without_echoing_the_key(
    exports: ExportBucket, monkeypatch: pytest.MonkeyPatch
):
    wrong_key = base64.b64encode(b"not-the-key-" * 5).decode()
    monkeypatch.setenv(ENV_VAR, connection_string(exports.port, wrong_key))

    error = auth_error(exports.provider())

    assert error.kind == "permission_denied"
    assert "Storage Blob Data Reader" in str(error)
    assert wrong_key not in str(error) and ACCOUNT_KEY not in str(error)


def test_malformed_connection_string_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(ENV_VAR, "AccountKey=secret-value-123")
    provider = AzureExportsProvider(
        AzureConfig(enabled=True, connection_string_env=ENV_VAR, container="c"), retry_total=0
    )

    error = auth_error(provider)

    assert error.kind == "no_credentials"
    assert ENV_VAR in str(error) and "secret-value-123" not in str(error)


def test_closed_port_is_unreachable(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(ENV_VAR, connection_string(free_port()))
    provider = AzureExportsProvider(
        AzureConfig(enabled=True, connection_string_env=ENV_VAR, container="c"), retry_total=0
    )

    error = auth_error(provider)

    assert error.kind == "unreachable"
    assert "127.0.0.1" in str(error)


def test_no_azure_identity_is_no_credentials_with_login_hint(monkeypatch: pytest.MonkeyPatch):
    unset_azure_identity_env(monkeypatch)
    monkeypatch.setenv("PATH", "/nonexistent")  # no az, azd or pwsh to ask for a token
    provider = AzureExportsProvider(
        AzureConfig(enabled=True, account_url=f"https://127.0.0.1:{free_port()}/acct", container="c"),
        retry_total=0,
    )

    error = auth_error(provider)

    assert error.kind == "no_credentials"
    assert "az login" in error.hint and "AZURE_CLIENT_ID" in error.hint

