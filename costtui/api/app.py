"""The read-only REST API on FastAPI: routes, typed parameters, auth, and errors in one JSON shape.

`create_app(settings)` builds the ASGI app (`server.py` runs it on uvicorn). The OpenAPI document at
/openapi.json is generated from these routes. Every error is `{"error": "...", "status": N}` and a
bad parameter is a 400 naming it (pydantic's 422 is mapped). Answers come from the core and are
remembered per published snapshot (`memo.py`); money is exact, never through float."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at run time.

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.security import HTTPBearer
from starlette.exceptions import HTTPException

from costtui import __version__
from costtui.api import answers as bodies
from costtui.api.auth import CHALLENGE, authorized
from costtui.api.memo import Answers, ApiError
from costtui.api.params import (
    LIST_PARAMETERS,
    Accounts,
    EndDate,
    Gross,
    MetricParam,
    Offset,
    Providers,
    Regions,
    Services,
    StartDate,
    flag,
    split,
    tag_parameters,
)
from costtui.api.replay import Replay
from costtui.api.schemas import ERRORS, Breakdown, Health, Live, Summary
from costtui.api.settings import ApiSettings
from costtui.cache.snapshots import SnapshotSource
from costtui.core.freshness import judge_freshness, oldest_age
from costtui.core.tags import TagFilterError, parse_tag_filter
from costtui.core.windows import WindowError, resolve_window
from costtui.exporters.gzipjoin import GzipHead
from costtui.exporters.prometheus import metrics_key, status_exposition
from costtui.model import CostError, CostQuery, UnknownTagKey, group_tag_key

JSON = "application/json"
MAX_LIMIT = 10_000
HEALTH_PATHS = ("/api/health/live", "/api/health/ready")
log = logging.getLogger("costtui.api")


def json_response(body: bytes, status: int = 200, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(body, status, dict(headers), media_type=JSON)


def error_response(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return json_response(bodies.encode({"error": message, "status": status}), status, headers)


@dataclass(frozen=True, slots=True)
class Filters:
    query: CostQuery


def create_app(settings: ApiSettings) -> FastAPI:
    answers = Answers(
        SnapshotSource(settings.cache_path),
        slots=settings.slots,
        queue=settings.query_queue,
        queue_wait=settings.queue_wait_seconds,
        timeout=settings.request_timeout_seconds,
        memo_bytes=settings.memo_bytes,
    )

    def metrics_answer(chosen: str, net_or_gross: bool) -> tuple[tuple, Callable[[Any], GzipHead]]:
        """The memo key and computation of one /metrics body's cost gauges, gzipped ahead: as a publish
        stored them for these settings (cache/stored.py), else computed here."""
        today = settings.today()
        stored = metrics_key(today, settings.top_services_per_account, chosen, net_or_gross, settings.tag_labels)

        def costs(queries: Any) -> GzipHead:
            blob = queries.stored_answer(stored)
            if blob is not None:
                return GzipHead.from_bytes(blob)
            # once per snapshot and process: a big cache's exposition is megabytes, seconds to compute
            return GzipHead.of(bodies.metrics_body(queries, today, settings.top_services_per_account, chosen,
                                                   net_or_gross, tuple(settings.tag_labels)))

        return ("metrics", today, chosen, net_or_gross), costs

    warmed_once = asyncio.Event()

    async def warm_metrics() -> None:
        """Open each new snapshot as soon as it is seen and load its default /metrics (stored by the
        publish, else computed once here), so the first scrape after a publish is answered from
        memory (a scrape meanwhile waits for this one computation)."""
        warmed = None
        while True:
            snapshot = answers.source.current_id()
            if snapshot is not None and snapshot != warmed:
                warmed = snapshot  # once per snapshot, even if it fails: the scrape's request says why
                with contextlib.suppress(Exception):
                    await answers.get(*metrics_answer(settings.metric, settings.gross), gated=False)
                    await answers.get(("freshness",), bodies.freshness_facts, gated=False)
            warmed_once.set()
            await asyncio.sleep(settings.warm_poll_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warmer = asyncio.create_task(warm_metrics()) if settings.warm_poll_seconds > 0 else None
        if warmer is not None:  # the snapshot opened before the first request, for a moment at most
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(warmed_once.wait(), settings.warm_start_seconds)
        yield
        if warmer is not None:
            warmer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await warmer
        answers.close()

    app = FastAPI(
        title="costtui",
        version=__version__,
        description="Read-only cloud costs from the costtui cache. Money is exact (JSON numbers written from "
                    "decimals). Every error is {\"error\": ..., \"status\": ...}.",
        openapi_url=None,  # served below, behind the token like every non-health path
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.answers = answers
    secured = bool(settings.token)
    bearer = HTTPBearer(auto_error=False, description=f"The token in ${'COSTTUI_API_TOKEN'} of the server.")

    async def authorize(request: Request) -> None:
        if not authorized(request.headers.get("authorization"), settings.token):
            raise ApiError(401, "a valid bearer token is required", CHALLENGE)

    async def documented_auth(request: Request, _: Annotated[Any, Security(bearer)]) -> None:
        await authorize(request)

    allowed: dict[int, frozenset[str]] = {}

    async def known_parameters(request: Request) -> None:
        """Unknown parameters are refused (a typo must not silently widen an answer); a single-valued
        one given twice too (which one would win?)."""
        route = request.scope["route"]
        names = allowed.get(id(route))
        if names is None:
            names = allowed[id(route)] = query_names(route.dependant)
        given = request.query_params
        unknown = sorted(set(given.keys()) - names)
        if unknown:
            listed = ", ".join(sorted(names)) or "none"
            raise ApiError(400, f"unknown parameter {bodies.shown(unknown[0])} (allowed: {listed})")
        for name in given:
            if name not in LIST_PARAMETERS and len(given.getlist(name)) > 1:
                raise ApiError(400, f"{name}: give it once (got {len(given.getlist(name))} values)")

    guard = [Depends(documented_auth if secured else authorize), Depends(known_parameters)]
    open_ = [Depends(known_parameters)]

    TagFilters, TagGroup = tag_parameters(tuple(settings.tag_keys))

    async def known_tag_keys() -> tuple[str, ...]:
        return await answers.get(("tag_keys",), lambda queries: tuple(queries.tag_columns()))

    async def checked_tag_key(key: str, parameter: str) -> str:
        """A tag key the cache has a column for, else a 400 naming the parameter, key and configured keys."""
        known = await known_tag_keys()
        if key not in known:
            raise ApiError(400, str(UnknownTagKey(key, known, parameter)))
        return key

    async def filters(
        start_date: StartDate = None,  # type: ignore[assignment]
        end_date: EndDate = None,  # type: ignore[assignment]
        provider: Providers = None,  # type: ignore[assignment]
        account: Accounts = None,  # type: ignore[assignment]
        service: Services = None,  # type: ignore[assignment]
        region: Regions = None,  # type: ignore[assignment]
        metric: MetricParam = None,  # type: ignore[assignment]
        gross: Gross = None,  # type: ignore[assignment]
        tag: TagFilters = None,  # type: ignore[assignment]
    ) -> Filters:
        try:
            window = resolve_window(settings.today(), settings.default_days, start_date, end_date,
                                    names=("start_date", "end_date", "days"))
        except WindowError as exc:
            raise ApiError(400, str(exc)) from None
        tags: list[tuple[str, str | None]] = []
        if tag:
            known = await known_tag_keys()
            for text in tag:
                try:
                    key, value = parse_tag_filter(text, ":", known)
                except TagFilterError as exc:
                    raise ApiError(400, f"tag: {exc}") from None
                tags.append((await checked_tag_key(key, "tag"), value))
        return Filters(CostQuery(
            start=window.start,
            end=window.end,
            providers=tuple(p.lower() for p in split(provider)),
            accounts=split(account),
            services=split(service),
            regions=split(region),
            metric=metric or settings.metric,  # type: ignore[arg-type]
            gross=flag(gross, settings.gross),
            tags=tuple(dict.fromkeys(tags)),
        ))

    def day_span(query: CostQuery, grain: str) -> None:
        days = (query.end - query.start).days + 1  # type: ignore[operator]
        if grain == "day" and days > settings.max_day_span:
            raise ApiError(400, f"start_date: granularity=day covers at most {settings.max_day_span} days "
                                f"({query.start}..{query.end} is {days}); narrow start_date/end_date or use "
                                "granularity=month")

    # --- health: no token, so the kubelet and load balancers can probe ----------------------------

    @app.get("/api/health/live", response_model=Live, dependencies=open_, responses=ERRORS(400),
             tags=["health"], summary="The process is up.")
    async def live() -> Response:
        return json_response(bodies.encode({"status": "ok"}))

    @app.get("/api/health/ready", response_model=Health, dependencies=open_,
             responses={**ERRORS(400), 503: {"model": Health, "description": "Not ready: no readable, fresh cache."}},
             tags=["health"], summary="The newest snapshot answers real queries and is fresh.")
    async def ready() -> Response:
        try:
            facts = await answers.get(("probe",), bodies.probe, gated=False)
        except (CostError, ApiError) as exc:
            return json_response(bodies.encode({"status": "unavailable", "reason": str(exc)}), 503)
        limit = settings.max_age_hours * 3600
        # The one freshness rule (core/freshness.py), judged now: `check` and the dashboard agree.
        freshness = judge_freshness(facts, (), datetime.now(UTC).replace(tzinfo=None), limit)
        body: dict[str, Any] = {"age_seconds": oldest_age(freshness), "max_age_seconds": int(limit),
                                "failed_providers": [entry.provider for entry in freshness if entry.failed],
                                "providers": bodies.provider_states(freshness)}
        troubled = [entry for entry in freshness if not entry.fresh]
        if not freshness or troubled:
            reason = troubled[0].describe() if troubled else "the cache has no data yet"
            return json_response(bodies.encode({"status": "stale", "reason": reason, **body}), 503)
        return json_response(bodies.encode({"status": "ready", **body}))

    # --- costs -------------------------------------------------------------------------------------

    cost_errors = ERRORS(400, 401 if secured else None, 503)

    @app.get("/api/v1/costs/summary", response_model=Summary, dependencies=guard, responses=cost_errors,
             tags=["costs"], summary="Totals per currency and provider, against the previous period.")
    async def costs_summary(f: Annotated[Filters, Depends(filters)]) -> Response:
        query = f.query
        body = await answers.get(("summary", query), lambda q: bodies.summary_body(q, query))
        facts = await answers.get(("freshness",), bodies.freshness_facts)
        freshness = judge_freshness(facts, query.providers, datetime.now(UTC).replace(tzinfo=None))
        return json_response(bodies.with_field(body, "freshness", bodies.fetch_facts(freshness)))

    @app.get("/api/v1/costs/daily", response_model=Breakdown, dependencies=guard, responses=cost_errors,
             tags=["costs"], summary="Cost per day (or month), provider and currency.")
    async def costs_daily(
        f: Annotated[Filters, Depends(filters)],
        granularity: Annotated[Literal["day", "month"], Query(description="day or month buckets.")] = "day",
    ) -> Response:
        day_span(f.query, granularity)
        query = replace(f.query, group_by=(granularity, "provider"))
        rows = await answers.get(("rows", query), lambda q: bodies.grouped_rows(q, query))
        return json_response(bodies.grouped_body(query, granularity, rows, None))

    Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=(
        f"Rows per page (default {settings.default_limit}); `truncated` says whether more follow."))]

    def dimension(key: str) -> Callable[[], Awaitable[tuple[str, ...]]]:
        async def group() -> tuple[str, ...]:
            return ("provider", key)
        return group

    async def tag_group(group_by: TagGroup) -> tuple[str, ...]:
        """group_by=tag:KEY, a key the cache has a column for (else a 400 naming it and the known keys)."""
        return (f"tag:{await checked_tag_key(group_tag_key(group_by) or '', 'group_by')}",)

    def breakdown_route(path: str, name: str, summary: str, group: Callable[..., Awaitable[tuple[str, ...]]]) -> None:
        """A breakdown endpoint: cost per `group` (a dependency giving the group-by keys: a dimension
        with its provider, or a checked tag key), optionally per day or month, a page at a time."""
        @app.get(path, response_model=Breakdown, dependencies=guard, responses=cost_errors, tags=["costs"],
                 summary=summary, name=f"costs_{name}")
        async def route(
            f: Annotated[Filters, Depends(filters)],
            keys: Annotated[tuple[str, ...], Depends(group)],
            granularity: Annotated[Literal["total", "day", "month"],
                                   Query(description="total over the window, or per day or month.")] = "total",
            limit: Limit = None,  # type: ignore[assignment]
            offset: Offset = 0,  # type: ignore[assignment]
        ) -> Response:
            day_span(f.query, granularity)
            query = replace(f.query, group_by=keys if granularity == "total" else (granularity, *keys))
            rows = await answers.get(("rows", query), lambda q: bodies.grouped_rows(q, query))
            page = bodies.Page(limit or settings.default_limit, offset)
            return json_response(bodies.grouped_body(query, granularity, rows, page))

    for key in ("service", "account", "region"):
        breakdown_route(f"/api/v1/costs/{key}s", key, f"Cost per {key}, largest first, a page at a time.",
                        dimension(key))
    breakdown_route("/api/v1/costs/tags", "tags", "Cost per value of one tag key (group_by=tag:KEY), untagged as null.",
                    tag_group)

    # --- metrics and the description ----------------------------------------------------------------

    @app.get("/metrics", dependencies=guard, tags=["metrics"], summary="Prometheus metrics (once per snapshot).",
             response_class=Response,
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                              "description": "Prometheus text format."}, **cost_errors})
    async def metrics(request: Request, metric: MetricParam = None,  # type: ignore[assignment]
                      gross: Gross = None) -> Response:  # type: ignore[assignment]
        from prometheus_client import CONTENT_TYPE_LATEST

        key, costs = metrics_answer(metric or settings.metric, flag(gross, settings.gross))
        # The status gauges move with the clock (data age, fresh): judged now, after the cost gauges.
        head, facts = await asyncio.gather(answers.get(key, costs), answers.get(("freshness",), bodies.freshness_facts))
        status = status_exposition(judge_freshness(facts, (), datetime.now(UTC).replace(tzinfo=None),
                                                   settings.max_age_hours * 3600))
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(head.join(status), 200, {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
                            media_type=CONTENT_TYPE_LATEST)
        text = await answers.get((*key, "text"), lambda _: head.data())
        return Response(text + status, 200, {"Vary": "Accept-Encoding"}, media_type=CONTENT_TYPE_LATEST)

    @app.get("/openapi.json", dependencies=guard, tags=["meta"], summary="This API's OpenAPI description.",
             responses={200: {"content": {JSON: {"schema": {"type": "object"}}}, "description": "OpenAPI 3.1."},
                        **ERRORS(400, 401 if secured else None)})
    async def openapi() -> Response:
        return json_response(bodies.encode(app.openapi()))

    install_error_handlers(app)
    app.add_middleware(Replay, answers=answers, token=settings.token, today=settings.today)
    app.add_middleware(HeadAsGet)
    generated = app.openapi

    def document() -> dict[str, Any]:
        # pydantic's 422 never reaches a client (bad parameters are 400s): drop it from the document.
        if app.openapi_schema is None:
            schema = generated()
            for item in schema["paths"].values():
                for operation in item.values():
                    operation["responses"].pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
    return app


class HeadAsGet:
    """HEAD is GET without the body (RFC 9110), for every route, undocumented like in most APIs."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, str(exc), exc.headers)

    @app.exception_handler(UnknownTagKey)
    async def unknown_tag_key(request: Request, exc: UnknownTagKey) -> Response:  # a key gone since checked
        return error_response(400, str(exc))

    @app.exception_handler(CostError)
    async def cache_error(request: Request, exc: CostError) -> Response:  # no cache yet, unreadable, newer
        return error_response(503, str(exc), (("Retry-After", "60"),))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        return error_response(400, validation_message(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404:
            return error_response(404, f"no such endpoint: {bodies.shown(request.url.path)} (see /openapi.json)")
        if exc.status_code == 405:
            return error_response(405, f"{bodies.shown(request.method)} is not allowed; this API is read-only",
                                  (("Allow", "GET, HEAD"),))
        return error_response(exc.status_code, str(exc.detail), tuple((exc.headers or {}).items()))


def query_names(dependant: Any) -> frozenset[str]:
    """The query parameters a route declares, its dependencies' included."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= query_names(sub)
    return frozenset(names)


def validation_message(exc: RequestValidationError) -> str:
    """pydantic's first complaint as one line naming the parameter."""
    error = exc.errors()[0]
    location = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "header")]
    name = location[0] if location else "request"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    given = error.get("input")
    if error.get("type") == "literal_error":
        choices = str(error.get("ctx", {}).get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"{name}: {bodies.shown(given)} is not one of {choices}"
    if isinstance(given, str | int) and not isinstance(given, bool) and "not a date" not in message:
        message += f" (got {bodies.shown(given)})"
    return f"{name}: {message}"
