"""Sessions: list, filter, rename, delete; review runs, labels and notes; re-run; export/import CSV and TREC."""

import streamlit as st

import ui
from ui import frames
from ui.frames import esc
from workbench import formats, service
from workbench.formats import trec
from workbench.config import INSTRUCTION_TEMPLATES
from workbench.errors import InputError
from workbench.model import Instruction

ui.init_state()
st.title("Sessions")
store = ui.get_store()

flt = st.text_input("Filter by name", key="ss_filter", placeholder="type part of a session name")
sessions = store.list_sessions(filter=flt.strip() or None)
if not sessions:
    st.info("No sessions match." if flt else "No sessions yet: import a candidate set first.")
    st.stop()
st.dataframe(frames.sessions_frame(sessions), hide_index=True, width="stretch")
ids = [s.id for s in sessions]
if st.session_state.session_id not in ids:
    st.session_state.session_id = ids[0]
st.session_state["ss_open"] = st.session_state.session_id
sid = st.selectbox("Open session", ids, format_func=lambda i: next(s.name for s in sessions if s.id == i),
                   key="ss_open", on_change=ui.state.session_picker_changed, args=("ss_open",))
session = next(s for s in sessions if s.id == sid)

with st.expander("Rename or delete"):
    c1, c2 = st.columns(2)
    new = c1.text_input("New name", value=session.name, key=f"ss_rename_{sid}")
    if c1.button("Rename", key="ss_rename_btn"):
        with ui.errors_shown("rename session"):
            old = session.name
            store.rename_session(sid, new)
            ui.state.flash("success", f"Renamed “{esc(old)}” to “{esc(new.strip())}”.")
            st.rerun()
    if st.session_state.confirm_delete == sid:
        c2.warning(f"Delete “{esc(session.name)}” with its {frames.plural(session.n_sets, 'set')} and "
                   f"{frames.plural(session.n_runs, 'run')}? This cannot be undone.")
        if c2.button("Yes, delete", type="primary", key="ss_delete_yes"):
            with ui.errors_shown("delete session"):
                store.delete_session(sid)
                ui.state.flash("success", f"Deleted the session “{esc(session.name)}”.")
            st.session_state.confirm_delete = None
            st.session_state.session_id = None
            st.session_state.set_id = None
            st.session_state.run_ids = []
            st.rerun()
        if c2.button("Keep it", key="ss_delete_no"):
            st.session_state.confirm_delete = None
            st.rerun()
    elif c2.button("Delete session…", icon=":material/delete:", key="ss_delete"):
        st.session_state.confirm_delete = sid
        st.rerun()

st.header(esc(session.name), anchor=False)
sets = store.list_candidate_sets(sid)
runs = store.list_runs(session_id=sid)
tab_runs, tab_labels, tab_rerun, tab_io = st.tabs(["Runs", "Labels & notes", "Re-run", "Export / import"])

with tab_runs:
    if not runs:
        st.info("No runs yet in this session.")
    else:
        st.dataframe(frames.runs_frame(runs, sets), hide_index=True, width="stretch")
        by_id = {r.id: r for r in runs}
        wanted = [r for r in st.session_state.run_ids if r in by_id]
        st.session_state["ss_run"] = wanted[-1] if wanted else runs[-1].id       # the newest first
        rid = st.selectbox("Review run", list(by_id), format_func=lambda i: frames.run_label(by_id[i]), key="ss_run",
                           on_change=lambda: st.session_state.update(run_ids=[st.session_state.ss_run]))
        ui.results.run_results(store, rid, key="ss")

with tab_labels:
    if sets:
        set_id = ui.state.set_picker(sets, "ss_label_set")
        ui.results.labels_editor(store, set_id)

with tab_rerun:
    st.caption("Score every set of this session again with another instruction (cached scores are reused).")
    ui.state.default("ss_tpl", "e-commerce")
    tpl = st.selectbox("Template", [*INSTRUCTION_TEMPLATES, "custom"], key="ss_tpl")
    ui.state.default(f"ss_instr_{tpl}", INSTRUCTION_TEMPLATES.get(tpl, ""))
    text = st.text_area("Instruction", key=f"ss_instr_{tpl}")
    precise = st.toggle("Be precise and avoid vague terms", key="ss_precise")
    choice = ui.widgets.model_choice("ss")
    job = ui.jobs.take_finished("rerun", session_id=sid)
    if job is not None:
        ui.jobs.outcome(job, what="re-run")
        if job.status == "done":
            st.success(f"{frames.plural(len(job.run_ids), 'run')} saved (see the Runs tab). Compare them on the "
                       "Compare page.")
        st.session_state.run_ids = list(job.run_ids)
    busy = ui.jobs.running("rerun", session_id=sid)
    if st.button("Re-run session", type="primary", icon=":material/replay:", disabled=not sets or bool(busy),
                 key="ss_rerun"):
        with ui.errors_shown("start re-run"):
            if not text.strip():
                raise InputError("The instruction is empty, so the model would not know what to look for.",
                                 "Type an instruction in the Instruction box, or pick a template.")
            reranker, lock = ui.widgets.load_reranker(choice["backend"], choice["model_path"], prompt_format=choice["prompt_format"])
            instruction = Instruction(text, None if tpl == "custom" else tpl, precise)
            set_ids = tuple(s.id for s in sets)

            def work(job):
                return service.rerank_many(store, set_ids, [instruction], reranker, progress=job.progress,
                                           cancel=job.cancel, on_run_created=job.add_run)
            ui.jobs.start("rerun", f"Re-running “{session.name}” ({frames.plural(len(sets), 'set')})", work,
                          lock=lock, session_id=sid)
            st.rerun()
    ui.jobs.progress_panel("rerun")

with tab_io:
    st.subheader("Export ranked results")
    shape = st.radio("Shape", ["long (one row per run × document)", "wide (one row per document)"],
                     horizontal=True, key="ss_shape")
    ui.state.default("ss_bom", True)        # Excel on Chinese Windows reads BOM-less UTF-8 as GBK
    bom = st.checkbox("Excel-friendly (UTF-8 with BOM)", key="ss_bom",
                      help="On by default: Excel then shows Chinese text correctly. Turn it off for "
                           "tools that do not expect a BOM.")
    if runs:
        by_id = {r.id: r for r in runs}
        picked = st.multiselect("Runs to export (empty: every run of the session)", list(by_id),
                                format_func=lambda i: frames.run_label(by_id[i]), key=f"ss_export_runs_{sid}")
        scope = {"run_ids": picked} if picked else {"session": sid}
        c1, c2 = st.columns(2)
        with ui.errors_shown("export"):
            data, n_rows = service.export_runs(store, **scope, fmt=shape.split()[0], bom=bom)
            c1.download_button("Download CSV", data, f"{session.name}-{shape.split()[0]}.csv", "text/csv",
                               type="primary", icon=":material/download:", key="ss_download")
            c1.caption(f"{frames.plural(len(picked) or len(runs), 'run')}, {frames.plural(n_rows, 'row')}.")
        with ui.errors_shown("export TREC"):
            c2.download_button("Download TREC run", service.export_trec_run(store, **scope),
                               f"{session.name}.trec", "text/plain", icon=":material/download:",
                               key="ss_download_trec",
                               help="qid Q0 docid rank score tag — for trec_eval, ranx, ir-measures")
    else:
        st.caption("Nothing to export yet.")
    if any(s.n_labels for s in sets):
        with ui.errors_shown("export qrels"):
            st.download_button("Download labels as TREC qrels", service.export_qrels(store, sid),
                               f"{session.name}.qrels", "text/plain", icon=":material/download:",
                               key="ss_download_qrels", help="qid 0 docid grade (0/1/2)")

    st.subheader("Import ranked results")
    up = st.file_uploader("Ranked-results CSV: query_id, doc_id, score and/or rank; optional system (one run "
                          "per system), instruction, backend, model", type=["csv", "tsv"], key="ss_ranked")
    if up is not None and st.button("Import as runs", key="ss_import_runs"):
        with ui.errors_shown("import runs"):
            path, _ = ui.widgets.save_upload(up, "imports")
            read = formats.read_ranked_csv(path)
            saved = service.import_runs(store, sid, read)
            skipped = len(read) - len(saved)
            st.success(f"Imported {frames.plural(len(saved), 'run')}"
                       + (f"; {frames.plural(skipped, 'identical run')} {'was' if skipped == 1 else 'were'} "
                          "already imported." if skipped else "."))
    up_run = st.file_uploader("TREC run file: qid Q0 docid rank score tag", key="ss_trec_run",
                              help="One run per tag; query and doc ids must match this session's sets.")
    if up_run is not None and st.button("Import TREC run", key="ss_import_trec"):
        with ui.errors_shown("import TREC run"):
            read = trec.read_run(up_run.getvalue())
            saved = service.import_runs(store, sid, read)
            skipped = len(read) - len(saved)
            st.success(f"Imported {frames.plural(len(saved), 'run')} from {esc(up_run.name)}"
                       + (f"; {frames.plural(skipped, 'identical run')} {'was' if skipped == 1 else 'were'} "
                          "already imported." if skipped else "."))

    st.subheader("Import labels (TREC qrels)")
    up_q = st.file_uploader("Qrels file: qid 0 docid grade", key="ss_qrels",
                            help="Grades 0 (not relevant), 1 (partly), 2 (relevant). Every line is checked "
                                 "first; an unknown query or document applies nothing.")
    clip = st.checkbox("Clip grades into 0–2 (negatives → 0, above 2 → 2)", key="ss_qrels_clip")
    skip = st.checkbox("Skip judgments outside the sets (qrels judged on a bigger pool)", key="ss_qrels_skip")
    if up_q is not None and st.button("Import labels", key="ss_import_qrels"):
        with ui.errors_shown("import qrels"):
            qrels = trec.read_qrels(up_q.getvalue(), clip=clip)
            counts = service.import_qrels(store, sid, qrels.labels, skip_unknown=skip)
            st.success(f"Read {esc(qrels.summary())}. Applied {frames.plural(counts['labels'], 'label')} to "
                       f"{frames.plural(counts['sets'], 'set')} ({counts['new']} new, {counts['changed']} changed, "
                       f"{counts['unchanged']} unchanged)"
                       + (f"; skipped {frames.plural(counts['skipped_judgments'], 'judgment')} outside the sets."
                          if counts["skipped_judgments"] else "."))
