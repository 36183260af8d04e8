"""OCR engines: the `OcrEngine` slot and tesseract (via pytesseract), with language checks."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Any

from PIL import Image

from ..errors import LanguageMissing, OCRError, OcrFailed, OcrTimeout, TesseractMissing
from ..extras import require
from .prepare import OcrSettings, preprocess
from .words import Word, kept_text, words_from_data, words_to_text

DEFAULT_LANGS = "chi_sim+eng"
APT_INSTALL = "sudo apt-get install -y tesseract-ocr tesseract-ocr-chi-sim"

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
    return require("pytesseract", "OCR", error=TesseractMissing)


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
                raise TesseractMissing.coded("ocr.tesseract_missing", {"cmd": cmd, "command": APT_INSTALL}) from None
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
            raise OCRError.coded("ocr.languages_unlisted", {"reason": str(exc), "command": APT_INSTALL}) from None
    return list(_LANGS_CACHE[cmd])


def _apt_package(lang: str) -> str:
    return "tesseract-ocr-" + lang.lower().replace("_", "-")


def check_languages(langs: str) -> list[str]:
    """Split 'chi_sim+eng' and verify each is installed; LanguageMissing lists the installed ones."""
    wanted = [x.strip() for x in (langs or "").split("+") if x.strip()]
    if not wanted:
        raise LanguageMissing.coded("ocr.no_language", {"default": DEFAULT_LANGS,
                                                        "installed": ", ".join(list_languages())})
    installed = list_languages()
    missing = [x for x in wanted if x not in installed]
    if missing:  # installed since we last asked?
        installed = list_languages(refresh=True)
        missing = [x for x in wanted if x not in installed]
    if missing:
        raise LanguageMissing.coded("ocr.language_missing" if installed else "ocr.language_missing_none", {
            "missing": ", ".join(missing), "installed": ", ".join(installed),
            "packages": " ".join(_apt_package(x) for x in missing)})
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
        # "output": the cache holds words with confidences (older entries held plain text)
        return {"engine": self.name, "version": tesseract_version(), "langs": self.langs,
                "settings": self.settings.key(), "output": "words"}

    def read(self, image: Image.Image) -> str:
        """The text kept by the confidence thresholds ("" = no text found; see ocr/words.py)."""
        return self.text_of(self.read_words(image))

    def text_of(self, words: list[Word]) -> str:
        return kept_text(words, self.settings.min_confidence, self.settings.min_word_confidence)

    def read_all(self, image: Image.Image) -> str:
        """Every word tesseract read, whatever its confidence (what OCR gave before the threshold)."""
        return words_to_text(self.read_words(image), 0.0)

    def read_words(self, image: Image.Image) -> list[Word]:
        """Every word with its confidence and line (tesseract's image_to_data)."""
        pt = _tesseract()
        prepared = preprocess(image, self.settings)
        cfg = tesseract_config(self.settings)
        try:
            data = pt.image_to_data(prepared, lang=self.langs, config=cfg, timeout=self.settings.timeout,
                                    output_type=pt.Output.DICT)
        except RuntimeError as exc:
            if "timeout" in str(exc).lower():
                raise OcrTimeout.coded("ocr.timeout", {"seconds": f"{self.settings.timeout:g}"}) from None
            raise OcrFailed.coded("ocr.failed", {"reason": str(exc)}) from None
        except pt.TesseractNotFoundError:
            _VERSION_CACHE.clear()
            raise TesseractMissing.coded("ocr.tesseract_gone", {"command": APT_INSTALL}) from None
        except pt.TesseractError as exc:
            if "data file" in str(exc) or "load" in str(exc).lower():
                check_languages(self.langs)  # raises LanguageMissing with the installed list
            raise OcrFailed.coded("ocr.tesseract_error", {
                "reason": str(exc.message if hasattr(exc, "message") else exc)}) from None
        return words_from_data(data)
