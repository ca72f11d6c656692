"""The read-only REST API: routes, query parameters and JSON answers over the cache.

No sockets here (see `serve.py`): `ApiApp.handle` maps a method, path, query string
and Authorization header to a `Response`, so every rule is testable on its own and the
HTTP layer stays thin. Money is written as JSON numbers from the Decimal, never via float."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from costtui.cache import CacheReader
from costtui.core.reports import breakdown, records
from costtui.core.windows import Window, WindowError, resolve_window
from costtui.exactjson import encode_json
from costtui.model import CostError, CostQuery, percent_change

HEALTH_PATHS = ("/api/health/live", "/api/health/ready")
JSON = "application/json"
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()


class ApiError(Exception):
    """An answer other than 200; the message names the parameter or the problem."""

    def __init__(self, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers


@dataclass(frozen=True)
class ApiSettings:
    """What the API needs from the config, resolved once at start-up."""

    cache_path: Path
    today: Callable[[], date]
    token: str | None = None
    default_days: int = 30
    metric: str = "billed"
    gross: bool = False
    max_age_hours: float = 36.0
    top_services_per_account: int = 20


@dataclass(frozen=True)
class Route:
    handler: Callable[[ApiApp, dict[str, list[str]]], Response]
    parameters: tuple[str, ...] = ()
    summary: str = ""


FILTERS = ("start_date", "end_date", "provider", "account", "service", "region", "metric", "gross")
BREAKDOWN = (*FILTERS, "granularity", "limit")


@dataclass
class ApiApp:
    settings: ApiSettings
    routes: dict[str, Route] = field(init=False)

    def __post_init__(self) -> None:
        self.routes = {
            "/api/health/live": Route(ApiApp.live, (), "The process is up."),
            "/api/health/ready": Route(ApiApp.ready, (), "The cache is readable and fresh."),
            "/api/v1/costs/summary": Route(ApiApp.summary, FILTERS, "Totals per currency and provider."),
            "/api/v1/costs/daily": Route(
                ApiApp.daily, (*FILTERS, "granularity"), "Cost per day (or month), provider and currency."
            ),
            "/api/v1/costs/services": Route(ApiApp.services, BREAKDOWN, "Cost per service."),
            "/api/v1/costs/accounts": Route(ApiApp.accounts, BREAKDOWN, "Cost per account."),
            "/api/v1/costs/regions": Route(ApiApp.regions, BREAKDOWN, "Cost per region."),
            "/metrics": Route(ApiApp.metrics, ("metric", "gross"), "Prometheus metrics."),
            "/openapi.json": Route(ApiApp.openapi, (), "This API's OpenAPI description."),
        }

    def handle(self, method: str, target: str, authorization: str | None) -> Response:
        url = urlsplit(target)
        path = url.path.rstrip("/") or "/"
        try:
            route = self.routes.get(path)
            if route is None:
                raise ApiError(404, f"no such endpoint: {path} (see /openapi.json)")
            if method not in ("GET", "HEAD"):
                raise ApiError(405, f"{method} is not allowed; this API is read-only", (("Allow", "GET, HEAD"),))
            if path not in HEALTH_PATHS:
                self._authorize(authorization)
            params = parse_qs(url.query, keep_blank_values=True)
            unknown = sorted(set(params) - set(route.parameters))
            if unknown:
                allowed = ", ".join(route.parameters) or "none"
                raise ApiError(400, f"unknown parameter {unknown[0]!r} (allowed: {allowed})")
            return route.handler(self, params)
        except ApiError as exc:
            return error_response(exc.status, str(exc), exc.headers)
        except CostError as exc:  # no cache yet, unreadable, newer schema
            return error_response(503, str(exc))

    def _authorize(self, authorization: str | None) -> None:
        token = self.settings.token
        if not token:
            return
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise ApiError(401, "a valid bearer token is required", (("WWW-Authenticate", 'Bearer realm="costtui"'),))

    # --- health ---------------------------------------------------------------------------

    def live(self, params: dict[str, list[str]]) -> Response:
        return json_response({"status": "ok"})

    def ready(self, params: dict[str, list[str]]) -> Response:
        from costtui.core.freshness import data_age_seconds

        try:
            with CacheReader(self.settings.cache_path).session() as queries:
                age = data_age_seconds(queries, ())
                failed = sorted({f.provider for f in queries.latest_fetches() if f.status != "ok"})
        except CostError as exc:
            return json_response({"status": "unavailable", "reason": str(exc)}, 503)
        limit = self.settings.max_age_hours * 3600
        body: dict[str, Any] = {"age_seconds": age, "max_age_seconds": int(limit), "failed_providers": failed}
        if age is None or age > limit:
            reason = "the cache has no data yet" if age is None else f"data is {age // 3600} h old"
            return json_response({"status": "stale", "reason": reason, **body}, 503)
        return json_response({"status": "ready", **body})

    # --- costs ----------------------------------------------------------------------------

    def summary(self, params: dict[str, list[str]]) -> Response:
        from costtui.core.reports import summary

        query = self._query(params)
        window = Window(query.start, query.end, "")  # type: ignore[arg-type]
        with CacheReader(self.settings.cache_path).session() as queries:
            result = summary(queries, query, window)
        metric = f"{query.metric}_cost"
        return json_response(
            {
                **self._header(query),
                "data_as_of": result.data_as_of,
                "totals": [
                    {
                        "currency": currency,
                        metric: cost,
                        f"previous_{metric}": result.previous_totals.get(currency, Decimal(0)),
                        "change_percent": percent_change(cost, result.previous_totals.get(currency, Decimal(0))),
                    }
                    for currency, cost in sorted(result.totals.items())
                ],
                "providers": records(result.providers, ("provider",), query.metric),
                "previous_period": {"start_date": result.previous_window.start,
                                    "end_date": result.previous_window.end},
            }
        )

    def daily(self, params: dict[str, list[str]]) -> Response:
        grain = _choice(params, "granularity", ("day", "month"), "day")
        return self._grouped(params, (grain, "provider"), grain, limit=None)

    def services(self, params: dict[str, list[str]]) -> Response:
        return self._breakdown(params, ("provider", "service"))

    def accounts(self, params: dict[str, list[str]]) -> Response:
        return self._breakdown(params, ("provider", "account"))

    def regions(self, params: dict[str, list[str]]) -> Response:
        return self._breakdown(params, ("provider", "region"))

    def _breakdown(self, params: dict[str, list[str]], keys: tuple[str, ...]) -> Response:
        grain = _choice(params, "granularity", ("total", "day", "month"), "total")
        limit = _positive_int(params, "limit")
        group_by = keys if grain == "total" else (grain, *keys)
        return self._grouped(params, group_by, grain, limit)

    def _grouped(
        self, params: dict[str, list[str]], group_by: tuple[str, ...], grain: str, limit: int | None
    ) -> Response:
        query = replace(self._query(params), group_by=group_by)
        with CacheReader(self.settings.cache_path).session() as queries:
            groups = breakdown(queries, query)
        if grain in ("day", "month"):
            groups = sorted(groups, key=lambda g: (str(g.keys[grain]), -g.cost))
        rows = records(groups, group_by, query.metric)
        truncated = limit is not None and len(rows) > limit
        return json_response(
            {
                **self._header(query),
                "granularity": grain,
                "rows": rows[:limit] if limit is not None else rows,
                "truncated": truncated,
            }
        )

    def _header(self, query: CostQuery) -> dict[str, Any]:
        return {
            "start_date": query.start,
            "end_date": query.end,
            "metric": query.metric,
            "gross": query.gross,
            "filters": {
                name: list(values)
                for name, values in (
                    ("provider", query.providers),
                    ("account", query.accounts),
                    ("service", query.services),
                    ("region", query.regions),
                )
                if values
            },
        }

    def _query(self, params: dict[str, list[str]]) -> CostQuery:
        try:
            window = resolve_window(self.settings.today(), self.settings.default_days,
                                    _day(params, "start_date"), _day(params, "end_date"),
                                    names=("start_date", "end_date", "days"))
        except WindowError as exc:
            raise ApiError(400, str(exc)) from None
        return CostQuery(
            start=window.start,
            end=window.end,
            providers=tuple(p.lower() for p in _many(params, "provider")),
            accounts=_many(params, "account"),
            services=_many(params, "service"),
            regions=_many(params, "region"),
            metric=_choice(params, "metric", ("billed", "effective"), self.settings.metric),  # type: ignore[arg-type]
            gross=_flag(params, "gross", self.settings.gross),
        )

    # --- metrics and description -----------------------------------------------------------

    def metrics(self, params: dict[str, list[str]]) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        from costtui.exporters.prometheus import build_registry

        with CacheReader(self.settings.cache_path).session() as queries:
            registry = build_registry(
                queries,
                self.settings.today(),
                self.settings.top_services_per_account,
                metric=_choice(params, "metric", ("billed", "effective"), self.settings.metric),
                gross=_flag(params, "gross", self.settings.gross),
            )
        return Response(200, generate_latest(registry), CONTENT_TYPE_LATEST)

    def openapi(self, params: dict[str, list[str]]) -> Response:
        from costtui.api.openapi import openapi_document

        return json_response(openapi_document(self.routes, secured=bool(self.settings.token)))


# --- parameters -------------------------------------------------------------------------------


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise ApiError(400, f"{name}: give it once (got {len(values)} values)")
    return values[0].strip()


def _many(params: dict[str, list[str]], name: str) -> tuple[str, ...]:
    """Repeated (?provider=aws&provider=gcp) or comma separated (?provider=aws,gcp)."""
    values = [part.strip() for value in params.get(name, []) for part in value.split(",")]
    if any(not value for value in values):
        raise ApiError(400, f"{name}: empty value")
    return tuple(dict.fromkeys(values))


def _day(params: dict[str, list[str]], name: str) -> date | None:
    value = _single(params, name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None


def _choice(params: dict[str, list[str]], name: str, choices: tuple[str, ...], default: str) -> str:
    value = _single(params, name)
    if value is None:
        return default
    if value not in choices:
        raise ApiError(400, f"{name}: {value!r} is not one of {', '.join(choices)}")
    return value


def _flag(params: dict[str, list[str]], name: str, default: bool) -> bool:
    value = _single(params, name)
    if value is None:
        return default
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ApiError(400, f"{name}: {value!r} is not true or false")


def _positive_int(params: dict[str, list[str]], name: str) -> int | None:
    value = _single(params, name)
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise ApiError(400, f"{name}: {value!r} is not a whole number from 1 to {MAX_LIMIT}")
    return int(value)


# --- answers -------------------------------------------------------------------------------


def json_response(value: Any, status: int = 200) -> Response:
    return Response(status, (encode_json(value) + "\n").encode("utf-8"))


def error_response(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(status, (encode_json({"error": message, "status": status}) + "\n").encode(), JSON, headers)
