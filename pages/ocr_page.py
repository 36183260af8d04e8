"""OCR: read the text in document images, correct it, and build the [OCR]…[TEXT]… descriptions.

OCR runs in the worker (ui.jobs): progress and Cancel stay while you look around."""

import streamlit as st

import ui
from ui import frames
from ui.frames import esc
from workbench import ocr, service

ui.init_state()
st.title("OCR")
st.caption("Text in product shots and scans helps both the model and the lexical baseline. "
           "Run OCR, correct what it misread, save: rankings then use the `[OCR] … [TEXT] …` description.")
store = ui.get_store()
session = ui.current_session()

sets = store.list_candidate_sets(session.id)
if not sets:
    st.info("This session has no candidate sets yet: import one first.")
    st.stop()
set_id = ui.state.set_picker(sets, "ocr_set")
cset = store.load_candidate_set(set_id)
with_images = [d for d in cset.documents if d.image]
st.write(f"{len(with_images)} of {frames.plural(len(cset.documents), 'document')} have an image; "
         f"{sum(d.ocr_final is not None for d in with_images)} already have OCR text.")

job = ui.jobs.take_finished("ocr")
if job is not None:
    ui.jobs.outcome(job, what="OCR")
    if job.status == "done":
        st.session_state.ocr_report = (job.info.get("set_id"), [r for r in job.result
                                                                 if r.status in ("ok", "empty", "error")])
        st.session_state.ocr_version = st.session_state.get("ocr_version", 0) + 1

shown = st.session_state.get("ocr_report")
if shown and shown[0] == set_id:            # until the next save or set
    report = shown[1]
    if not report:
        st.info("Every image already has OCR text, so nothing was read. Untick “Only images without OCR "
                "text” to read them all again (your corrections are kept).", icon=":material/info:")
    else:
        ok = sum(r.status == "ok" for r in report)
        st.success(f"OCR read {ok} of {frames.plural(len(report), 'image')}; descriptions saved.")
        for r in report:
            if r.status == "empty":
                st.warning(f"**{esc(r.doc_id)}**: no text found in the image. Type the text below if it has any.")
            elif r.status == "error":
                st.error(f"**{esc(r.doc_id)}**: {esc(r.error)}")

c_lang, c_run, _ = st.columns([2, 1, 4], vertical_alignment="bottom")
st.session_state["ocr_langs_box"] = st.session_state.ocr_langs
langs = c_lang.text_input("Languages (tesseract)", key="ocr_langs_box",
                          on_change=lambda: st.session_state.update(ocr_langs=st.session_state.ocr_langs_box))
ui.state.default("ocr_only_missing", True)
only_missing = c_lang.checkbox("Only images without OCR text", key="ocr_only_missing")
busy = ui.jobs.running("ocr")
if c_run.button("Run OCR", type="primary", icon=":material/document_scanner:",
                disabled=not with_images or bool(busy), key="ocr_go"):
    def work(job, set_id=set_id, langs=langs, only_missing=only_missing):
        return service.ocr_set(store, set_id, langs=langs, only_missing=only_missing,
                               progress=job.progress, cancel=job.cancel)
    ui.jobs.start("ocr", f"Reading the images of “{frames.set_name(store.get_set(set_id))}”", work,
                  info={"set_id": set_id})
    st.rerun()
ui.jobs.progress_panel("ocr")

if not with_images:
    st.stop()
with st.expander("Raw and edited OCR text side by side · clear OCR of selected documents"):
    ui.ocr_tools.review_and_clear(store, set_id)
st.divider()
per_page = 12
pages = (len(with_images) - 1) // per_page + 1
page_no = st.number_input("Page", 1, pages, 1, key="ocr_page") if pages > 1 else 1
version = st.session_state.get("ocr_version", 0)
edits = {}
for doc in with_images[(page_no - 1) * per_page: page_no * per_page]:
    c_img, c_txt, c_desc = st.columns([1, 2, 2], gap="medium")
    thumb = frames.thumbnail_data_uri(doc.image, 256)
    if thumb:
        c_img.image(thumb, width="stretch")
    c_img.text(f"{doc.id} · {ocr.ocr_status(doc)}")
    text = c_txt.text_area("OCR text (editable)", value=doc.ocr_final or "", height=130,
                           key=f"ocr_{set_id}_{doc.id}_{version}")
    desc = ocr.build_description(text, doc.text, doc.metadata)
    c_desc.markdown("**Description used for ranking**")
    c_desc.code(desc or "(empty)", language=None, wrap_lines=True)
    # Only the analyst's own text edits count: saving an untouched box would store an empty
    # correction that hides the OCR text from every later OCR run and description.
    if text != (doc.ocr_final or ""):
        edits[doc.id] = (text, desc)
if st.button(f"Save {frames.plural(len(edits), 'changed description')}", type="primary", icon=":material/save:",
             disabled=not edits, key="ocr_save"):
    with ui.errors_shown("save OCR"):
        for doc_id, (text, desc) in edits.items():
            store.update_document_text(set_id, doc_id, ocr_edited=text, description=desc)
        st.session_state.ocr_report = None
        ui.state.flash("toast", f"Saved {frames.plural(len(edits), 'description')}.")
        st.rerun()
