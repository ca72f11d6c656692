"""GCP provider: one aggregating, parameterised query over the standard Cloud Billing export in BigQuery."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from costtui.config import GcpConfig
from costtui.model import CostRow, FetchResult, ReplaceScope
from costtui.providers.base import FetchContext, ProviderError, RefreshPolicy
from costtui.providers.focus_mapping import bigquery_category_sql
from costtui.tagrules import TagRules

# project (optionally domain-scoped, "example.com:proj") . dataset . table. The table name is
# formatted into the SQL (BigQuery takes no parameter for it), so nothing else may pass.
TABLE_PATTERN = re.compile(
    r"^(?P<project>(?:[a-z][a-z0-9.-]{0,62}:)?[a-z][a-z0-9-]{4,28}[a-z0-9])"
    r"\.(?P<dataset>[A-Za-z0-9_]{1,1024})\.(?P<table>[A-Za-z0-9_-]{1,1024})$"
)

# The export is ingestion-time partitioned: a row lands in the partition of the day it was
# exported, never before its usage started (one day of margin for time zones), but possibly
# days or weeks later (late usage, credits, month-end adjustments). So the partition filter has
# a lower bound only; refresh windows end today, where an upper bound would prune nothing.
# cost is FLOAT64: each value is cast to NUMERIC before summing, so sums are exact decimals.
# NUMERIC(38, 9) is exactly BigQuery's NUMERIC; spelled out because the emulator's plain
# NUMERIC keeps only 3 decimals (as does any NUMERIC near a DATE_ADD/DATE_SUB, hence the
# TIMESTAMP_ADD/SUB below, which mean the same in BigQuery: days are UTC days).
QUERY_TEMPLATE = """
WITH daily AS (
  SELECT
    DATE(usage_start_time) AS usage_day,
    billing_account_id AS billing_account,
    COALESCE(project.id, billing_account_id) AS project_id,
    MAX(COALESCE(project.name, project.id, billing_account_id)) AS project_name,
    COALESCE(service.description, service.id) AS service_name,
    COALESCE(location.region, location.location, 'global') AS region_name,
    {category} AS cost_category,
    currency AS currency_code,
    SUM(CAST(cost AS NUMERIC(38, 9))) AS cost_total,
    SUM((SELECT SUM(CAST(credit.amount AS NUMERIC(38, 9))) FROM UNNEST(credits) AS credit)) AS credit_total{daily_tags}
  FROM {source}
  WHERE {partition} >= TIMESTAMP_SUB(TIMESTAMP(@start), INTERVAL 1 DAY)
    AND usage_start_time >= TIMESTAMP(@start)
    AND usage_start_time < TIMESTAMP_ADD(TIMESTAMP(@end), INTERVAL 1 DAY)
  GROUP BY 1, 2, 3, 5, 6, 7, 8{daily_group}
)
SELECT
  usage_day AS charge_date, billing_account AS billing_account_id, project_id AS account_id,
  MAX(project_name) AS account_name, service_name AS service, region_name AS region,
  amount.category AS charge_category, currency_code AS currency, SUM(amount.value) AS cost{tags}
FROM daily, UNNEST([
  STRUCT(daily.cost_category AS category, daily.cost_total AS value),
  STRUCT('Credit' AS category, daily.credit_total AS value)
]) AS amount
WHERE amount.value IS NOT NULL
GROUP BY 1, 2, 3, 5, 6, 7, 8{group}
"""
# With tags, the export is read through a subquery picking each configured key once per line
# (GROUP BY takes no subquery): the line's own labels first (the key, then its aliases), then
# its project's labels (the same order) when the resource lacks the key. Only the columns the
# query reads are selected, so the bytes billed grow by the labels alone.
TAGGED_SOURCE = """(
    SELECT _PARTITIONTIME AS export_partition, usage_start_time, billing_account_id, project, service,
           location, cost_type, currency, cost, credits{picks}
    FROM `{table}`
    WHERE _PARTITIONTIME >= TIMESTAMP_SUB(TIMESTAMP(@start), INTERVAL 1 DAY))"""

NO_CREDENTIALS_HINT = "gcloud auth application-default login or GOOGLE_APPLICATION_CREDENTIALS"
PERMISSION_HINT = "roles/bigquery.jobUser on the project and roles/bigquery.dataViewer on the dataset"
CALL_TIMEOUT_S = 60.0  # one HTTP request (a black-holed endpoint fails after this, then retries)
CONNECT_RETRIES = 2  # a connection refused or not resolved is retried twice, quickly, then fails
CHECK_DEADLINE_S = 10.0
PAGE_SIZE = 20_000


def validate_table(table: str | None) -> str:
    """The fully-qualified table name, or a ProviderError saying what is wrong with it."""
    if not table or not TABLE_PATTERN.match(table):
        raise ProviderError(
            f"GCP table {table!r} is not a fully-qualified BigQuery table",
            kind="config",
            hint='set providers.gcp.table to "project.dataset.gcp_billing_export_v1_XXXXXX_XXXXXX_XXXXXX"',
        )
    return table


def build_query(table: str, tags: TagRules | None = None) -> str:
    """The export query for a validated table; the day range comes as @start/@end parameters, the
    tag key spellings as @tag_<i>_<j> (see tag_parameters)."""
    table = validate_table(table)
    keys = tags.keys if tags else ()
    if not keys:
        return QUERY_TEMPLATE.format(
            source=f"`{table}`", partition="_PARTITIONTIME", category=bigquery_category_sql("cost_type"),
            daily_tags="", daily_group="", tags="", group="",
        )
    picks = "".join(f",\n           {_label_pick(i, len(tags.spellings(k)))} AS tag_{i}" for i, k in enumerate(keys))
    return QUERY_TEMPLATE.format(
        source=TAGGED_SOURCE.format(table=table, picks=picks),
        partition="export_partition",
        category=bigquery_category_sql("cost_type"),
        daily_tags="".join(f", tag_{i}" for i in range(len(keys))),
        daily_group="".join(f", {11 + i}" for i in range(len(keys))),
        tags="".join(f", tag_{i}" for i in range(len(keys))),
        group="".join(f", {10 + i}" for i in range(len(keys))),
    )


def _label_pick(index: int, spellings: int) -> str:
    """The first non-empty label value among the spellings of key `index`: resource, then project."""
    lookups = [
        f"(SELECT l.value FROM UNNEST({labels}) AS l WHERE TRIM(l.key) = @tag_{index}_{j} AND l.value != '' LIMIT 1)"
        for labels in ("labels", "project.labels")
        for j in range(spellings)
    ]
    return f"COALESCE({', '.join(lookups)})"


def tag_parameters(tags: TagRules) -> list[tuple[str, str]]:
    """(parameter name, key spelling) of every configured key's spellings, as build_query names them."""
    return [(f"tag_{i}_{j}", spelling) for i, key in enumerate(tags.keys) for j, spelling in enumerate(tags.spellings(key))]


class GcpBillingExportProvider:
    """Daily cost rows from the standard usage cost export (gcp_billing_export_v1_*).

    billed = effective: the standard export has no amortised cost. Credits are rows of
    their own (charge_category Credit, negative)."""

    name = "gcp"
    source = "bigquery"

    def __init__(self, config: GcpConfig) -> None:
        self.config = config
        self.table = validate_table(config.table)
        self.project_id = config.project_id or TABLE_PATTERN.match(self.table).group("project")
        self.policy = RefreshPolicy(
            restatement_days=config.restatement_days, timeout_seconds=config.timeout_seconds
        )
        self._client: Any = None

    def _bigquery_client(self) -> Any:
        if self._client is None:
            from google.cloud import bigquery

            credentials = None
            if self.config.anonymous:
                from google.auth.credentials import AnonymousCredentials

                credentials = AnonymousCredentials()
            options = {"api_endpoint": self.config.api_endpoint} if self.config.api_endpoint else None
            with translate_errors(self.table):
                self._client = bigquery.Client(
                    project=self.project_id,
                    credentials=credentials,
                    location=self.config.location,
                    client_options=options,
                )
        return self._client

    def check_auth(self) -> None:
        """Read the table's metadata, then dry-run the real query (free): this needs the
        same permissions, schema and location as a fetch."""
        client = self._bigquery_client()
        retry = BoundedRetries(CHECK_DEADLINE_S).api
        with translate_errors(self.table):
            client.get_table(self.table, retry=retry, timeout=CHECK_DEADLINE_S)
            end = date.today()
            client.query(
                build_query(self.table),
                job_config=self._job_config(end - timedelta(days=1), end, dry_run=True),
                retry=retry,
                job_retry=None,
                timeout=CHECK_DEADLINE_S,
            )

    def fetch(self, context: FetchContext) -> FetchResult:
        client = self._bigquery_client()
        seconds = context.seconds_left(self.config.timeout_seconds)
        retries = BoundedRetries(seconds)
        call_timeout = min(CALL_TIMEOUT_S, seconds)
        with translate_errors(self.table, api_calls=1):
            job = client.query(
                build_query(self.table, context.tags),
                job_config=self._job_config(context.start, context.end, tags=context.tags),
                retry=retries.api,
                # None here: the insert would otherwise be wrapped in the library's own retry of
                # connection errors (minutes long); result() still re-runs a failed job below.
                job_retry=None,
                timeout=call_timeout,
            )
            result = job.result(
                page_size=PAGE_SIZE, retry=retries.api, job_retry=retries.job,
                timeout=context.seconds_left(self.config.timeout_seconds),
            )
            rows = [self._cost_row(record, context.tags.keys) for record in result]
        return FetchResult(
            provider=self.name,
            scopes=[ReplaceScope(self.name, context.start, context.end)],
            rows=rows,
            api_calls=1,
            bytes_processed=job.total_bytes_processed,
        )

    def _job_config(self, start: date, end: date, dry_run: bool = False, tags: TagRules | None = None) -> Any:
        from google.cloud import bigquery

        return bigquery.QueryJobConfig(
            query_parameters=[
                bigquery.ScalarQueryParameter("start", "DATE", start),
                bigquery.ScalarQueryParameter("end", "DATE", end),
                *(bigquery.ScalarQueryParameter(name, "STRING", value) for name, value in tag_parameters(tags or TagRules())),
            ],
            dry_run=dry_run,
        )

    def _cost_row(self, record: Any, tag_keys: tuple[str, ...] = ()) -> CostRow:
        cost = _decimal(record["cost"])
        tags = {key: record[f"tag_{i}"] for i, key in enumerate(tag_keys) if record[f"tag_{i}"]}
        return CostRow(
            charge_date=record["charge_date"],
            provider=self.name,
            billing_account_id=record["billing_account_id"] or "",
            account_id=record["account_id"] or "",
            account_name=record["account_name"] or "",
            service=record["service"] or "Unknown",
            region=record["region"],
            charge_category=record["charge_category"],
            billed_cost=cost,
            effective_cost=cost,
            currency=record["currency"],
            tags=tags,
        )


class BoundedRetries:
    """The API and job retries of one fetch, sharing one budget: rate limits and backend errors
    back off (0.5 s doubling to 30 s) until `seconds` have passed; a connection that cannot be
    opened (refused, name not resolved) is retried CONNECT_RETRIES times in all, not for minutes."""

    def __init__(self, seconds: float) -> None:
        from google.api_core.retry import Retry
        from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY, DEFAULT_RETRY

        self._connect_failures = 0
        self.api = Retry(predicate=self._judge(DEFAULT_RETRY._predicate), initial=0.5, maximum=30.0,
                         multiplier=2.0, timeout=seconds)
        self.job = Retry(predicate=self._judge(DEFAULT_JOB_RETRY._predicate), initial=0.5, maximum=30.0,
                         multiplier=2.0, timeout=seconds)

    def _judge(self, retryable: Any) -> Any:
        def predicate(exc: BaseException) -> bool:
            if _no_connection(exc):
                self._connect_failures += 1
                return self._connect_failures <= CONNECT_RETRIES
            return retryable(exc)

        return predicate


def _no_connection(exc: BaseException) -> bool:
    """No connection could be opened (a read that timed out is not this: it gets the deadline)."""
    import requests
    from google.api_core.exceptions import RetryError

    if isinstance(exc, RetryError) and exc.cause is not None:
        exc = exc.cause
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return False
    return isinstance(exc, requests.exceptions.ConnectionError | ConnectionError)


def _decimal(value: Any) -> Decimal:
    # NUMERIC arrives as Decimal; anything else is converted through its text, never float maths.
    return value if isinstance(value, Decimal) else Decimal(str(value))


@contextmanager
def translate_errors(table: str, api_calls: int = 0) -> Iterator[None]:
    """Turns google-auth and BigQuery errors raised in the block into a ProviderError."""
    try:
        yield
    except ProviderError:
        raise
    except Exception as exc:
        raise provider_error(exc, table, api_calls) from exc


def provider_error(exc: Exception, table: str, api_calls: int = 0) -> ProviderError:
    """The ProviderError for one SDK exception; messages are summaries, never credentials."""
    import requests
    from google.api_core import exceptions as api
    from google.auth import exceptions as auth

    def error(message: str, kind: str, hint: str | None = None) -> ProviderError:
        return ProviderError(message, kind=kind, hint=hint, api_calls=api_calls)

    if isinstance(exc, auth.DefaultCredentialsError):
        return error("no Google credentials found", "no_credentials", NO_CREDENTIALS_HINT)
    if isinstance(exc, auth.RefreshError | api.Unauthorized):
        return error("Google credentials were refused or have expired", "expired_credentials",
                     NO_CREDENTIALS_HINT)
    if isinstance(exc, api.NotFound):
        return error(f"BigQuery table {table} not found (check project, dataset, table and location)",
                     "not_found", "set providers.gcp.table and providers.gcp.location to the export's")
    if isinstance(exc, api.Forbidden):
        reasons = _reasons(exc)
        if reasons & {"quotaExceeded", "rateLimitExceeded"}:
            return error(f"BigQuery quota exceeded: {_summary(exc)}", "throttled", "retry later")
        return error(f"permission denied querying {table}: {_summary(exc)}", "permission_denied",
                     PERMISSION_HINT)
    if isinstance(exc, api.BadRequest):
        return error(f"BigQuery rejected the query on {table}: {_summary(exc)}", "invalid_table",
                     "providers.gcp.table must be the standard usage cost export table "
                     "(gcp_billing_export_v1_*), not a view or the detailed export")
    cause = exc.cause if isinstance(exc, api.RetryError) else exc
    if isinstance(cause, api.TooManyRequests) or _reasons(cause) & {"rateLimitExceeded", "quotaExceeded"}:
        return error(f"BigQuery kept rate-limiting the query until the deadline: {_summary(cause)}", "throttled",
                     "retry later, or raise providers.gcp.timeout_seconds")
    if isinstance(exc, api.RetryError | requests.exceptions.ConnectionError | requests.exceptions.Timeout
                  | api.ServiceUnavailable | api.GatewayTimeout | TimeoutError):
        return error("BigQuery is unreachable", "unreachable",
                     "check the network, proxy settings or providers.gcp.api_endpoint")
    if isinstance(exc, api.GoogleAPIError):
        return error(f"BigQuery error: {_summary(exc)}", "error")
    return error(f"unexpected {type(exc).__name__} from BigQuery: {exc}", "unexpected")


def _reasons(exc: Any) -> set[str]:
    errors: Iterable[dict] = getattr(exc, "errors", None) or []
    return {str(item.get("reason")) for item in errors if isinstance(item, dict)}


def _summary(exc: Any) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return str(message).splitlines()[0][:300]
