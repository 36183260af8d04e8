"""Images as people pass them to the library, turned into the one thing the engine reads: a
file path. Every form goes through the same intake and limits (`workbench.images`):

    a path (str / Path)             used as it is
    a PIL image                     saved as PNG
    bytes                           the file's bytes (PNG, JPEG, WebP, …)
    "data:image/png;base64,…"       a data URL (what vLLM, Jina and OpenAI clients send)
    "http(s)://…"                   fetched only when the caller allows it
                                    (`Reranker.fetch_image_urls = True` or WORKBENCH_FETCH_IMAGE_URLS=1),
                                    with the byte limit and a time limit

Bytes are checked against WORKBENCH_MAX_IMAGE_MB before anything is written, then decoded once
(`images.inspect_image`: header first, then pixels), and written to a per-process temporary
folder under their sha256 (removed when the process ends). The score cache keys on those
bytes, so the file's location never matters.

`content_parts(value)` reads vLLM / OpenAI content parts
(`[{"type": "text", "text": …}, {"type": "image_url", "image_url": {"url": …}}]`) into
(text, image).
"""

from __future__ import annotations

import atexit
import base64
import binascii
import hashlib
import io
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from . import config
from .errors import ImageError, InputError

FETCH_TIMEOUT_S = 20.0
_DIR: Path | None = None
_LOCK = threading.Lock()


def _folder() -> Path:
    global _DIR
    with _LOCK:
        if _DIR is None or not _DIR.is_dir():
            _DIR = Path(tempfile.mkdtemp(prefix="workbench-inputs-"))
            atexit.register(shutil.rmtree, _DIR, True)
        return _DIR


def fetch_allowed() -> bool:
    return (config.env("WORKBENCH_FETCH_IMAGE_URLS") or "0").strip().lower() in ("1", "true", "yes", "on")


def _limit() -> int:
    from .images import image_byte_limit

    return image_byte_limit()


def from_bytes(data: bytes, where: str) -> str:
    """A file holding `data` (checked: size first, then decoded once); its path."""
    data = bytes(data)
    if not data:
        raise InputError.coded("inputs.image_empty", {"where": where})
    cap = _limit()
    if len(data) > cap:
        raise ImageError.coded("inputs.image_too_big", {"where": where, "mb": f"{len(data) / 2**20:.1f}",
                                                        "cap": f"{cap / 2**20:.0f}"})
    from .images import inspect_image

    meta = inspect_image(data, name=where)            # a broken or bomb image fails here, named
    digest = hashlib.sha256(data).hexdigest()
    ext = (meta.format or "img").lower()
    path = _folder() / f"{digest}.{ext}"
    if not path.exists():
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return str(path)


def decode_data_url(url: str, where: str) -> bytes:
    """The bytes of a base64 data URL, or InputError saying what is wrong with it."""
    head, sep, payload = url.partition(",")
    if not sep or ";base64" not in head.lower():
        raise InputError.coded("inputs.data_url_not_base64", {"where": where, "head": head[:40]})
    compact = "".join(payload.split())
    try:
        if "-" in compact or "_" in compact:        # the URL-safe alphabet
            return base64.b64decode(compact.translate(str.maketrans("-_", "+/")), validate=True)
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise InputError.coded("inputs.data_url_malformed", {"where": where}) from None


def fetch(url: str, where: str) -> bytes:
    """GET an http(s) image within the byte limit and FETCH_TIMEOUT_S."""
    try:
        import httpx
    except ImportError:  # pragma: no cover - [serve] brings it
        from .extras import require

        require("httpx", "fetching image URLs", extra="serve")
        raise
    cap = _limit()
    try:
        with httpx.stream("GET", url, timeout=FETCH_TIMEOUT_S, follow_redirects=True) as resp:
            if resp.status_code != 200:
                raise InputError.coded("inputs.url_status", {"where": where, "url": url[:200],
                                                             "status": resp.status_code})
            declared = int(resp.headers.get("content-length") or 0)
            if declared > cap:
                raise ImageError.coded("inputs.image_too_big", {"where": where, "mb": f"{declared / 2**20:.1f}",
                                                                "cap": f"{cap / 2**20:.0f}"})
            buf = io.BytesIO()
            for chunk in resp.iter_bytes():
                buf.write(chunk)
                if buf.tell() > cap:
                    raise ImageError.coded("inputs.image_too_big", {
                        "where": where, "mb": f"> {cap / 2**20:.0f}", "cap": f"{cap / 2**20:.0f}"})
            return buf.getvalue()
    except httpx.TimeoutException:
        raise InputError.coded("inputs.url_timeout", {"where": where, "url": url[:200],
                                                      "seconds": f"{FETCH_TIMEOUT_S:g}"}) from None
    except httpx.HTTPError as err:
        raise InputError.coded("inputs.url_failed", {"where": where, "url": url[:200],
                                                     "reason": type(err).__name__}) from None


def image_path(value: Any, where: str, *, fetch_urls: bool | None = None) -> str | None:
    """The file path the engine reads for an image given in any form above (None for none)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return from_bytes(bytes(value), where)
    if _is_pil(value):
        buf = io.BytesIO()
        value.save(buf, format="PNG")
        return from_bytes(buf.getvalue(), where)
    if isinstance(value, str):
        text = value.strip()
        low = text[:16].lower()
        if low.startswith("data:"):
            return from_bytes(decode_data_url(text, where), where)
        if low.startswith(("http://", "https://")):
            allowed = fetch_allowed() if fetch_urls is None else fetch_urls
            if not allowed:
                raise InputError.coded("inputs.url_not_allowed", {"where": where, "url": text[:200]})
            return from_bytes(fetch(text, where), where)
        return value
    raise InputError.coded("inputs.image_bad_type", {"where": where, "type": type(value).__name__})


def _is_pil(value: Any) -> bool:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - a base dependency
        return False
    return isinstance(value, Image.Image)


def content_parts(parts: Any, where: str) -> tuple[str, Any]:
    """(text, image) of OpenAI / vLLM content parts: a list of {"type": "text", "text"} and
    {"type": "image_url", "image_url": {"url"}} (or "image_url": "…", or {"type": "image", "image"})."""
    if isinstance(parts, dict):
        parts = [parts]
    if not isinstance(parts, (list, tuple)):
        raise InputError.coded("inputs.content_not_parts", {"where": where, "type": type(parts).__name__})
    texts, images = [], []
    for k, part in enumerate(parts):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            texts.append(str(part.get("text") or ""))
        elif kind == "image_url":
            url = part.get("image_url")
            images.append(url.get("url") if isinstance(url, dict) else url)
        elif kind == "image":
            images.append(part.get("image"))
        else:
            raise InputError.coded("inputs.content_part_unknown", {"where": f"{where}[{k}]",
                                                                   "type": str(kind)[:40]})
    if len(images) > 1:
        raise InputError.coded("inputs.content_two_images", {"where": where, "n": len(images)})
    return "\n".join(t for t in texts if t), (images[0] if images else None)
