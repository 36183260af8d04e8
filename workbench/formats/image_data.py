"""Only the image: where an image file's data really ends, and the copy that is kept.

A file can carry anything after the image's own end marker (hundreds of MB of junk,
another file glued on). `image_extent` reads the container structure - PNG chunks
up to IEND, JPEG segments and entropy-coded data up to EOI, GIF blocks up to the
trailer, the RIFF size of WebP, the BMP file size - without decoding pixels, and
returns the length of the image itself (None when the format has no end marker we
read, e.g. TIFF/HEIF/AVIF: those are kept whole, within the size limit).

`kept_image` returns the path and content hash of what will be stored: the file
itself, or (when there was data after the image) a copy of just the image in the
content-addressed folder WORKBENCH_HOME/imports/images/<sha256>.<ext>.
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path
from typing import BinaryIO

from .. import config, limits
from ..i18n import t

# SQLite refuses a single value above SQLITE_MAX_LENGTH (1e9 bytes by default)
SQLITE_MAX_BLOB = 1_000_000_000 - 1024


def image_limit() -> int:
    return min(limits.IMAGE_SIZE.bytes(), SQLITE_MAX_BLOB)


PAST_LIMIT = -1              # image_extent: the image does not end within the limit it was given
MAX_PNG_CHUNKS = 1 << 20     # more chunks than any real PNG has: its end is not looked for further
_BLOCK = 1 << 16


class _PastStop(Exception):
    """The walk passed the byte it was allowed to reach."""


def _png_end(fh: BinaryIO, stop: int) -> int | None:
    pos = 8
    for _ in range(MAX_PNG_CHUNKS):
        if pos > stop:
            raise _PastStop
        fh.seek(pos)
        head = fh.read(8)
        if len(head) < 8:
            return None
        length, kind = struct.unpack(">I4s", head)
        if not kind.isalpha():                 # chunk types are four ASCII letters: not a PNG any more
            return None
        pos += 12 + length                     # length, type, data, CRC
        if kind == b"IEND":
            return pos
    return None


def _next_marker(fh: BinaryIO, pos: int, stop: int, entropy: bool) -> tuple[int, int] | None:
    """(position, value) of the next JPEG marker byte at or after `pos`, read in blocks: an 0xFF
    followed by fill bytes (0xFF) and the marker. In entropy-coded data (`entropy`), FF00 and
    RSTn are data. Between segments only one block of stray bytes is tolerated (libjpeg warns
    about "extraneous bytes"; a file of zeros is no JPEG). None at the end of the file."""
    scanned = 0
    while True:
        if pos > stop:
            raise _PastStop
        fh.seek(pos)
        block = fh.read(_BLOCK)
        if not block:
            return None
        i = block.find(b"\xff")
        while i != -1:
            j = i + 1
            while j < len(block) and block[j] == 0xFF:
                j += 1
            if j >= len(block):                # the block ends inside FF fill bytes: read on from the last
                break
            m = block[j]
            if entropy and (m == 0x00 or 0xD0 <= m <= 0xD7):
                i = block.find(b"\xff", j + 1)
                continue
            return pos + j, m
        if i != -1 and len(block) > 1:
            pos += max(len(block) - 1, 1)      # re-read from the last FF
        elif len(block) < _BLOCK and i != -1:
            return None                        # the file ends in an FF
        else:
            pos += len(block)
        scanned += len(block)
        if not entropy and scanned > _BLOCK:
            return None


def _jpeg_end(fh: BinaryIO, stop: int) -> int | None:
    pos, entropy = 2, False
    while True:
        found = _next_marker(fh, pos, stop, entropy)
        if found is None:
            return None
        at, m = found
        if m == 0xD9:                          # EOI
            return at + 1
        if m == 0x01 or 0xD0 <= m <= 0xD7:     # no length
            pos = at + 1
            continue
        fh.seek(at + 1)
        raw = fh.read(2)
        if len(raw) < 2:
            return None
        pos = at + 1 + struct.unpack(">H", raw)[0]
        entropy = m == 0xDA                    # start of scan: entropy-coded data until a real marker


def _gif_end(fh: BinaryIO, stop: int) -> int | None:
    fh.seek(10)
    flags = fh.read(1)
    if not flags:
        return None
    fh.seek(13)
    if flags[0] & 0x80:
        fh.seek(13 + 3 * (2 << (flags[0] & 7)))

    def skip_sub_blocks() -> bool:
        while True:
            if fh.tell() > stop:
                raise _PastStop
            n = fh.read(1)
            if not n:
                return False
            if n[0] == 0:
                return True
            fh.seek(fh.tell() + n[0])

    while True:
        if fh.tell() > stop:
            raise _PastStop
        kind = fh.read(1)
        if not kind:
            return None
        if kind == b"\x3b":                    # trailer
            return fh.tell()
        if kind == b"\x21":                    # extension
            fh.read(1)
            if not skip_sub_blocks():
                return None
        elif kind == b"\x2c":                  # image descriptor
            desc = fh.read(9)
            if len(desc) < 9:
                return None
            if desc[8] & 0x80:
                fh.seek(fh.tell() + 3 * (2 << (desc[8] & 7)))
            fh.read(1)                         # LZW minimum code size
            if not skip_sub_blocks():
                return None
        else:
            return None


def image_extent(path: str | Path, limit: int | None = None) -> int | None:
    """Length in bytes of the image data at the start of the file, or None when unknown.

    With `limit`, the walk never reads past that many bytes: PAST_LIMIT (-1) when the image does
    not end within them (a sparse or padded file of gigabytes costs at most `limit` bytes read,
    and usually a few hundred: zeros are neither PNG chunks nor JPEG markers)."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            capped = limit is not None and limit < size
            stop = limit if capped else size
            head = fh.read(32)
            try:
                if head.startswith(b"\x89PNG\r\n\x1a\n"):
                    return _png_end(fh, stop)
                if head.startswith(b"\xff\xd8"):
                    return _jpeg_end(fh, stop)
                if head[:6] in (b"GIF87a", b"GIF89a"):
                    return _gif_end(fh, stop)
            except _PastStop:
                return PAST_LIMIT if capped else None
            if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
                size = struct.unpack("<I", head[4:8])[0] + 8
                return size + (size & 1)
            if head[:2] == b"BM" and len(head) >= 6:
                return struct.unpack("<I", head[2:6])[0] or None
    except (OSError, struct.error):
        return None
    return None


def _hash_prefix(path: Path, n: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        left = n
        while left > 0:
            chunk = fh.read(min(1 << 20, left))
            if not chunk:
                break
            h.update(chunk)
            left -= len(chunk)
    return h.hexdigest()


def content_store() -> Path:
    folder = config.home_dir() / "imports" / "images"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_copy(path: Path, sha: str, n_bytes: int | None = None) -> Path:
    """Copy (the first n_bytes of) `path` to the content store as <sha>.<ext>; return it."""
    target = content_store() / f"{sha}{path.suffix.lower()}"
    if target.exists() and target.stat().st_size == (n_bytes if n_bytes is not None else path.stat().st_size):
        return target
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(path, "rb") as src, open(tmp, "wb") as out:
        left = n_bytes if n_bytes is not None else None
        while left is None or left > 0:
            chunk = src.read(1 << 20 if left is None else min(1 << 20, left))
            if not chunk:
                break
            out.write(chunk)
            if left is not None:
                left -= len(chunk)
    os.replace(tmp, target)
    return target


def oversize_message(raw: str, size: int) -> tuple[str, dict]:
    """(code, params) of the row error for an image over the size limit (catalog err.<code>)."""
    lim = limits.IMAGE_SIZE
    cap = image_limit()
    code = "import.image_too_big_db" if cap < lim.bytes() else "import.image_too_big"
    return code, {"raw": raw, "mb": f"{size / 2**20:,.1f}", "limit_mb": f"{cap / 2**20:,.0f}", "env": lim.env,
                  "now": f"{lim.value():g}"}


def kept_image(path: Path, raw: str) -> tuple[Path, str | None, str | None]:
    """(path to store, its sha256 or None to hash the whole file, note) for an image file.

    The file's size comes first (stat): a file within the limit is walked for where its image
    ends (junk after it is cut); a bigger one is only walked up to the limit, so a sparse file of
    gigabytes is refused after reading a few bytes, before anything is hashed or decoded.
    Raises ValueError(code, params) when the image itself is over the size limit (see oversize_message)."""
    size = path.stat().st_size
    cap = image_limit()
    end = image_extent(path, limit=cap)
    if end == PAST_LIMIT or (end is None and size > cap):
        raise ValueError(*oversize_message(raw, size))
    if end is not None and 0 < end < size:
        if end > cap:
            raise ValueError(*oversize_message(raw, end))
        sha = _hash_prefix(path, end)
        copy = store_copy(path, sha, end)
        extra = size - end
        note = (t("import.note_trailing_mb", image=raw, mb=f"{extra / 2**20:,.1f}") if extra >= 2**20 else
                t("import.note_trailing_bytes", image=raw, n=f"{extra:,}"))
        return copy, sha, note
    if size > cap:
        raise ValueError(*oversize_message(raw, size))
    return path, None, None
