"""Sessions: list, filter, rename, delete; review runs, labels and notes; re-run; export/import CSV and TREC."""

import pandas as pd
import streamlit as st

import ui_common as ui
from workbench import formats
from workbench import service
from workbench.formats import trec
from workbench.config import INSTRUCTION_TEMPLATES
from workbench.model import Instruction

ui.init_state()
st.title("Sessions")
store = ui.get_store()
ui.recover_interrupted_run("sessions_running", message="The re-run was stopped. Every batch scored before the "
                          "stop is saved (status *cancelled*, see the Runs tab).")

flt = st.text_input("Filter by name", key="ss_filter", placeholder="type part of a session name")
sessions = store.list_sessions(filter=flt.strip() or None)
if not sessions:
    st.info("No sessions match." if flt else "No sessions yet: import a candidate set first.")
    st.stop()
st.dataframe(pd.DataFrame([{"id": s.id, "session": s.name, "sets": s.n_sets, "runs": s.n_runs,
                            "created": ui.when(s.created_at), "description": s.description} for s in sessions]),
             hide_index=True, width="stretch")
ids = [s.id for s in sessions]
current = st.session_state.session_id
sid = st.selectbox("Open session", ids, index=ids.index(current) if current in ids else 0,
                   format_func=lambda i: next(s.name for s in sessions if s.id == i), key="ss_open")
session = next(s for s in sessions if s.id == sid)
if sid != st.session_state.session_id:
    st.session_state.session_id = sid

with st.expander("Rename or delete"):
    c1, c2 = st.columns(2)
    new = c1.text_input("New name", value=session.name, key=f"ss_rename_{sid}")
    if c1.button("Rename", key="ss_rename_btn"):
        with ui.errors_shown():
            store.rename_session(sid, new)
            st.rerun()
    if st.session_state.confirm_delete == sid:
        c2.warning(f"Delete “{session.name}” with its {session.n_sets} sets and {session.n_runs} runs? "
                   "This cannot be undone.")
        if c2.button("Yes, delete", type="primary", key="ss_delete_yes"):
            with ui.errors_shown():
                store.delete_session(sid)
            st.session_state.confirm_delete = None
            st.session_state.session_id = None
            st.rerun()
        if c2.button("Keep it", key="ss_delete_no"):
            st.session_state.confirm_delete = None
            st.rerun()
    elif c2.button("Delete session…", icon=":material/delete:", key="ss_delete"):
        st.session_state.confirm_delete = sid
        st.rerun()

st.header(session.name)
sets = store.list_candidate_sets(sid)
runs = store.list_runs(session_id=sid)
tab_runs, tab_labels, tab_rerun, tab_io = st.tabs(["Runs", "Labels & notes", "Re-run", "Export / import"])

with tab_runs:
    if not runs:
        st.info("No runs yet in this session.")
    else:
        st.dataframe(pd.DataFrame([{"run": r.id, "name": r.name, "set": r.set_id, "backend": r.backend,
                                    "status": r.status, "instruction": r.instruction,
                                    "started": ui.when(r.started_at)} for r in runs]),
                     hide_index=True, width="stretch")
        run_ids = [r.id for r in runs]
        rid = st.selectbox("Review run", run_ids, index=len(run_ids) - 1,      # the newest first
                           format_func=lambda i: ui.run_name(next(r for r in runs if r.id == i)), key="ss_run")
        ui.run_results(store, rid, key="ss")

with tab_labels:
    if sets:
        set_id = st.selectbox("Candidate set", [s.id for s in sets], key="ss_label_set",
                              format_func=lambda i: next(s.name or s.query_id for s in sets if s.id == i))
        ui.labels_editor(store, set_id)

with tab_rerun:
    st.caption("Score every set of this session again with another instruction (cached scores are reused).")
    tpl = st.selectbox("Template", [*INSTRUCTION_TEMPLATES, "custom"], key="ss_tpl")
    text = st.text_area("Instruction", value=INSTRUCTION_TEMPLATES.get(tpl, ""), key=f"ss_instr_{tpl}")
    precise = st.toggle("Be precise and avoid vague terms", key="ss_precise")
    backend, model_path = ui.backend_picker("ss")
    if st.button("Re-run session", type="primary", icon=":material/replay:", disabled=not sets, key="ss_rerun"):
        with ui.errors_shown():
            reranker, lock = ui.load_reranker(backend, model_path)
            st.session_state.sessions_running = {"run_ids": []}
            st.button("Cancel", icon=":material/stop:", key="ss_cancel")
            bar = ui.StreamlitProgress("Re-running")
            with lock:
                new_runs = service.rerank_many(store, [s.id for s in sets],
                                               [Instruction(text, None if tpl == "custom" else tpl, precise)],
                                               reranker, progress=bar, on_run_created=ui.track_run("sessions_running"))
            bar.done()
            st.success(f"{len(new_runs)} runs saved (see the Runs tab). Compare them on the Compare page.")
            st.session_state.compare_run_ids = [r.id for r in new_runs]
        st.session_state.sessions_running = None

with tab_io:
    st.subheader("Export ranked results")
    shape = st.radio("Shape", ["long (one row per run × document)", "wide (one row per document)"],
                     horizontal=True, key="ss_shape")
    bom = st.checkbox("Excel-friendly (UTF-8 with BOM)", key="ss_bom")
    if runs:
        by_id = {r.id: r for r in runs}
        picked = st.multiselect("Runs to export (empty: every run of the session)", list(by_id),
                                format_func=lambda i: ui.run_name(by_id[i]), key=f"ss_export_runs_{sid}")
        scope = {"run_ids": picked} if picked else {"session": sid}
        c1, c2 = st.columns(2)
        with ui.errors_shown():
            data, n_rows = service.export_runs(store, **scope, fmt=shape.split()[0], bom=bom)
            c1.download_button("Download CSV", data, f"{session.name}-{shape.split()[0]}.csv", "text/csv",
                               type="primary", icon=":material/download:", key="ss_download")
            n_runs = len(picked) or len(runs)
            c1.caption(f"{n_runs} run{'s' if n_runs != 1 else ''}, {n_rows} rows.")
        with ui.errors_shown():
            c2.download_button("Download TREC run", service.export_trec_run(store, **scope),
                               f"{session.name}.trec", "text/plain", icon=":material/download:",
                               key="ss_download_trec",
                               help="qid Q0 docid rank score tag — for trec_eval, ranx, ir-measures")
    else:
        st.caption("Nothing to export yet.")
    if any(s.n_labels for s in sets):
        with ui.errors_shown():
            st.download_button("Download labels as TREC qrels", service.export_qrels(store, sid),
                               f"{session.name}.qrels", "text/plain", icon=":material/download:",
                               key="ss_download_qrels", help="qid 0 docid grade (0/1/2)")

    st.subheader("Import ranked results")
    up = st.file_uploader("Ranked-results CSV: query_id, doc_id, score and/or rank", type=["csv", "tsv"],
                          key="ss_ranked")
    if up is not None and st.button("Import as runs", key="ss_import_runs"):
        with ui.errors_shown():
            path, _ = ui.save_upload(up, "imports")
            saved = service.import_runs(store, sid, formats.read_ranked_csv(path))
            st.success(f"Imported {len(saved)} runs.")
    up_run = st.file_uploader("TREC run file: qid Q0 docid rank score tag", key="ss_trec_run",
                              help="One run per tag; query and doc ids must match this session's sets.")
    if up_run is not None and st.button("Import TREC run", key="ss_import_trec"):
        with ui.errors_shown():
            saved = service.import_runs(store, sid, trec.read_run(up_run.getvalue()))
            st.success(f"Imported {len(saved)} runs from {up_run.name}.")

    st.subheader("Import labels (TREC qrels)")
    up_q = st.file_uploader("Qrels file: qid 0 docid grade", key="ss_qrels",
                            help="Grades 0 (not relevant), 1 (partly), 2 (relevant). Every line is checked "
                                 "first; an unknown query or document applies nothing.")
    clip = st.checkbox("Clip grades into 0–2 (negatives → 0, above 2 → 2)", key="ss_qrels_clip")
    skip = st.checkbox("Skip judgments outside the sets (qrels judged on a bigger pool)", key="ss_qrels_skip")
    if up_q is not None and st.button("Import labels", key="ss_import_qrels"):
        with ui.errors_shown():
            qrels = trec.read_qrels(up_q.getvalue(), clip=clip)
            counts = service.import_qrels(store, sid, qrels.labels, skip_unknown=skip)
            st.success(f"Read {qrels.summary()}. Applied {counts['labels']} labels to {counts['sets']} sets "
                       f"({counts['new']} new, {counts['changed']} changed, {counts['unchanged']} unchanged)"
                       + (f"; skipped {counts['skipped_judgments']} judgments outside the sets."
                          if counts["skipped_judgments"] else "."))
