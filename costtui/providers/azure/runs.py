"""Azure export runs: find each date range's newest run in a blob listing and read its manifest."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from costtui.providers.base import ProviderError

RANGE_FOLDER = re.compile(r"^(\d{8})-(\d{8})$")
RUN_TIMESTAMP = re.compile(r"^\d{12}(\d{2})?$")  # 202611031833 or 20261103183355
MANIFEST_NAMES = ("manifest.json", "_manifest.json")
DATA_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".snappy.parquet", ".gz.parquet")


@dataclass(frozen=True)
class BlobInfo:
    name: str
    etag: str
    size: int
    last_modified: datetime


@dataclass
class ManifestBlob:
    name: str
    row_count: int | None


@dataclass
class Manifest:
    blob_name: str
    submitted: datetime | None
    blobs: list[ManifestBlob]
    row_count: int | None


@dataclass
class ExportRun:
    """One run of an export for one date range: its data files and manifest, if any."""

    range_start: date
    range_end: date
    folder: str  # the run's folder, e.g. exports/actual/20261101-20261130/202611031833/<guid>
    run_timestamp: datetime | None
    blobs: list[BlobInfo] = field(default_factory=list)
    manifest_blob: BlobInfo | None = None
    manifest: Manifest | None = None

    @property
    def range_key(self) -> str:
        return f"{self.range_start:%Y%m%d}-{self.range_end:%Y%m%d}"

    @property
    def data_blobs(self) -> list[BlobInfo]:
        return [b for b in self.blobs if is_data_blob(b.name)]

    @property
    def all_blobs(self) -> list[BlobInfo]:
        return self.blobs + ([self.manifest_blob] if self.manifest_blob else [])

    def overlaps(self, start: date, end: date) -> bool:
        return self.range_start <= end and self.range_end >= start

    def newest_upload(self) -> datetime:
        return max((b.last_modified for b in self.all_blobs), default=datetime.min.replace(tzinfo=UTC))

    def order_key(self) -> tuple[datetime, datetime, str]:
        """Which run of a range is newest: the manifest's runInfo.submittedTime, else the
        runTimestamp folder, else the latest blob upload; ties broken by upload time, then name."""
        submitted = self.manifest.submitted if self.manifest else None
        when = submitted or self.run_timestamp or self.newest_upload()
        return when, self.newest_upload(), self.folder


def is_data_blob(name: str) -> bool:
    base = name.rsplit("/", 1)[-1].lower()
    return base not in MANIFEST_NAMES and base.endswith(DATA_SUFFIXES)


def group_runs(prefix: str, blobs: list[BlobInfo]) -> list[ExportRun]:
    """Group a listing of `<prefix>/` into runs: `<range>/[<runTimestamp>/]<runGuid>/<file>`.

    A file lying directly in the range folder (the older, unpartitioned layout) is a run of its own."""
    runs: dict[str, ExportRun] = {}
    root = prefix.strip("/")
    for blob in blobs:
        relative = blob.name[len(root) + 1 :] if root else blob.name
        parts = relative.split("/")
        match = RANGE_FOLDER.match(parts[0]) if len(parts) >= 2 else None
        if not match:
            continue
        try:
            start = datetime.strptime(match.group(1), "%Y%m%d").date()
            end = datetime.strptime(match.group(2), "%Y%m%d").date()
        except ValueError:
            continue
        inner = parts[1:-1]
        stamp = _run_timestamp(inner[0]) if len(inner) >= 2 else None
        folder = blob.name if not inner else blob.name.rsplit("/", 1)[0]
        run = runs.setdefault(folder, ExportRun(start, end, folder, stamp))
        if parts[-1].lower() in MANIFEST_NAMES:
            run.manifest_blob = blob
        elif is_data_blob(blob.name):
            run.blobs.append(blob)
    for run in runs.values():
        run.blobs.sort(key=lambda b: b.name)
    return [run for run in runs.values() if run.blobs or run.manifest_blob]


def newest_runs(runs: list[ExportRun]) -> dict[str, ExportRun]:
    """The newest run of each date range, keyed by the range folder name.

    Where a range's runs come with manifests, a run without one is still being written
    (Azure writes the manifest last) and is passed over."""
    with_manifest = {run.range_key for run in runs if run.manifest_blob is not None}
    chosen: dict[str, ExportRun] = {}
    for run in runs:
        if run.range_key in with_manifest and run.manifest_blob is None:
            continue
        current = chosen.get(run.range_key)
        if current is None or run.order_key() > current.order_key():
            chosen[run.range_key] = run
    return chosen


def overlap_clusters(runs: list[ExportRun]) -> list[list[ExportRun]]:
    """Runs whose date ranges overlap, chained: they must be ingested together so the
    newest run decides each shared day."""
    clusters: list[list[ExportRun]] = []
    cluster_end: date | None = None
    for run in sorted(runs, key=lambda r: (r.range_start, r.range_end)):
        if clusters and cluster_end is not None and run.range_start <= cluster_end:
            clusters[-1].append(run)
            cluster_end = max(cluster_end, run.range_end)
        else:
            clusters.append([run])
            cluster_end = run.range_end
    return clusters


def parse_manifest(blob_name: str, text: bytes, run: ExportRun) -> Manifest:
    """Read a Cost Management export manifest (blobs with dataRowCount, runInfo)."""
    try:
        data = json.loads(text)
        entries = data.get("blobs") or []
        blobs = [
            ManifestBlob(_full_name(str(e["blobName"]), run.folder), _count(e.get("dataRowCount")))
            for e in entries
        ]
        submitted = _parse_time((data.get("runInfo") or {}).get("submittedTime"))
        return Manifest(blob_name, submitted, blobs, _count(data.get("dataRowCount")))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ProviderError(
            f"manifest {blob_name} is not a valid export manifest ({type(exc).__name__}: {exc})",
            kind="invalid_data",
        ) from None


def _full_name(name: str, folder: str) -> str:
    # Manifests name blobs from the container root; accept names relative to the run folder too.
    name = name.lstrip("/")
    return name if "/" in name else f"{folder}/{name}"


def _count(value: object) -> int | None:
    if value is None:
        return None
    count = int(value)
    if count < 0:
        raise ValueError(f"negative row count {count}")
    return count


def _parse_time(value: object) -> datetime | None:
    if not value:
        return None
    text = str(value).strip().replace("Z", "+00:00")
    # Azure writes seven fractional digits; Python accepts at most six.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _run_timestamp(folder: str) -> datetime | None:
    if not RUN_TIMESTAMP.match(folder):
        return None
    try:
        layout = "%Y%m%d%H%M%S" if len(folder) == 14 else "%Y%m%d%H%M"
        return datetime.strptime(folder, layout).replace(tzinfo=UTC)
    except ValueError:
        return None
