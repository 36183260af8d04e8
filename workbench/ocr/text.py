"""OCR text cleanup (NFC, CJK gaps, blank lines), the empty test, and character accuracy."""

from __future__ import annotations

import re
import unicodedata

_CJK = r"\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
CJK_GAP = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[{_CJK}])")


def clean_ocr_text(text: str) -> str:
    """Tesseract output → tidy text: NFC, spaces between CJK characters removed, blank lines dropped."""
    text = unicodedata.normalize("NFC", text or "").replace("\x0c", "")
    lines = []
    for line in text.splitlines():
        line = re.sub(r"[ \t\u00a0]+", " ", line).strip()
        line = CJK_GAP.sub("", line)
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
