"""OCR settings and the image preprocessing tesseract is given (grayscale, upscaling, binarising).

The defaults were chosen by measured accuracy: see bench/README.md ("OCR preprocessing")."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from ..errors import OCRError
from .words import check_min_confidence, default_min_confidence, default_min_word_confidence

# --------------------------------------------------------------------------- settings

@dataclass(frozen=True)
class OcrSettings:
    """Preprocessing + tesseract options. Everything but `timeout` and `min_confidence` is part of
    the cache key (the cache keeps every word with its confidence; the threshold is applied after)."""

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
    # An image whose mean word confidence (0-100) is under min_confidence gives "no text found";
    # in the others, words under min_word_confidence are dropped. 0 = off. Defaults measured
    # (bench/ocr_confidence.py), overridable with WORKBENCH_OCR_MIN_CONFIDENCE /
    # WORKBENCH_OCR_MIN_WORD_CONFIDENCE. Not in the cache key (applied to the cached words).
    min_confidence: float = field(default_factory=default_min_confidence)
    min_word_confidence: float = field(default_factory=default_min_word_confidence)

    def __post_init__(self) -> None:
        object.__setattr__(self, "min_confidence", check_min_confidence(self.min_confidence))
        object.__setattr__(self, "min_word_confidence",
                           check_min_confidence(self.min_word_confidence, "The word confidence threshold"))
        if self.binarize not in ("off", "otsu", "auto"):
            raise OCRError.coded("ocr.bad_binarize", {"value": self.binarize})
        if not 0 <= self.psm <= 13:
            raise OCRError.coded("ocr.bad_psm", {"psm": self.psm})

    def key(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("timeout")
        data.pop("min_confidence")
        data.pop("min_word_confidence")
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
