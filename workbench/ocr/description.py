"""The `[OCR] … [TEXT] …` document description builder (whitespace-normalised, capped)."""

from __future__ import annotations

import re
import unicodedata

from .text import CJK_GAP

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
    ocr = normalize_ws(CJK_GAP.sub("", ocr_text or ""))
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
