"""Which tags a source row keeps: the configured keys, trimmed and alias-merged (pure, no I/O).

Every source (FOCUS files, Azure, GCP, AWS, the demo) reduces its raw tags to `CostRow.tags`
through `TagRules.pick`, or through SQL built from `TagRules.spellings` in the same order, so a
tag means the same thing whichever cloud reported it. The rule:

- a raw key is matched after trimming spaces (`" org"` is `org`); matching is case-sensitive,
  other spellings are merged only by `[allocation.aliases]`;
- for each configured key, the first spelling with a non-empty value wins, in this order: the key
  itself, then its aliases in the order configured;
- keys not configured are dropped; a missing key, a null or an empty value is untagged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from costtui.model import normalise_tag_key, tag_column


@dataclass(frozen=True, slots=True)
class TagRules:
    """The configured tag keys (trimmed, as `[allocation] tag_keys`) and their aliases."""

    keys: tuple[str, ...] = ()
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, allocation: object) -> TagRules:
        """From the config's `allocation` section (anything with `tag_keys` and `aliases`)."""
        return cls(
            tuple(normalise_tag_key(k) for k in getattr(allocation, "tag_keys", ())),
            MappingProxyType(
                {normalise_tag_key(k): tuple(v) for k, v in dict(getattr(allocation, "aliases", {})).items()}
            ),
        )

    def __bool__(self) -> bool:
        return bool(self.keys)

    @property
    def fingerprint(self) -> str:
        """A short mark of the keys and aliases ("" without keys): refresh notes it with each source
        object it ingests, so a change of keys re-reads the objects already ingested."""
        if not self.keys:
            return ""
        text = json.dumps([self.keys, {k: list(v) for k, v in sorted(self.aliases.items())}])
        return "|tags=" + hashlib.sha256(text.encode()).hexdigest()[:12]

    def spellings(self, key: str) -> tuple[str, ...]:
        """The raw (trimmed) keys read for a configured key, first match first."""
        return (key, *(a for a in self.aliases.get(key, ()) if a != key))

    @property
    def columns(self) -> dict[str, str]:
        """Configured key -> its cache column."""
        return {key: tag_column(key) for key in self.keys}

    def pick(self, raw: Mapping[str, object] | Iterable[tuple[str, object]] | None) -> dict[str, str]:
        """The configured tags of one row from its raw tags (a mapping, or key/value pairs)."""
        if not self.keys or not raw:
            return {}
        pairs = raw.items() if isinstance(raw, Mapping) else raw
        trimmed: dict[str, str] = {}
        for key, value in pairs:
            text = tag_text(value)
            name = normalise_tag_key(str(key))
            if text and name not in trimmed:  # "org" and " org" both present: the first non-empty one
                trimmed[name] = text
        picked = {}
        for key in self.keys:
            for spelling in self.spellings(key):
                if spelling in trimmed:
                    picked[key] = trimmed[spelling]
                    break
        return picked


def tag_text(value: object) -> str | None:
    """A raw tag value as stored: text as it is, other JSON scalars as their JSON text
    (what DuckDB's `->>` gives), None and "" as untagged."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def parse_tag_object(text: str | None) -> dict[str, object]:
    """A JSON object of tags (FOCUS `Tags`, Azure MCA); anything else counts as no tags."""
    if not text or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
