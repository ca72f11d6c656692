"""Response models for the OpenAPI document. Routes write their JSON themselves (exact money from
Decimals: pydantic would write strings), so these only describe it - keep them in step with
`answers.py` (the schemathesis test checks every answer against them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# A JSON number written exactly from a decimal (full cache precision, never rounded, never a float).
Money = float
Cell = str | float | None


class Error(BaseModel):
    error: str = Field(description="One line naming the parameter or the problem.")
    status: int


ERROR_TEXT = {
    400: "A parameter is missing its value, malformed or out of range; `error` names it.",
    401: "No valid bearer token (Authorization: Bearer <COSTTUI_API_TOKEN>).",
    503: "No readable cache yet, the cache is unreadable, or the server is saturated (Retry-After).",
}


def ERRORS(*statuses: int | None) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": Error, "description": ERROR_TEXT[status]} for status in statuses if status}


class Live(BaseModel):
    status: Literal["ok"]


class ProviderState(BaseModel):
    """One provider judged now by the one freshness rule (the same as `check` and the dashboard)."""

    provider: str
    verdict: Literal["fresh", "stale", "failed"]
    last_success: datetime | None = Field(description="Newest successful fetch (UTC); null: never.")
    age_seconds: int | None
    failing_since: datetime | None = Field(description="First failed fetch after the last success.")
    error_kind: str | None
    error: str | None = Field(description="First line of the newest fetch's error.")
    reason: str | None = Field(description="Why it is not fresh, in one line; null when fresh.")


class FetchFacts(BaseModel):
    """A provider's fetch facts in this snapshot; /api/health/ready judges their age."""

    provider: str
    last_success: datetime | None
    last_fetch_failed: bool
    failing_since: datetime | None
    error_kind: str | None
    error: str | None


class Health(BaseModel):
    status: Literal["ready", "stale", "unavailable"]
    reason: str | None = None
    age_seconds: int | None = None
    max_age_seconds: int | None = None
    failed_providers: list[str] | None = None
    providers: list[ProviderState] | None = None


class Window(BaseModel):
    start_date: date
    end_date: date


class Answer(BaseModel):
    start_date: date
    end_date: date
    metric: Literal["billed", "effective"]
    gross: bool
    filters: dict[str, list[str]] = Field(description="The filters given, by parameter name.")


class Total(BaseModel):
    """`billed_cost` and `previous_billed_cost` (or the effective pair), money."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": {"type": ["number", "string", "null"]}})
    currency: str
    change_percent: Money | None


class TagCoverage(BaseModel):
    """How much of a provider's spend in the window carries a configured tag key."""

    provider: str
    tag_key: str
    currency: str = Field(description="The provider's currency (its main one when it bills in several).")
    tagged_cost: Money
    total_cost: Money
    ratio: Money | None = Field(description="tagged_cost / total_cost (0-1); null when total_cost is 0.")


class Summary(Answer):
    data_as_of: datetime | None
    totals: list[Total]
    providers: list[dict[str, Cell]] = Field(description="provider, billed_cost or effective_cost, currency.")
    previous_period: Window
    freshness: list[FetchFacts] = Field(description="Each selected provider's fetch facts in this snapshot.")
    tag_coverage: list[TagCoverage] = Field(description=(
        "Per provider and configured tag key ([allocation] tag_keys), the share of the window's spend "
        "carrying the key; empty for a cache without tags."))


class Breakdown(Answer):
    granularity: Literal["total", "day", "month"]
    rows: list[dict[str, Cell]] = Field(description=(
        "The group keys (day or month first, then provider and the breakdown's key; account adds "
        "account_name; /costs/tags: only tag:KEY, null for untagged spend), billed_cost or effective_cost "
        "(money), currency."))
    truncated: bool = Field(description="More rows follow this page.")
    offset: int | None = Field(None, description="Breakdowns: the first row's position.")
    limit: int | None = Field(None, description="Breakdowns: the page size.")
    next_offset: int | None = Field(None, description="Breakdowns: `offset` of the next page, null on the last.")
    total_rows: int | None = Field(None, description="Breakdowns: rows in the whole answer.")
