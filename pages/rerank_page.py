"""Rerank: instruction + query + documents + backend → scored, labelled, saved run.

The scoring runs in the worker (ui.jobs): this page starts it, shows its progress with
a Cancel button, and shows the results when it ends, also after a reload."""

import datetime as dt

import streamlit as st

import ui
from ui import frames, t
from ui.comparison import template_name
from ui.frames import esc
from workbench import jobs as wjobs
from workbench import service
from workbench.config import INSTRUCTION_TEMPLATES
from workbench.errors import InputError
from workbench.model import Instruction, Query
from workbench.rerank.spec import backend_has, is_lexical

ui.init_state()
st.title(t("rerank.title"))
store = ui.get_store()
session = ui.current_session(required=False)

# ------------------------------------------------------------------ a finished job's outcome
job = ui.jobs.take_finished("rerank")
if job is not None:
    ui.jobs.outcome(job, what=t("rerank.job_what"))
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
st.subheader(t("rerank.instruction"))
c_tpl, c_txt = st.columns([1, 3])
ui.state.default("rr_template", "e-commerce")
template = c_tpl.selectbox(t("rerank.template"), [*INSTRUCTION_TEMPLATES, "custom"], key="rr_template",
                           format_func=lambda k: template_name(None if k == "custom" else k))
ui.state.default(f"rr_instruction_{template}", INSTRUCTION_TEMPLATES.get(template, ""))
text = c_txt.text_area(t("rerank.instruction_text"), height=80, key=f"rr_instruction_{template}",
                       placeholder=t("rerank.instruction_placeholder"))
precise = st.toggle(t("rerank.precise"), key="rr_precise")     # full width: the guide's suffix reads whole
instruction = Instruction(text, None if template == "custom" else template, precise)
if text.strip():
    c_txt.caption(t("rerank.sent_to_model", text=esc(instruction.full)))
else:
    c_txt.caption(t("rerank.instruction_empty"))

# ------------------------------------------------------------------ query + documents
st.subheader(t("rerank.query_and_documents"))
MODES = ("stored", "pasted", "single")
if st.session_state.get("rr_mode") not in MODES:
    st.session_state.rr_mode = "stored"
mode = st.radio(t("rerank.documents_from"), MODES, horizontal=True, key="rr_mode",
                format_func=lambda m: t(f"rerank.mode_{m}"))
set_id, adhoc, save_adhoc = None, None, False
if mode == "stored":
    sets = store.list_candidate_sets(session.id if session else None)
    if not sets:
        st.info(t("rerank.no_sets"))
    else:
        set_id = ui.state.set_picker(sets, "rr_set", label=t("rerank.set_picker"))
        query = store.load_candidate_set(set_id).query
        qc1, qc2 = st.columns([1, 5], vertical_alignment="center")
        if query.image:
            thumb = frames.thumbnail_data_uri(query.image, 160)
            if thumb:
                qc1.image(thumb, caption=t("rerank.query_image_caption"))
        qc2.text(t("rerank.query_line", query=query.text or t("rerank.image_only")))
else:
    qc1, qc2 = st.columns([3, 2])
    qtext = qc1.text_input(t("rerank.query_text"), key="rr_qtext")
    qimg = qc2.file_uploader(t("rerank.query_image"), type=["png", "jpg", "jpeg", "webp", "heic"],
                             key="rr_qimg")
    if mode == "pasted":
        pasted = st.text_area(t("rerank.documents_lines"), height=160, key="rr_pasted")
    else:
        pasted = st.text_input(t("rerank.document"), key="rr_single")
    ui.state.default("rr_save_adhoc", True)
    save_adhoc = st.checkbox(t("rerank.save_adhoc"), key="rr_save_adhoc")
    adhoc = (qtext, qimg, pasted)

# ------------------------------------------------------------------ backend + run
st.subheader(t("rerank.backend"))
choice = ui.widgets.model_choice("rr")
if set_id is not None:
    _cset = store.load_candidate_set(set_id)
    ui.widgets.prompt_expander(choice, instruction.full, _cset.query,
                               _cset.documents[0] if _cset.documents else None)
if set_id is not None:
    ui.widgets.estimate_note(_cset.documents, choice["backend"])
if st.session_state.clear_run_name:
    st.session_state.rr_name = ""
    st.session_state.clear_run_name = False
run_name = st.text_input(t("rerank.run_name"), key="rr_name", placeholder=t("rerank.run_name_placeholder"))
busy = ui.jobs.running("rerank")
go = st.button(t("rerank.run_button"), type="primary", icon=":material/play_arrow:", key="rr_go", disabled=bool(busy))
if go:
    with ui.errors_shown("start rerank"):  # i18n: not UI text
        if not instruction.text.strip():
            raise InputError.coded("rerank.empty_instruction", {})
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
        backend, model_path, fmt = choice["backend"], choice["model_path"], choice["prompt_format"]
        ui.widgets.check_choice(backend, model_path)   # no server URL / unreachable hub: said at once
        name = run_name.strip()
        if set_id is not None:
            label = ("jobs.label.rerank_set", {"set": frames.set_name(store.get_set(set_id)),
                                               "template": template_name(instruction.template)})
        else:
            label = ("jobs.label.rerank_pasted", {"docs": ui.jobs.Count("rerank.count_pasted", len(cset.documents))})
            info["adhoc"] = (cset, instruction.full, backend)
        long_bm25 = is_lexical(backend) and ui.widgets.runs_long(cset.documents if adhoc is not None
                                                                  else store.load_candidate_set(set_id).documents)
        if long_bm25:
            # BM25 is pure-Python tokenising: a long run goes to a child process, or it holds the
            # server's interpreter and every page waits (a short one is not worth the process's start)
            if set_id is not None:
                ui.jobs.start_process("rerank", label, wjobs.rerank_set_work,
                                      (store.location, set_id, instruction, backend, {}, name), info=info,
                                      finish=lambda run: run, settle=lambda job: ui.jobs.settle_run(store, job))
            else:
                ui.jobs.start_process("rerank", label, wjobs.rerank_adhoc_work,
                                      (instruction, cset.query, cset.documents, backend, {}), info=info)
        else:
            # a local model loads here (its settings are checked before any work starts); a server is
            # probed and connected in the job, where Cancel works while one that never answers is waited for
            loaded = None if backend_has(backend, "needs_url") else ui.widgets.load_reranker(backend, model_path,
                                                                                 prompt_format=fmt)

            def load(job):
                return loaded or ui.widgets.load_in_job(job, backend, model_path, fmt)

            if set_id is not None:
                def work(job, set_id=set_id):
                    reranker, lock = load(job)
                    with ui.widgets.holding(job, lock):
                        return service.rerank_set(store, set_id, instruction, reranker, progress=job.progress,
                                                  cancel=job.cancel, name=name, on_run_created=job.add_run)
            else:
                def work(job):
                    reranker, lock = load(job)
                    with ui.widgets.holding(job, lock):
                        return service.rerank_adhoc(instruction, cset.query, cset.documents, reranker,
                                                    progress=job.progress, cancel=job.cancel)
            ui.jobs.start("rerank", label, work, info=info)
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
