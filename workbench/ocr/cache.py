"""OCR result caches: on disk (one JSON file per key) and in memory, keyed by image hash + engine."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol

from .. import config
from .engine import OcrEngine

OCR_CACHE_DIR = "ocr-cache"

# --------------------------------------------------------------------------- cache

class OcrCacheLike(Protocol):
    def get(self, key: str) -> dict | None: ...
    def put(self, key: str, value: dict) -> None: ...


class OcrCache:
    """On-disk cache: one small JSON file per key under config.home_dir()/ocr-cache/."""

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory) if directory else config.home_dir() / OCR_CACHE_DIR
        self.directory.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            return json.loads(self._path(key).read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def put(self, key: str, value: dict) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(value, fh, ensure_ascii=False)
        os.replace(tmp, target)

    def clear(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True, exist_ok=True)

    def __len__(self) -> int:
        return sum(1 for _ in self.directory.glob("*/*.json"))


class MemoryOcrCache:
    """In-process cache with the same get/put interface (tests, one-off runs)."""

    def __init__(self) -> None:
        self.data: dict[str, dict] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> dict | None:
        with self._lock:
            return self.data.get(key)

    def put(self, key: str, value: dict) -> None:
        with self._lock:
            self.data[key] = value

    def __len__(self) -> int:
        return len(self.data)


def cache_key(image_hash: str, engine: OcrEngine) -> str:
    blob = json.dumps([image_hash, engine.cache_key()], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def resolve_cache(cache: Any) -> OcrCacheLike | None:
    if cache is None:
        return OcrCache()
    if cache is False:
        return None
    return cache
