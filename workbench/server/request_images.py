"""Images of one request as files (the engine reads paths), removed when the request ends,
and error messages that never show a server path.

The server has one temporary root folder (workbench-serve-*, removed at shutdown); each request
gets its own subfolder, deleted when its answer is sent or it is cancelled. A message that
names an image file is rewritten to name the request's field instead ("documents[2]'s image").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import shutil
import tempfile
import uuid
from pathlib import Path

from .guard import RequestError

MAX_IMAGE_BYTES = 32 * 1024 * 1024
MAX_ASPECT = 200                # qwen-vl-utils refuses more elongated images
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=_\-\s]")   # e.g. "://" of a URL, a path's dots
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:/|\\)(?:[^\s'\"<>|:*?]+(?:/|\\))+[^\s'\"<>|:*?,;)]*")


class ImageRoot:
    """The server's temporary folder; `request()` gives one request's folder."""

    def __init__(self, folder: Path | None = None):
        self._tmp = None
        if folder is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="workbench-serve-")
            folder = Path(self._tmp.name)
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def request(self) -> RequestImages:
        return RequestImages(self.folder / f"req-{uuid.uuid4().hex}")

    def cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    def files(self) -> list[Path]:
        return [p for p in self.folder.rglob("*") if p.is_file()]


class RequestImages:
    def __init__(self, folder: Path):
        self.folder = folder
        self.labels: dict[str, str] = {}      # file stem (sha256) -> "documents[2]'s image"

    def from_url(self, url: str | None, field: str) -> tuple[str, str]:
        """(path, sha256) of an image sent as a data URL or as raw base64 (Jina's {"image": "<base64>"});
        400 naming `field` otherwise."""
        if not isinstance(url, str) or not url.strip():
            raise RequestError(400, f"{field}: the image is empty; send it as a data URL "
                                    "(data:image/png;base64,...) or as base64 text.")
        url = url.strip()
        if url.startswith("data:"):
            head, _, data = url.partition(",")
            if ";base64" not in head:
                raise RequestError(400, f"{field}: the image data URL is not base64 encoded "
                                        "(expected data:image/...;base64,...).")
        elif _NOT_BASE64.search(url[:512]):
            raise RequestError(400, f"{field}: images must be sent inline, as data URLs "
                                    "(data:image/png;base64,...) or base64 text; this server does not fetch "
                                    "http(s) URLs or read server paths.")
        else:
            data = url                           # raw base64 (Jina)
        compact = "".join(data.split())          # line breaks inside base64 are allowed
        try:                                     # strict: stray characters are an error, not dropped
            if "-" in compact or "_" in compact:
                raw = base64.b64decode(compact.translate(str.maketrans("-_", "+/")), validate=True)
            else:
                raw = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError) as err:
            raise RequestError(400, f"{field}: the image data URL's base64 is malformed ({err}); send the "
                                    "file's bytes base64-encoded (e.g. base64.b64encode(data).decode()).") from None
        if not raw:
            raise RequestError(400, f"{field}: the image data URL holds no data (nothing after 'base64,').")
        if len(raw) > MAX_IMAGE_BYTES:
            raise RequestError(400, f"{field}: the image is {len(raw) / 2**20:.1f} MB, larger than the "
                                    f"{MAX_IMAGE_BYTES // 2**20} MB this server accepts.")
        digest = hashlib.sha256(raw).hexdigest()
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{digest}.img"
        self.labels.setdefault(digest, f"{field}'s image")
        if not path.exists():
            tmp = path.with_suffix(".part")
            tmp.write_bytes(raw)
            tmp.replace(path)
        _check_image(path, field)
        return str(path), digest

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def scrub(self, message: str) -> str:
        """`message` with every file path replaced: an image of this request by its field, any
        other path by '<server path>'."""
        def name(match: re.Match) -> str:
            text = match.group(0)
            stem = re.split(r"[/\\]", text)[-1].split(".")[0]
            return self.labels.get(stem, "<server path>")

        return scrub(message, name)


def scrub(message: str, name=None) -> str:
    """Paths in a message replaced (by `name(match)`, default '<server path>')."""
    return _PATH.sub(name or (lambda _m: "<server path>"), message)


def _check_image(path: Path, field: str) -> None:
    """Cheap checks from the header (no pixel decoding): a known format, not a decompression bomb."""
    try:
        from PIL import Image

        from ..images import MAX_DECODE_PIXELS

        with Image.open(path) as im:
            w, h = im.size
            im.verify()
    except Exception:  # noqa: BLE001 - any failure here is the client's image
        raise RequestError(400, f"{field}: the image could not be decoded (send PNG, JPEG or WebP).") from None
    if min(w, h) < 1 or max(w, h) / min(w, h) > MAX_ASPECT:
        raise RequestError(400, f"{field}: the image is {w}x{h} pixels; the model takes images up to "
                                f"{MAX_ASPECT}:1 (send a less elongated crop).")
    if w * h > MAX_DECODE_PIXELS:
        raise RequestError(400, f"{field}: the image has {w}x{h} pixels, more than this server decodes "
                                f"({MAX_DECODE_PIXELS / 1e6:.0f} MP); send a smaller image (the model sees at "
                                "most about 1 MP).")
