"""The query parameters of the cost endpoints: typed for FastAPI (and so for the OpenAPI document),
checked strictly enough that what the document allows is what the server accepts.

Optional parameters are typed without `| None` (their default None is never validated): the
document then says what a client may send, not `null`, which no query string can carry."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

# 2000-01-01 .. 9999-12-31, the days a window may name (core.windows): the pattern says so in the
# document, the validator below enforces the calendar.
DATE_PATTERN = r"^(2[0-9]{3}|[3-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
# One or more comma separated values, none empty or blank.
LIST_ITEM_PATTERN = r"^[^,]*[^, \t][^,]*(,[^,]*[^, \t][^,]*)*$"


def _iso_day(value: object) -> date:
    if not isinstance(value, str) or not re.fullmatch(DATE_PATTERN, value):
        raise ValueError(f"{_shown(value)} is not a date from 2000-01-01 to 9999-12-31 (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{_shown(value)} is not a date (YYYY-MM-DD)") from None


def _item(value: str) -> str:
    if not re.fullmatch(LIST_ITEM_PATTERN, value):
        raise ValueError("empty value")
    return value


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


Day = Annotated[
    date,
    BeforeValidator(_iso_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]
Item = Annotated[str, AfterValidator(_item), WithJsonSchema({"type": "string", "pattern": LIST_ITEM_PATTERN})]
Flag = Literal["true", "false"]
Metric = Literal["billed", "effective"]

StartDate = Annotated[Day, Query(description="First day, inclusive (YYYY-MM-DD). Default: the configured "
                                                    "number of days (display.default_days) ending yesterday.")]
EndDate = Annotated[Day, Query(description="Last day, inclusive (YYYY-MM-DD). Default: yesterday, the "
                                                  "latest complete day.")]
Providers = Annotated[list[Item], Query(description="aws, azure, gcp or a FOCUS provider name; repeat it "
                                                           "or separate with commas.")]
Accounts = Annotated[list[Item], Query(description="Account, subscription or project id; repeatable.")]
Services = Annotated[list[Item], Query(description="Service name as the provider spells it; repeatable.")]
Regions = Annotated[list[Item], Query(description="Region id; repeatable.")]
MetricParam = Annotated[Metric, Query(description="billed (invoice) or effective (amortized). "
                                                         "Default from the config.")]
Gross = Annotated[Flag, Query(description="true leaves credits out. Default from the config "
                                                 "(net of credits).")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Rows to skip (a page walk: the answer's "
                                                                   "`next_offset`).")]
# A tag filter: a key (not blank), a colon, a value (empty: untagged spend). Not comma separated:
# tag values may hold commas.
TAG_FILTER_PATTERN = r"^[ \t]*[^\s:][^:]*:.*$"
TAG_GROUP_PATTERN = r"^tag:[ \t]*\S.*$"


def _tag_group(value: str) -> str:
    if not re.fullmatch(TAG_GROUP_PATTERN, value):
        raise ValueError("give tag:KEY for a configured tag key")
    return value


def tag_parameters(keys: tuple[str, ...]) -> tuple[Any, Any]:
    """The `tag` filter and `group_by=tag:KEY` parameter types. With the configured keys the document
    names them (a client sees what it may ask); the server checks the key against the cache (which
    may hold keys configured before), answering 400 with the keys it has."""
    alternatives = "|".join(key.replace(".", "\\.") for key in keys)
    filter_pattern = f"^({alternatives}):.*$" if keys else TAG_FILTER_PATTERN
    group_pattern = f"^tag:({alternatives})$" if keys else TAG_GROUP_PATTERN
    configured = f" Configured: {', '.join(keys)}." if keys else ""
    filters = Annotated[list[Annotated[str, WithJsonSchema({"type": "string", "pattern": filter_pattern})]], Query(
        description="KEY:VALUE of a configured tag key ([allocation] tag_keys); KEY: alone selects untagged "
                    "spend. Repeatable: values of one key are alternatives, different keys all apply. An "
                    f"unknown key is a 400 naming it and the cache's keys.{configured}")]
    group = Annotated[str, AfterValidator(_tag_group), WithJsonSchema({"type": "string", "pattern": group_pattern}),
                      Query(description="tag:KEY, a configured tag key ([allocation] tag_keys). Untagged spend "
                                        "is a row whose tag:KEY is null. An unknown key is a 400 naming it and "
                                        f"the cache's keys.{configured}")]
    return filters, group


LIST_PARAMETERS = frozenset({"provider", "account", "service", "region", "tag"})


def split(values: list[str] | None) -> tuple[str, ...]:
    """Repeated (?provider=aws&provider=gcp) or comma separated (?provider=aws,gcp), first seen first."""
    parts = [part.strip(" \t") for value in values or () for part in value.split(",")]
    return tuple(dict.fromkeys(parts))


def flag(value: str | None, default: bool) -> bool:
    return default if value is None else value == "true"
