"""OCR of many images (threads, progress, cancel, partial results) and of whole candidate sets."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Cancelled, LanguageMissing, TesseractMissing, WorkbenchError
from ..images import file_hash, open_rgb
from .cache import OcrCacheLike, resolve_cache
from .description import build_description
from .engine import DEFAULT_LANGS, OcrEngine, TesseractEngine
from .prepare import OcrSettings
from .text import is_empty_text
from .words import NO_TEXT_FOUND, Word, dropped_count, image_confidence, words_to_text

ProgressFn = Callable[[int, int], None]

# --------------------------------------------------------------------------- results

@dataclass
class OcrResult:
    path: str
    text: str = ""                   # the words at or above the confidence threshold
    empty: bool = True               # no text found (nothing, or only low-confidence words): flagged
    seconds: float = 0.0             # OCR time (0 for cache hits)
    image_hash: str | None = None
    engine: str = ""
    langs: str = ""
    cached: bool = False
    error: WorkbenchError | None = None
    all_text: str = ""               # every word read, before the threshold (for inspection)
    words: int = 0                   # words read
    dropped: int = 0                 # words not kept (all of them when no text was found)
    confidence: float | None = None  # the image's mean word confidence (0-100), tesseract only

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> str:
        """'text', 'no text found' or 'error'."""
        return "error" if self.error is not None else (NO_TEXT_FOUND if self.empty else "text")


def _from_words(path: str, words: list[Word], engine: OcrEngine, **kw) -> OcrResult:
    settings = getattr(engine, "settings", None)
    text = engine.text_of(words) if hasattr(engine, "text_of") else words_to_text(words)
    dropped = len(words) if not text else dropped_count(words, getattr(settings, "min_word_confidence", 0.0))
    return OcrResult(path, text, is_empty_text(text), engine=engine.name, langs=getattr(engine, "langs", ""),
                     all_text=words_to_text(words, 0.0), words=len(words), dropped=dropped,
                     confidence=round(image_confidence(words), 1), **kw)


def _make_engine(langs: str, settings: OcrSettings | None, engine: OcrEngine | None) -> OcrEngine:
    return engine if engine is not None else TesseractEngine(langs, settings)


def _run_one(path: str | Path, engine: OcrEngine, cache: OcrCacheLike | None,
             engine_key: dict | None = None) -> OcrResult:
    path = str(path)
    langs = getattr(engine, "langs", "")
    digest = file_hash(path)
    key = None
    with_words = callable(getattr(engine, "read_words", None))
    if cache is not None:
        blob = json.dumps([digest, engine_key or engine.cache_key()], sort_keys=True, ensure_ascii=False)
        key = hashlib.sha256(blob.encode("utf-8")).hexdigest()
        hit = cache.get(key)
        if hit is not None and with_words and isinstance(hit.get("words"), list):
            words = [Word.from_json(w) for w in hit["words"]]
            return _from_words(path, words, engine, seconds=0.0, image_hash=digest, cached=True)
        if hit is not None and not with_words:
            text = hit.get("text", "")
            return OcrResult(path, text, is_empty_text(text), 0.0, digest, engine.name, langs, cached=True,
                             all_text=text)
    t0 = time.perf_counter()
    if with_words:   # tesseract: keep every word with its confidence, apply the threshold after
        words = engine.read_words(open_rgb(path))
        seconds = time.perf_counter() - t0
        if cache is not None and key is not None:
            cache.put(key, {"words": [w.to_json() for w in words], "seconds": round(seconds, 4),
                            "engine": engine.name})
        return _from_words(path, words, engine, seconds=seconds, image_hash=digest)
    text = engine.read(open_rgb(path))
    seconds = time.perf_counter() - t0
    if cache is not None and key is not None:
        cache.put(key, {"text": text, "seconds": round(seconds, 4), "engine": engine.name})
    return OcrResult(path, text, is_empty_text(text), seconds, digest, engine.name, langs, all_text=text)


def ocr_image(path: str | Path, langs: str = DEFAULT_LANGS, *, settings: OcrSettings | None = None,
              engine: OcrEngine | None = None, cache: Any = None) -> OcrResult:
    """OCR one image file. Raises ImageError / OCRError. `cache`: None = on-disk default, False = off."""
    eng = _make_engine(langs, settings, engine)
    eng.check()
    return _run_one(path, eng, resolve_cache(cache))


def ocr_many(paths: Sequence[str | Path], langs: str = DEFAULT_LANGS, *, settings: OcrSettings | None = None,
             engine: OcrEngine | None = None, cache: Any = None, workers: int | None = None,
             progress: ProgressFn | None = None, cancel: threading.Event | None = None,
             on_result: Callable[[int, OcrResult], None] | None = None) -> list[OcrResult]:
    """OCR many images in parallel (threads; tesseract is a subprocess), results in input order.

    Engine problems (tesseract or a language missing) raise before any work starts.
    A bad image or a timeout does not stop the others: it is kept in `OcrResult.error`.
    `progress(done, total)` after each image; `on_result(index, result)` as each arrives
    (for partial saves); `cancel.set()` stops submitting, waits for the images in
    flight, then raises Cancelled(done, total) with `.results` (None where not done).
    """
    eng = _make_engine(langs, settings, engine)
    eng.check()
    store = resolve_cache(cache)
    engine_key = eng.cache_key() if store is not None else None
    total = len(paths)
    results: list[OcrResult | None] = [None] * total
    if progress:
        progress(0, total)
    if total == 0:
        return []
    n_workers = max(1, min(workers or (os.cpu_count() or 1), total))

    def task(i: int) -> OcrResult:
        try:
            return _run_one(paths[i], eng, store, engine_key)
        except (TesseractMissing, LanguageMissing):
            raise
        except WorkbenchError as err:
            return OcrResult(str(paths[i]), "", True, 0.0, None, eng.name, getattr(eng, "langs", ""), error=err)

    done = 0
    pending: dict[Future, int] = {}
    next_i = 0
    cancelled = False
    with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="ocr") as pool:
        while next_i < total or pending:
            while not cancelled and next_i < total and len(pending) < n_workers * 2:
                if cancel is not None and cancel.is_set():
                    cancelled = True
                    break
                pending[pool.submit(task, next_i)] = next_i
                next_i += 1
            if not pending:
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                i = pending.pop(fut)
                try:
                    res = fut.result()
                except WorkbenchError:
                    for other in pending:
                        other.cancel()
                    raise
                results[i] = res
                done += 1
                if on_result:
                    on_result(i, res)
                if progress:
                    progress(done, total)
            if cancel is not None and cancel.is_set():
                cancelled = True
    if cancelled and done < total:
        exc = Cancelled.coded("ocr.cancelled", {"done": done, "total": total}, done=done, total=total)
        exc.results = results  # type: ignore[attr-defined]
        raise exc
    return results  # type: ignore[return-value]


# --------------------------------------------------------------------------- candidate sets

@dataclass
class DocOcr:
    """What describe_set did to one document."""

    doc_id: str
    image: str | None
    text: str = ""                   # raw OCR text (stored as Document.ocr_text)
    empty: bool = False
    cached: bool = False
    seconds: float = 0.0
    description: str | None = None
    error: WorkbenchError | None = None
    status: str = "ok"               # ok | empty | error | no_image | skipped


def describe_set(cset, langs: str = DEFAULT_LANGS, *, cap: int | None = 200,
                 progress: ProgressFn | None = None, cancel: threading.Event | None = None,
                 settings: OcrSettings | None = None, engine: OcrEngine | None = None,
                 cache: Any = None, workers: int | None = None, metadata_keys: Iterable[str] | None = None,
                 only_missing: bool = False,
                 on_doc: Callable[[Any, DocOcr], None] | None = None) -> list[DocOcr]:
    """OCR every document image of a CandidateSet and (re)build its description, in place.

    Sets `doc.ocr_text` (raw OCR) and `doc.description = build_description(doc.ocr_final,
    doc.text, metadata, cap)`, so an analyst's `ocr_edited` wins over the raw text.
    `metadata_keys`: which `doc.metadata` entries go into [TEXT] (None = all, as the
    OCR page does; [] = none).
    Documents without an image are left as they are (status "no_image"). A failing
    image is reported in its DocOcr (status "error") and never stops the others;
    `on_doc(document, result)` runs as each document is done (e.g. to save it).
    On cancel, finished documents are already updated and Cancelled is raised.
    `only_missing=True` skips documents that already have OCR text (status "skipped").
    """
    keys = None if metadata_keys is None else list(metadata_keys)
    report: dict[str, DocOcr] = {}
    with_image = [d for d in cset.documents if d.image and not (only_missing and d.ocr_final is not None)]
    chosen = {id(d) for d in with_image}
    for d in cset.documents:
        if not d.image:
            report[d.id] = DocOcr(d.id, None, status="no_image", description=d.description)
        elif id(d) not in chosen:
            report[d.id] = DocOcr(d.id, d.image, d.ocr_text or "", status="skipped", description=d.description)

    def apply(i: int, res: OcrResult) -> None:
        doc = with_image[i]
        if res.error is not None:
            item = DocOcr(doc.id, doc.image, error=res.error, status="error", description=doc.description)
        else:
            doc.ocr_text = res.text
            meta = dict(doc.metadata) if keys is None else {k: doc.metadata[k] for k in keys if k in doc.metadata}
            doc.description = build_description(doc.ocr_final, doc.text, meta, cap) or None
            item = DocOcr(doc.id, doc.image, res.text, res.empty, res.cached, res.seconds, doc.description,
                          status="empty" if res.empty else "ok")
        report[doc.id] = item
        if on_doc:
            on_doc(doc, item)

    ocr_many([d.image for d in with_image], langs, settings=settings, engine=engine, cache=cache,
             workers=workers, progress=progress, cancel=cancel, on_result=apply)
    return [report[d.id] for d in cset.documents]
