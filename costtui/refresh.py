"""Runs providers with no lock held, then publishes one new cache snapshot with all results."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from costtui.cache import CacheReader, FetchRecord, open_writer
from costtui.cache.errors import CacheMissing
from costtui.cache.litter import scratch_prefix
from costtui.cache.restatement import preview_changes
from costtui.cache.stored import StoredAnswer
from costtui.cache.writer import utcnow
from costtui.model import CostError, FetchResult, SliceChange, add_months
from costtui.oserrors import storage_error
from costtui.providers.base import FetchContext, Provider, ProviderError, RefreshPolicy
from costtui.tagrules import TagRules

BACKFILL_MONTHS = 13  # the most Cost Explorer keeps


@dataclass
class RefreshOptions:
    today: date
    days: int | None = None  # fetch exactly the last N days
    since: date | None = None  # first day of a backfill
    full: bool = False  # ignore what is cached; fetch everything since `since`
    lock_timeout: float = 600.0
    # Paid APIs (each provider's policy.min_interval_hours) wait out their interval unless
    # the run asks for specific days or `force`.
    force: bool = False
    rebuild: bool = False  # set a corrupt (or any) cache aside and start a new one
    now: datetime | None = None  # UTC, naive like the fetches table; tests pin it
    tags: TagRules = field(default_factory=TagRules)  # [allocation]: the tag keys kept as columns
    answers: Sequence[StoredAnswer] = ()  # computed once at publish for readers (cache/stored.py)

    @property
    def explicit_window(self) -> bool:
        return bool(self.days or self.since or self.full or self.force)


@dataclass
class ProviderOutcome:
    provider: str
    source: str
    start: date
    end: date
    result: FetchResult | None = None
    error: ProviderError | None = None
    skipped: str | None = None  # why this provider was not fetched this time
    seconds: float | None = None  # how long the fetch took (up to its deadline)
    changes: list[SliceChange] = field(default_factory=list)  # what its publish replaced, per slice

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class RefreshReport:
    outcomes: list[ProviderOutcome]

    @property
    def failed(self) -> list[ProviderOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def fetched(self) -> list[ProviderOutcome]:
        return [o for o in self.outcomes if o.ok and o.result is not None]


def scratch_dir(job: str) -> Path:
    """A private folder for staged downloads, named after this process so that the next
    writer can remove it if this one is killed; a clear error when the temp dir is not writable."""
    try:
        return Path(tempfile.mkdtemp(prefix=scratch_prefix(job)))
    except OSError as exc:
        where = tempfile.gettempdir()
        kind = type(storage_error(exc, where) or CostError(""))
        raise kind(
            f"cannot create a scratch folder in {where}: {exc.strerror or exc}; "
            "point TMPDIR at a writable folder with free space"
        ) from None


def backfill_start(today: date) -> date:
    return add_months(today, -BACKFILL_MONTHS).replace(day=1)


def plan_window(
    options: RefreshOptions,
    cached_first: date | None,
    cached_last: date | None,
    estimated_days: Sequence[date],
    restatement_days: int,
) -> tuple[date, date]:
    """The inclusive day range to fetch for one provider.

    Closed days already cached are not fetched again; the restatement window (the
    last few days) and any day still marked estimated are."""
    end = options.today
    if options.days:
        return end - timedelta(days=options.days - 1), end
    first_day = options.since or backfill_start(options.today)
    if options.full or cached_last is None:
        return first_day, end
    start = min(cached_last + timedelta(days=1), end - timedelta(days=restatement_days))
    if estimated_days:
        start = min(start, min(estimated_days))
    if options.since and cached_first is not None and options.since < cached_first:
        start = options.since  # widening the backfill further back
    return max(start, first_day), end


def run_refresh(
    providers: Sequence[Provider],
    cache_path: Path,
    options: RefreshOptions,
    on_progress: Callable[[str, str], None] | None = None,
) -> RefreshReport:
    """Fetch every provider concurrently, each within its deadline, then publish once.

    A provider that fails, or is still fetching at its deadline (policy.timeout_seconds), is
    recorded in `fetches` as failed and does not stop or delay the others."""
    progress = on_progress or (lambda provider, status: None)
    state = _read_cache_state(cache_path, providers, options)
    now = options.now or utcnow()
    workdir = scratch_dir("refresh")
    try:
        outcomes: list[ProviderOutcome] = []
        jobs: list[tuple[Provider, ProviderOutcome, FetchContext]] = []
        for provider in providers:
            policy = provider_policy(provider)
            cached = state.get(provider.name, CachedState())
            start, end = plan_window(options, cached.first, cached.last, cached.estimated, policy.restatement_days)
            outcome = ProviderOutcome(provider.name, provider.source, start, end)
            outcomes.append(outcome)
            outcome.skipped = too_soon(options, policy.min_interval_hours, cached.last_success, now)
            if outcome.skipped:
                progress(provider.name, "skipped")
                continue
            context = FetchContext(
                start, end, _private_dir(workdir, provider.name), cached.objects, cached.estimated,
                tags=options.tags,
            )
            jobs.append((provider, outcome, context))
        if jobs:
            started = utcnow()
            _fetch_all(jobs, progress)
            _publish(cache_path, [outcome for _, outcome, _ in jobs], started, options)
        return RefreshReport(outcomes)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def provider_policy(provider: Provider) -> RefreshPolicy:
    """The provider's declared policy (the defaults for one that declares none, e.g. a test double)."""
    return getattr(provider, "policy", None) or RefreshPolicy()


def _fetch_all(
    jobs: Sequence[tuple[Provider, ProviderOutcome, FetchContext]], progress: Callable[[str, str], None]
) -> None:
    """Run the fetches in daemon threads and wait for each no longer than its deadline.

    A fetch past its deadline is abandoned, not joined: a hung socket must not hold the
    refresh (nor the process's exit). It only ever writes to its own scratch folder, and its
    late result is dropped."""
    futures: list[tuple[Future, threading.Event]] = []
    begun = time.monotonic()
    for provider, _, context in jobs:
        context.deadline = begun + provider_policy(provider).timeout_seconds
        future: Future = Future()
        abandoned = threading.Event()
        thread = threading.Thread(
            target=_fetch_one,
            args=(provider, context, _unless(abandoned, progress), future),
            name=f"costtui-fetch-{provider.name}",
            daemon=True,
        )
        thread.start()
        futures.append((future, abandoned))
    for (provider, outcome, context), (future, abandoned) in zip(jobs, futures, strict=True):
        timeout = max(0.0, (context.deadline or begun) - time.monotonic())
        try:
            outcome.result, outcome.error, outcome.seconds = future.result(timeout=timeout)
        except TimeoutError:
            abandoned.set()
            seconds = provider_policy(provider).timeout_seconds
            outcome.seconds = time.monotonic() - begun
            outcome.error = ProviderError(
                f"no answer within {seconds:g} s; gave up",
                kind="timeout",
                hint=f"check the endpoint and network, or raise providers.{provider.name}.timeout_seconds",
            )
            progress(provider.name, "timed out")


def _unless(abandoned: threading.Event, progress: Callable[[str, str], None]) -> Callable[[str, str], None]:
    """Progress of a fetch that stays silent once the refresh has given up on it."""

    def report(provider: str, status: str) -> None:
        if not abandoned.is_set():
            progress(provider, status)

    return report


def too_soon(options: RefreshOptions, hours: float, last_success: datetime | None, now: datetime) -> str | None:
    """Why a paid provider (fetched at most every `hours`) is not fetched again yet, or None to fetch it."""
    if not hours or options.explicit_window or last_success is None:
        return None
    age = now - last_success
    # Slack so an hourly cron with a 6 h interval fetches on the 6th run, not the 7th,
    # although the last fetch finished a few seconds after its run started.
    slack = min(timedelta(minutes=10), timedelta(hours=hours) / 10)
    if age >= timedelta(hours=hours) - slack:
        return None
    return f"fetched {age.total_seconds() / 3600:.1f} h ago, less than its minimum interval of {hours:g} h"


def _private_dir(root: Path, name: str) -> Path:
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def _fetch_one(
    provider: Provider, context: FetchContext, progress: Callable[[str, str], None], future: Future
) -> None:
    """One provider's fetch; always completes `future` with (result, error, seconds)."""
    began = time.monotonic()
    progress(provider.name, "fetching")
    result: FetchResult | None = None
    error: ProviderError | None = None
    try:
        result = provider.fetch(context)
    except ProviderError as exc:
        error = exc
    except CostError as exc:
        error = ProviderError(str(exc), kind="invalid_data")
    except Exception as exc:  # an SDK or parsing bug must not stop the other providers
        error = ProviderError(f"unexpected {type(exc).__name__}: {exc}", kind="unexpected")
    seconds = time.monotonic() - began
    progress(provider.name, "failed" if error else f"fetched {result.total_rows} rows in {seconds:.1f} s")
    future.set_result((result, error, seconds))


@dataclass
class CachedState:
    """What the cache already holds of one provider."""

    first: date | None = None
    last: date | None = None
    estimated: list[date] = field(default_factory=list)
    objects: dict[str, str] = field(default_factory=dict)
    last_success: datetime | None = None  # of this provider's configured source


def _read_cache_state(
    cache_path: Path, providers: Sequence[Provider], options: RefreshOptions
) -> dict[str, CachedState]:
    """What the cache holds. A cache in use by another program or a corrupt one stops the
    refresh here, before any (paid) fetch, unless `rebuild` starts over anyway."""
    reader = CacheReader(cache_path)
    state: dict[str, CachedState] = {}
    if options.rebuild:
        return state
    try:
        with reader.session(wait_seconds=options.lock_timeout) as queries:
            for provider in providers:
                first, last, estimated = queries.covered_days(provider.name)
                state[provider.name] = CachedState(
                    first,
                    last,
                    estimated,
                    known_with_tags(queries.ingested_objects(provider.name), options.tags),
                    queries.last_success(provider.name, provider.source),
                )
    except CacheMissing:
        pass
    return state


def noted_with_tags(objects: dict[str, str], tags: TagRules) -> dict[str, str]:
    """Ingested objects as recorded: each ETag marked with the tag keys it was read with."""
    mark = tags.fingerprint
    return {key: etag + mark for key, etag in objects.items()} if mark else objects


def known_with_tags(objects: dict[str, str], tags: TagRules) -> dict[str, str]:
    """The objects read with the tag keys configured now (their ETags unmarked): objects read
    with other keys are fetched again, so a change of `[allocation]` fills on the next refresh."""
    mark = tags.fingerprint
    if not mark:
        return {key: etag for key, etag in objects.items() if "|tags=" not in etag}
    return {key: etag[: -len(mark)] for key, etag in objects.items() if etag.endswith(mark)}


def _publish(
    cache_path: Path, outcomes: Sequence[ProviderOutcome], started: datetime, options: RefreshOptions
) -> None:
    with open_writer(cache_path, lock_timeout=options.lock_timeout, rebuild=options.rebuild,
                     today=options.today, answers=options.answers) as writer:
        writer.ensure_tag_columns(options.tags.keys)
        for outcome in outcomes:
            result = outcome.result
            inserted = 0
            if result is not None:
                try:
                    inserted = writer.replace_charges(result.scopes, result.rows, result.parquet_files)
                    outcome.changes = writer.last_changes
                except CostError as exc:
                    outcome.result = None
                    outcome.error = ProviderError(str(exc), kind="invalid_data")
                else:
                    writer.record_ingested_objects(outcome.provider, noted_with_tags(result.ingested_objects, options.tags))
            writer.record_fetch(
                FetchRecord(
                    provider=outcome.provider,
                    source=outcome.source,
                    range_start=outcome.start,
                    range_end=outcome.end,
                    started_at=started,
                    finished_at=utcnow(),
                    status="ok" if outcome.error is None else "error",
                    error_kind=outcome.error.kind if outcome.error else None,
                    error_message=str(outcome.error) if outcome.error else None,
                    row_count=inserted,
                    api_calls=result.api_calls if result else outcome.error.api_calls,
                    bytes_processed=result.bytes_processed if result else None,
                    duration_seconds=outcome.seconds,
                )
            )


def load_once(
    provider: Provider,
    cache_path: Path,
    start: date,
    end: date,
    fresh: bool = False,
    lock_timeout: float = 600.0,
    rebuild: bool = False,
    today: date | None = None,
    tags: TagRules | None = None,
    answers: Sequence[StoredAnswer] = (),
) -> int:
    """Fetch one provider and publish it, raising on any problem (demo, import).

    Nothing is written unless the whole fetch succeeded. Returns rows stored. `today`: the day the
    published forecast parts are for (cache/rollups.write_rollups); `answers` are stored with them."""
    return restate_once(
        provider, cache_path, start, end, fresh=fresh, lock_timeout=lock_timeout, rebuild=rebuild, today=today,
        tags=tags, answers=answers
    ).stored


@dataclass
class Restatement:
    """What one load replaced: rows stored (0 in a dry run) and, per slice, old -> new."""

    stored: int
    changes: list[SliceChange]


def restate_once(
    provider: Provider,
    cache_path: Path,
    start: date,
    end: date,
    fresh: bool = False,
    lock_timeout: float = 600.0,
    rebuild: bool = False,
    dry_run: bool = False,
    today: date | None = None,
    tags: TagRules | None = None,
    answers: Sequence[StoredAnswer] = (),
) -> Restatement:
    """load_once, reporting each replaced slice; `dry_run` computes the report without writing.
    `tags` are the configured tag keys ([allocation]) the rows keep."""
    tags = tags or TagRules()
    workdir = scratch_dir("load")
    try:
        known: dict[str, str] = {}
        try:
            result = provider.fetch(FetchContext(start, end, workdir, known, tags=tags))
        except CostError:
            raise
        except Exception as exc:  # staging into a full or read-only temp dir: one line, its exit code
            problem = storage_error(exc, workdir, "cannot stage data", "point TMPDIR at a folder with room")
            if problem is None:
                raise
            raise problem from None
        if dry_run:
            current = cache_path if cache_path.exists() and not (fresh or rebuild) else None
            return Restatement(0, preview_changes(current, result.scopes, result.parquet_files))
        with open_writer(cache_path, lock_timeout=lock_timeout, fresh=fresh, rebuild=rebuild, today=today,
                         answers=answers) as writer:
            writer.ensure_tag_columns(tags.keys)
            stored = writer.replace_charges(result.scopes, result.rows, result.parquet_files)
            writer.record_ingested_objects(provider.name, noted_with_tags(result.ingested_objects, tags))
        return Restatement(stored, writer.last_changes)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
