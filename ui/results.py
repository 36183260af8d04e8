"""Results of a run: metrics, the score table with thumbnails and labels, the score chart,
and the labels & notes editor. User text goes into tables (shown as text) or `esc`."""

from __future__ import annotations

import streamlit as st

from workbench import i18n, service
from workbench.i18n import t, tn

from . import annotators, frames, state
from .frames import esc
from .errors import errors_shown

def result_column_config() -> dict:
    """The results table's columns, headed in the UI's language."""
    return {
        "rank": st.column_config.NumberColumn(t("frames.h.rank"), width="small", format="%d"),
        "thumbnail": st.column_config.ImageColumn(t("frames.h.image"), width="small"),
        "doc_id": st.column_config.TextColumn(t("frames.h.doc"), width="small"),
        "description": st.column_config.TextColumn(t("frames.h.description"), width="large"),
        "label": st.column_config.SelectboxColumn(t("frames.h.label"), options=[0, 1, 2], width="small",
                                                  help=t("frames.h.label.help")),
    }


def result_columns(backend: str | None, scores) -> dict:
    """Column config with the score bar fitted to the run: 0–1 for P(yes); raw scores
    (BM25, imported) span the run's own range."""
    scale = frames.score_scale(backend, scores)
    return {**result_column_config(), "score": st.column_config.ProgressColumn(
        scale["title"], min_value=scale["min"], max_value=scale["max"], format="%.3f", width="small",
        help=scale["help"])}


def score_chart(frame, backend: str | None = None):
    import altair as alt

    scale = frames.score_scale(backend, frame["score"])
    y_scale = alt.Scale(domain=[0, 1]) if scale["probability"] else alt.Scale(zero=True)
    data = frames.chart_labels(frame)
    colours = frames.grade_colours()
    return (alt.Chart(data).mark_bar().encode(
        x=alt.X("rank:O", title=t("frames.chart.rank")), y=alt.Y("score:Q", scale=y_scale, title=scale["title"]),
        color=alt.Color("label:N", title=t("frames.chart.label"), legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=list(colours), range=list(colours.values()))),
        tooltip=[alt.Tooltip("rank:O", title=t("frames.chart.rank")),
                 alt.Tooltip("doc_id:N", title=t("frames.h.doc")),
                 alt.Tooltip("score:Q", format=".3f", title=scale["title"]),
                 alt.Tooltip("label:N", title=t("frames.chart.label"))])
        .properties(height=220))


def warnings_box(warnings) -> None:
    """Engine warnings of a run (e.g. each truncated document), as plain text."""
    if warnings:
        st.warning(t("frames.warnings_while_scoring", warnings=tn("count.warnings", len(warnings))),
                   icon=":material/warning:")
        st.text("\n".join(f"• {i18n.localize(w)}" for w in warnings))


def run_results(store, run_id: int, key: str) -> None:
    """Results table of one stored run: score bars, thumbnails, editable labels, save, export."""
    with errors_shown("run results"):  # i18n: not UI text
        run = store.load_run(run_id)
        cset = store.load_candidate_set(run.set_id)
        labels = store.get_labels(run.set_id, annotator=annotators.current())   # the sidebar's annotator's
        frame = frames.results_frame(run.scores, cset, labels)
        st.subheader(t("frames.results"))
        st.caption(t("frames.results_caption", run=esc(frames.run_label(run)),
                     instruction=esc(frames.short(run.instruction, 140))))
        n_labelled = sum(1 for d in cset.documents if d.id in labels)
        for col, (label, value, help_) in zip(st.columns(5), frames.run_metrics(run, len(cset.documents),
                                                                               n_labelled)):
            col.metric(label, value, help=help_)
        warnings_box((st.session_state.get("run_warnings") or {}).get(run_id))
        if run.status == "cancelled":
            st.warning(t("frames.cancelled_run", scored=len(run.scores), total=len(cset.documents)),
                       icon=":material/stop_circle:")
        if frame["thumbnail"].isna().all():
            frame = frame.drop(columns=["thumbnail"])
        edited = st.data_editor(frame, key=f"{key}_editor_{run_id}",
                                column_config=result_columns(run.backend, frame["score"]),
                                disabled=["rank", "score", "thumbnail", "doc_id", "description"],
                                hide_index=True, width="stretch", row_height=64, placeholder="",
                                height=min(64 * len(frame) + 40, 720))   # an ungraded row: empty, not "None"
        c1, c2, c3 = st.columns([1, 1, 3])
        if c1.button(t("frames.save_labels"), type="primary", icon=":material/save:", key=f"{key}_save_{run_id}"):
            new = frames.labels_from_frame(edited, cset.query.id)
            keep_notes = [type(lab)(lab.query_id, lab.doc_id, lab.grade,
                                    labels[lab.doc_id].note if lab.doc_id in labels else "") for lab in new]
            store.set_labels(run.set_id, keep_notes, annotator=annotators.current())
            state.flash("success", t("frames.saved_labels_for", labels=tn("count.labels", len(new)),
                                     set=esc(frames.set_name(store.get_set(run.set_id)))))
            st.rerun()
        from workbench import formats as io

        edited_labels = {lab.doc_id: lab.grade for lab in frames.labels_from_frame(edited, cset.query.id)}
        c2.download_button(t("frames.export_csv"), io.export_long([run], labels={run.set_id: edited_labels}),
                           f"run-{run.id}.csv", "text/csv", icon=":material/download:",
                           key=f"{key}_dl_{run_id}")
        if len(frame):
            with c3.expander(t("frames.score_chart"), expanded=False):
                st.altair_chart(score_chart(edited, run.backend), width="stretch")


def run_actions(store, run) -> None:
    """A run's note (saved with its button) and deleting the run, after a confirmation."""
    key = f"run_note_{run.id}"
    state.default(key, run.note or "")
    c_note, c_del = st.columns([3, 1], vertical_alignment="bottom")
    c_note.text_area(t("runs.note_label"), key=key, height=68, placeholder=t("runs.note_placeholder"))
    if c_note.button(t("runs.note_save"), key=f"run_note_save_{run.id}", icon=":material/save:"):
        with errors_shown("run note"):  # i18n: not UI text
            service.set_run_note(store, run.id, st.session_state[key])
            st.toast(t("runs.note_saved", id=run.id, run=esc(frames.run_name(run))), icon=":material/check:")
    if st.session_state.get("confirm_delete_run") == run.id:
        c_del.warning(t("runs.confirm_delete", id=run.id, run=esc(frames.run_name(run))), icon=":material/warning:")
        yes, no = c_del.columns(2)
        if yes.button(t("runs.delete_yes"), type="primary", key=f"run_delete_yes_{run.id}"):
            st.session_state.confirm_delete_run = None
            with errors_shown("delete run"):  # i18n: not UI text
                service.delete_run(store, run.id)
                st.session_state.run_ids = [r for r in st.session_state.run_ids if r != run.id]
                state.flash("success", t("runs.deleted", id=run.id, run=esc(frames.run_name(run))))
                st.rerun()
        if no.button(t("runs.delete_no"), key=f"run_delete_no_{run.id}"):
            st.session_state.confirm_delete_run = None
            st.rerun()
    elif c_del.button(t("runs.delete"), icon=":material/delete:", key=f"run_delete_{run.id}"):
        st.session_state.confirm_delete_run = run.id
        st.rerun()


def whole_run_actions(store, run) -> None:
    """A run's note (one for all its queries, saved with its button) and deleting the whole run
    with its rankings, after a confirmation. `run` is a RunInfo."""
    key = f"run_info_note_{run.id}"
    state.default(key, run.note or "")
    c_note, c_del = st.columns([3, 1], vertical_alignment="bottom")
    c_note.text_area(t("runs.whole_note_label"), key=key, height=68, placeholder=t("runs.note_placeholder"))
    if c_note.button(t("runs.note_save"), key=f"run_info_note_save_{run.id}", icon=":material/save:"):
        with errors_shown("run note"):  # i18n: not UI text
            service.note_run(store, run.id, st.session_state[key])
            st.toast(t("runs.note_saved", id=run.id, run=esc(run.name)), icon=":material/check:")
    queries = tn("count.queries", run.n_rankings)
    if st.session_state.get("confirm_delete_run_info") == run.id:
        c_del.warning(t("runs.confirm_delete_whole", id=run.id, run=esc(run.name), queries=queries),
                      icon=":material/warning:")
        yes, no = c_del.columns(2)
        if yes.button(t("runs.delete_yes"), type="primary", key=f"run_info_delete_yes_{run.id}"):
            st.session_state.confirm_delete_run_info = None
            with errors_shown("delete run"):  # i18n: not UI text
                gone = {g.id for g in store.list_runs(run_id=run.id)}
                service.delete_whole_run(store, run.id)
                st.session_state.run_ids = [r for r in st.session_state.get("run_ids", []) if r not in gone]
                state.flash("success", t("runs.deleted_whole", id=run.id, run=esc(run.name), queries=queries))
                st.rerun()
        if no.button(t("runs.delete_no"), key=f"run_info_delete_no_{run.id}"):
            st.session_state.confirm_delete_run_info = None
            st.rerun()
    elif c_del.button(t("runs.delete_whole"), icon=":material/delete:", key=f"run_info_delete_{run.id}"):
        st.session_state.confirm_delete_run_info = run.id
        st.rerun()


def adhoc_results(cset, results, instruction: str, backend: str) -> None:
    """Results of an unsaved ranking; `instruction` and `backend` are those it was scored with."""
    from workbench.formats import to_csv_bytes

    st.subheader(t("frames.results_unsaved"))
    st.caption(t("frames.results_unsaved_caption", backend=esc(frames.backend_text(backend)),
                 instruction=esc(frames.short(instruction, 140))))
    warnings_box(getattr(results, "warnings", None))
    frame = frames.results_frame(list(results), cset, {})
    if frame["thumbnail"].isna().all():
        frame = frame.drop(columns=["thumbnail"])
    st.dataframe(frame.drop(columns=["label"]), column_config=result_columns(backend, frame["score"]),
                 hide_index=True, width="stretch", row_height=64, placeholder="")
    st.download_button(t("frames.export_csv"), to_csv_bytes(frames.adhoc_export(frame, cset, instruction, backend)),
                       f"{cset.query.id}-results.csv", "text/csv", icon=":material/download:", key="adhoc_dl")


def labels_editor(store, set_id: int) -> None:
    """Grades and notes of one set, editable, with thumbnails. A note can stand on any row,
    graded or not; clearing a grade removes the label but keeps the note."""
    cset = store.load_candidate_set(set_id)
    who = annotators.current()                       # the sidebar's annotator (team mode)
    labels = store.get_labels(set_id, annotator=who)
    notes = store.get_notes(set_id, annotator=who)
    frame = frames.labels_frame(cset, labels, notes)
    columns = result_column_config()
    if frame["thumbnail"].isna().all():
        frame = frame.drop(columns=["thumbnail"])
    edited = st.data_editor(frame, key=f"labels_editor_{set_id}", hide_index=True, width="stretch",
                            disabled=["thumbnail", "doc_id", "description"], row_height=64, placeholder="",
                            column_config={"thumbnail": columns["thumbnail"], "label": columns["label"],
                                           "doc_id": st.column_config.TextColumn(frames.heading("doc_id")),
                                           "description": st.column_config.TextColumn(
                                               frames.heading("description"), width="large"),
                                           "note": st.column_config.TextColumn(t("frames.h.note"), width="medium")})
    if st.button(t("frames.save_labels_notes"), type="primary", key=f"labels_save_{set_id}"):
        with errors_shown("labels editor"):  # i18n: not UI text
            items, cleared, _noted = frames.labels_and_notes(edited, cset.query.id)
            result = service.save_labels(store, set_id, items, clear=[d for d in cleared if d in labels], annotator=who)
            for row in edited.itertuples(index=False):          # notes of ungraded rows
                if str(row.doc_id) in cleared:
                    note = frames.blank(row.note)
                    service.note_document(store, set_id, str(row.doc_id), "" if note == "" else str(note),
                                          annotator=who)
            state.flash("success", t("frames.saved_labels_removed", labels=tn("count.labels", result["saved"]),
                                     removed=result["removed"]) if result["removed"]
                        else t("frames.saved_labels", labels=tn("count.labels", result["saved"])))
            st.rerun()
