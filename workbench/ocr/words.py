"""Word confidences: tesseract's `image_to_data` words, and the text kept above two thresholds.

tesseract gives every word a confidence (0-100; -1 for layout rows that hold no word). On a
photo without text it still "reads" shapes, textures and edges as letters ("he \\ yy x - QS YY"),
with low confidence. Two settings use that:

  min_confidence       lines whose confidence (median confidence of their words holding a letter
                       or digit) is under this are dropped (default 70)
  min_word_confidence  in the lines kept, words under this are dropped (default 30)

An image with no line left gives "no text found" (text ""), which the description builder
leaves out: no "[OCR]" section at all. Measured (`bench/ocr_confidence.py`, figures in
bench/README.md, "OCR confidence threshold"): a threshold on words alone cannot tell photos
from text, because textures yield short "words" read with 80+ confidence (chelsea: "SR" 82,
gravel: "vy" 84); whole-image means sink text pasted on a photo; lines separate them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import config
from ..errors import OCRError
from .text import clean_ocr_text, is_empty_text

#: Default minimum image confidence (0-100), measured: see bench/README.md.
DEFAULT_MIN_CONFIDENCE = 70.0
#: Default minimum word confidence (0-100), measured: see bench/README.md.
DEFAULT_MIN_WORD_CONFIDENCE = 30.0
#: Environment variables that override the defaults.
MIN_CONFIDENCE_ENV = "WORKBENCH_OCR_MIN_CONFIDENCE"
MIN_WORD_CONFIDENCE_ENV = "WORKBENCH_OCR_MIN_WORD_CONFIDENCE"
#: What an image whose words all fall under the threshold is called, everywhere.
NO_TEXT_FOUND = "no text found"


def check_min_confidence(value: Any, source: str = "the OCR confidence threshold") -> float:
    """A threshold in [0, 100] or an OCRError saying how to fix it."""
    # the texts name what was checked: the two thresholds and the environment variables have
    # their own codes; any other `source` (a CLI flag) is shown as it is
    env = source[len(_ENV_PREFIX):] if source.startswith(_ENV_PREFIX) else ""
    not_number, out_of_range = _CONFIDENCE_CODES.get(source, _ENV_CODES if env else _OTHER_CODES)
    params = {"source": source, "env": env, "example": f"{DEFAULT_MIN_CONFIDENCE:g}"}
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise OCRError.coded(not_number, {**params, "value": repr(value)}) from None
    if not 0 <= number <= 100:
        raise OCRError.coded(out_of_range, {**params, "value": f"{number:g}"})
    return number


_ENV_PREFIX = "The environment variable "
_CONFIDENCE_CODES = {"the OCR confidence threshold": ("ocr.confidence_not_number", "ocr.confidence_range"),
                     "The word confidence threshold": ("ocr.word_confidence_not_number", "ocr.word_confidence_range")}
_ENV_CODES = ("ocr.env_confidence_not_number", "ocr.env_confidence_range")
_OTHER_CODES = ("ocr.confidence_of_not_number", "ocr.confidence_of_range")


def _from_env(name: str, default: float) -> float:
    raw = config.env(name)
    return check_min_confidence(raw, f"The environment variable {name}") if raw else default


def default_min_confidence() -> float:
    """The measured default, or WORKBENCH_OCR_MIN_CONFIDENCE when it is set."""
    return _from_env(MIN_CONFIDENCE_ENV, DEFAULT_MIN_CONFIDENCE)


def default_min_word_confidence() -> float:
    """The measured default, or WORKBENCH_OCR_MIN_WORD_CONFIDENCE when it is set."""
    return _from_env(MIN_WORD_CONFIDENCE_ENV, DEFAULT_MIN_WORD_CONFIDENCE)


@dataclass(frozen=True)
class Word:
    """One word tesseract read, with where it sits (block/paragraph/line) and its confidence."""

    text: str
    conf: float
    block: int = 0
    par: int = 0
    line: int = 0

    def to_json(self) -> list:
        return [self.text, self.conf, self.block, self.par, self.line]

    @classmethod
    def from_json(cls, item: Any) -> "Word":
        if isinstance(item, dict):
            return cls(**item)
        text, conf, block, par, line = item
        return cls(str(text), float(conf), int(block), int(par), int(line))



def words_from_data(data: dict[str, list]) -> list[Word]:
    """pytesseract `image_to_data(..., output_type=Output.DICT)` → the words (layout rows dropped)."""
    out = []
    for i, text in enumerate(data.get("text", [])):
        text = str(text or "").strip()
        try:
            conf = float(data["conf"][i])
        except (KeyError, TypeError, ValueError):
            conf = -1.0
        if not text or conf < 0:
            continue
        out.append(Word(text, conf, int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i])))
    return out


def words_to_text(words: list[Word], min_confidence: float = 0.0) -> str:
    """Join the words at or above `min_confidence` into lines (as tesseract laid them out), cleaned
    like plain OCR text (CJK gaps removed, blank lines dropped). Noise-only text (no letter or
    digit left) becomes "" so that it counts as no text found."""
    lines: dict[tuple[int, int, int], list[str]] = {}
    for w in words:
        if w.conf >= min_confidence:
            lines.setdefault((w.block, w.par, w.line), []).append(w.text)
    text = clean_ocr_text("\n".join(" ".join(parts) for _, parts in sorted(lines.items())))
    return "" if is_empty_text(text) else text


def image_confidence(words: list[Word]) -> float:
    """Mean word confidence, each word weighted by its letters/digits (0 when there are none)."""
    weights = [(w.conf, sum(ch.isalnum() for ch in w.text)) for w in words]
    total = sum(n for _, n in weights)
    return sum(c * n for c, n in weights) / total if total else 0.0


def line_confidence(words: list[Word]) -> float:
    """Median confidence of the words holding a letter or digit (0 when there are none): one
    misread long word does not sink a well-read line, a few lucky letters do not lift a junk one."""
    confs = sorted(w.conf for w in words if any(ch.isalnum() for ch in w.text))
    if not confs:
        return 0.0
    mid = len(confs) // 2
    return confs[mid] if len(confs) % 2 else (confs[mid - 1] + confs[mid]) / 2


def lines_of(words: list[Word]) -> list[list[Word]]:
    """Words grouped into tesseract's lines, in reading order."""
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for w in words:
        lines.setdefault((w.block, w.par, w.line), []).append(w)
    return [lines[k] for k in sorted(lines)]


def kept_words(words: list[Word], min_confidence: float = 0.0, min_word_confidence: float = 0.0) -> list[Word]:
    """The words in force: those of lines whose `line_confidence` is at least `min_confidence`,
    less the words under `min_word_confidence`."""
    return [w for line in lines_of(words) if line_confidence(line) >= min_confidence
            for w in line if w.conf >= min_word_confidence]


def kept_text(words: list[Word], min_confidence: float = 0.0, min_word_confidence: float = 0.0) -> str:
    """The OCR text in force ("" = no text found): see `kept_words`."""
    return words_to_text(kept_words(words, min_confidence, min_word_confidence))


def dropped_count(words: list[Word], min_confidence: float) -> int:
    return sum(w.conf < min_confidence for w in words)
