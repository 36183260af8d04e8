"""OCR page extras: raw and edited OCR text side by side, and clearing the OCR of selected documents."""

from __future__ import annotations

import streamlit as st

from workbench import ocr, service
from workbench.ocr import review
from workbench.i18n import t, tn

from . import state
from .errors import errors_shown

#: ocr.ocr_status values (the library's English words) -> their catalog keys
STATUS_KEYS = {review.NOT_READ: "ocr.status_not_read", review.NO_IMAGE: "ocr.status_no_image",
               ocr.NO_TEXT_FOUND: "ocr.status_no_text", review.TEXT: "ocr.status_text",
               review.EDITED: "ocr.status_edited"}
HEADINGS = {"doc_id": "ocr.col_doc_id", "status": "ocr.col_status", "ocr_text": "ocr.col_raw",
            "ocr_edited": "ocr.col_edited", "ocr_in_force": "ocr.col_in_use", "description": "ocr.col_description"}


#: the order statuses are counted in, on the page's header and the review table's caption alike
STATUS_ORDER = (review.TEXT, review.EDITED, ocr.NO_TEXT_FOUND, review.NOT_READ, review.NO_IMAGE)


def status_counts(documents) -> str:
    """'4 text · 2 edited · 4 no text found': each document counted once, by ocr.ocr_status (an
    edit wins over what OCR read), in the UI language; statuses no document has are left out."""
    counts: dict[str, int] = {}
    for doc in documents:
        status = ocr.ocr_status(doc)
        counts[status] = counts.get(status, 0) + 1
    order = [*STATUS_ORDER, *(s for s in counts if s not in STATUS_ORDER)]
    return " · ".join(t("ocr.status_count", n=counts[s], status=status_text(s)) for s in order if counts.get(s))


def status_text(status: str) -> str:
    """A document's OCR status (ocr.ocr_status) in the UI language."""
    key = STATUS_KEYS.get(status)
    return t(key) if key else status


def review_and_clear(store, set_id: int) -> None:
    """A table of every document's OCR status, raw text and edited text; pick rows and clear
    their OCR (the raw text; your edits too when ticked). Descriptions are rebuilt at once."""
    cset = store.load_candidate_set(set_id)
    frame = ocr.ocr_review_frame(cset)
    st.caption(f"{status_counts(cset.documents)} — {t('ocr.status_help')}")   # as the page's header counts
    shown = frame.drop(columns=["image"]).assign(status=frame["status"].map(status_text))
    config = {c: st.column_config.TextColumn(t(k)) for c, k in HEADINGS.items()}
    config["description"] = st.column_config.TextColumn(t(HEADINGS["description"]), width="large")
    picked = st.dataframe(shown, hide_index=True, width="stretch", key=f"ocr_review_{set_id}",
                          on_select="rerun", selection_mode="multi-row", column_config=config)
    rows = list(getattr(getattr(picked, "selection", None), "rows", []) or [])
    doc_ids = [str(frame.iloc[i]["doc_id"]) for i in rows]
    c1, c2 = st.columns([2, 3], vertical_alignment="center")
    edits = c2.checkbox(t("ocr.clear_edits_too"), key=f"ocr_clear_edits_{set_id}", help=t("ocr.clear_edits_help"))
    if c1.button(t("ocr.clear_button", docs=tn("ocr.n_selected", len(doc_ids))), disabled=not doc_ids,
                 icon=":material/ink_eraser:", key=f"ocr_clear_{set_id}"):
        with errors_shown("clear OCR"):  # i18n: not UI text
            service.clear_ocr(store, set_id, doc_ids, edits=edits)
            state.flash("success", t("ocr.cleared", docs=tn("ocr.n_documents", len(doc_ids)))
                        + ("" if edits else t("ocr.cleared_edits_kept")) + t("ocr.cleared_end"))
            st.session_state.ocr_version = st.session_state.get("ocr_version", 0) + 1
            st.rerun()
