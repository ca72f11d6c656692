"""JSON text with money written exactly: Decimals as JSON numbers from their digits, never via float.

One encoder for every JSON costtui emits (the REST API, `costs`/`alerts --format json`, webhooks)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from costtui.model import exact_text


def encode_json(value: Any) -> str:
    """Decimals as exact numbers (non-finite as null), dates as ISO 8601, naive datetimes as UTC (Z)."""
    if isinstance(value, Decimal):
        return exact_text(value) if value.is_finite() else "null"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {encode_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(encode_json(item) for item in value) + "]"
    if isinstance(value, datetime):
        return json.dumps(value.isoformat(timespec="seconds") + ("Z" if value.tzinfo is None else ""))
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    return json.dumps(value)
