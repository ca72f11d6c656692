"""Azure Cost Management exports in Blob Storage (EA, MCA, FOCUS) as daily cost rows.

Runs live under `<path>/<YYYYMMDD-YYYYMMDD>/[<runTimestamp>/]<runGuid>/`. For each date range
overlapping the fetch window the newest run is read (see ExportRun.order_key), through its
manifest when there is one. Files are reduced inside DuckDB, never row by row in Python. A run
replaces its whole date range in the cache (ReplaceScope per billing account), so a newer run
of a range restates it and nothing is counted twice; ranges whose blobs all kept their ETags
are skipped and their cached rows stay."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from azure.core import MatchConditions
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.storage.blob import ContainerClient

from costtui.config import AzureConfig
from costtui.model import FetchResult, ReplaceScope
from costtui.providers.azure.ingest import RunIngest
from costtui.providers.azure.retry import BoundedRetry
from costtui.providers.azure.runs import (
    BlobInfo,
    ExportRun,
    group_runs,
    newest_runs,
    overlap_clusters,
    parse_manifest,
)
from costtui.providers.base import FetchContext, ProviderError, RefreshPolicy

PERMISSION_HINT = "grant Storage Blob Data Reader on the storage account or container"
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 60
THROTTLED_STATUSES = {429, 500, 503}  # ServerBusy, OperationTimedOut, InternalError: busy, not broken
CREDENTIAL_HINT = (
    "az login, or set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET (or a managed identity)"
)


class AzureExportsProvider:
    name = "azure"
    source = "exports"

    def __init__(self, config: AzureConfig, retry_total: int = 8) -> None:
        self.config = config
        self._retry = BoundedRetry(retry_total)
        self._client: ContainerClient | None = None
        self._calls = 0

    @property
    def policy(self) -> RefreshPolicy:
        # Export runs restate whole ranges and unchanged runs are skipped by ETag: a few days suffice.
        return RefreshPolicy(restatement_days=3, timeout_seconds=self.config.timeout_seconds)

    # -- credentials and errors ------------------------------------------------------------

    def _container(self) -> ContainerClient:
        if self._client is not None:
            return self._client
        config = self.config
        if not config.container:
            raise ProviderError(
                "providers.azure.container is not set",
                kind="config",
                hint="name the container the export writes to",
            )
        options = {
            "retry_policy": self._retry,
            "connection_timeout": CONNECT_TIMEOUT_S,
            # One read never waits longer than the whole fetch may take.
            "read_timeout": min(READ_TIMEOUT_S, config.timeout_seconds),
        }
        if config.api_version:
            options["api_version"] = config.api_version
        if config.connection_string_env:
            variable = config.connection_string_env
            connection_string = os.environ.get(variable)
            if not connection_string:
                raise ProviderError(
                    f"environment variable {variable} (providers.azure.connection_string_env) is not set",
                    kind="no_credentials",
                    hint=f"export {variable} with the storage account's connection string",
                )
            try:
                self._client = ContainerClient.from_connection_string(
                    connection_string, config.container, **options
                )
            except ValueError:
                raise ProviderError(
                    f"environment variable {variable} does not hold a valid storage connection string",
                    kind="no_credentials",
                    hint="copy it from the storage account's Access keys page",
                ) from None
        elif config.account_url:
            from azure.identity import DefaultAzureCredential

            # Its warning lists every credential tried on stderr (and over a TUI); the
            # ProviderError below says what failed and how to fix it.
            logging.getLogger("azure.identity").setLevel(logging.ERROR)
            self._client = ContainerClient(
                config.account_url, config.container, credential=DefaultAzureCredential(), **options
            )
        else:
            raise ProviderError(
                "providers.azure needs account_url or connection_string_env",
                kind="config",
                hint='set account_url = "https://<account>.blob.core.windows.net"',
            )
        return self._client

    def _where(self) -> str:
        client = self._container()
        return (
            f"container {self.config.container!r} in storage account {client.account_name} "
            f"({client.scheme}://{client.primary_hostname})"
        )

    @contextmanager
    def _sdk_errors(self, action: str) -> Iterator[None]:
        """Turn Azure SDK errors into ProviderErrors; SDK messages may carry URLs with SAS
        tokens, so they are summarised, never echoed."""
        try:
            yield
        except ProviderError:
            raise
        except ResourceModifiedError:
            raise ProviderError(
                f"{action}: the blob changed while being read",
                kind="conflict",
                hint="the export is being rewritten; refresh again in a minute",
            ) from None
        except ResourceNotFoundError as exc:
            if exc.error_code == "ContainerNotFound":
                raise ProviderError(
                    f"{action}: container {self.config.container!r} not found "
                    f"in storage account {self._container().account_name}",
                    kind="not_found",
                    hint="check providers.azure.container (and account_url)",
                ) from None
            raise ProviderError(
                f"{action}: not found ({exc.error_code or 'HTTP 404'})", kind="not_found"
            ) from None
        except ClientAuthenticationError as exc:
            if _is_credential_error(exc):
                raise ProviderError(
                    f"{action}: no Azure credential available (DefaultAzureCredential)",
                    kind="no_credentials",
                    hint=CREDENTIAL_HINT,
                ) from None
            raise ProviderError(
                f"{action}: permission denied on {self._where()} "
                f"({exc.error_code or 'HTTP ' + str(exc.status_code)})",
                kind="permission_denied",
                hint=PERMISSION_HINT,
            ) from None
        except HttpResponseError as exc:
            if exc.status_code == 403:
                raise ProviderError(
                    f"{action}: permission denied on {self._where()} ({exc.error_code})",
                    kind="permission_denied",
                    hint=PERMISSION_HINT,
                ) from None
            if exc.status_code in THROTTLED_STATUSES:
                raise ProviderError(
                    f"{action}: storage stayed busy (HTTP {exc.status_code} "
                    f"{getattr(exc.error_code, 'value', exc.error_code)}) after retries",
                    kind="throttled",
                    hint="retry later, or raise providers.azure.timeout_seconds",
                ) from None
            raise ProviderError(
                f"{action}: storage answered HTTP {exc.status_code} ({exc.error_code})", kind="http_error"
            ) from None
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise ProviderError(
                f"{action}: cannot reach {self._where()} ({type(exc).__name__})",
                kind="unreachable",
                hint="check account_url, the network or a firewall",
            ) from None

    # -- the provider protocol ---------------------------------------------------------------

    def check_auth(self) -> None:
        """List one blob of the export folder: proves credentials, permission, container and path."""
        container = self._container()
        prefix = _prefix(self.config.path)
        with self._sdk_errors(f"listing {self.config.container}/{prefix}"):
            first_page = next(container.list_blobs(name_starts_with=prefix, results_per_page=1).by_page(), [])
            found = list(first_page)
        if not found:
            raise ProviderError(
                f"no export files under {prefix or '/'} in {self._where()}",
                kind="not_found",
                hint="check providers.azure.path, or run the export once",
            )

    def fetch(self, context: FetchContext) -> FetchResult:
        self._calls = 0
        self._retry.deadline = context.deadline
        try:
            return self._fetch(context)
        except ProviderError as exc:
            exc.api_calls = self._calls
            raise

    def _fetch(self, context: FetchContext) -> FetchResult:
        config = self.config
        actual = self._chosen_runs(config.path, context)
        amortized: dict[str, ExportRun] = {}
        notes: list[str] = []
        if config.amortized_path and config.dataset == "actual":
            amortized = self._chosen_runs(config.amortized_path, context)
        elif config.amortized_path:
            notes.append("amortized_path ignored: a FOCUS export carries EffectiveCost itself")
        ingest = RunIngest(context.workdir, self._download, context.tags)
        scopes: list[ReplaceScope] = []
        ingested: dict[str, str] = {}
        for cluster in overlap_clusters(list(actual.values())):
            runs = [(run, amortized.get(run.range_key)) for run in cluster]
            objects = {
                blob.name: blob.etag
                for run, partner in runs
                for blob in run.all_blobs + (partner.all_blobs if partner else [])
            }
            if all(context.known_objects.get(name) == etag for name, etag in objects.items()):
                notes.append(f"unchanged, skipped: {', '.join(run.range_key for run in cluster)}")
                continue
            for run, partner in runs:
                ingest.add_run(run, "actual", self._manifest(run))
                if partner is not None:
                    ingest.add_run(partner, "amortized", self._manifest(partner), partner_of=run)
                elif config.amortized_path and config.dataset == "actual":
                    notes.append(f"no AmortizedCost run for {run.range_key}: effective = billed")
            ingested.update(objects)
        for run, accounts in ingest.billing_accounts():
            scopes.extend(
                ReplaceScope("azure", run.range_start, run.range_end, account) for account in accounts
            )
        parquet = context.workdir / "azure-costs.parquet"
        row_count = ingest.stage(parquet) if scopes else 0
        notes.extend(ingest.notes)
        return FetchResult(
            provider=self.name,
            scopes=scopes,
            parquet_files=[parquet] if scopes else [],
            api_calls=self._calls,
            bytes_processed=ingest.bytes_read,
            row_count=row_count,
            ingested_objects=ingested,
            notes=notes,
        )

    # -- discovery and downloads --------------------------------------------------------------

    def _chosen_runs(self, path: str, context: FetchContext) -> dict[str, ExportRun]:
        """The newest run of each date range overlapping the window."""
        prefix = _prefix(path)
        container = self._container()
        blobs: list[BlobInfo] = []
        with self._sdk_errors(f"listing {self.config.container}/{prefix}"):
            for page in container.list_blobs(name_starts_with=prefix).by_page():
                self._calls += 1
                blobs.extend(BlobInfo(b.name, b.etag, b.size, b.last_modified) for b in page)
        runs = [run for run in group_runs(prefix, blobs) if run.overlaps(context.start, context.end)]
        for run in runs:
            if run.run_timestamp is None and run.manifest_blob is not None:
                self._manifest(run)  # only the manifest can order runs without a timestamp folder
        return newest_runs(runs)

    def _manifest(self, run: ExportRun):
        if run.manifest_blob is None or run.manifest is not None:
            return run.manifest
        blob = run.manifest_blob
        with self._sdk_errors(f"reading manifest {blob.name}"):
            self._calls += 1
            text = (
                self._container()
                .download_blob(blob.name, etag=blob.etag, match_condition=MatchConditions.IfNotModified)
                .readall()
            )
        run.manifest = parse_manifest(blob.name, text, run)
        return run.manifest

    def _download(self, blob: BlobInfo, target: Path) -> None:
        with self._sdk_errors(f"downloading {blob.name}"):
            self._calls += 1
            stream = self._container().download_blob(
                blob.name, etag=blob.etag, match_condition=MatchConditions.IfNotModified, max_concurrency=4
            )
            with target.open("wb") as handle:
                stream.readinto(handle)


def _prefix(path: str) -> str:
    path = path.strip("/")
    return f"{path}/" if path else ""


def _is_credential_error(exc: ClientAuthenticationError) -> bool:
    """A token could not be obtained (no response from storage), as opposed to storage refusing."""
    from azure.identity import CredentialUnavailableError

    return isinstance(exc, CredentialUnavailableError) or getattr(exc, "response", None) is None
