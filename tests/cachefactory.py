"""Small caches with known numbers, built through the real writer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

from costtui.cache import open_writer
from costtui.model import CostRow, ReplaceScope


def row(day: date, provider: str = "aws", account: str = "111", service: str = "EC2", cost: str = "1.00",
        category: str = "Usage", region: str = "us-east-1", currency: str = "USD", effective: str | None = None,
        billing_account: str = "payer", estimated: bool = False, tags: dict[str, str] | None = None) -> CostRow:
    return CostRow(day, provider, billing_account, account, f"name-{account}", service, region, category,
                   Decimal(cost), Decimal(effective if effective is not None else cost), currency, estimated,
                   tags or {})


def write_rows(path: Path, rows: Iterable[CostRow], tag_keys: Iterable[str] = ()) -> None:
    """Publish rows, each provider's scope spanning its days; `tag_keys` as `[allocation] tag_keys`."""
    rows = list(rows)
    scopes = {}
    for r in rows:
        start, end = scopes.get(r.provider, (r.charge_date, r.charge_date))
        scopes[r.provider] = (min(start, r.charge_date), max(end, r.charge_date))
    with open_writer(path) as writer:
        writer.ensure_tag_columns(list(tag_keys))
        writer.replace_charges([ReplaceScope(p, s, e) for p, (s, e) in scopes.items()], rows)
