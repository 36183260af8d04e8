"""The Compare page's result: advice, metrics, rank shifts, score distributions, agreement.

The advice logic (which remedy fits which run) is plain Python in `advice()`, testable."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.compare.advice import suggest_template
from workbench.config import INSTRUCTION_TEMPLATES, PRECISE_SUFFIX
from workbench.i18n import has, t, tn
from workbench.rerank.spec import backend_names

from . import matrix_links, paging
from .frames import esc

RAW_BACKENDS = backend_names(score_kind="lexical")   # BM25 (its declared score kind)


def template_name(key: str | None) -> str:
    """The display name of a scenario template key ("e-commerce" -> "e-commerce" / "电商")."""
    if key is None:
        return t("compare.template_custom")
    code = "compare.template_" + "".join(c if c.isalnum() else "_" for c in key.lower())
    return t(code) if has(code) else key


# Column headings of the comparison tables (data columns stay as they are; the heading shown
# is translated). Per-run columns ("<run> shift") are matched by their ending.
_HEADINGS = {
    "run": "compare.col_run", "run_a": "compare.col_run_a", "run_b": "compare.col_run_b",
    "query_id": "compare.col_query", "doc_id": "compare.col_doc", "description": "compare.col_description",
    "metric": "compare.col_metric", "n_queries": "compare.col_n_queries", "n_flagged": "compare.col_n_flagged",
    "share_flagged": "compare.col_share_flagged", "mean_std": "compare.col_mean_std",
    "mean_iqr": "compare.col_mean_iqr", "mean_share_mid": "compare.col_mean_share_mid",
    "mean_a": "compare.col_mean_a", "mean_b": "compare.col_mean_b", "mean_diff": "compare.col_mean_diff",
    "p_ttest": "compare.col_p_ttest", "p_permutation": "compare.col_p_permutation",
    "wins_b": "compare.col_wins_b", "losses_b": "compare.col_losses_b", "ties": "compare.col_ties",
    "winner": "compare.col_winner", "verdict": "compare.col_verdict", "n_common": "compare.col_n_common",
    "kendall_tau": "compare.col_kendall_tau", "spearman_rho": "compare.col_spearman_rho",
    "max |shift|": "compare.col_max_shift", "matrix": "compare.col_matrix",
}
_ENDINGS = ((" shift", "compare.col_run_shift"), (" rank", "compare.col_run_rank"),
            (" score", "compare.col_run_score"))


def heading(column: str) -> str:
    """The heading shown for a comparison table's column, in the current language."""
    if column in _HEADINGS:
        return t(_HEADINGS[column])
    if column.startswith("overlap@"):
        return t("compare.col_overlap", k=column.split("@", 1)[1])
    for ending, key in _ENDINGS:
        if column.endswith(ending):
            return t(key, run=column[: -len(ending)])
    return column


def column_help(column: str) -> str | None:
    """The tooltip of a comparison table's column whose name alone says too little (Judged@k, overlap@k)."""
    for prefix, key in (("Judged@", "compare.help_judged"), ("overlap@", "compare.help_overlap")):
        if column.startswith(prefix):
            return t(key, k=column.split("@", 1)[1])
    return None


def headings(frame: pd.DataFrame, index: str | None = None, **config) -> dict:
    """column_config for `frame`: every column gets its translated heading (and a tooltip where
    `column_help` has one); `config` adds or replaces columns' configs (their label is set to the
    heading when they have none)."""
    out = {c: st.column_config.Column(heading(str(c)), help=column_help(str(c))) for c in frame.columns
           if heading(str(c)) != str(c) or column_help(str(c))}
    if index is not None:
        out["_index"] = st.column_config.Column(heading(index))
    for column, cfg in config.items():
        if isinstance(cfg, dict) and not cfg.get("label"):
            cfg["label"] = heading(column)
        out[column] = cfg
    return out


def _counts_as_ints(frame: pd.DataFrame) -> pd.DataFrame:
    """Count columns (n_*) shown as whole numbers, not 7.000."""
    out = frame.copy()
    for c in out.columns:
        if str(c).startswith("n_") and pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].round().astype("Int64")
    return out


def _template_of(instruction: str) -> str | None:
    text = " ".join((instruction or "").split())
    for key, tpl in INSTRUCTION_TEMPLATES.items():
        if text.startswith(tpl):
            return key
    return None


def advice(result, queries: dict[str, str] | None = None) -> list[dict]:
    """One entry per flagged run: {"runs": [labels], "why": str, "tips": [str], "bm25": bool}.

    Runs with the same diagnosis and the same tips are grouped (one box, not one per
    run). Tips fit the run: no template it already uses, no "Be precise" it already
    has, and "about 0.5" only when its scores really sit around 0.5. A scenario template is
    suggested only when the run's queries (`queries`: query id -> text) carry words of that
    scenario (`workbench.compare.advice.suggest_template`); otherwise the tip asks for an
    instruction that names the scenario, with no template in it."""
    queries = queries or {}
    disc = result.discrimination
    out: dict[tuple, dict] = {}
    for row in result.discrimination_summary.itertuples(index=False):
        if not row.n_flagged:
            continue
        label = row.run
        by_q = result.groups.runs.get(label) or {}
        runs = list(by_q.values())
        backends = {r.backend for r in runs}
        sub = disc[(disc["run"] == label) & disc["flagged"]]
        reasons = "; ".join(dict.fromkeys(r for rs in sub["reasons"] for r in (rs if isinstance(rs, list)
                                                                              else [rs])))
        scores = result.scores[result.scores["run"] == label]["score"]
        where = (tn("compare.advice_where", int(row.n_flagged), of=int(row.n_queries))
                 if row.n_queries > 1 else "")
        if backends and backends <= set(RAW_BACKENDS):
            why = t("compare.advice_why_bm25", where=where, reasons=reasons)
            tips = (t("compare.advice_tip_bm25"),)
            key = ("bm25", why, tips)
            out.setdefault(key, {"runs": [], "why": why, "tips": list(tips), "bm25": True})["runs"].append(label)
            continue
        median = float(scores.median()) if len(scores) else float("nan")
        centre = (t("compare.advice_centre_unsure") if 0.4 <= median <= 0.6
                  else t("compare.advice_centre_bunch", median=f"{median:.2f}"))
        why = t("compare.advice_why_model", where=where, reasons=reasons, centre=centre)
        instructions = {r.instruction or "" for r in runs}
        templates = {_template_of(i) for i in instructions}
        tips = []
        if templates == {None} or templates <= {"web", "QA", None}:
            suggestion = suggest_template([queries.get(q, "") for q in by_q], exclude=templates - {None})
            if suggestion is not None:
                tips.append(t("compare.advice_tip_template", template=template_name(suggestion),
                              text=INSTRUCTION_TEMPLATES[suggestion]))
            else:
                tips.append(t("compare.advice_tip_own_instruction"))
        tips.append(t("compare.advice_tip_documents"))
        if not all(PRECISE_SUFFIX in i for i in instructions):
            # the option's name on the Rerank/Compare pages (in English, the suffix itself)
            tips.append(t("compare.advice_tip_precise", suffix=t("compare.precise")))
        key = ("model", why, tuple(tips))
        out.setdefault(key, {"runs": [], "why": why, "tips": tips, "bm25": False})["runs"].append(label)
    return list(out.values())


def _shift_style(value):
    text = str(value)
    if text.startswith("+"):
        return "background-color: #d8f0dc; color: #14532d"
    if text.startswith("−") or text.startswith("-"):
        return "background-color: #fadadd; color: #7f1d1d"
    return ""


def shift_view(table: pd.DataFrame, descriptions: dict[str, str]) -> pd.DataFrame:
    """The rank-shift table with the shift columns first and each document described."""
    shift_cols = [c for c in table.columns if c.endswith(" shift")]
    rest = [c for c in table.columns if c not in ("doc_id", "changed", "max |shift|") and c not in shift_cols]
    view = table[["doc_id", *shift_cols, "max |shift|", *rest]].copy()
    view.insert(1, "description", [descriptions.get(str(d), "") for d in view["doc_id"]])
    # shifts read "+2" / "−3" / "0"; a document a (partial) run lacks shows "—", never "None"
    for c in shift_cols:
        view[c] = ["—" if pd.isna(v) else (f"+{int(v)}" if v > 0 else (f"−{-int(v)}" if v < 0 else "0"))
                   for v in view[c]]
    for c in [c for c in view.columns if c.endswith(" rank") or c == "max |shift|"]:
        view[c] = ["—" if pd.isna(v) else str(int(v)) for v in view[c]]
    return view


def computing(n_runs: int, n_sets: int):
    """A spinner with what is being computed, for the comparison's tables (`with computing(…):`)."""
    return st.spinner(t("compare.computing", runs=tn("compare.count_runs", n_runs), sets=tn("count.sets", n_sets)))


def render_notes(result, queries: dict[str, str] | None = None) -> None:
    for note in dict.fromkeys(result.notes):
        st.info(esc(note), icon=":material/info:")
    for item in advice(result, queries):
        names = t("advice.list_sep").join(f"**{esc(r)}**" for r in item["runs"])
        tips = (" ".join(esc(tip) for tip in item["tips"]) if item["bm25"] else
                " ".join(f"({i}) {esc(tip)}" for i, tip in enumerate(item["tips"], 1)))
        st.warning(t("compare.advice_box", runs=names + (" (BM25)" if item["bm25"] else ""),
                     why=esc(item["why"]), tips=tips), icon=":material/warning:")


def _win_loss_chart(frame):
    import altair as alt

    names = {o: t(f"compare.outcome_{o}") for o in ("win", "tie", "loss")}
    data = frame.assign(shown=frame["diff"].where(frame["outcome"] != "tie", 0.0),
                        result=frame["outcome"].map(names))
    base = alt.Chart(data).encode(
        x=alt.X("query_id:N", sort=None, title=t("compare.chart_query"), axis=alt.Axis(labelAngle=-30)),
        tooltip=[alt.Tooltip("query_id:N", title=t("compare.chart_query")),
                 alt.Tooltip("result:N", title=t("compare.chart_outcome")),
                 alt.Tooltip("value_a:Q", format=".3f", title=t("compare.chart_baseline_value")),
                 alt.Tooltip("value_b:Q", format=".3f", title=t("compare.chart_challenger_value")),
                 alt.Tooltip("diff:Q", format="+.3f", title=t("compare.chart_diff"))])
    colour = alt.Color("result:N", title=t("compare.chart_outcome"),
                       scale=alt.Scale(domain=[names["win"], names["tie"], names["loss"]],
                                       range=["#2e7d32", "#757575", "#c62828"]))
    bars = base.transform_filter("datum.outcome != 'tie'").mark_bar().encode(
        y=alt.Y("diff:Q", title=t("compare.chart_diff"), axis=alt.Axis(format="+.2~f", tickMinStep=0.01)),
        color=colour)
    ties = base.transform_filter("datum.outcome == 'tie'").mark_point(shape="diamond", size=90, filled=True).encode(
        y=alt.Y("shown:Q"), color=colour)
    return alt.layer(bars, ties).properties(height=220)


def _distribution(scores: pd.DataFrame, probability: bool):
    import altair as alt

    order = list(dict.fromkeys(scores["run"]))
    x = alt.X("run:N", title=None, sort=order, axis=alt.Axis(labelAngle=0, labelLimit=220))
    y = alt.Y("score:Q", title="P(yes)" if probability else t("compare.chart_raw_score"),
              scale=alt.Scale(domain=[0, 1]) if probability else alt.Scale(zero=False))
    box = alt.Chart(scores).mark_boxplot(extent="min-max", size=36, opacity=0.5).encode(x=x, y=y)
    dots = alt.Chart(scores).mark_tick(opacity=0.7, thickness=2, size=24, color="#c2185b").encode(
        x=x, y="score:Q", tooltip=[alt.Tooltip("run:N", title=t("compare.col_run")),
                                   alt.Tooltip("query_id:N", title=t("compare.col_query")),
                                   alt.Tooltip("doc_id:N", title=t("compare.col_doc")),
                                   alt.Tooltip("score:Q", format=".3f", title=t("compare.chart_score"))])
    if not probability:
        return alt.layer(box, dots).properties(height=300)
    # the band gets its own one-row data (layered over `scores` it would be drawn once per score)
    band = alt.Chart(pd.DataFrame({"lo": [0.4], "hi": [0.6]})).mark_rect(
        opacity=0.15, color="#f9a825").encode(y="lo:Q", y2="hi:Q")
    return alt.layer(band, box, dots).properties(height=300)


def _per_query_table(result, metric: str, link) -> None:
    """Each query's value of `metric` per run, and a link to the Matrix view of that query with
    the compared runs and the baseline: the rankings behind each number. A page of
    `paging.PAGE_SIZE` queries at a time past that many."""
    wide = matrix_links.per_query_links(result.metrics, metric, link["session_id"], run_ids=link["run_ids"],
                                        baseline=link["baseline_id"])
    runs = [c for c in wide.columns if c not in ("query_id", "matrix")]
    rows = None
    if len(wide) > paging.PAGE_SIZE:
        page = paging._page_input("cmp_per_query_page", len(wide), paging.PAGE_SIZE)
        rows = paging.page_slice(len(wide), page)
        wide = wide.iloc[rows].reset_index(drop=True)
    st.dataframe(wide.style.format("{:.3f}", subset=runs, na_rep="—"), hide_index=True, width="stretch",
                 key="cmp_per_query",
                 column_config=headings(wide, matrix=st.column_config.LinkColumn(
                     t("compare.col_matrix"), display_text=t("compare.open_matrix"),
                     help=t("compare.open_matrix_help"))))
    if rows is not None:
        st.caption(t("paging.rows", first=rows.start + 1, last=rows.stop, total=len(result.metrics.wide(metric))))


def render_comparison(compare, result, descriptions: dict[str, str] | None = None, link: dict | None = None,
                      queries: dict[str, str] | None = None) -> None:
    """The comparison's tabs. `link` ({session_id, run_ids, baseline_id}) turns each per-query
    metric and the rank shifts into links to the Matrix page of that query; `queries` (query id ->
    text) lets the advice suggest a scenario template only where the queries show that scenario."""
    import altair as alt

    descriptions = descriptions or {}          # or a callable: query id -> {doc id: description}
    render_notes(result, queries)
    t_metrics, t_shift, t_scores, t_agree = st.tabs([t("compare.tab_metrics"), t("compare.tab_shifts"),
                                                     t("compare.tab_scores"), t("compare.tab_agreement")])
    with t_metrics:
        if result.metrics is None:
            st.info(t("compare.no_labels"))
        else:
            st.markdown(t("compare.metrics_heading"))
            table = result.metrics.table
            num = [c for c in table.columns if c != "n_queries"]
            st.dataframe(table.style.format("{:.3f}", subset=num).highlight_max(subset=num, color="#d8f0dc"),
                         width="stretch", column_config=headings(table, index="run"))
            for warning in getattr(result.metrics, "judged_warnings", list)():   # too few judgements (pooling.py)
                st.warning(esc(warning), icon=":material/rule:")
            sig = result.significance
            if sig is not None and len(sig):
                for row in sig[sig["winner"].fillna(False).astype(bool)].itertuples(index=False):
                    st.success(esc(row.verdict))
                rest = sig[~sig["winner"].fillna(False).astype(bool)]
                if len(rest):
                    verdicts = list(dict.fromkeys(rest["verdict"]))
                    st.info("  \n".join(esc(v) for v in verdicts[:3])
                            + ("  \n" + t("compare.more_verdicts", n=len(verdicts) - 3) if len(verdicts) > 3 else ""))
                with st.expander(t("compare.paired_tests")):
                    shown = _counts_as_ints(sig)
                    shown["winner"] = shown["winner"].map(lambda v: "✓" if v is True else ("" if v is False else "—"))
                    st.dataframe(shown.style.format(precision=4, na_rep="—"), hide_index=True, width="stretch",
                                 column_config=headings(shown))
            if link is not None:
                metrics = [c for c in table.columns if c not in ("n_queries",) and not c.startswith("Judged")]
                st.markdown(t("compare.per_query_heading"))
                if st.session_state.get("cmp_pq_metric") not in metrics:     # k changed: NDCG@10 -> NDCG@5
                    st.session_state.cmp_pq_metric = metrics[0]
                ui_metric = st.selectbox(t("compare.per_query_metric"), metrics, key="cmp_pq_metric")
                _per_query_table(result, ui_metric, link)
            for (a, b), frame in result.win_loss.items():
                if frame.empty or frame["query_id"].nunique() < 2:
                    continue             # one query: the metrics table above says it all
                st.markdown(t("compare.win_loss_heading", challenger=esc(b), baseline=esc(a),
                              metric=esc(frame["metric"].iloc[0])))
                st.altair_chart(_win_loss_chart(frame), width="stretch")
    with t_shift:
        qids = list(result.rank_tables)
        if st.session_state.get("query") not in qids:
            st.session_state.query = qids[0]
        if len(qids) > 1:           # a search box and a page of queries past paging.PAGE_SIZE
            q = paging.picker(t("compare.query"), qids, "cmp_query", current=st.session_state.query,
                              on_pick=lambda v: st.session_state.update(query=v))
        else:
            q = qids[0]
        if link is not None:
            st.page_link("pages/matrix_page.py", label=t("compare.open_matrix_query", query=esc(q)),
                         icon=":material/table_view:",
                         query_params=matrix_links.matrix_params(
                             link["session_id"], q, *matrix_links.for_query(link["run_ids"], link["baseline_id"], q)))
        table = result.rank_tables[q]          # computed for this query only (RankTables)
        only = st.toggle(t("compare.only_changed"), key="cmp_only_changed")
        described = descriptions(q) if callable(descriptions) else descriptions
        shown = shift_view(table[table["changed"]] if only else table, described)
        shift_cols = [c for c in shown.columns if c.endswith(" shift")]
        score_cols = [c for c in shown.columns if c.endswith(" score")]
        st.dataframe(shown.style.map(_shift_style, subset=shift_cols)
                     .format("{:.3f}", subset=score_cols, na_rep="—"),
                     hide_index=True, width="stretch",
                     column_config=headings(shown, description={"label": None, "width": "medium"}))
        st.caption(t("compare.shift_caption"))
        runs_q = result.groups.for_query(q)
        if len(runs_q) >= 2:
            long = compare.rank_shift_long(runs_q)
            long["rank"] = long["rank"].astype(float)
            long["moved"] = long["changed"].map({False: t("compare.chart_unchanged"), True: t("compare.chart_changed")})
            slope = alt.Chart(long).mark_line(point=True).encode(
                x=alt.X("run:N", sort=None, title=None),
                y=alt.Y("rank:Q", scale=alt.Scale(reverse=True), title=t("compare.chart_rank")),
                detail="doc_id:N",
                color=alt.Color("moved:N", title=t("compare.chart_moved"),
                                scale=alt.Scale(domain=[t("compare.chart_unchanged"), t("compare.chart_changed")],
                                                range=["#bdbdbd", "#c2185b"])),
                tooltip=[alt.Tooltip("doc_id:N", title=t("compare.col_doc")),
                         alt.Tooltip("run:N", title=t("compare.col_run")),
                         alt.Tooltip("rank:Q", title=t("compare.chart_rank")),
                         alt.Tooltip("score:Q", format=".3f", title=t("compare.chart_score"))],
            ).properties(height=320)
            st.altair_chart(slope, width="stretch")
    deferred = t("compare.detail_deferred", queries=tn("count.queries", len(result.groups.query_ids)))
    with t_scores:
        if not getattr(result, "detail", True):
            st.info(deferred, icon=":material/info:")
        scores = result.scores
        raw = {label for label, by_q in result.groups.runs.items()
               if any(r.backend in RAW_BACKENDS for r in by_q.values())
               or not all(0 <= s.score <= 1 for r in by_q.values() for s in r.scores)}
        prob_part = scores[~scores["run"].isin(raw)]
        raw_part = scores[scores["run"].isin(raw)]
        if len(prob_part):
            st.altair_chart(_distribution(prob_part, True), width="stretch")
            st.caption(t("compare.prob_caption"))
        if len(raw_part):
            st.altair_chart(_distribution(raw_part, False), width="stretch")
            st.caption(t("compare.raw_caption"))
        summary = result.discrimination_summary.copy()
        for col in ("share_flagged", "mean_std", "mean_iqr", "mean_share_mid"):   # no "None" for raw scores
            summary[col] = ["—" if pd.isna(v) else f"{v:.3f}" for v in summary[col]]
        st.dataframe(summary, hide_index=True, width="stretch",
                     column_config=headings(summary, **{c: {"alignment": "right"} for c in
                                                        ("share_flagged", "mean_std", "mean_iqr", "mean_share_mid")}))
    with t_agree:
        pairs = result.correlations.pairs
        if not getattr(result, "detail", True):
            st.info(deferred, icon=":material/info:")
        elif pairs is None or pairs.empty:
            st.info(t("compare.no_agreement"))
        else:
            pairs = _counts_as_ints(pairs)
            st.dataframe(pairs.style.format(precision=3, na_rep="—"), hide_index=True, width="stretch",
                         column_config=headings(pairs))
            heat = result.correlations.long("kendall_tau")
            base = alt.Chart(heat).encode(x=alt.X("run_a:N", title=None), y=alt.Y("run_b:N", title=None))
            cells = base.mark_rect().encode(
                color=alt.Color("value:Q", scale=alt.Scale(domain=[-1, 1], scheme="redblue"), title="Kendall τ-b"),
                tooltip=[alt.Tooltip("run_a:N", title=t("compare.col_run_a")),
                         alt.Tooltip("run_b:N", title=t("compare.col_run_b")),
                         alt.Tooltip("value:Q", format=".3f", title="Kendall τ-b")])
            numbers = base.mark_text(fontSize=14).encode(
                text=alt.Text("value:Q", format=".2f"),
                color=alt.condition("abs(datum.value) > 0.6", alt.value("white"), alt.value("black")))
            st.altair_chart(alt.layer(cells, numbers).properties(height=260), width="stretch")
