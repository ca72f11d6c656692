"""A gzip body made of a big part compressed once and a small part compressed per answer.

The big part is compressed ahead (`gzip_head`: a gzip header and deflate blocks ending on a byte
boundary, no final block, no trailer); `gzip_join` appends the small part as a new deflate stream's
blocks and the gzip trailer (CRC-32 and length of both parts). The result is one ordinary gzip
member (RFC 1951/1952), which every client decodes (not a concatenation of members, which some
clients stop reading after the first)."""

from __future__ import annotations

import struct
import zlib

LEVEL = 6


def gzip_head(data: bytes) -> bytes:
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush(zlib.Z_SYNC_FLUSH)  # ends on a byte boundary, not final


def gzip_join(head: bytes, data: bytes, tail: bytes, data_crc: int | None = None) -> bytes:
    """`gzip_head(data)` with `tail` after it, as one gzip member of data + tail. `data_crc`:
    zlib.crc32(data), if known (a few ms for megabytes)."""
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)  # raw deflate: blocks only
    crc = zlib.crc32(tail, zlib.crc32(data) if data_crc is None else data_crc)
    trailer = struct.pack("<II", crc, (len(data) + len(tail)) & 0xFFFFFFFF)
    return head + packer.compress(tail) + packer.flush() + trailer
