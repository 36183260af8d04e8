"""Matrix: runs as columns, documents as rows (promptfoo style), one query at a time.

Each cell holds the run's rank and score; rows where the runs disagree (a rank shift of at least
k against the baseline, a document a run lacks, or a rank that contradicts the label) are
highlighted and can be shown alone. The query is in the URL; a link from the Compare page
(?session=…&query=…&runs=<ids>&baseline=<run id>) also picks those runs and that baseline."""

import pandas as pd
import streamlit as st

import ui
from ui import frames, t, tn
from ui.comparison import heading
from ui.frames import esc
from workbench import compare, service

ui.init_state()
st.title(t("matrix.title"))
st.caption(t("matrix.caption"))
store = ui.get_store()
session = ui.current_session()

with ui.errors_shown("matrix"):
    all_ids = service.session_run_ids(store, session.id)
    if not all_ids:
        st.info(t("matrix.no_runs"), icon=":material/info:")
        st.stop()
    runs = [store.load_run(i) for i in all_ids]
    groups = compare.group_runs(runs)
    names = groups.labels
    base_id = frames.parse_ids(st.query_params.get("baseline"))
    if base_id and base_id[0] != st.session_state.get("_mx_base_id"):
        # a link from Compare, a reload or a shared URL: its runs and baseline
        linked = set(frames.parse_ids(st.query_params.get("runs")))
        picked = [lab for lab in names if any(r.id in linked for r in groups.runs[lab].values())]
        if picked:
            st.session_state.mx_runs = picked
        st.session_state.mx_baseline = next((lab for lab in names
                                             if any(r.id == base_id[0] for r in groups.runs[lab].values())), None)
        st.session_state._mx_base_id = base_id[0]
        if st.query_params.get("query"):
            st.session_state.query = st.query_params.get("query")
    ui.state.default("mx_runs", [n for n in names][:6])
    st.session_state.mx_runs = [n for n in st.session_state.mx_runs if n in names] or names[:6]

    def runs_changed() -> None:          # the columns go into the URL (runs=) for a reload or a link
        st.session_state.run_ids = [r.id for lab in st.session_state.mx_runs for r in groups.runs[lab].values()]

    chosen = st.multiselect(t("matrix.runs"), names, key="mx_runs", help=t("matrix.runs_help"),
                            placeholder=t("common.choose_options"), on_change=runs_changed)
    if not chosen:
        st.info(t("matrix.pick_one"))
        st.stop()
    chosen_ids = [r.id for lab in chosen for r in groups.runs[lab].values()]
    queries = [q for q in groups.query_ids if any(q in groups.runs[lab] for lab in chosen)]
    if st.session_state.get("query") not in queries:
        st.session_state.query = queries[0]

    c_q, c_prev, c_next, c_base, c_k, c_diff = st.columns([3, 1.4, 1.4, 2, 1, 2], vertical_alignment="bottom")
    st.session_state.mx_query = st.session_state.query
    c_q.selectbox(t("matrix.query"), queries, key="mx_query",
                  on_change=lambda: st.session_state.update(query=st.session_state.mx_query))
    i = queries.index(st.session_state.query)

    def step(delta: int) -> None:
        st.session_state.query = queries[max(0, min(len(queries) - 1, i + delta))]

    c_prev.button(t("matrix.previous"), icon=":material/arrow_back:", key="mx_prev", on_click=step, args=(-1,),
                  disabled=i == 0, width="stretch")
    c_next.button(t("matrix.next"), icon=":material/arrow_forward:", key="mx_next", on_click=step, args=(1,),
                  disabled=i >= len(queries) - 1, width="stretch")
    present = [lab for lab in chosen if st.session_state.query in groups.runs[lab]]
    if st.session_state.get("mx_baseline") not in present:
        st.session_state.mx_baseline = present[0]
    baseline = c_base.selectbox(t("matrix.baseline"), present, key="mx_baseline")
    shown_base = groups.runs[baseline][st.session_state.query].id
    if st.query_params.get("baseline") != str(shown_base):   # the baseline in the URL (reload, link)
        st.session_state._mx_base_id = shown_base
        st.query_params["baseline"] = str(shown_base)
    ui.state.default("mx_k", 3)
    k = c_k.number_input(t("matrix.k"), min_value=1, max_value=100, key="mx_k", help=t("matrix.k_help"))
    ui.state.default("mx_only_diff", False)
    only_diff = c_diff.toggle(t("matrix.only_diff"), key="mx_only_diff")

    view, _ = service.query_matrix(store, session.id, st.session_state.query, run_ids=chosen_ids,
                                   baseline=baseline, k=int(k))
    frame = view.frame
    st.caption(t("matrix.status", i=i + 1, n=len(queries), baseline=esc(view.baseline),
                 rows=tn("matrix.count_rows", view.n_differ), total=len(frame), k=view.k, relevant=view.relevant))
    shown = view.only_differences() if only_diff else frame
    set_id = next(iter(groups.runs[present[0]].values())).set_id if present else None
    table = pd.DataFrame({
        "thumbnail": [frames.thumbnail_data_uri(p) if p else None for p in shown["image"]],
        "doc_id": shown["doc_id"],
        "label": ["" if pd.isna(g) else str(int(g)) for g in shown["label"]],
    })
    for col in view.shift_columns():          # next to the document, pinned: they stay in view
        table[col] = shown[col].astype(object).where(shown[col].notna(), "")
    for name in view.runs:
        table[name] = [("—" if pd.isna(r) else f"{int(r)} ({s:.3f})")
                       for r, s in zip(shown[f"{name} rank"], shown[f"{name} score"])]
    table["text"] = [frames.short(t, 200) for t in shown["text"]]
    table["why"] = shown["why"]
    table["label it"] = [f"./label?session={session.id}&set={set_id}&doc={d}" for d in shown["doc_id"]]  # i18n: not UI text
    table["differs"] = shown["differs"].to_numpy()
    if table["thumbnail"].isna().all():
        table = table.drop(columns=["thumbnail"])

    def highlight(row):
        return ["background-color: #fff3cd" if row["differs"] else ""] * len(row)

    styled = table.style.apply(highlight, axis=1).format(na_rep="")
    config = {
        "thumbnail": st.column_config.ImageColumn(t("matrix.col_image"), width="small", pinned=True),
        "doc_id": st.column_config.TextColumn(t("matrix.col_doc"), width="small", pinned=True),
        "label": st.column_config.TextColumn(t("matrix.col_label"), width="small", pinned=True,
                                             help=t("matrix.col_label_help")),
        "text": st.column_config.TextColumn(t("matrix.col_text"), width="medium"),
        "why": st.column_config.TextColumn(t("matrix.col_why"), width="large"),
        "label it": st.column_config.LinkColumn(t("matrix.col_label_it"), display_text=t("matrix.label_link"),  # i18n: not UI text
                                                width="small", help=t("matrix.label_link_help")),
    }
    for col in view.shift_columns():
        config[col] = st.column_config.NumberColumn(heading(col), format="%+d", width="medium", pinned=True,
                                                    help=t("matrix.shift_help", baseline=view.baseline))
    for name in view.runs:
        config[name] = st.column_config.TextColumn(name, width="medium", help=t("matrix.cell_help"))
    st.dataframe(styled, hide_index=True, width="stretch", row_height=64,
                 column_order=[c for c in table.columns if c != "differs"], column_config=config)
