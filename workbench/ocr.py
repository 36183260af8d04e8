"""OCR (tesseract first) and the `[OCR] … [TEXT] …` description builder.

Public API
  ocr_image(path, langs="chi_sim+eng", *, settings=None, engine=None, cache=None) -> OcrResult
  ocr_many(paths, langs=..., *, settings=None, engine=None, cache=None, workers=None,
           progress=None, cancel=None, on_result=None) -> list[OcrResult]
  describe_set(cset, langs=..., *, cap=200, progress=None, cancel=None, ...) -> list[DocOcr]
  build_description(ocr_text, text="", metadata=None, cap=200) -> str
  list_languages() -> list[str]
  OcrEngine (interface: name, read(image) -> text), TesseractEngine, OcrSettings,
  OcrCache (on-disk, get/put), MemoryOcrCache, char_accuracy(pred, truth)

Engines. `OcrEngine` is the slot a second engine (e.g. RapidOCR, which ships its
models in its wheel) would fill: it needs a `name`, `read(image) -> str` and a
`cache_key()` describing everything that changes its output. Only tesseract is
built in; RapidOCR read Chinese better in earlier tests but costs ~400 MB of
wheels (with opencv), so it has not earned its weight yet.

Preprocessing (chosen by measured accuracy; `bench/ocr.py --measure` re-runs it).
Sample set: 24 rendered product labels, English and Chinese, font sizes
11/16/24/36 px, half of them on a noisy, speckled, coloured background
(`render_sample`). Character accuracy (`char_accuracy`, 1 - Levenshtein/len,
whitespace ignored), langs chi_sim+eng, tesseract 5.3.0, 2 cores:

  variant                                  eng clean eng noisy zh clean zh noisy  s/img
  colour, psm 3 (tesseract defaults)           1.000     0.390    1.000    0.132   0.22
  gray, psm 3                                  1.000     0.968    1.000    0.532   0.27
  gray, psm 6                                  1.000     0.974    1.000    0.781   0.23
  gray, psm 7 (single line only)               1.000     0.974    1.000    0.864   0.16
  gray, psm 6, 12 px white border              0.997     0.941    0.896    0.465   0.16
  gray, psm 6, upscale lines < 24 px           1.000     0.967    0.981    0.630   0.17
  gray, psm 6, Otsu if noisy (median 3)        1.000     0.773    1.000    0.500   0.22
  gray, psm 6, Otsu if noisy (no median)       1.000     0.925    1.000    0.585   0.17
  gray, psm 6, Otsu always                     0.997     0.925    0.825    0.585   0.27
  gray, psm 6, tesseract Sauvola  (DEFAULT)    0.997     0.966    1.000    0.864   0.27
  gray, psm 11 (sparse text)                   1.000     0.974    0.969    0.661   0.19

Chosen default (`OcrSettings()`): grayscale, `--psm 6` (one block: labels are
short blocks; psm 3's layout analysis loses noisy lines, psm 7 only reads one
line), tesseract's Sauvola binarisation (`-c thresholding_method=2`), which
lifts noisy Chinese from 0.78 to 0.86 for 0.003 less on clean English. Our own
steps all *lost* accuracy here and are off by default but kept as options:
a white border, upscaling small text (tesseract's LSTM read 11 px text at 0.95
without it) and Otsu binarising (with or without a median filter) — Sauvola,
a local threshold, handles the grain and gradient better than a global one.
s/img timings are on a shared, busy 2-core machine and only roughly comparable.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from . import config
from .errors import (Cancelled, ImageError, LanguageMissing, OCRError, OcrFailed,  # noqa: F401
                     OcrTimeout, TesseractMissing, WorkbenchError)
from .images import file_hash, open_rgb

DEFAULT_LANGS = "chi_sim+eng"
APT_INSTALL = "sudo apt-get install -y tesseract-ocr tesseract-ocr-chi-sim"
OCR_CACHE_DIR = "ocr-cache"

ProgressFn = Callable[[int, int], None]


# --------------------------------------------------------------------------- settings

@dataclass(frozen=True)
class OcrSettings:
    """Preprocessing + tesseract options. Everything but `timeout` is part of the cache key."""

    psm: int = 6                      # tesseract page segmentation mode
    oem: int = 1                      # 1 = LSTM only (the only models the Debian packages ship)
    grayscale: bool = True
    border: int = 0                   # white padding in px (measured: hurts noisy backgrounds)
    min_line_height: int = 0          # upscale when estimated text lines are shorter than this… (0 = off)
    target_line_height: int = 40      # …to about this many pixels
    max_upscale: float = 4.0
    binarize: str = "off"             # "off" | "otsu" | "auto" (Otsu only on a noisy background)
    noise_threshold: float = 8.0      # background noise (see noise_level) above which "auto" binarises
    median: int = 3                   # median filter size applied before binarising (1 = none)
    thresholding: int = 2             # tesseract's own binariser: 0 Otsu, 1 LeptonicaOtsu (tiled), 2 Sauvola
    timeout: float = 60.0             # seconds per image (not in the cache key)

    def __post_init__(self) -> None:
        if self.binarize not in ("off", "otsu", "auto"):
            raise OCRError(f"Unknown binarize setting {self.binarize!r}.", "Use 'off', 'otsu' or 'auto'.")
        if not 0 <= self.psm <= 13:
            raise OCRError(f"Page segmentation mode {self.psm} does not exist.",
                           "Use a tesseract --psm between 0 and 13; 6 (a block of text) suits labels.")

    def key(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("timeout")
        return data


# --------------------------------------------------------------------------- preprocessing

def otsu_threshold(gray: np.ndarray) -> int:
    """Otsu's threshold of a uint8 array (maximises between-class variance)."""
    hist = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    if total == 0:
        return 127
    levels = np.arange(256, dtype=np.float64)
    w0 = np.cumsum(hist)
    w1 = total - w0
    m0 = np.cumsum(hist * levels)
    mean_all = m0[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean_all * w0 / total - m0) ** 2 / (w0 * w1 / total)
    between = np.nan_to_num(between, nan=0.0, posinf=0.0)
    return int(np.argmax(between))


def noise_level(gray: Image.Image) -> float:
    """Background noise: 1.4826 × median absolute deviation of the pixels on the background side
    of Otsu's threshold. ~0 for clean renders and scans, ~20+ for grainy or speckled photos."""
    small = gray
    if gray.width * gray.height > 1_000_000:  # an estimate of a level: a downsized copy is enough
        scale = (1_000_000 / (gray.width * gray.height)) ** 0.5
        small = gray.resize((max(1, int(gray.width * scale)), max(1, int(gray.height * scale))))
    a = np.asarray(small)
    thr = otsu_threshold(a)
    dark = a < thr
    background = a[~dark] if dark.mean() <= 0.5 else a[dark]
    if background.size == 0:
        return 0.0
    bg = background.astype(np.float64)
    return float(1.4826 * np.median(np.abs(bg - np.median(bg))))


def line_height(binary: np.ndarray) -> float | None:
    """Median height in pixels of text lines (runs of rows containing ink); None if unclear."""
    ink_rows = (binary.mean(axis=1) > 0.004)
    runs, start = [], None
    for y, ink in enumerate(ink_rows):
        if ink and start is None:
            start = y
        elif not ink and start is not None:
            runs.append(y - start)
            start = None
    if start is not None:
        runs.append(len(ink_rows) - start)
    runs = [r for r in runs if r >= 3]
    if not runs:
        return None
    h = float(np.median(runs))
    if h > 0.9 * binary.shape[0] and binary.shape[0] > 200:
        return None  # one giant run: background texture, not text lines
    return h


def _ink_mask(gray: np.ndarray, threshold: int) -> np.ndarray:
    dark = gray < threshold
    # text is the minority class: light text on a dark background is inverted
    return dark if dark.mean() <= 0.5 else ~dark


def preprocess(image: Image.Image, settings: OcrSettings | None = None) -> Image.Image:
    """The image tesseract is given: grayscale, upscaled small text, binarised noisy background."""
    s = settings or OcrSettings()
    gray = image.convert("L")
    noisy = s.binarize == "otsu" or (s.binarize == "auto" and noise_level(gray) > s.noise_threshold)
    work = gray.filter(ImageFilter.MedianFilter(s.median)) if noisy and s.median > 1 else gray
    scale = 1.0
    if s.min_line_height > 0:
        arr = np.asarray(work)
        h = line_height(_ink_mask(arr, otsu_threshold(arr)))
        if h is not None and h < s.min_line_height:
            scale = min(s.max_upscale, s.target_line_height / h)
    out = work if noisy else (gray if s.grayscale else image.convert("RGB"))
    if scale > 1.05:
        out = out.resize((round(out.width * scale), round(out.height * scale)), Image.Resampling.BICUBIC)
    if noisy:
        arr = np.asarray(out if out.mode == "L" else out.convert("L"))
        out = Image.fromarray(np.where(_ink_mask(arr, otsu_threshold(arr)), 0, 255).astype(np.uint8), "L")
    if s.border:
        out = ImageOps.expand(out, border=s.border, fill=255 if out.mode == "L" else (255, 255, 255))
    return out


# --------------------------------------------------------------------------- text cleanup

_CJK = r"\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[{_CJK}])")


def clean_ocr_text(text: str) -> str:
    """Tesseract output → tidy text: NFC, spaces between CJK characters removed, blank lines dropped."""
    text = unicodedata.normalize("NFC", text or "").replace("\x0c", "")
    lines = []
    for line in text.splitlines():
        line = re.sub(r"[ \t\u00a0]+", " ", line).strip()
        line = _CJK_GAP.sub("", line)
        if line:
            lines.append(line)
    return "\n".join(lines)


def is_empty_text(text: str) -> bool:
    """No letter or digit in any script: nothing worth describing (noise like '| _ .' counts as empty)."""
    return not any(ch.isalnum() for ch in text or "")


def char_accuracy(predicted: str, truth: str) -> float:
    """1 - Levenshtein(predicted, truth) / len(truth), whitespace ignored, clamped to [0, 1].

    Whitespace is ignored because tesseract spaces CJK characters apart and line
    breaks depend on layout; case and punctuation count.
    """
    p = re.sub(r"\s+", "", unicodedata.normalize("NFC", predicted or ""))
    t = re.sub(r"\s+", "", unicodedata.normalize("NFC", truth or ""))
    if not t:
        return 1.0 if not p else 0.0
    prev = list(range(len(t) + 1))
    for i, pc in enumerate(p, 1):
        cur = [i] + [0] * len(t)
        for j, tc in enumerate(t, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (pc != tc))
        prev = cur
    return max(0.0, 1.0 - prev[-1] / len(t))


# --------------------------------------------------------------------------- engines

class OcrEngine(ABC):
    """One OCR engine. Subclasses set `name` and implement `read`."""

    name: str = "engine"

    @abstractmethod
    def read(self, image: Image.Image) -> str:
        """Text read from a decoded RGB image (raise OCRError on engine trouble)."""

    def check(self) -> None:
        """Raise OCRError if the engine cannot run (binary or languages missing)."""

    def cache_key(self) -> dict[str, Any]:
        """Everything that changes this engine's output for a given image."""
        return {"engine": self.name}


def _tesseract():
    import pytesseract

    return pytesseract


_VERSION_LOCK = threading.Lock()
_VERSION_CACHE: dict[str, str] = {}


def tesseract_version() -> str:
    """Installed tesseract version, or raise TesseractMissing with the apt command."""
    pt = _tesseract()
    cmd = str(pt.pytesseract.tesseract_cmd)
    with _VERSION_LOCK:
        if cmd not in _VERSION_CACHE:
            try:
                _VERSION_CACHE[cmd] = str(pt.get_tesseract_version())
            except (pt.TesseractNotFoundError, OSError):
                raise TesseractMissing(
                    f"The tesseract OCR program was not found (looked for '{cmd}').",
                    f"Install it with: {APT_INSTALL}  (then restart the workbench).") from None
        return _VERSION_CACHE[cmd]


_LANGS_CACHE: dict[str, list[str]] = {}


def list_languages(refresh: bool = False) -> list[str]:
    """Installed tesseract languages, e.g. ['chi_sim', 'eng', 'osd'] (asked once per process)."""
    tesseract_version()
    cmd = str(_tesseract().pytesseract.tesseract_cmd)
    if refresh or cmd not in _LANGS_CACHE:
        try:
            _LANGS_CACHE[cmd] = sorted(_tesseract().get_languages(config=""))
        except Exception as exc:  # noqa: BLE001 - pytesseract raises assorted errors here
            raise OCRError(f"Could not list the installed tesseract languages ({exc}).",
                           f"Reinstall tesseract: {APT_INSTALL}") from None
    return list(_LANGS_CACHE[cmd])


def _apt_package(lang: str) -> str:
    return "tesseract-ocr-" + lang.lower().replace("_", "-")


def check_languages(langs: str) -> list[str]:
    """Split 'chi_sim+eng' and verify each is installed; LanguageMissing lists the installed ones."""
    wanted = [x.strip() for x in (langs or "").split("+") if x.strip()]
    if not wanted:
        raise LanguageMissing("No OCR language was given.",
                              f"Use e.g. --langs {DEFAULT_LANGS} (installed: {', '.join(list_languages())}).")
    installed = list_languages()
    missing = [x for x in wanted if x not in installed]
    if missing:  # installed since we last asked?
        installed = list_languages(refresh=True)
        missing = [x for x in wanted if x not in installed]
    if missing:
        raise LanguageMissing(
            f"OCR language(s) {', '.join(missing)} not installed. Installed: {', '.join(installed) or 'none'}.",
            f"Pick from the installed ones, or install with: sudo apt-get install -y "
            f"{' '.join(_apt_package(x) for x in missing)}")
    return wanted


def tesseract_config(settings: OcrSettings) -> str:
    cfg = f"--oem {settings.oem} --psm {settings.psm}"
    if settings.thresholding:
        cfg += f" -c thresholding_method={settings.thresholding}"
    return cfg


class TesseractEngine(OcrEngine):
    """tesseract via pytesseract, with the measured preprocessing."""

    name = "tesseract"

    def __init__(self, langs: str = DEFAULT_LANGS, settings: OcrSettings | None = None):
        self.langs = langs or DEFAULT_LANGS
        self.settings = settings or OcrSettings()

    def check(self) -> None:
        check_languages(self.langs)

    def cache_key(self) -> dict[str, Any]:
        return {"engine": self.name, "version": tesseract_version(), "langs": self.langs,
                "settings": self.settings.key()}

    def read(self, image: Image.Image) -> str:
        pt = _tesseract()
        prepared = preprocess(image, self.settings)
        cfg = tesseract_config(self.settings)
        try:
            raw = pt.image_to_string(prepared, lang=self.langs, config=cfg, timeout=self.settings.timeout)
        except RuntimeError as exc:
            if "timeout" in str(exc).lower():
                raise OcrTimeout(
                    f"OCR took longer than {self.settings.timeout:g} s and was stopped.",
                    "Crop the image to the text region, or raise the per-image timeout.") from None
            raise OcrFailed(f"tesseract failed ({exc}).", "Re-export the image as PNG and retry.") from None
        except pt.TesseractNotFoundError:
            _VERSION_CACHE.clear()
            raise TesseractMissing("The tesseract OCR program was not found.",
                                   f"Install it with: {APT_INSTALL}") from None
        except pt.TesseractError as exc:
            if "data file" in str(exc) or "load" in str(exc).lower():
                check_languages(self.langs)  # raises LanguageMissing with the installed list
            raise OcrFailed(f"tesseract failed ({exc.message if hasattr(exc, 'message') else exc}).",
                            "Re-export the image as PNG and retry; if it persists, report the image.") from None
        return clean_ocr_text(raw)


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


def _resolve_cache(cache: Any) -> OcrCacheLike | None:
    if cache is None:
        return OcrCache()
    if cache is False:
        return None
    return cache


# --------------------------------------------------------------------------- results

@dataclass
class OcrResult:
    path: str
    text: str = ""
    empty: bool = True               # nothing readable was found: flagged, never hidden
    seconds: float = 0.0             # OCR time (0 for cache hits)
    image_hash: str | None = None
    engine: str = ""
    langs: str = ""
    cached: bool = False
    error: WorkbenchError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _make_engine(langs: str, settings: OcrSettings | None, engine: OcrEngine | None) -> OcrEngine:
    return engine if engine is not None else TesseractEngine(langs, settings)


def _run_one(path: str | Path, engine: OcrEngine, cache: OcrCacheLike | None,
             engine_key: dict | None = None) -> OcrResult:
    path = str(path)
    langs = getattr(engine, "langs", "")
    digest = file_hash(path)
    key = None
    if cache is not None:
        blob = json.dumps([digest, engine_key or engine.cache_key()], sort_keys=True, ensure_ascii=False)
        key = hashlib.sha256(blob.encode("utf-8")).hexdigest()
        hit = cache.get(key)
        if hit is not None:
            text = hit.get("text", "")
            return OcrResult(path, text, is_empty_text(text), 0.0, digest, engine.name, langs, cached=True)
    t0 = time.perf_counter()
    text = engine.read(open_rgb(path))
    seconds = time.perf_counter() - t0
    if cache is not None and key is not None:
        cache.put(key, {"text": text, "seconds": round(seconds, 4), "engine": engine.name})
    return OcrResult(path, text, is_empty_text(text), seconds, digest, engine.name, langs)


def ocr_image(path: str | Path, langs: str = DEFAULT_LANGS, *, settings: OcrSettings | None = None,
              engine: OcrEngine | None = None, cache: Any = None) -> OcrResult:
    """OCR one image file. Raises ImageError / OCRError. `cache`: None = on-disk default, False = off."""
    eng = _make_engine(langs, settings, engine)
    eng.check()
    return _run_one(path, eng, _resolve_cache(cache))


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
    store = _resolve_cache(cache)
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
        exc = Cancelled(f"OCR cancelled after {done} of {total} images; the finished ones are kept.",
                        "Run OCR again to do the rest: finished images come from the cache.",
                        done=done, total=total)
        exc.results = results  # type: ignore[attr-defined]
        raise exc
    return results  # type: ignore[return-value]


# --------------------------------------------------------------------------- descriptions

ELLIPSIS = "…"
OCR_TAG = "[OCR]"
TEXT_TAG = "[TEXT]"


def normalize_ws(text: str | None) -> str:
    """All whitespace runs (newlines, tabs, ideographic spaces) → one space; stripped."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text or "").replace("\u3000", " ")).strip()


def _metadata_text(metadata: dict | None) -> str:
    if not metadata:
        return ""
    parts = []
    for key, value in metadata.items():
        if value is None or (isinstance(value, float) and value != value):
            continue
        value = normalize_ws(str(value))
        if value:
            parts.append(f"{normalize_ws(str(key))}: {value}")
    return "; ".join(parts)


def _truncate(text: str, limit: int) -> str:
    """Cut to ≤ limit chars incl. the ellipsis, at a word boundary when one is near the end."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    room = limit - len(ELLIPSIS)
    cut = text[:room]
    space = cut.rfind(" ")
    if space >= room * 0.8:  # don't chop a word in half if a boundary is close
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + ELLIPSIS


def build_description(ocr_text: str | None, text: str | None = "", metadata: dict | None = None,
                      cap: int | None = 200) -> str:
    """`[OCR] <ocr text> [TEXT] <text; key: value …>`, OCR first, whitespace normalised.

    Empty sections are left out ("[TEXT] …" alone when there is no OCR text, "" when
    there is nothing at all). `cap` is a soft limit on the whole description in
    characters (None/0 = no cap): when it applies, each over-long section is cut at a
    word boundary and ends with "…" so the cut is visible. The cap is shared: a
    section that needs less than half leaves the rest to the other one.
    """
    ocr = normalize_ws(_CJK_GAP.sub("", ocr_text or ""))
    rest = normalize_ws(" ".join(x for x in (normalize_ws(text), _metadata_text(metadata)) if x))
    sections = [(tag, body) for tag, body in ((OCR_TAG, ocr), (TEXT_TAG, rest)) if body]
    if not sections:
        return ""
    full = " ".join(f"{tag} {body}" for tag, body in sections)
    if not cap or len(full) <= cap:
        return full
    overhead = sum(len(tag) + 1 for tag, _ in sections) + (len(sections) - 1)
    budget = max(len(sections), cap - overhead)
    if len(sections) == 1:
        limits = [budget]
    else:
        a, b = len(sections[0][1]), len(sections[1][1])
        half = budget // 2
        if a <= half:
            limits = [a, budget - a]
        elif b <= budget - half:
            limits = [budget - b, b]
        else:
            limits = [half, budget - half]
    return " ".join(f"{tag} {_truncate(body, lim)}" for (tag, body), lim in zip(sections, limits))


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


# --------------------------------------------------------------------------- samples

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

SAMPLE_TEXTS = {
    "eng": ["Wireless Bluetooth Headphones 40H", "Stainless Steel Bottle 750ml", "Organic Green Tea 100 Bags"],
    "chi_sim": ["无线蓝牙耳机超长续航", "不锈钢保温杯大容量", "有机绿茶一百袋装"],
}


def render_sample(text: str, font_px: int, noisy: bool = False, seed: int = 0,
                  font_path: str = FONT_PATH) -> Image.Image:
    """Render product text like a label photo (for measuring preprocessing and self-tests).

    noisy=True puts it on a coloured gradient with Gaussian grain and speckles.
    """
    from PIL import ImageDraw, ImageFont

    try:
        font = ImageFont.truetype(font_path, font_px)
    except OSError:
        raise ImageError(f"Font '{font_path}' not found.", "Install it: sudo apt-get install -y fonts-wqy-microhei") from None
    left, top, right, bottom = font.getbbox(text)
    pad = max(6, font_px // 2)
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    rng = np.random.default_rng(seed)
    if noisy:
        gx = np.linspace(0, 1, w)[None, :, None]
        base = np.array([235, 215, 170]) * (1 - gx) + np.array([170, 205, 235]) * gx
        bg = np.repeat(base, h, axis=0) + rng.normal(0, 28, (h, w, 3))
        speck = rng.random((h, w)) < 0.02
        bg[speck] = rng.integers(60, 140)
        im = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8), "RGB")
        colour = (25, 30, 60)
    else:
        im = Image.new("RGB", (w, h), (255, 255, 255))
        colour = (20, 20, 20)
    ImageDraw.Draw(im).text((pad - left, pad - top), text, font=font, fill=colour)
    return im
