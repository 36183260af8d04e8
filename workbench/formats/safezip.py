"""ZIP members out, within limits, into a temporary folder.

Before anything is unpacked, `open_zip` reads what the archive declares: the entry count
(from the end-of-central-directory record, before the central directory is parsed), the total
size all entries declare and that total against the archive's own size (one ratio for the whole
archive, so hundreds of entries each just under the per-entry floor cannot add up to gigabytes).
Declared sizes can lie, so every byte that is actually unpacked is also counted while it streams
(1 MB chunks), and a member that expands far beyond its compressed size is stopped after at most
one chunk past the limit:

* all members together: ``WORKBENCH_MAX_ZIP_MB`` (limits.ZIP_TOTAL)
* unpacked : packed ratio (``WORKBENCH_MAX_ZIP_RATIO``): of the whole archive (declared, then
  counted) once past 1 MB, and of one member once it unpacked more than 1 MB
* number of entries: ``WORKBENCH_MAX_ZIP_MEMBERS``

A damaged member (bad CRC, broken deflate stream) is an InputError naming it.
"""

from __future__ import annotations

import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .. import limits
from ..errors import InputError

CHUNK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")


def declared_entries(path: Path) -> int | None:
    """The entry count the end-of-central-directory record declares (zip64 included), read
    before the central directory is parsed into one object per entry; None when unreadable."""
    try:
        with open(path, "rb") as fh:
            rec = zipfile._EndRecData(fh)      # the stdlib's own reader (also finds the zip64 record)
    except (OSError, ValueError, EOFError, AttributeError, struct.error, zipfile.BadZipFile):
        return None
    if not rec:
        return None
    try:
        return int(rec[zipfile._ECD_ENTRIES_TOTAL])
    except (IndexError, TypeError, ValueError):
        return None


def check_declared(name: str, infos: list[zipfile.ZipInfo], packed: int) -> None:
    """Refuse an archive on what its central directory declares, before anything is unpacked:
    the entry count, the total unpacked size, and that total against the archive's size."""
    if len(infos) > limits.ZIP_MEMBERS.count():
        raise limits.ZIP_MEMBERS.exceeded("zip.too_many_entries", {"name": name, "count": f"{len(infos):,}"})
    files = [i for i in infos if not i.is_dir()]
    declared = sum(i.file_size for i in files)
    if declared > limits.ZIP_TOTAL.bytes():
        raise limits.ZIP_TOTAL.exceeded("zip.too_big_declared", {"name": name, "mb": f"{declared / 2**20:,.0f}"})
    ratio = limits.ZIP_RATIO.value()
    packed = max(packed, 1)
    if declared > limits.RATIO_FLOOR and declared / packed > ratio:
        biggest = max(files, key=lambda i: i.file_size)
        raise limits.ZIP_RATIO.exceeded("zip.ratio_declared", {
            "name": name, "packed": f"{packed:,}", "mb": f"{declared / 2**20:,.0f}", "entries": f"{len(files):,}",
            "ratio": f"{declared / packed:,.0f}", "max_ratio": f"{ratio:g}", "entry": biggest.filename})


def open_zip(path: Path) -> zipfile.ZipFile:
    """The archive, opened once its declared entry count, total size and ratio are within limits."""
    count = declared_entries(path)
    if count is not None and count > limits.ZIP_MEMBERS.count():
        raise limits.ZIP_MEMBERS.exceeded("zip.too_many_entries", {"name": path.name, "count": f"{count:,}"})
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as err:
        raise InputError.coded("zip.unreadable", {"name": path.name, "reason": str(err)}) from None
    try:
        check_declared(path.name, zf.infolist(), path.stat().st_size)
    except BaseException:  # over a limit, or a broken central directory
        zf.close()
        raise
    zf.packed_size = path.stat().st_size     # what Budget measures the whole archive's ratio against
    return zf


def unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    """Why an entry must not be extracted, or None: "symlink" (a link) or "outside" (zip-slip:
    an absolute path, '..', a NUL byte); the rejected row's code is zip.entry_<reason>."""
    member = info.filename.replace("\\", "/")
    if stat.S_ISLNK(info.external_attr >> 16):
        return "symlink"
    if member.startswith("/") or _DRIVE.match(member) or ".." in PurePosixPath(member).parts or "\x00" in member:
        return "outside"
    return None


@dataclass
class Budget:
    """Bytes unpacked so far from one archive (all members). `packed`: the archive's size, for
    the whole archive's unpacked : packed ratio (0: taken from the ZipFile `open_zip` opened)."""

    archive: str
    limit: int = field(default_factory=lambda: limits.ZIP_TOTAL.bytes())
    used: int = 0
    packed: int = 0


def extract_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: Budget,
                   cap: "limits.Limit | None" = None, cap_bytes: int | None = None,
                   truncate: bool = False) -> int:
    """Stream one member to `target`, counting bytes; return the bytes written.
    `cap` (with `cap_bytes`, default its value): a per-entry limit such as the table size; past
    it the entry is refused, or with `truncate` only its first cap_bytes + 1 bytes are kept (an
    image: what follows the image's own end is cut later, and an image that does not end by
    then is rejected as too big)."""
    if cap is not None and cap_bytes is None:
        cap_bytes = cap.bytes()
    ratio = limits.ZIP_RATIO.value()
    packed = max(int(info.compress_size), 1)
    if not budget.packed:
        budget.packed = int(getattr(zf, "packed_size", 0) or 0)
    written = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    name = f"{budget.archive}!{info.filename}"
    try:
        with zf.open(info) as src, open(target, "wb") as out:
            while True:
                chunk = src.read(CHUNK)
                if not chunk:
                    break
                written += len(chunk)
                budget.used += len(chunk)
                if budget.used > budget.limit:
                    raise limits.ZIP_TOTAL.exceeded("zip.too_big_unpacked", {
                        "name": budget.archive, "mb": f"{budget.limit / 2**20:,.0f}", "entry": info.filename})
                if cap is not None and written > cap_bytes:
                    if truncate:
                        out.write(chunk[:len(chunk) - (written - cap_bytes - 1)])
                        return cap_bytes + 1
                    raise cap.exceeded("zip.entry_too_big" if cap is limits.TABLE_SIZE else "zip.image_too_big",
                                       {"name": name, "mb": f"{cap_bytes / 2**20:,.0f}"})
                if written > limits.RATIO_FLOOR and written / packed > ratio:
                    raise limits.ZIP_RATIO.exceeded("zip.bomb", {
                        "name": name, "packed": f"{packed:,}", "written": f"{written:,}",
                        "ratio": f"{written / packed:,.0f}", "max_ratio": f"{ratio:g}"})
                if budget.packed and budget.used > limits.RATIO_FLOOR and budget.used / budget.packed > ratio:
                    raise limits.ZIP_RATIO.exceeded("zip.ratio_unpacked", {
                        "name": budget.archive, "packed": f"{budget.packed:,}", "written": f"{budget.used:,}",
                        "ratio": f"{budget.used / budget.packed:,.0f}", "max_ratio": f"{ratio:g}",
                        "entry": info.filename})
                out.write(chunk)
    except zipfile.BadZipFile as err:
        target.unlink(missing_ok=True)
        if "CRC" in str(err):
            raise InputError.coded("zip.bad_crc", {"name": name}) from None
        raise InputError.coded("zip.damaged", {"name": name, "reason": str(err)}) from None
    except (zlib.error, EOFError, NotImplementedError, RuntimeError) as err:
        target.unlink(missing_ok=True)
        raise InputError.coded("zip.cannot_unpack", {"name": name,
                                                     "reason": f"{type(err).__name__}: {err}"}) from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return written
