"""Rerank: instruction + query + documents + backend → scored, labelled, saved run.

The scoring runs in the worker (ui.jobs): this page starts it, shows its progress with
a Cancel button, and shows the results when it ends, also after a reload."""

import datetime as dt

import streamlit as st

import ui
from ui import frames
from ui.frames import esc
from workbench import service
from workbench.config import INSTRUCTION_TEMPLATES
from workbench.errors import InputError
from workbench.model import Instruction, Query

ui.init_state()
st.title("Rerank")
store = ui.get_store()
session = ui.current_session(required=False)

# ------------------------------------------------------------------ a finished job's outcome
job = ui.jobs.take_finished("rerank")
if job is not None:
    ui.jobs.outcome(job, what="ranking")
    if job.run_ids and ui.jobs.started_here(job):     # a deep link / other tab keeps its own set
        st.session_state.run_ids = [job.run_ids[-1]]
        st.session_state.set_id = job.info.get("set_id") or st.session_state.set_id
    elif job.status == "done" and job.info.get("adhoc"):
        cset, used_instruction, used_backend = job.info["adhoc"]
        st.session_state.rerank_adhoc = (cset, job.result, used_instruction, used_backend)
        st.session_state.run_ids = []
    warnings = list(getattr(job.result, "warnings", None) or [])
    if warnings and job.run_ids:             # shown with the run's results
        st.session_state.run_warnings = {**st.session_state.run_warnings, job.run_ids[-1]: warnings}

# ------------------------------------------------------------------ instruction
st.subheader("Instruction")
c_tpl, c_txt = st.columns([1, 3])
ui.state.default("rr_template", "e-commerce")
template = c_tpl.selectbox("Scenario template", [*INSTRUCTION_TEMPLATES, "custom"], key="rr_template")
ui.state.default(f"rr_instruction_{template}", INSTRUCTION_TEMPLATES.get(template, ""))
text = c_txt.text_area("Instruction text", height=80, key=f"rr_instruction_{template}",
                       placeholder="Type the instruction, e.g. “Given a user's question, retrieve …”")
precise = c_tpl.toggle("Be precise and avoid vague terms", key="rr_precise")
instruction = Instruction(text, None if template == "custom" else template, precise)
if text.strip():
    c_txt.caption("Sent to the model: " + esc(instruction.full))
else:
    c_txt.caption("The instruction is empty: type one, or pick a scenario template.")

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
        set_id = ui.state.set_picker(sets, "rr_set")
        query = store.load_candidate_set(set_id).query
        qc1, qc2 = st.columns([1, 5], vertical_alignment="center")
        if query.image:
            thumb = frames.thumbnail_data_uri(query.image, 160)
            if thumb:
                qc1.image(thumb, caption="query image")
        qc2.text("Query: " + (query.text or "(image only)"))
else:
    qc1, qc2 = st.columns([3, 2])
    qtext = qc1.text_input("Query text", key="rr_qtext")
    qimg = qc2.file_uploader("Query image (optional)", type=["png", "jpg", "jpeg", "webp", "heic"],
                             key="rr_qimg")
    if mode == "Pasted lines (batch)":
        pasted = st.text_area("Documents, one per line", height=160, key="rr_pasted")
    else:
        pasted = st.text_input("Document", key="rr_single")
    ui.state.default("rr_save_adhoc", True)
    save_adhoc = st.checkbox("Save as a new candidate set in the current session (keeps labels and the run)",
                             key="rr_save_adhoc")
    adhoc = (qtext, qimg, pasted)

# ------------------------------------------------------------------ backend + run
st.subheader("Backend")
choice = ui.widgets.model_choice("rr")
if set_id is not None:
    _cset = store.load_candidate_set(set_id)
    ui.widgets.prompt_expander(choice, instruction.full, _cset.query,
                               _cset.documents[0] if _cset.documents else None)
if st.session_state.clear_run_name:
    st.session_state.rr_name = ""
    st.session_state.clear_run_name = False
run_name = st.text_input("Run name (optional)", key="rr_name",
                         placeholder="defaults to the template name, e.g. “e-commerce + precise”")
busy = ui.jobs.running("rerank")
go = st.button("Run rerank", type="primary", icon=":material/play_arrow:", key="rr_go", disabled=bool(busy))
if go:
    with ui.errors_shown("start rerank"):
        if not instruction.text.strip():
            raise InputError("The instruction is empty, so the model would not know what to look for.",
                             "Type an instruction in the Instruction text box, or pick a scenario template.")
        info = {"set_id": set_id}
        if adhoc is not None:
            qtext, qimg, pasted = adhoc
            docs = service.docs_from_lines(pasted)
            image, image_hash = ui.widgets.save_upload(qimg, "queries") if qimg else (None, None)
            query = Query(id="adhoc-" + dt.datetime.now().strftime("%Y%m%d-%H%M%S"), text=qtext.strip(),
                          image=image, image_hash=image_hash)
            cset = frames.adhoc_set(query, docs, name=query.id)
            if save_adhoc:
                sid = session.id if session else store.get_or_create_session("ad-hoc").id
                set_id = store.save_candidate_set(sid, cset)
                st.session_state.session_id, st.session_state.set_id = sid, set_id
                info["set_id"] = set_id
        reranker, lock = ui.widgets.load_reranker(choice["backend"], choice["model_path"],
                                                  prompt_format=choice["prompt_format"])
        name = run_name.strip()
        if set_id is not None:
            label = f"Scoring “{frames.set_name(store.get_set(set_id))}” ({instruction.template or 'custom'})"

            def work(job, set_id=set_id):
                return service.rerank_set(store, set_id, instruction, reranker, progress=job.progress,
                                          cancel=job.cancel, name=name, on_run_created=job.add_run)
        else:
            label = f"Scoring {frames.plural(len(cset.documents), 'pasted document')}"
            info["adhoc"] = (cset, instruction.full, reranker.backend)

            def work(job):
                return service.rerank_adhoc(instruction, cset.query, cset.documents, reranker,
                                            progress=job.progress, cancel=job.cancel)
        ui.jobs.start("rerank", label, work, info=info, lock=lock)
        st.session_state.clear_run_name = True
        st.session_state.rerank_adhoc = None
        st.rerun()

ui.jobs.progress_panel("rerank")

# ------------------------------------------------------------------ results
st.divider()
if set_id is not None:
    shown = [r for r in st.session_state.run_ids if r in {x.id for x in store.list_runs(set_id=set_id)}]
    if not shown:          # the newest finished run of this set (never another set's run)
        finished = [r for r in store.list_runs(set_id=set_id) if r.status != "running"]
        shown = [finished[-1].id] if finished else []
    if shown:
        st.session_state.run_ids = [shown[-1]]
        ui.results.run_results(store, shown[-1], key="rr")
elif st.session_state.run_ids and st.session_state.rerank_adhoc is None:
    # pasted documents saved as a new set by the last run: that run's results
    saved = [r for r in store.list_runs(set_id=st.session_state.set_id) if r.id == st.session_state.run_ids[-1]] \
        if st.session_state.set_id is not None else []
    if saved:
        ui.results.run_results(store, saved[0].id, key="rr")
elif st.session_state.rerank_adhoc is not None:
    cset, results, used_instruction, used_backend = st.session_state.rerank_adhoc
    ui.results.adhoc_results(cset, results, instruction=used_instruction, backend=used_backend)
