"""Deterministic synthetic multi-cloud cost data, so costtui is useful with no credentials.

Series (account x service x region) get seeded parameters in Python; the daily rows
are expanded in DuckDB, so ten million rows take seconds, not minutes."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from costtui.model import FetchResult, ReplaceScope, add_months, tag_column
from costtui.providers.base import FetchContext, RefreshPolicy
from costtui.providers.engine import memory_engine, stage_parquet
from costtui.tagrules import TagRules

# (service, relative daily weight, follows the working week, regional or global)
AWS_SERVICES = [
    ("Amazon Elastic Compute Cloud - Compute", 40.0, True, True),
    ("Amazon Relational Database Service", 18.0, False, True),
    ("Amazon Simple Storage Service", 12.0, False, True),
    ("EC2 - Other", 8.0, True, True),
    ("Amazon Elastic Kubernetes Service", 6.0, False, True),
    ("Amazon DynamoDB", 5.0, True, True),
    ("Amazon CloudFront", 4.5, True, False),
    ("AWS Lambda", 3.0, True, True),
    ("Amazon ElastiCache", 3.5, False, True),
    ("Elastic Load Balancing", 3.0, False, True),
    ("Amazon Virtual Private Cloud", 2.5, False, True),
    ("AmazonCloudWatch", 2.2, False, True),
    ("Amazon OpenSearch Service", 2.8, False, True),
    ("Amazon Redshift", 4.0, False, True),
    ("AWS Glue", 1.6, True, True),
    ("Amazon Athena", 0.9, True, True),
    ("Amazon Kinesis", 1.2, False, True),
    ("Amazon Simple Queue Service", 0.6, True, True),
    ("Amazon Simple Notification Service", 0.3, True, True),
    ("AWS Key Management Service", 0.4, False, True),
    ("Amazon Route 53", 0.5, False, False),
    ("AWS Secrets Manager", 0.3, False, True),
    ("Amazon EC2 Container Registry (ECR)", 0.4, False, True),
    ("AWS CloudTrail", 0.3, False, True),
    ("Amazon GuardDuty", 0.7, False, True),
]
AZURE_SERVICES = [
    ("Virtual Machines", 38.0, True, True),
    ("Storage", 11.0, False, True),
    ("SQL Database", 14.0, False, True),
    ("Azure App Service", 7.0, False, True),
    ("Azure Kubernetes Service", 5.0, False, True),
    ("Azure Cosmos DB", 6.0, True, True),
    ("Bandwidth", 3.0, True, True),
    ("Virtual Network", 2.0, False, True),
    ("Log Analytics", 2.5, False, True),
    ("Azure Monitor", 1.2, False, True),
    ("Key Vault", 0.3, False, True),
    ("Functions", 1.1, True, True),
    ("Load Balancer", 1.0, False, True),
    ("Azure DNS", 0.2, False, False),
    ("Application Gateway", 2.1, False, True),
    ("Redis Cache", 1.8, False, True),
    ("Azure Database for PostgreSQL", 3.2, False, True),
    ("Event Hubs", 1.0, True, True),
    ("Service Bus", 0.6, True, True),
    ("Container Registry", 0.4, False, True),
    ("Azure Synapse Analytics", 2.4, True, True),
    ("Backup", 0.9, False, True),
    ("Azure Front Door Service", 1.3, True, False),
    ("Microsoft Defender for Cloud", 1.5, False, True),
]
GCP_SERVICES = [
    ("Compute Engine", 30.0, True, True),
    ("BigQuery", 12.0, True, True),
    ("Cloud Storage", 9.0, False, True),
    ("Kubernetes Engine", 7.0, False, True),
    ("Cloud SQL", 8.0, False, True),
    ("Networking", 4.0, True, True),
    ("Cloud Run", 2.5, True, True),
    ("Cloud Functions", 1.0, True, True),
    ("Vertex AI", 6.0, True, True),
    ("Cloud Logging", 1.8, False, True),
    ("Cloud Monitoring", 0.9, False, True),
    ("Cloud Pub/Sub", 1.2, True, True),
    ("Cloud Memorystore for Redis", 1.5, False, True),
    ("Artifact Registry", 0.5, False, True),
    ("Cloud Spanner", 4.5, False, True),
    ("Cloud Dataflow", 2.2, True, True),
    ("Cloud DNS", 0.2, False, False),
    ("Cloud Key Management Service (KMS)", 0.2, False, True),
    ("Secret Manager", 0.1, False, True),
    ("Cloud Build", 0.6, True, True),
    ("Cloud Firestore", 0.8, True, True),
    ("Cloud Dataproc", 1.4, True, True),
    ("Cloud Composer", 1.6, False, True),
]


@dataclass(frozen=True)
class DemoAccount:
    provider: str
    billing_account_id: str
    account_id: str
    account_name: str
    size: float  # scales every service of the account
    regions: tuple[str, ...]
    credit_rate: float = 0.0  # share of each day's cost returned as a credit
    savings_plan: bool = False


ACCOUNTS = [
    DemoAccount(
        "aws", "123456789012", "210987654321", "prod-web", 9.0, ("us-east-1", "eu-west-1"), 0.0, True
    ),
    DemoAccount("aws", "123456789012", "345678901234", "staging", 2.0, ("us-east-1",)),
    DemoAccount(
        "aws", "123456789012", "456789012345", "data-platform", 5.0, ("us-west-2", "eu-central-1"), 0.08
    ),
    DemoAccount("aws", "123456789012", "567890123456", "shared-services", 1.5, ("us-east-1", "us-east-2")),
    DemoAccount("aws", "123456789012", "678901234567", "sandbox", 0.6, ("ap-southeast-2",), 0.5),
    DemoAccount(
        "azure",
        "74839201",
        "3f2b8c1e-5d4a-4e7f-9a61-2c8b0d7e4f13",
        "Production",
        6.0,
        ("westeurope", "northeurope"),
    ),
    DemoAccount(
        "azure", "74839201", "8a9c6d2f-1b3e-4c5a-8f70-6e4d2b1a9c35", "Dev-Test", 1.8, ("westeurope",), 0.3
    ),
    DemoAccount(
        "azure", "74839201", "c1d5e7f9-2a4b-4d6e-8b0c-3f5a7c9e1b24", "Analytics", 3.0, ("eastus2", "uksouth")
    ),
    DemoAccount(
        "azure", "74839201", "e6f8a0b2-7c9d-4e1f-a3b5-9d1f3b5d7f46", "Corp-IT", 1.0, ("germanywestcentral",)
    ),
    DemoAccount(
        "gcp",
        "01A2B3-C4D5E6-F7A8B9",
        "acme-prod-web",
        "Acme Prod Web",
        5.0,
        ("us-central1", "europe-west1"),
        0.12,
    ),
    DemoAccount(
        "gcp", "01A2B3-C4D5E6-F7A8B9", "acme-data-lake", "Acme Data Lake", 4.0, ("us-central1",), 0.05
    ),
    DemoAccount(
        "gcp",
        "01A2B3-C4D5E6-F7A8B9",
        "acme-ml-training",
        "Acme ML Training",
        3.5,
        ("us-east1", "europe-west3"),
    ),
    DemoAccount("gcp", "01A2B3-C4D5E6-F7A8B9", "acme-staging", "Acme Staging", 1.2, ("us-central1",), 0.3),
]
SERVICES = {"aws": AWS_SERVICES, "azure": AZURE_SERVICES, "gcp": GCP_SERVICES}

# Allocation tags, as teams put them on resources: by account, some services owned by a
# specialist team. 11% of the usage series carry none, and tax and purchases never do: about
# 15% of the spend is untagged, as in a well-kept real estate.
DEMO_TAGS = TagRules(("team", "environment"))
"""The keys the demo stores when the config names none, so `costtui demo` shows tags."""
ACCOUNT_TAGS = {
    "prod-web": ("web", "production"), "staging": ("web", "staging"), "data-platform": ("data", "production"),
    "shared-services": ("platform", "production"), "sandbox": ("ml", "dev"),
    "Production": ("web", "production"), "Dev-Test": ("web", "dev"), "Analytics": ("data", "production"),
    "Corp-IT": ("it", "production"), "Acme Prod Web": ("web", "production"),
    "Acme Data Lake": ("data", "production"), "Acme ML Training": ("ml", "production"),
    "Acme Staging": ("web", "staging"),
}
SERVICE_TEAMS = {
    "Amazon Redshift": "data", "AWS Glue": "data", "Amazon Athena": "data", "Azure Synapse Analytics": "data",
    "BigQuery": "data", "Cloud Dataflow": "data", "Vertex AI": "ml", "Amazon GuardDuty": "security",
    "Microsoft Defender for Cloud": "security", "Key Vault": "security", "AWS Key Management Service": "security",
}
COST_CENTERS = {"web": "CC-1001", "data": "CC-2040", "platform": "CC-1100", "ml": "CC-2300", "it": "CC-0900",
                "security": "CC-0950"}
UNTAGGED_SHARE = 0.11


def demo_raw_tags(account: DemoAccount, service: str, rng: random.Random) -> dict[str, str]:
    """The tags a demo series' resources carry (empty: untagged)."""
    if rng.random() < UNTAGGED_SHARE:
        return {}
    team, environment = ACCOUNT_TAGS.get(account.account_name, ("web", "production"))
    team = SERVICE_TEAMS.get(service, team)
    application = service.split(" - ")[0].removeprefix("Amazon ").removeprefix("Azure ").lower().replace(" ", "-")
    return {"team": team, "environment": environment, "cost_center": COST_CENTERS[team], "application": application}
GLOBAL_REGION = {"aws": "global", "azure": "global", "gcp": "global"}
DEMO_PROVIDERS = ("aws", "azure", "gcp")
HISTORY_MONTHS = 13


def demo_window(today: date) -> tuple[date, date]:
    """Thirteen months back through yesterday, the last complete day."""
    return add_months(today, -HISTORY_MONTHS).replace(day=1), today - timedelta(days=1)


class DemoProvider:
    """Synthetic AWS, Azure and GCP costs with growth, weekly rhythm, spikes, credits and tax."""

    name = "demo"
    source = "demo"
    policy = RefreshPolicy()

    def __init__(self, today: date, seed: int = 42, rows: int | None = None) -> None:
        self.today = today
        self.seed = seed
        self.rows = rows

    def check_auth(self) -> None:
        return None

    def fetch(self, context: FetchContext) -> FetchResult:
        start, end = context.start, context.end
        days = (end - start).days + 1
        series, raw_tags = self._series(days)
        picked = [context.tags.pick(raw) for raw in raw_tags]
        columns = [tag_column(k) for k in context.tags.keys]
        con = memory_engine(spill_dir=context.workdir)
        tag_lists = "".join(f', unnest(?::VARCHAR[]) AS "{c}"' for c in columns)
        con.execute(
            f"""CREATE TABLE series AS SELECT
                 unnest(?::INTEGER[]) AS sid, unnest(?::VARCHAR[]) AS provider,
                 unnest(?::VARCHAR[]) AS billing_account_id, unnest(?::VARCHAR[]) AS account_id,
                 unnest(?::VARCHAR[]) AS account_name, unnest(?::VARCHAR[]) AS service,
                 unnest(?::VARCHAR[]) AS region, unnest(?::DOUBLE[]) AS base,
                 unnest(?::DOUBLE[]) AS growth, unnest(?::BOOLEAN[]) AS weekly,
                 unnest(?::DOUBLE[]) AS credit_rate, unnest(?::DOUBLE[]) AS effective_factor{tag_lists}""",
            [list(column) for column in zip(*series, strict=True)]
            + [[tags.get(key) for tags in picked] for key in context.tags.keys],
        )
        sql = demo_sql(columns)
        # One file per month keeps each sort small: the whole range never sits in memory.
        files, count = [], 0
        chunk_start = start
        while chunk_start <= end:
            chunk_end = min(add_months(chunk_start.replace(day=1), 1) - timedelta(days=1), end)
            path = context.workdir / f"demo-{chunk_start:%Y-%m}.parquet"
            count += stage_parquet(con, sql, path, [chunk_start, chunk_end, self.seed, start], tag_columns=columns)
            files.append(path)
            chunk_start = chunk_end + timedelta(days=1)
        con.close()
        scopes = [ReplaceScope(p, start, end) for p in DEMO_PROVIDERS]
        return FetchResult(self.name, scopes, parquet_files=files, row_count=count)

    def _series(self, days: int) -> tuple[list[tuple], list[dict[str, str]]]:
        """The series' parameters, and each one's raw tags (from a generator of their own, so the
        costs are the same whatever tags are configured)."""
        rng = random.Random(self.seed)
        tag_rng = random.Random(self.seed + 7919)
        raw_tags: list[dict[str, str]] = []
        copies = 1
        if self.rows:
            base_series = sum(len(a.regions) * len(SERVICES[a.provider]) for a in ACCOUNTS)
            copies = max(1, math.ceil(self.rows / (base_series * days * 1.05)))
        series: list[tuple] = []
        for copy in range(copies):
            for account in ACCOUNTS:
                account_id = account.account_id if copy == 0 else f"{account.account_id}-{copy:04d}"
                name = account.account_name if copy == 0 else f"{account.account_name}-{copy:04d}"
                for service, weight, weekly, regional in SERVICES[account.provider]:
                    regions = account.regions if regional else (GLOBAL_REGION[account.provider],)
                    for region_index, region in enumerate(regions):
                        share = 1.0 if len(regions) == 1 else (0.65 if region_index == 0 else 0.35)
                        base = weight * account.size * share * rng.uniform(0.6, 1.4)
                        growth = rng.uniform(-0.005, 0.035)
                        is_compute = service in (AWS_SERVICES[0][0], AZURE_SERVICES[0][0], GCP_SERVICES[0][0])
                        discount = 0.72 if account.savings_plan and is_compute else 1.0
                        credit = account.credit_rate if is_compute or account.credit_rate >= 0.3 else 0.0
                        series.append(
                            (
                                len(series),
                                account.provider,
                                account.billing_account_id,
                                account_id,
                                name,
                                service,
                                region,
                                round(base, 4),
                                round(growth, 5),
                                weekly,
                                credit,
                                discount,
                            )
                        )
                        raw_tags.append(demo_raw_tags(account, service, tag_rng))
        return series, raw_tags


def demo_sql(tag_columns: list[str] | tuple[str, ...] = ()) -> str:
    """DEMO_SQL with the series' tag columns on usage and credit rows (tax and purchases: untagged)."""
    if not tag_columns:
        return DEMO_SQL
    tags = "".join(f', "{c}"' for c in tag_columns)
    untagged = "".join(f', NULL AS "{c}"' for c in tag_columns)
    return _DEMO_SQL.format(tags=tags, untagged=untagged)


# $1 start, $2 end, $3 seed, $4 start again (day index origin). {tags}: the series' tag columns.
_DEMO_SQL = """
WITH days AS (
    SELECT CAST(d AS DATE) AS charge_date FROM generate_series(CAST($1 AS DATE), CAST($2 AS DATE), INTERVAL 1 DAY) t(d)
),
usage AS (
    SELECT s.*, days.charge_date,
           (days.charge_date - CAST($4 AS DATE)) AS day_index,
           (hash($3, s.sid, days.charge_date) % 1000000) / 1000000.0 AS r1,
           (hash($3 + 1, s.sid, days.charge_date) % 1000000) / 1000000.0 AS r2
    FROM series s CROSS JOIN days
),
priced AS (
    SELECT *, round(base * pow(1 + growth, day_index / 30.0)
                 * CASE WHEN weekly AND dayofweek(charge_date) IN (0, 6) THEN 0.68 ELSE 1.0 END
                 * (0.9 + 0.2 * r1)
                 * CASE WHEN r2 < 0.0004 THEN 3.0 + 10 * r1 ELSE 1.0 END, 4) AS cost
    FROM usage
)
SELECT charge_date, provider, billing_account_id, account_id, account_name, service, region,
       'Usage' AS charge_category, cost AS billed_cost, round(cost * effective_factor, 4) AS effective_cost,
       'USD' AS currency, false AS estimated{tags}
FROM priced
UNION ALL
SELECT charge_date, provider, billing_account_id, account_id, account_name, service, region,
       'Credit', -round(cost * credit_rate, 4), -round(cost * credit_rate, 4), 'USD', false{tags}
FROM priced WHERE credit_rate > 0
UNION ALL
SELECT charge_date, provider, billing_account_id, account_id, account_name,
       CASE provider WHEN 'aws' THEN 'Tax' ELSE 'Invoice' END, 'global', 'Tax',
       round(sum(cost) * 30 * 0.02, 2), round(sum(cost) * 30 * 0.02, 2), 'USD', false{untagged}
FROM priced WHERE day(charge_date) = 1 AND provider IN ('aws', 'gcp')
GROUP BY ALL
UNION ALL
SELECT charge_date, provider, billing_account_id, account_id, account_name,
       'Savings Plans for AWS Compute usage', 'global', 'Purchase',
       round(sum(cost) * 30 * 0.25, 2), 0, 'USD', false{untagged}
FROM priced WHERE day(charge_date) = 1 AND effective_factor < 1
GROUP BY ALL
"""
DEMO_SQL = _DEMO_SQL.format(tags="", untagged="")
