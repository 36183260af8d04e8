"""ZIP members out, within limits, into a temporary folder.

Sizes a ZIP declares about itself are only used to refuse early; every byte that is
actually unpacked is counted while it streams (1 MB chunks), so a member that lies
about its size, or expands far beyond its compressed size, is stopped after at most
one chunk past the limit:

* all members together: ``WORKBENCH_MAX_ZIP_MB`` (limits.ZIP_TOTAL)
* one member's unpacked : packed ratio, once past 1 MB: ``WORKBENCH_MAX_ZIP_RATIO``
* number of entries: ``WORKBENCH_MAX_ZIP_MEMBERS``

A damaged member (bad CRC, broken deflate stream) is an InputError naming it.
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .. import limits
from ..errors import InputError

CHUNK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")


def open_zip(path: Path) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as err:
        raise InputError.coded("zip.unreadable", {"name": path.name, "reason": str(err)}) from None
    try:
        infos = zf.infolist()
    except Exception:  # noqa: BLE001 - a broken central directory
        zf.close()
        raise
    if len(infos) > limits.ZIP_MEMBERS.count():
        zf.close()
        raise limits.ZIP_MEMBERS.exceeded("zip.too_many_entries", {"name": path.name, "count": f"{len(infos):,}"})
    declared = sum(i.file_size for i in infos if not i.is_dir())
    if declared > limits.ZIP_TOTAL.bytes():
        zf.close()
        raise limits.ZIP_TOTAL.exceeded("zip.too_big_declared", {"name": path.name,
                                                                 "mb": f"{declared / 2**20:,.0f}"})
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
    """Bytes unpacked so far from one archive (all members)."""

    archive: str
    limit: int = field(default_factory=lambda: limits.ZIP_TOTAL.bytes())
    used: int = 0


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
