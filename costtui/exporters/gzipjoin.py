"""A gzip body made of a big part compressed once and a small part compressed per answer.

The big part is compressed ahead (`GzipHead`: a gzip header and deflate blocks ending on a byte
boundary, no final block, no trailer); `join` appends the small part as a new deflate stream's
blocks and the gzip trailer (CRC-32 and length of both parts). The result is one ordinary gzip
member (RFC 1951/1952), which every client decodes (not a concatenation of members, which some
clients stop reading after the first)."""

from __future__ import annotations

import struct
import zlib
from typing import NamedTuple

LEVEL = 6


class GzipHead(NamedTuple):
    packed: bytes  # gzip header + deflate blocks of the data, no final block, no trailer
    crc: int  # zlib.crc32 of the data
    size: int  # the data's length

    @classmethod
    def of(cls, data: bytes) -> GzipHead:
        packer = zlib.compressobj(LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        packed = packer.compress(data) + packer.flush(zlib.Z_SYNC_FLUSH)  # ends on a byte boundary, not final
        return cls(packed, zlib.crc32(data), len(data))

    def join(self, tail: bytes) -> bytes:
        """The gzip of data + tail."""
        packer = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)  # raw deflate: blocks only
        trailer = struct.pack("<II", zlib.crc32(tail, self.crc), (self.size + len(tail)) & 0xFFFFFFFF)
        return self.packed + packer.compress(tail) + packer.flush() + trailer

    def data(self) -> bytes:
        """The data itself (decompressed)."""
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(self.packed)

    def to_bytes(self) -> bytes:
        return struct.pack("<IQ", self.crc, self.size) + self.packed

    @classmethod
    def from_bytes(cls, blob: bytes) -> GzipHead:
        crc, size = struct.unpack_from("<IQ", blob)
        return cls(blob[12:], crc, size)
