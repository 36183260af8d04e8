"""OCR: read the text in document images, correct it, and build the [OCR]…[TEXT]… descriptions."""

import streamlit as st

import ui_common as ui
from workbench import ocr
from workbench import service

ui.init_state()
st.title("OCR")
st.caption("Text in product shots and scans helps both the model and the lexical baseline. "
           "Run OCR, correct what it misread, save: rankings then use the `[OCR] … [TEXT] …` description.")
store = ui.get_store()
session = ui.current_session()
ui.recover_interrupted_run("ocr_running", message="OCR was stopped. Every image read before the stop "
                                                 "is saved with its description.")

sets = store.list_candidate_sets(session.id)
if not sets:
    st.info("This session has no candidate sets yet: import one first.")
    st.stop()
ids = [s.id for s in sets]
set_id = st.selectbox("Candidate set", ids, index=ids.index(st.session_state.set_id) if st.session_state.set_id in ids else 0,
                      format_func=lambda i: next(f"{s.name or s.query_id} — {s.n_docs} docs" for s in sets if s.id == i),
                      key="ocr_set")
cset = store.load_candidate_set(set_id)
with_images = [d for d in cset.documents if d.image]
st.write(f"{len(with_images)} of {len(cset.documents)} documents have an image; "
         f"{sum(d.ocr_final is not None for d in with_images)} already have OCR text.")

c_lang, c_run, c_cancel, _ = st.columns([2, 1, 1, 3], vertical_alignment="bottom")
langs = c_lang.text_input("Languages (tesseract)", value="chi_sim+eng", key="ocr_langs")
only_missing = c_lang.checkbox("Only images without OCR text", value=True, key="ocr_only_missing")
if c_run.button("Run OCR", type="primary", icon=":material/document_scanner:", disabled=not with_images):
    st.session_state.ocr_running = {"set_id": set_id}
    c_cancel.button("Cancel", icon=":material/stop:", key="ocr_cancel")
    bar = ui.StreamlitProgress("Reading images")
    with ui.errors_shown():
        report = service.ocr_set(store, set_id, langs=langs, only_missing=only_missing, progress=bar)
        st.session_state.ocr_version = st.session_state.ocr_version + 1
        st.session_state.ocr_report = [r for r in report if r.status in ("ok", "empty", "error")]
        st.session_state.ocr_set_id = set_id
    st.session_state.ocr_running = None
    bar.done()
    st.rerun()

report = st.session_state.ocr_report if st.session_state.ocr_set_id == set_id else None
if report is not None and not report:
    st.info("Every image already has OCR text, so nothing was read. Untick “Only images without OCR "
            "text” to read them all again (your corrections are kept).", icon=":material/info:")
elif report:
    ok = sum(r.status == "ok" for r in report)
    st.success(f"OCR read {ok} of {len(report)} images; descriptions saved.")
    for r in report:
        if r.status == "empty":
            st.warning(f"**{r.doc_id}**: no text found in the image. Type the text below if it has any.")
        elif r.status == "error":
            st.error(f"**{r.doc_id}**: {r.error}")

if not with_images:
    st.stop()
st.divider()
per_page = 12
pages = (len(with_images) - 1) // per_page + 1
page_no = st.number_input("Page", 1, pages, 1, key="ocr_page") if pages > 1 else 1
version = st.session_state.ocr_version
edits = {}
for doc in with_images[(page_no - 1) * per_page: page_no * per_page]:
    c_img, c_txt, c_desc = st.columns([1, 2, 2], gap="medium")
    thumb = ui.thumbnail_uri(doc.image, 256)
    if thumb:
        c_img.image(thumb, width="stretch")
    c_img.caption(doc.id)
    text = c_txt.text_area("OCR text (editable)", value=doc.ocr_final or "", height=130,
                           key=f"ocr_{set_id}_{doc.id}_{version}")
    desc = ocr.build_description(text, doc.text, doc.metadata)
    c_desc.markdown("**Description used for ranking**")
    c_desc.code(desc or "(empty)", language=None, wrap_lines=True)
    # Only the analyst's own text edits count: saving an untouched box would store an empty
    # correction that hides the OCR text from every later OCR run and description.
    if text != (doc.ocr_final or ""):
        edits[doc.id] = (text, desc)
if st.button(f"Save {len(edits)} changed descriptions", type="primary", icon=":material/save:",
             disabled=not edits, key="ocr_save"):
    with ui.errors_shown():
        for doc_id, (text, desc) in edits.items():
            store.update_document_text(set_id, doc_id, ocr_edited=text, description=desc)
        st.toast(f"Saved {len(edits)} descriptions.")
        st.rerun()
