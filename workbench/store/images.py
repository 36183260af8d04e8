"""Image storage: images live once in the db by content hash and are written out to files on demand."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from PIL import Image
from sqlalchemy import select

from .. import config
from ..errors import ImageError
from ..images import check_image_size, file_hash
from ..model import Document, Query
from . import schema as t
from .base import StoreBase, chunks, utc_now

_EXT = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp",
        "TIFF": "tif", "HEIF": "heic", "AVIF": "avif"}


class ImageStorage(StoreBase):
    """The images table: hashing and storing referenced files, materialising stored ones."""

    def _prepare_images(self, items: list[Query | Document]) -> list[dict]:
        """Give every referenced image its content hash; return rows for images not yet stored.

        A hash set by the importer (io hashes each file once) is trusted when that image is
        already stored; files are only read for images the db does not hold yet, and then
        their hash is recomputed from the bytes actually stored.
        """
        by_path: dict[str, str | None] = {}
        for item in items:
            if item.image and str(item.image) not in by_path:
                by_path[str(item.image)] = item.image_hash or None
        if not by_path:
            return []
        claimed = {h for h in by_path.values() if h}
        present: set[str] = set()
        if claimed:
            with self._read() as conn:
                for chunk in chunks(sorted(claimed)):
                    present.update(conn.execute(select(t.images.c.sha256)
                                                .where(t.images.c.sha256.in_(chunk))).scalars())
        blobs: dict[str, tuple[str, bytes]] = {}
        for path, claimed_hash in by_path.items():
            if claimed_hash in present:
                continue
            blob = self._read_image(path)
            by_path[path] = digest = file_hash(blob)
            blobs.setdefault(digest, (path, blob))
        for item in items:
            if item.image:
                item.image_hash = by_path[str(item.image)]
        new = [h for h in blobs if h not in present]
        if new:
            with self._read() as conn:
                for chunk in chunks(new):
                    present.update(conn.execute(select(t.images.c.sha256)
                                                .where(t.images.c.sha256.in_(chunk))).scalars())
        rows = []
        now = utc_now()
        for digest in new:
            if digest in present:
                continue
            path, blob = blobs[digest]
            try:
                with Image.open(path) as im:
                    width, height, fmt = im.width, im.height, (im.format or "").upper()
            except Exception as err:  # noqa: BLE001 - any decoder failure is the file's fault
                raise ImageError.coded("store.image_unreadable", {"path": str(path), "reason": str(err)}) from None
            rows.append(dict(sha256=digest, bytes=blob, width=width, height=height, format=fmt,
                             created_at=now))
        return rows

    @staticmethod
    def _read_image(path: str) -> bytes:
        try:
            check_image_size(Path(path))           # a stat: over WORKBENCH_MAX_IMAGE_MB is refused unread
            return Path(path).read_bytes()
        except OSError as err:
            raise ImageError.coded("store.image_file_unreadable", {"path": str(path),
                                                                   "reason": str(err.strerror or err)}) from None

    def materialise_images(self, hashes: Iterable[str]) -> dict[str, str]:
        """Write stored images to home_dir()/images/<sha256>.<ext> (once); return hash -> path."""
        hashes = [h for h in set(hashes) if h]
        if not hashes:
            return {}
        folder = config.home_dir() / "images"
        folder.mkdir(parents=True, exist_ok=True)
        out: dict[str, str] = {}
        missing: list[str] = []
        with self._read() as conn:
            for chunk in chunks(hashes):
                for sha, fmt in conn.execute(select(t.images.c.sha256, t.images.c.format)
                                             .where(t.images.c.sha256.in_(chunk))):
                    path = folder / f"{sha}.{_EXT.get((fmt or '').upper(), (fmt or 'img').lower())}"
                    out[sha] = str(path)
                    if not path.exists():
                        missing.append(sha)
            for chunk in chunks(missing, 50):
                for sha, blob in conn.execute(select(t.images.c.sha256, t.images.c.bytes)
                                              .where(t.images.c.sha256.in_(chunk))):
                    path = Path(out[sha])
                    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                    tmp.write_bytes(blob)
                    os.replace(tmp, path)
        return out
