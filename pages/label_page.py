"""Label: one query at a time, one document large (Label Studio / Argilla style).

Grade with the keyboard (0, 1, 2), move with ← and →, undo the last grade with U. Every grade
and note is saved the moment it is given: there is no Save button, and leaving the page loses
nothing. The document in view is in the URL (?set=…&doc=…), so a reload reopens it.

Order by pool (TREC pooling): the documents in the top k of any chosen run come first, so the
judgements the metrics rest on are given first; the depth and the runs are in the URL too
(?pool=10&pool_runs=40,41). The query picker is searchable and paged at scale (ui.paging).

Team mode (issue 22, ui.annotators): every grade and note is the sidebar's annotator's own
(?annotator=…). Blind mode (on by default) shows which documents others graded and hides their
grades until you gave yours. The Disagreements view lists the documents whose grades differ and
lets an adjudicator set the final label; the Agreement view shows Cohen's kappa per pair,
Krippendorff's alpha for all and the raw agreement, for the query and the session."""

import streamlit as st

import ui
import ui.annotators
import ui.paging
from ui import t, tn
from ui.frames import esc
from workbench import labelling, service

ui.init_state()
st.title(t("label.title"))
store = ui.get_store()
session = ui.current_session()
sets = store.list_candidate_sets(session.id)
if not sets:
    st.info(t("label.no_sets"))
    st.stop()

GRADES = [(0, t("label.grade_button_0"), "0"), (1, t("label.grade_button_1"), "1"), (2, t("label.grade_button_2"), "2")]

c_set, c_filter = st.columns([3, 2], vertical_alignment="bottom")
with c_set:
    set_id = ui.paging.set_picker(sets, "lab_set", label=t("label.query"))
ui.state.default("lab_unlabelled", False)
unlabelled_only = c_filter.toggle(t("label.unlabelled_only"), key="lab_unlabelled", help=t("label.unlabelled_help"))

cset = store.load_candidate_set(set_id)
who = ui.annotators.current()                 # team mode: the sidebar's annotator ('' = "(unnamed)")
kinds = store.annotator_kinds()
ui.state.default("lab_view", "label")
view = st.segmented_control(t("team.view"), ["label", "disagreements", "agreement"], key="lab_view",
                            format_func=lambda v: t(f"team.view_{v}"), selection_mode="single",
                            label_visibility="collapsed") or "label"
if view != "label":
    grades = service.session_grades(store, session.id)
    if view == "disagreements":
        ui.annotators.disagreements_view(store, session, sets, str(cset.query.id), grades, kinds, who)
    else:
        ui.annotators.agreement_view(store, session, str(cset.query.id), grades, kinds)
    st.stop()
labels = store.get_labels(set_id, annotator=who)
notes = store.get_notes(set_id, annotator=who)
current = st.session_state.get("label_doc")

# Order by pool: the runs of this query (their rankings), the depth and the runs chosen.
state = st.session_state
rankings, run_ids = labelling.set_rankings(store, set_id)
run_names = list(rankings)
if state.get("pool_runs") is None and state.get("pool_run_ids"):     # a reload or a link: the URL's ids
    linked = set(state.pool_run_ids)
    state.pool_runs = [lab for lab, ids in run_ids.items() if linked & set(ids)] or None
c_pool, c_depth, c_runs = st.columns([1.4, 1, 3], vertical_alignment="bottom")
state.lab_pool_on = bool(state.get("pool_depth"))
c_pool.toggle(t("label.pool_order"), key="lab_pool_on", help=t("label.pool_order_help"), disabled=not run_names,
              on_change=lambda: state.update(pool_depth=(state.get("_lab_depth") or 10) if state.lab_pool_on
                                             else None))
pool_depth = int(state.pool_depth) if state.get("pool_depth") and run_names else None
chosen_runs = run_names
if pool_depth:
    state._lab_depth = state.lab_pool_depth = pool_depth
    c_depth.number_input(t("label.pool_depth"), min_value=1, max_value=1000, step=1, key="lab_pool_depth",
                         help=t("label.pool_depth_help"),
                         on_change=lambda: state.update(pool_depth=int(state.lab_pool_depth)))
    chosen_runs = [n for n in (state.get("pool_runs") or run_names) if n in run_names] or run_names
    state.lab_pool_runs = chosen_runs
    c_runs.multiselect(t("label.pool_runs"), run_names, key="lab_pool_runs", help=t("label.pool_runs_help"),
                       placeholder=t("common.choose_options"),
                       on_change=lambda: state.update(pool_runs=list(state.lab_pool_runs) or None))
    # in the URL as run ids (all runs: none written)
    state.pool_run_ids = ([] if state.get("pool_runs") is None
                          else [i for n in chosen_runs for i in run_ids.get(n, [])])
elif not run_names:
    c_depth.caption(t("label.pool_no_runs"))

pooled: list[str] | None = None
if pool_depth:
    queue, pooled = labelling.pool_queue(cset, rankings, pool_depth, chosen_runs, labels,
                                         unlabelled_only=unlabelled_only, keep=current)
    full_queue = labelling.pool_queue(cset, rankings, pool_depth, chosen_runs)[0]
else:
    queue = labelling.labelling_queue(cset, labels, unlabelled_only=unlabelled_only, keep=current)
    full_queue = labelling.labelling_queue(cset)
if current not in queue:
    current = labelling.next_unlabelled(queue, labels, None) or (queue[0] if queue else None)
st.session_state.label_doc = current

# progress: this query, and the whole session
progress = service.label_progress(store, session.id).set_index("query_id")
mine, total = progress.loc[cset.query.id] if cset.query.id in progress.index else None, progress.loc["all"]
n_done = sum(1 for d in cset.documents if d.id in labels)
p1, p2 = st.columns(2)
p1.progress(n_done / max(1, len(cset.documents)),
            text=t("label.progress_query", done=n_done, docs=tn("label.count_documents", len(cset.documents))))
p2.progress(float(total["share"]), text=t("label.progress_session", done=int(total["labelled"]),
                                          total=int(total["documents"])))
if pooled is not None:
    open_pool = labelling.pool_unjudged(pooled, labels)
    st.caption(t("label.pool_status", open=len(open_pool), pool=len(pooled), depth=pool_depth,
                 runs=tn("label.count_runs", len(chosen_runs))))
st.markdown(f"### {esc(cset.query.text or cset.query.id)}")
if cset.query.image:
    st.image(cset.query.image, width=220, caption=t("label.query_image"))

ui.state.default("lab_blind", True)
blind = st.toggle(t("team.blind"), key="lab_blind", help=t("team.blind_help"))
views = service.visible_grades(store, set_id, who, blind=blind)
summary = ui.annotators.others_summary(views, blind)
if summary:
    st.caption(":material/group: " + summary)

if current is None:
    st.success(t("label.all_graded"), icon=":material/task_alt:")
    st.stop()

doc = next(d for d in cset.documents if d.id == current)
position = queue.index(current)


def go(delta: int) -> None:
    st.session_state.label_doc = labelling.step(queue, st.session_state.label_doc, delta)


def grade(value: int) -> None:
    change = service.grade_document(store, set_id, current, value, annotator=who)
    st.session_state.label_undo = [*st.session_state.get("label_undo", []), change][-50:]
    fresh = store.get_labels(set_id, annotator=who)
    nxt = labelling.next_unlabelled(full_queue, fresh, current)
    st.session_state.label_doc = nxt or current     # Label Studio style: on to the next ungraded one
    st.session_state.label_saved = t("label.saved", doc=current, grade=value)


def undo() -> None:
    stack = list(st.session_state.get("label_undo", []))
    if not stack:
        return
    change = stack.pop()
    service.undo_label(store, change)
    st.session_state.label_undo = stack
    st.session_state.set_id = change.set_id
    st.session_state.label_doc = change.doc_id
    st.session_state.label_saved = (t("label.undone_ungraded", doc=change.doc_id) if change.before is None
                                    else t("label.undone_back", doc=change.doc_id, grade=change.before))


def save_note(key: str, doc_id: str) -> None:
    with ui.errors_shown("label note"):  # i18n: not UI text
        service.note_document(store, set_id, doc_id, st.session_state[key], annotator=who)
        st.session_state.label_saved = t("label.note_saved", doc=doc_id)


left, right = st.columns([1, 1], gap="large")
with left:
    if doc.image:
        st.image(doc.image, width="stretch")
    else:
        st.caption(t("label.no_image"))
with right:
    st.caption(t("label.position", i=position + 1, n=len(queue), doc=esc(doc.id)))
    lab = labels.get(doc.id)
    st.markdown(t("label.grade_line", grade=t("label.grade_value", grade=lab.grade, name=t(f"label.grade_name_{lab.grade}"))
                  if lab else t("label.not_graded")))
    others = ui.annotators.others_line(views[doc.id], kinds) if doc.id in views else None
    if others:
        st.caption(others)
    st.markdown(f"**{t('label.text')}**")
    st.text(doc.text or t("label.none"))
    st.markdown(f"**{t('label.ocr_text')}**")
    st.text(doc.ocr_final if doc.ocr_final else (t("label.no_text_found") if doc.ocr_text == "" else t("label.not_read")))
    cols = st.columns(3)
    for col, (value, text, key) in zip(cols, GRADES):
        col.button(text, key=f"lab_grade_{value}", on_click=grade, args=(value,), shortcut=key,
                   type="primary" if lab is not None and lab.grade == value else "secondary", width="stretch")
    n1, n2, n3 = st.columns(3)
    n1.button(t("label.previous"), icon=":material/arrow_back:", key="lab_prev", on_click=go, args=(-1,), shortcut="Left",
              disabled=position == 0, width="stretch")
    n2.button(t("label.next"), icon=":material/arrow_forward:", key="lab_next", on_click=go, args=(1,), shortcut="Right",
              disabled=position >= len(queue) - 1, width="stretch")
    n3.button(t("label.undo"), icon=":material/undo:", help=t("label.undo_help"), key="lab_undo", on_click=undo, shortcut="U",
              disabled=not st.session_state.get("label_undo"), width="stretch")
    note_key = f"lab_note_{set_id}_{doc.id}"
    st.session_state[note_key] = notes.get(doc.id, "")
    st.text_area(t("label.note"), key=note_key, on_change=save_note,
                 args=(note_key, doc.id), height=90)
    if st.session_state.get("label_saved"):
        st.caption(esc(st.session_state.pop("label_saved")))
    st.caption(t("label.keys"))

with st.expander(t("label.progress_per_query")):
    per_query = progress.reset_index()[["set_id", "query_id", "query_text", "documents", "labelled", "share"]]
    per_query["query_id"] = per_query["query_id"].where(per_query["query_id"] != "all", t("label.all_queries"))
    per_query = per_query.iloc[[-1, *range(len(per_query) - 1)]]       # the session's total first
    ui.paging.table(per_query, "lab_progress", hide_index=True, column_config={
        **{c: st.column_config.Column(t(f"label.col_{c}"))
           for c in ("set_id", "query_id", "query_text", "documents", "labelled")},
        "share": st.column_config.ProgressColumn(t("label.col_share"), min_value=0, max_value=1)})
    if pool_depth:                  # the pool of every query: on demand (it reads every run of the session)
        if st.button(t("label.pool_count_session"), key="lab_pool_count", icon=":material/functions:"):
            state._lab_pool_session = (session.id, pool_depth, tuple(chosen_runs),
                                       labelling.session_pool(store, session.id, pool_depth, chosen_runs))
        counted = state.get("_lab_pool_session")
        if counted and counted[:3] == (session.id, pool_depth, tuple(chosen_runs)):
            frame = counted[3]
            open_rows = frame[frame["unjudged"] > 0].sort_values("unjudged", ascending=False, kind="stable")
            st.caption(t("label.pool_session_status", open=int(frame["unjudged"].sum()), pool=int(frame["pool"].sum()),
                         queries=len(open_rows), total=len(frame)))
            ui.paging.table(open_rows, "lab_pool_table", hide_index=True, column_config={
                c: st.column_config.Column(t(f"label.col_{c}"))
                for c in ("set_id", "query_id", "pool", "judged", "unjudged")})
