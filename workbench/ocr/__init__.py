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

Modules: prepare (settings + image preparation), engine (OcrEngine, tesseract), text (cleanup,
accuracy), cache, batch (parallel, cancel, candidate sets), description, samples (rendered labels).

`OcrEngine` is the slot a second engine (e.g. RapidOCR) would fill: a `name`, `read(image) -> str`
and a `cache_key()` describing everything that changes its output. The preprocessing defaults
were chosen by measured accuracy; the table is in bench/README.md.
"""

from .batch import DocOcr, OcrResult, describe_set, ocr_image, ocr_many
from .cache import OCR_CACHE_DIR, MemoryOcrCache, OcrCache, cache_key
from .description import OCR_TAG, TEXT_TAG, build_description, normalize_ws
from .engine import (APT_INSTALL, DEFAULT_LANGS, OcrEngine, TesseractEngine, check_languages, list_languages,
                     tesseract_config, tesseract_version)
from .prepare import OcrSettings, preprocess
from .samples import FONT_PATH, SAMPLE_TEXTS, render_sample
from .text import char_accuracy, clean_ocr_text, is_empty_text

__all__ = [
    "APT_INSTALL", "DEFAULT_LANGS", "FONT_PATH", "OCR_CACHE_DIR", "OCR_TAG", "SAMPLE_TEXTS", "TEXT_TAG",
    "DocOcr", "MemoryOcrCache", "OcrCache", "OcrEngine", "OcrResult", "OcrSettings", "TesseractEngine",
    "build_description", "cache_key", "char_accuracy", "check_languages", "clean_ocr_text", "describe_set",
    "is_empty_text", "list_languages", "normalize_ws", "ocr_image", "ocr_many", "preprocess",
    "render_sample", "tesseract_config", "tesseract_version",
]
