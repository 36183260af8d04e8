"""The OCR review table: raw OCR text and the analyst's edit side by side, with a status."""

from __future__ import annotations

import pandas as pd

from .text import is_empty_text
from .words import NO_TEXT_FOUND

#: Status of a document's OCR, as the review table and the app show it.
NOT_READ = "not read"
NO_IMAGE = "no image"
TEXT = "text"
EDITED = "edited"

REVIEW_COLUMNS = ["doc_id", "image", "status", "ocr_text", "ocr_edited", "ocr_in_force", "description"]


def ocr_status(doc) -> str:
    """'no image', 'not read', 'no text found', 'text' or 'edited' (the analyst's edit is in force).

    The store keeps None for "never read" and "" for "read, nothing found", so the two differ."""
    if doc.ocr_edited is not None:
        return EDITED
    if not doc.image:
        return NO_IMAGE
    if doc.ocr_text is None:
        return NOT_READ
    return NO_TEXT_FOUND if is_empty_text(doc.ocr_text) else TEXT


def ocr_review_frame(cset) -> pd.DataFrame:
    """One row per document: raw OCR text (`ocr_text`, as the engine read it after the
    confidence thresholds), the analyst's edit (`ocr_edited`, empty when none), the text in
    force, the description the rerankers use, and the status."""
    rows = [{"doc_id": d.id, "image": d.image or "", "status": ocr_status(d), "ocr_text": d.ocr_text or "",
             "ocr_edited": d.ocr_edited if d.ocr_edited is not None else "", "ocr_in_force": d.ocr_final or "",
             "description": d.description or ""} for d in cset.documents]
    return pd.DataFrame(rows, columns=REVIEW_COLUMNS)
