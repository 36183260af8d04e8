"""Rerank: instruction + query + documents + backend → scored, labelled, saved run."""

import datetime as dt

import streamlit as st

import ui_common as ui
from workbench import service
from workbench.config import INSTRUCTION_TEMPLATES
from workbench.model import Instruction, Query
from workbench.ui_helpers import adhoc_set

ui.init_state()
st.title("Rerank")
store = ui.get_store()
session = ui.current_session(required=False)
ui.recover_interrupted_run("rerank_running", "rerank_run_id")

# ------------------------------------------------------------------ instruction
st.subheader("Instruction")
c_tpl, c_txt = st.columns([1, 3])
template = c_tpl.selectbox("Scenario template", [*INSTRUCTION_TEMPLATES, "custom"], key="rr_template")
text = c_txt.text_area("Instruction text", value=INSTRUCTION_TEMPLATES.get(template, ""), height=80,
                       key=f"rr_instruction_{template}")
precise = c_tpl.toggle("Be precise and avoid vague terms", key="rr_precise")
instruction = Instruction(text, None if template == "custom" else template, precise)
c_txt.caption(f"Sent to the model: _{instruction.full}_")

# ------------------------------------------------------------------ query + documents
st.subheader("Query and documents")
mode = st.radio("Documents from", ["Stored set", "Pasted lines (batch)", "Single document"],
                horizontal=True, key="rr_mode")
set_id, adhoc, save_adhoc = None, None, False
if mode == "Stored set":
    sets = store.list_candidate_sets(session.id if session else None)
    if not sets:
        st.info("No candidate sets in this session yet: import one, or paste documents instead.")
    else:
        ids = [s.id for s in sets]
        default = ids.index(st.session_state.set_id) if st.session_state.set_id in ids else 0
        set_id = st.selectbox("Candidate set", ids, index=default, key="rr_set",
                              format_func=lambda i: next(f"{s.name or s.query_id} — {s.n_docs} docs"
                                                         for s in sets if s.id == i))
        query = store.load_candidate_set(set_id).query
        qc1, qc2 = st.columns([1, 5], vertical_alignment="center")
        if query.image:
            qc1.image(ui.thumbnail_uri(query.image, 160), caption="query image")
        qc2.markdown(f"**Query:** {query.text or '_(image only)_'}")
else:
    qc1, qc2 = st.columns([3, 2])
    qtext = qc1.text_input("Query text", key="rr_qtext")
    qimg = qc2.file_uploader("Query image (optional)", type=["png", "jpg", "jpeg", "webp", "heic"],
                             key="rr_qimg")
    if mode == "Pasted lines (batch)":
        pasted = st.text_area("Documents, one per line", height=160, key="rr_pasted")
    else:
        pasted = st.text_input("Document", key="rr_single")
    save_adhoc = st.checkbox("Save as a new candidate set in the current session (keeps labels and the run)",
                             value=True, key="rr_save_adhoc")
    adhoc = (qtext, qimg, pasted)

# ------------------------------------------------------------------ backend + run
st.subheader("Backend")
backend, model_path = ui.backend_picker("rr")
run_name = st.text_input("Run name (optional)", key="rr_name")
b_run, b_cancel, _ = st.columns([1, 1, 4])
go = b_run.button("Run rerank", type="primary", icon=":material/play_arrow:", key="rr_go")
if go:
    with ui.errors_shown():
        if adhoc is not None:
            qtext, qimg, pasted = adhoc
            docs = service.docs_from_lines(pasted)
            image, image_hash = ui.save_upload(qimg, "queries") if qimg else (None, None)
            query = Query(id="adhoc-" + dt.datetime.now().strftime("%Y%m%d-%H%M%S"), text=qtext.strip(),
                          image=image, image_hash=image_hash)
            cset = adhoc_set(query, docs, name=query.id)
            if save_adhoc:
                sid = session.id if session else store.get_or_create_session("ad-hoc").id
                set_id = store.save_candidate_set(sid, cset)
                st.session_state.session_id, st.session_state.set_id = sid, set_id
        reranker, lock = ui.load_reranker(backend, model_path)
        st.session_state.rerank_running = {"set_id": set_id, "run_ids": []}
        b_cancel.button("Cancel", icon=":material/stop:", key="rr_cancel")
        bar = ui.StreamlitProgress("Scoring documents")
        with lock:
            if set_id is not None:
                run = service.rerank_set(store, set_id, instruction, reranker, progress=bar,
                                         name=run_name.strip(), on_run_created=ui.track_run("rerank_running"))
                st.session_state.rerank_run_id, st.session_state.rerank_adhoc = run.id, None
            else:
                results = service.rerank_adhoc(instruction, cset.query, cset.documents, reranker,
                                               progress=bar)
                st.session_state.rerank_adhoc = (cset, results, instruction.full, reranker.backend)
                st.session_state.rerank_run_id = None
        st.session_state.rerank_running = None
        bar.done()
        st.rerun()
    st.session_state.rerank_running = None

# ------------------------------------------------------------------ results
st.divider()
if st.session_state.rerank_run_id is not None:
    ui.run_results(store, st.session_state.rerank_run_id, key="rr")
elif st.session_state.rerank_adhoc is not None:
    cset, results, used_instruction, used_backend = st.session_state.rerank_adhoc
    ui.adhoc_results(cset, results, instruction=used_instruction, backend=used_backend)
