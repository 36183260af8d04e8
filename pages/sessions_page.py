"""Sessions: list, filter, rename, delete; review runs, labels and notes; re-run; export/import CSV and TREC."""

import streamlit as st

import ui
import ui.paging
from ui import frames, sessions_view, t, tn
from ui.comparison import template_name
from ui.frames import esc
from workbench import formats, service
from workbench.formats import trec
from workbench.config import INSTRUCTION_TEMPLATES
from workbench.errors import InputError
from workbench.model import Instruction

ui.init_state()
st.title(t("sessions.title"))
store = ui.get_store()

flt = st.text_input(t("sessions.filter"), key="ss_filter", placeholder=t("sessions.filter_placeholder"))
sessions = store.list_sessions(filter=flt.strip() or None)
if not sessions:
    st.info(t("sessions.none_match") if flt else t("sessions.none_yet"))
    st.stop()
st.dataframe(sessions_view.sessions_table(sessions), hide_index=True, width="stretch")
ids = [s.id for s in sessions]
if st.session_state.session_id not in ids:
    st.session_state.session_id = ids[0]
st.session_state["ss_open"] = st.session_state.session_id
sid = st.selectbox(t("sessions.open"), ids, format_func=lambda i: next(s.name for s in sessions if s.id == i),
                   key="ss_open", on_change=ui.state.session_picker_changed, args=("ss_open",))
session = next(s for s in sessions if s.id == sid)

with st.expander(t("sessions.rename_or_delete")):
    c1, c2 = st.columns(2)
    new = c1.text_input(t("sessions.new_name"), value=session.name, key=f"ss_rename_{sid}")
    if c1.button(t("sessions.rename"), key="ss_rename_btn"):
        with ui.errors_shown("rename session"):  # i18n: not UI text
            old = session.name
            store.rename_session(sid, new)
            ui.state.flash("success", t("sessions.renamed", old=esc(old), new=esc(new.strip())))
            st.rerun()
    if st.session_state.confirm_delete == sid:
        c2.warning(t("sessions.confirm_delete", session=esc(session.name), sets=tn("sessions.n_sets", session.n_sets),
                     runs=tn("sessions.n_runs", session.n_runs)))
        if c2.button(t("sessions.delete_yes"), type="primary", key="ss_delete_yes"):
            st.session_state.confirm_delete = None
            with ui.errors_shown("delete session"):  # i18n: not UI text
                store.delete_session(sid)      # refused while one of its runs is being scored
                ui.state.flash("success", t("sessions.deleted", session=esc(session.name)))
                st.session_state.session_id = None
                st.session_state.set_id = None
                st.session_state.run_ids = []
                st.rerun()
        if c2.button(t("sessions.delete_no"), key="ss_delete_no"):
            st.session_state.confirm_delete = None
            st.rerun()
    elif c2.button(t("sessions.delete"), icon=":material/delete:", key="ss_delete"):
        st.session_state.confirm_delete = sid
        st.rerun()

st.header(esc(session.name), anchor=False)
sets = store.list_candidate_sets(sid)
tab_runs, tab_labels, tab_rerun, tab_io = st.tabs([t("sessions.tab_runs"), t("sessions.tab_labels"),
                                                   t("sessions.tab_rerun"), t("sessions.tab_io")])
RUN_HEADINGS = {"run": "sessions.col_run", "name": "sessions.col_name", "set": "sessions.col_set",
                "backend": "sessions.col_backend", "prompt": "sessions.col_prompt", "status": "sessions.col_status",
                "instruction": "sessions.col_instruction", "note": "sessions.col_note", "started": "sessions.col_started"}

with tab_runs:
    infos = store.list_run_infos(sid)
    if not infos:
        st.info(t("sessions.no_runs"))
    else:
        # one row per run (one configuration over many queries); its rankings below, one per query
        st.dataframe(frames.run_infos_frame(infos), hide_index=True, width="stretch",
                     column_config={c: st.column_config.Column(t(k)) for c, k in
                                    {**RUN_HEADINGS, "queries": "sessions.col_queries"}.items()})
        by_run = {r.id: r for r in infos}
        # only the rankings asked for (the URL's) and those of the run shown are read, never the
        # session's thousands (1,000 queries x 5 runs)
        by_id = {i: g for i, g in service.rankings_meta(store, st.session_state.run_ids).items()
                 if g.run_id in by_run}
        wanted = [r for r in st.session_state.run_ids if r in by_id]
        newest = wanted[-1] if wanted else None        # else the newest run, its newest ranking
        if wanted or st.session_state.get("ss_run_cfg") not in by_run:
            st.session_state["ss_run_cfg"] = by_id[newest].run_id if newest is not None else infos[-1].id

        def _run_picked() -> None:
            picked = [g.id for g in store.list_runs(run_id=st.session_state.ss_run_cfg)]
            st.session_state.run_ids = picked[-1:]

        # pickers and tables past ui.paging.PAGE_SIZE items are searchable pages (1,000 queries and more)
        run_id = ui.paging.picker(t("sessions.review_run"), list(by_run), "ss_run_cfg",
                                  current=st.session_state["ss_run_cfg"], on_pick=lambda _v: _run_picked(),
                                  format_func=lambda i: frames.run_info_label(by_run[i]))
        ui.results.whole_run_actions(store, by_run[run_id])
        rankings = store.list_runs(run_id=run_id)
        if rankings:
            st.caption(t("sessions.run_rankings", id=run_id))
            ui.paging.lazy_table(rankings, lambda page: frames.runs_frame(page, sets), "ss_rankings_table",
                                 hide_index=True, width="stretch",
                                 column_config={c: st.column_config.Column(t(k)) for c, k in RUN_HEADINGS.items()})
            mine = {r.id: r for r in rankings}
            rid = ui.paging.picker(t("sessions.review_ranking"), list(mine), "ss_run",
                                   current=newest if newest in mine else rankings[-1].id,
                                   format_func=lambda i: frames.run_label(mine[i]) + f" · {mine[i].query_id}",
                                   haystack=lambda i: f"{mine[i].query_id} {frames.run_label(mine[i])}",
                                   on_pick=lambda v: st.session_state.update(run_ids=[v]))
            ui.results.run_actions(store, mine[rid])
            ui.results.run_results(store, rid, key="ss")

with tab_labels:
    if sets:
        set_id = ui.paging.set_picker(sets, "ss_label_set")
        ui.results.labels_editor(store, set_id)

with tab_rerun:
    st.caption(t("sessions.rerun_caption"))
    ui.state.default("ss_tpl", "e-commerce")
    # labels are computed here: a format_func may run outside this script run (in another language)
    tpl_labels = {**{k: template_name(k) for k in INSTRUCTION_TEMPLATES}, "custom": t("sessions.template_custom")}
    tpl = st.selectbox(t("sessions.template"), list(tpl_labels), key="ss_tpl", format_func=tpl_labels.get)
    ui.state.default(f"ss_instr_{tpl}", INSTRUCTION_TEMPLATES.get(tpl, ""))
    text = st.text_area(t("sessions.instruction"), key=f"ss_instr_{tpl}")
    precise = st.toggle(t("sessions.precise"), key="ss_precise")
    choice = ui.widgets.model_choice("ss")
    job = ui.jobs.take_finished("rerun", session_id=sid)
    if job is not None:
        ui.jobs.outcome(job, what=t("sessions.rerun_what"))
        if job.status == "done":
            st.success(t("sessions.rerun_done", runs=tn("sessions.n_runs", 1)))
        st.session_state.run_ids = list(job.run_ids)
    busy = ui.jobs.running("rerun", session_id=sid)
    if st.button(t("sessions.rerun_button"), type="primary", icon=":material/replay:", disabled=not sets or bool(busy),
                 key="ss_rerun"):
        with ui.errors_shown("start re-run"):  # i18n: not UI text
            if not text.strip():
                raise InputError(t("sessions.empty_instruction"), t("sessions.empty_instruction_fix"))
            reranker, lock = ui.widgets.load_reranker(choice["backend"], choice["model_path"], prompt_format=choice["prompt_format"])
            instruction = Instruction(text, None if tpl == "custom" else tpl, precise)
            set_ids = tuple(s.id for s in sets)

            def work(job):
                # the whole session as ONE run: one progress, one Cancel (finished rankings are kept)
                run = service.rerank_run(store, sid, instruction, reranker, set_ids=set_ids,
                                         progress=job.progress, cancel=job.cancel)
                for g in store.list_runs(run_id=run.id):
                    job.add_run(g.id)
                return run
            ui.jobs.start("rerun", t("sessions.rerun_job", session=session.name, sets=tn("sessions.n_sets", len(sets))),
                          work, lock=lock, session_id=sid)
            st.rerun()
    ui.jobs.progress_panel("rerun")

with tab_io:
    st.subheader(t("sessions.export_title"))
    shapes = {"long": t("sessions.shape_long"), "wide": t("sessions.shape_wide"), "tidy": t("sessions.shape_tidy")}
    shape = st.radio(t("sessions.shape"), list(shapes), horizontal=True, key="ss_shape", format_func=shapes.get)
    ui.state.default("ss_bom", True)        # Excel on Chinese Windows reads BOM-less UTF-8 as GBK
    bom = st.checkbox(t("sessions.bom"), key="ss_bom", help=t("sessions.bom_help"))
    if infos:
        # runs (configurations), not their thousands of rankings; every download is built when its
        # button is pressed, streamed into a temporary file (service.export_file), not on page load
        infos_io = {r.id: r for r in infos}
        picked = st.multiselect(t("sessions.export_runs"), list(infos_io),
                                format_func=lambda i: frames.run_info_label(infos_io[i]),
                                key=f"ss_export_runs_{sid}", placeholder=t("sessions.export_all_runs"))
        scope = ({"run_ids": [g.id for r in picked for g in store.list_runs(run_id=r)]} if picked
                 else {"session": sid})
        c1, c2 = st.columns(2)
        with ui.errors_shown("export"):
            if shape == "tidy":     # built when the button is pressed (a big session's tidy file is large)
                c1.download_button(t("sessions.download_csv"), sessions_view.lazy_export("csv", scope, bom),
                                   f"{session.name}-tidy.csv", "text/csv", type="primary",
                                   icon=":material/download:", key="ss_download", help=t("sessions.tidy_help"))
                c1.download_button(t("sessions.download_parquet"), sessions_view.lazy_export("parquet", scope, bom),
                                   f"{session.name}-tidy.parquet", "application/vnd.apache.parquet",
                                   icon=":material/download:", key="ss_download_parquet", help=t("sessions.tidy_help"))
            else:
                c1.download_button(t("sessions.download_csv"), sessions_view.lazy_export(shape, scope, bom),
                                   f"{session.name}-{shape}.csv", "text/csv",
                                   type="primary", icon=":material/download:", key="ss_download")
                if shape == "long":     # one row per scored document: counted, not built
                    n_rows = service.count_rows(store, **scope)
                    c1.caption(t("sessions.export_count", runs=tn("sessions.n_runs", len(picked) or len(infos_io)),
                                 rows=tn("sessions.n_rows", n_rows)))
        with ui.errors_shown("export TREC"):  # i18n: not UI text
            c2.download_button(t("sessions.download_trec"), sessions_view.lazy_export("trec", scope),
                               f"{session.name}.trec", "text/plain", icon=":material/download:",
                               key="ss_download_trec", help=t("sessions.download_trec_help"))
    else:
        st.caption(t("sessions.nothing_to_export"))
    if any(s.n_labels for s in sets):
        with ui.errors_shown("export qrels"):  # i18n: not UI text
            st.download_button(t("sessions.download_qrels"), lambda: service.export_qrels(store, sid),
                               f"{session.name}.qrels", "text/plain", icon=":material/download:",
                               key="ss_download_qrels", help=t("sessions.download_qrels_help"))

    st.subheader(t("sessions.import_runs_title"))
    up = st.file_uploader(t("sessions.ranked_label"), type=["csv", "tsv"], key="ss_ranked")
    if up is not None and st.button(t("sessions.import_runs"), key="ss_import_runs"):
        with ui.errors_shown("import runs"):  # i18n: not UI text
            path, _ = ui.widgets.save_upload(up, "imports")
            read = formats.read_ranked_csv(path)
            saved = service.import_runs(store, sid, read)
            skipped = len(read) - len(saved)
            st.success(t("sessions.imported_runs", runs=tn("sessions.n_runs", len(saved)))
                       + (tn("sessions.identical_runs", skipped) if skipped else t("sessions.end")))
    up_run = st.file_uploader(t("sessions.trec_run_label"), key="ss_trec_run", help=t("sessions.trec_run_help"))
    if up_run is not None and st.button(t("sessions.import_trec"), key="ss_import_trec"):
        with ui.errors_shown("import TREC run"):  # i18n: not UI text
            read = trec.read_run(up_run.getvalue())
            saved = service.import_runs(store, sid, read)
            skipped = len(read) - len(saved)
            st.success(t("sessions.imported_runs_from", runs=tn("sessions.n_runs", len(saved)), file=esc(up_run.name))
                       + (tn("sessions.identical_runs", skipped) if skipped else t("sessions.end")))

    st.subheader(t("sessions.import_qrels_title"))
    up_q = st.file_uploader(t("sessions.qrels_label"), key="ss_qrels", help=t("sessions.qrels_help"))
    clip = st.checkbox(t("sessions.qrels_clip"), key="ss_qrels_clip")
    skip = st.checkbox(t("sessions.qrels_skip"), key="ss_qrels_skip")
    if up_q is not None and st.button(t("sessions.import_qrels"), key="ss_import_qrels"):
        with ui.errors_shown("import qrels"):  # i18n: not UI text
            qrels = trec.read_qrels(up_q.getvalue(), clip=clip)
            counts = service.import_qrels(store, sid, qrels.labels, skip_unknown=skip)
            read_text = t("sessions.qrels_read", judgments=tn("sessions.n_judgments", qrels.n_judgments),
                          queries=tn("sessions.n_queries", len(qrels.labels)))
            if qrels.clipped:
                read_text += tn("sessions.qrels_clipped", qrels.clipped)
            st.success(t("sessions.qrels_applied", read=esc(read_text), labels=tn("sessions.n_labels", counts["labels"]),
                         sets=tn("sessions.n_sets", counts["sets"]), new=counts["new"], changed=counts["changed"],
                         unchanged=counts["unchanged"])
                       + (tn("sessions.qrels_skipped", counts["skipped_judgments"]) if counts["skipped_judgments"]
                          else t("sessions.end")))
