"""OCR: read the text in document images, correct it, and build the [OCR]…[TEXT]… descriptions.

OCR runs in the worker (ui.jobs): progress and Cancel stay while you look around. One set, or
every set of the session (service.ocr_session) with the same languages and options."""

import pandas as pd
import streamlit as st

import ui
import ui.paging
from ui import frames, t, tn
from ui.frames import esc
from workbench import i18n, ocr, service

ui.init_state()
st.title(t("ocr.title"))
st.caption(t("ocr.caption"))
store = ui.get_store()
session = ui.current_session()

sets = store.list_candidate_sets(session.id)
if not sets:
    st.info(t("ocr.no_sets"))
    st.stop()
set_id = ui.paging.set_picker(sets, "ocr_set")        # searchable and paged past 100 sets
cset = store.load_candidate_set(set_id)
with_images = [d for d in cset.documents if d.image]
st.write(t("ocr.counts", with_image=len(with_images), docs=tn("ocr.n_documents", len(cset.documents)),
           counts=ui.ocr_tools.status_counts(cset.documents)))     # the review table's caption counts the same


def _kept(report) -> list:
    return [r for r in report if r.status in ("ok", "empty", "error")]


job = ui.jobs.take_finished("ocr")
if job is not None:
    ui.jobs.outcome(job, what=t("ocr.what"))
    if job.status == "done":
        if job.info.get("scope") == "session":        # {set_id: [DocOcr]}: a summary, the shown set's details
            by_set = {sid: _kept(report) for sid, report in (job.result or {}).items()}
            st.session_state.ocr_session_report = (job.info.get("session_id"), by_set)
            shown_set = set_id if set_id in by_set else next(iter(by_set), None)
            st.session_state.ocr_report = (shown_set, by_set.get(shown_set, []), "session")
        else:
            st.session_state.ocr_session_report = None
            st.session_state.ocr_report = (job.info.get("set_id"), _kept(job.result), "set")
        st.session_state.ocr_version = st.session_state.get("ocr_version", 0) + 1

whole = st.session_state.get("ocr_session_report")
if whole and whole[0] == session.id:        # until the next save or OCR run
    names = {s.id: frames.set_name(s) for s in sets}
    read = [r for report in whole[1].values() for r in report]
    if not read:
        st.info(t("ocr.nothing_read"), icon=":material/info:")
    else:
        st.success(t("ocr.session_done", ok=sum(r.status == "ok" for r in read),
                     images=tn("ocr.n_images", len(read)), sets=tn("ocr.n_sets", len(whole[1]))),
                   icon=":material/done_all:")
        ui.paging.table(pd.DataFrame([{t("ocr.col_set"): names.get(sid, str(sid)),
                                       t("ocr.col_text_read"): sum(r.status == "ok" for r in report),
                                       t("ocr.col_no_text"): sum(r.status == "empty" for r in report),
                                       t("ocr.col_errors"): sum(r.status == "error" for r in report)}
                                      for sid, report in whole[1].items()]), "ocr_session_table", hide_index=True)

shown = st.session_state.get("ocr_report")
if shown and shown[0] == set_id:            # until the next save or set
    report, whole_session = shown[1], shown[2:] == ("session",)
    if not report and whole_session:
        pass                                # the summary above says what was read
    elif not report:
        st.info(t("ocr.nothing_read"), icon=":material/info:")
    else:
        if not whole_session:               # the summary above counts a whole-session run
            ok = sum(r.status == "ok" for r in report)
            st.success(t("ocr.set_done", ok=ok, images=tn("ocr.n_images", len(report))))
        for r in report:
            if r.status == "empty":
                st.warning(t("ocr.no_text_in_image", doc=esc(r.doc_id)))
            elif r.status == "error":
                message, fix = i18n.error_text(r.error) if isinstance(r.error, BaseException) else (str(r.error), None)
                st.error(f"**{esc(r.doc_id)}**: {esc(message)}" + (f"\n\n**{t('err.how_to_fix')}** {esc(fix)}"
                                                                   if fix else ""))

c_lang, c_run, c_all, _ = st.columns([2, 1, 2, 2], vertical_alignment="bottom")
st.session_state["ocr_langs_box"] = st.session_state.ocr_langs
langs = c_lang.text_input(t("ocr.languages"), key="ocr_langs_box",
                          on_change=lambda: st.session_state.update(ocr_langs=st.session_state.ocr_langs_box))
ui.state.default("ocr_only_missing", True)
only_missing = c_lang.checkbox(t("ocr.only_missing"), key="ocr_only_missing")
busy = ui.jobs.running("ocr")
if c_run.button(t("ocr.run"), type="primary", icon=":material/document_scanner:",
                disabled=not with_images or bool(busy), key="ocr_go"):
    def work(job, set_id=set_id, langs=langs, only_missing=only_missing):
        return service.ocr_set(store, set_id, langs=langs, only_missing=only_missing,
                               progress=job.progress, cancel=job.cancel)
    ui.jobs.start("ocr", t("ocr.job_set", set=frames.set_name(store.get_set(set_id))), work,
                  info={"set_id": set_id})
    st.rerun()
if c_all.button(t("ocr.run_session"), icon=":material/library_books:", disabled=bool(busy),
                key="ocr_go_session", help=t("ocr.run_session_help", sets=tn("ocr.n_sets", len(sets)))):
    def work_all(job, session_id=session.id, langs=langs, only_missing=only_missing):
        return service.ocr_session(store, session_id, langs=langs, only_missing=only_missing,
                                   progress=job.progress, cancel=job.cancel)
    ui.jobs.start("ocr", t("ocr.job_session", session=session.name, sets=tn("ocr.n_sets", len(sets))), work_all,
                  info={"scope": "session", "session_id": session.id})
    st.rerun()
ui.jobs.progress_panel("ocr")

if not with_images:
    st.stop()
with st.expander(t("ocr.tools_title")):
    ui.ocr_tools.review_and_clear(store, set_id)
st.divider()
per_page = 12
pages = (len(with_images) - 1) // per_page + 1
page_no = st.number_input(t("ocr.page"), 1, pages, 1, key="ocr_page") if pages > 1 else 1
version = st.session_state.get("ocr_version", 0)
edits = {}
for doc in with_images[(page_no - 1) * per_page: page_no * per_page]:
    c_img, c_txt, c_desc = st.columns([1, 2, 2], gap="medium")
    thumb = frames.thumbnail_data_uri(doc.image, 256)
    if thumb:
        c_img.image(thumb, width="stretch")
    c_img.text(f"{doc.id} · {ui.ocr_tools.status_text(ocr.ocr_status(doc))}")
    text = c_txt.text_area(t("ocr.text_box"), value=doc.ocr_final or "", height=130,
                           key=f"ocr_{set_id}_{doc.id}_{version}")
    desc = ocr.build_description(text, doc.text, doc.metadata)
    c_desc.markdown(f"**{t('ocr.description_title')}**")
    c_desc.code(desc or t("ocr.empty"), language=None, wrap_lines=True)
    # Only the analyst's own text edits count: saving an untouched box would store an empty
    # correction that hides the OCR text from every later OCR run and description.
    if text != (doc.ocr_final or ""):
        edits[doc.id] = (text, desc)
if st.button(t("ocr.save", changed=tn("ocr.n_changed", len(edits))), type="primary", icon=":material/save:",
             disabled=not edits, key="ocr_save"):
    with ui.errors_shown("save OCR"):  # i18n: not UI text
        changed = 0
        for doc_id, (text, _desc) in edits.items():    # an edit belongs to the image: every copy gets it
            changed += len(service.edit_ocr(store, set_id, doc_id, text))
        st.session_state.ocr_report = None
        st.session_state.ocr_session_report = None
        ui.state.flash("toast", t("ocr.saved", descriptions=tn("ocr.n_descriptions", len(edits)))
                       + (t("ocr.saved_same_image", n=changed - len(edits)) if changed > len(edits) else ""))
        st.rerun()
