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
        raise InputError(f"'{path.name}' is not a readable ZIP archive ({err}).",
                         "Re-create the ZIP and import it again.") from None
    try:
        infos = zf.infolist()
    except Exception:  # noqa: BLE001 - a broken central directory
        zf.close()
        raise
    if len(infos) > limits.ZIP_MEMBERS.count():
        zf.close()
        raise limits.ZIP_MEMBERS.exceeded(f"'{path.name}'", f"it has {len(infos):,} entries",
                                          "Put only the candidate file and its images in the ZIP.")
    declared = sum(i.file_size for i in infos if not i.is_dir())
    if declared > limits.ZIP_TOTAL.bytes():
        zf.close()
        raise limits.ZIP_TOTAL.exceeded(f"'{path.name}'", f"it says it unpacks to {declared / 2**20:,.0f} MB",
                                        "Split the set into smaller archives.")
    return zf


def unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    """Why an entry must not be extracted (zip-slip, absolute path, link), or None."""
    member = info.filename.replace("\\", "/")
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a symbolic link"
    if member.startswith("/") or _DRIVE.match(member) or ".." in PurePosixPath(member).parts or "\x00" in member:
        return "points outside the archive folder (zip-slip)"
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
    name = f"'{budget.archive}!{info.filename}'"
    try:
        with zf.open(info) as src, open(target, "wb") as out:
            while True:
                chunk = src.read(CHUNK)
                if not chunk:
                    break
                written += len(chunk)
                budget.used += len(chunk)
                if budget.used > budget.limit:
                    raise limits.ZIP_TOTAL.exceeded(
                        f"'{budget.archive}'", f"it unpacked past {budget.limit / 2**20:,.0f} MB "
                        f"(at entry '{info.filename}')", "Split the set into smaller archives.")
                if cap is not None and written > cap_bytes:
                    if truncate:
                        out.write(chunk[:len(chunk) - (written - cap_bytes - 1)])
                        return cap_bytes + 1
                    raise cap.exceeded(f"ZIP entry {name}", f"it unpacks to more than {cap_bytes / 2**20:,.0f} MB")
                if written > limits.RATIO_FLOOR and written / packed > ratio:
                    raise limits.ZIP_RATIO.exceeded(
                        f"ZIP entry {name}", f"{packed:,} packed bytes unpacked to more than {written:,} "
                        f"({written / packed:,.0f}:1) - a 'ZIP bomb' shape",
                        "Check where the archive came from; genuine candidate files rarely compress "
                        f"better than {ratio:g}:1.")
                out.write(chunk)
    except zipfile.BadZipFile as err:
        target.unlink(missing_ok=True)
        what = ("bad CRC checksum: its bytes are not the ones that were packed" if "CRC" in str(err)
                else str(err))
        raise InputError(f"ZIP entry {name} is damaged ({what}).",
                         "Re-create the ZIP from the original files (or re-download it) and import it again.") from None
    except (zlib.error, EOFError, NotImplementedError, RuntimeError) as err:
        target.unlink(missing_ok=True)
        raise InputError(f"ZIP entry {name} cannot be unpacked ({type(err).__name__}: {err}).",
                         "Re-create the ZIP with ordinary (deflate) compression and no password, and import "
                         "it again.") from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return written
