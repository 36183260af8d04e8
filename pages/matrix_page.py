"""Matrix: runs as columns, documents as rows (promptfoo style), one query at a time.

Each cell holds the run's rank and score; rows where the runs disagree (a rank shift of at least
k against the baseline, a document a run lacks, or a rank that contradicts the label) are
highlighted and can be shown alone. The whole view is in the URL, so a reload or a shared URL
reopens it: ?session=…&query=…&runs=<ids>&baseline=<run id>&k=…&diff=1 (diff: only the rows that
differ). A link from the Compare page (session, query, runs, baseline) picks those runs and that
baseline. Each row links to the Label page with the query's own set and that document."""

import pandas as pd
import streamlit as st

import ui
import ui.paging
from ui import frames, t, tn
from ui.comparison import heading
from ui.frames import esc
from ui.matrix_links import MATRIX_ROW_HEIGHT, MATRIX_WIDTHS, label_link, matrix_height
from workbench import service

ui.init_state()
st.title(t("matrix.title"))
st.caption(t("matrix.caption"))
store = ui.get_store()
session = ui.current_session()

with ui.errors_shown("matrix"):
    # cheap metadata only (issue 18: 1,000 queries x 5 runs): the runs' names and the query ids;
    # the scores of the query in view alone are loaded, never every ranking of the session
    infos = [r for r in store.list_run_infos(session.id)
             if any(r.statuses.get(s) for s in ("done", "cancelled", "imported"))]
    if not infos:
        st.info(t("matrix.no_runs"), icon=":material/info:")
        st.stop()
    run_of = {r.name: r.id for r in infos}
    names = list(run_of)
    state, params = st.session_state, st.query_params

    def keep(key: str, value) -> None:
        """A control's value, kept beside the widget: Streamlit drops a widget's state when the
        page is left, the copy (_mx_…) brings it back on the next visit."""
        state[key] = state["_" + key] = value

    def owners(ranking_ids) -> dict[int, int]:
        """ranking id -> its run id, for the few ids of a link (runs=, baseline= name rankings)."""
        return {g.id: g.run_id for g in service.load_rankings(store, ranking_ids=list(ranking_ids),
                                                              comparable=False)} if ranking_ids else {}

    # The whole view is in the URL (?session&query&runs&baseline&k&diff): read it on a reload,
    # a shared URL or a new tab (the first Matrix run of this browser session), and when a link
    # from Compare brings another baseline.
    base_id = frames.parse_ids(params.get("baseline"))
    fresh = "_mx_seen" not in state
    if fresh or (base_id and base_id[0] != state.get("_mx_base_id")):
        if base_id:
            linked = set(owners(frames.parse_ids(params.get("runs"))).values())
            picked = [lab for lab in names if run_of[lab] in linked]
            if picked:
                keep("mx_runs", picked)
            base_run = owners(base_id[:1]).get(base_id[0])
            keep("mx_baseline", next((lab for lab in names if run_of[lab] == base_run), None))
            state._mx_base_id = base_id[0]
            if params.get("query"):
                state.query = params.get("query")
        url_k = frames.parse_ids(params.get("k"))
        if url_k and 1 <= url_k[0] <= 100:
            keep("mx_k", url_k[0])
        if fresh or "diff" in params:
            keep("mx_only_diff", params.get("diff") == "1")
    state._mx_seen = True
    for key, first in (("mx_runs", names[:6]), ("mx_k", 3), ("mx_only_diff", False)):
        if key not in state:
            state[key] = state.get("_" + key, first)
    state.mx_runs = [n for n in state.mx_runs if n in names] or names[:6]

    chosen = st.multiselect(t("matrix.runs"), names, key="mx_runs", help=t("matrix.runs_help"),
                            placeholder=t("common.choose_options"))
    state._mx_runs = list(chosen)
    if not chosen:
        st.info(t("matrix.pick_one"))
        st.stop()
    chosen_runs = [run_of[lab] for lab in chosen]
    queries = service.session_query_ids(store, session.id, chosen_runs)
    if not queries:
        st.info(t("matrix.no_runs"), icon=":material/info:")
        st.stop()
    if state.get("query") not in queries:
        state.query = queries[0]

    c_q, c_prev, c_next, c_base, c_k, c_diff = st.columns([3, 1.4, 1.4, 2, 1, 2], vertical_alignment="bottom")
    with c_q:                   # searchable and paged past 100 queries (ui/paging.py)
        ui.paging.picker(t("matrix.query"), queries, "mx_query", current=state.query,
                         on_pick=lambda q: state.update(query=q))
    i = queries.index(state.query)

    def step(delta: int) -> None:
        state.query = queries[max(0, min(len(queries) - 1, i + delta))]

    c_prev.button(t("matrix.previous"), icon=":material/arrow_back:", key="mx_prev", on_click=step, args=(-1,),
                  disabled=i == 0, width="stretch")
    c_next.button(t("matrix.next"), icon=":material/arrow_forward:", key="mx_next", on_click=step, args=(1,),
                  disabled=i >= len(queries) - 1, width="stretch")
    # this query's rankings of the chosen runs (the newest of each run): the columns
    ranking_of: dict[str, int] = {}
    for g in service.load_rankings(store, run_ids=chosen_runs, query_id=state.query):
        ranking_of[g.name] = max(g.id, ranking_of.get(g.name, 0))
    present = [lab for lab in chosen if lab in ranking_of]
    chosen_ids = [ranking_of[lab] for lab in present]
    if state.run_ids != chosen_ids:         # the columns, in the URL (runs=) for a reload or a link
        state.run_ids = chosen_ids
    if state.get("mx_baseline") not in present:
        state.mx_baseline = state.get("_mx_baseline") if state.get("_mx_baseline") in present else present[0]
    baseline = c_base.selectbox(t("matrix.baseline"), present, key="mx_baseline")
    state._mx_baseline = baseline
    k = c_k.number_input(t("matrix.k"), min_value=1, max_value=100, key="mx_k", help=t("matrix.k_help"))
    only_diff = c_diff.toggle(t("matrix.only_diff"), key="mx_only_diff", help=t("matrix.only_diff_help"))
    state._mx_k, state._mx_only_diff = int(k), bool(only_diff)
    # the rest of the view in the URL: the baseline (the baseline run of this query), k, the filter
    shown_base = ranking_of[baseline]
    state._mx_base_id = shown_base
    wanted = {"baseline": str(shown_base), "k": str(int(k)), "diff": "1" if only_diff else None}
    for key, value in wanted.items():
        if value is None and key in params:
            del params[key]
        elif value is not None and params.get(key) != value:
            params[key] = value

    view, _ = service.query_matrix(store, session.id, state.query, runs=[run_of[lab] for lab in present],
                                   baseline=baseline, k=int(k),
                                   labels_source=st.session_state.get("cmp_labels") or "adjudicated")  # as Compare
    frame = view.frame
    st.caption(t("matrix.status", i=i + 1, n=len(queries), baseline=esc(view.baseline),
                 rows=tn("matrix.count_rows", view.n_differ), total=len(frame), k=view.k, relevant=view.relevant))
    shown = view.only_differences() if only_diff else frame
    # Left, always in view: the document, its label, the link to label it and why the row differs;
    # then each run's cell followed by its shift against the baseline; the document's text last.
    table = pd.DataFrame({
        # a document without an image: an empty cell (None would be drawn as the word "None")
        "thumbnail": [(frames.thumbnail_data_uri(p) or "") if p else "" for p in shown["image"]],
        "doc_id": shown["doc_id"],
        "label": ["—" if pd.isna(g) else str(int(g)) for g in shown["label"]],
        # the query's own set (each query has its own): the Label page opens this very document
        "label_it": [label_link(session.id, view.set_id, d) if view.set_id is not None else None
                     for d in shown["doc_id"]],
        "why": shown["why"],
    })
    for name in view.runs:
        table[name] = [("—" if pd.isna(r) else f"{int(r)} ({s:.3f})")
                       for r, s in zip(shown[f"{name} rank"], shown[f"{name} score"])]
        if name != view.baseline:            # a number (sortable); a document the run lacks: empty
            table[f"{name} shift"] = pd.array(shown[f"{name} shift"], dtype="Int64")
    table["text"] = [frames.short(t, 300) for t in shown["text"]]
    table["differs"] = shown["differs"].to_numpy()
    if not any(table["thumbnail"]):
        table = table.drop(columns=["thumbnail"])

    def highlight(row):
        return ["background-color: #fff3cd" if row["differs"] else ""] * len(row)

    styled = table.style.apply(highlight, axis=1).format(na_rep="")
    w = MATRIX_WIDTHS
    config = {   # pinned: the document and its label; the run columns scroll beside them
        "thumbnail": st.column_config.ImageColumn(t("matrix.col_image"), width=w["thumbnail"], pinned=True),
        "doc_id": st.column_config.TextColumn(t("matrix.col_doc"), width=w["doc_id"], pinned=True),
        "label": st.column_config.TextColumn(t("matrix.col_label"), width=w["label"], pinned=True,
                                             help=t("matrix.col_label_help")),
        "label_it": st.column_config.LinkColumn(t("matrix.col_label_it"), display_text=t("matrix.label_link"),
                                                width=w["label_it"], help=t("matrix.label_link_help")),
        "why": st.column_config.TextColumn(t("matrix.col_why"), width=w["why"]),
        "text": st.column_config.TextColumn(t("matrix.col_text"), width=w["text"]),
    }
    for col in view.shift_columns():
        config[col] = st.column_config.NumberColumn(heading(col), format="%+d", width=w["shift"],
                                                    help=t("matrix.shift_help", baseline=esc(view.baseline)))
    for name in view.runs:
        config[name] = st.column_config.TextColumn(name, width=w["run"], help=t("matrix.cell_help"))
    st.dataframe(styled, hide_index=True, width="stretch", row_height=MATRIX_ROW_HEIGHT, height=matrix_height(len(table)),
                 column_order=[c for c in table.columns if c != "differs"], column_config=config)
