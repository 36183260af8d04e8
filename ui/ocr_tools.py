"""OCR page extras: raw and edited OCR text side by side, and clearing the OCR of selected documents."""

from __future__ import annotations

import streamlit as st

from workbench import ocr, service

from . import frames, state
from .widgets import errors_shown

STATUS_HELP = ("not read: OCR has not run · no text found: tesseract found no line it was sure of "
               "(photos) · text: OCR text in use · edited: your correction is in use")


def review_and_clear(store, set_id: int) -> None:
    """A table of every document's OCR status, raw text and edited text; pick rows and clear
    their OCR (the raw text; your edits too when ticked). Descriptions are rebuilt at once."""
    cset = store.load_candidate_set(set_id)
    frame = ocr.ocr_review_frame(cset)
    counts = frame["status"].value_counts()
    st.caption(" · ".join(f"{n} {s}" for s, n in counts.items()) + f" — {STATUS_HELP}")
    shown = frame.drop(columns=["image"]).rename(columns={"ocr_text": "raw OCR text", "ocr_edited": "your edit",
                                                         "ocr_in_force": "in use"})
    picked = st.dataframe(shown, hide_index=True, width="stretch", key=f"ocr_review_{set_id}",
                          on_select="rerun", selection_mode="multi-row",
                          column_config={"description": st.column_config.TextColumn(width="large")})
    rows = list(getattr(getattr(picked, "selection", None), "rows", []) or [])
    doc_ids = [str(frame.iloc[i]["doc_id"]) for i in rows]
    c1, c2 = st.columns([2, 3], vertical_alignment="center")
    edits = c2.checkbox("Also forget my edits", key=f"ocr_clear_edits_{set_id}",
                        help="Off: your corrected text stays and is still used.")
    if c1.button(f"Clear OCR of {frames.plural(len(doc_ids), 'selected document')}", disabled=not doc_ids,
                 icon=":material/ink_eraser:", key=f"ocr_clear_{set_id}"):
        with errors_shown("clear OCR"):
            service.clear_ocr(store, set_id, doc_ids, edits=edits)
            state.flash("success", f"Cleared the OCR text of {frames.plural(len(doc_ids), 'document')}"
                                   + ("" if edits else " (your edits kept)") + ".")
            st.session_state.ocr_version = st.session_state.get("ocr_version", 0) + 1
            st.rerun()
