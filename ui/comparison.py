"""The Compare page's result: advice, metrics, rank shifts, score distributions, agreement.

The advice logic (which remedy fits which run) is plain Python in `advice()`, testable."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.config import INSTRUCTION_TEMPLATES, PRECISE_SUFFIX

from . import frames
from .frames import esc

RAW_BACKENDS = ("lexical", "bm25")


def _template_of(instruction: str) -> str | None:
    text = " ".join((instruction or "").split())
    for key, tpl in INSTRUCTION_TEMPLATES.items():
        if text.startswith(tpl):
            return key
    return None


def advice(result) -> list[dict]:
    """One entry per flagged run: {"runs": [labels], "why": str, "tips": [str], "bm25": bool}.

    Runs with the same diagnosis and the same tips are grouped (one box, not one per
    run). Tips fit the run: no template it already uses, no "Be precise" it already
    has, and "about 0.5" only when its scores really sit around 0.5."""
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
        where = (f" on {frames.plural(int(row.n_flagged), 'query', 'queries')} of {int(row.n_queries)}"
                 if row.n_queries > 1 else "")
        if backends and backends <= set(RAW_BACKENDS):
            why = f"scores barely separate the documents{where} ({reasons}): most documents share no word with the query."
            tips = ("Add text to the documents (OCR page: read the images into descriptions), or rank "
                    "with the Qwen-VL model. BM25 ignores the instruction, so changing it changes nothing.",)
            key = ("bm25", why, tips)
            out.setdefault(key, {"runs": [], "why": why, "tips": list(tips), "bm25": True})["runs"].append(label)
            continue
        median = float(scores.median()) if len(scores) else float("nan")
        centre = ("most scores sit around 0.5: the model is unsure" if 0.4 <= median <= 0.6
                  else f"the scores bunch together around {median:.2f}")
        why = f"scores barely discriminate{where} ({reasons}); {centre}."
        instructions = {r.instruction or "" for r in runs}
        templates = {_template_of(i) for i in instructions}
        tips = []
        if templates == {None} or templates <= {"web", "QA", None}:
            suggestion = "e-commerce" if "e-commerce" not in templates else "papers"
            tips.append("Use a scenario-specific instruction instead of a generic one (e.g. the "
                        f"{suggestion} template: “{INSTRUCTION_TEMPLATES[suggestion]}”).")
        tips.append("Give the model more concrete documents: add the OCR text, a product description "
                    "or key attributes, so each document carries evidence to judge.")
        if not all(PRECISE_SUFFIX in i for i in instructions):
            tips.append(f"Turn on “{PRECISE_SUFFIX}”.")
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


def render_notes(result) -> None:
    for note in dict.fromkeys(result.notes):
        st.info(esc(note), icon=":material/info:")
    for item in advice(result):
        names = ", ".join(f"**{esc(r)}**" for r in item["runs"])
        tips = (" ".join(esc(t) for t in item["tips"]) if item["bm25"] else
                " ".join(f"({i}) {esc(t)}" for i, t in enumerate(item["tips"], 1)))
        st.warning(f"{names}{' (BM25)' if item['bm25'] else ''}: {esc(item['why'])}\n\n**Try:** {tips}",
                   icon=":material/warning:")


def _win_loss_chart(frame):
    import altair as alt

    data = frame.assign(shown=frame["diff"].where(frame["outcome"] != "tie", 0.0))
    base = alt.Chart(data).encode(
        x=alt.X("query_id:N", sort=None, title="query", axis=alt.Axis(labelAngle=-30)),
        tooltip=["query_id", "outcome", alt.Tooltip("value_a:Q", format=".3f"),
                 alt.Tooltip("value_b:Q", format=".3f"), alt.Tooltip("diff:Q", format="+.3f")])
    colour = alt.Color("outcome:N", scale=alt.Scale(domain=["win", "tie", "loss"],
                                                    range=["#2e7d32", "#757575", "#c62828"]))
    bars = base.transform_filter("datum.outcome != 'tie'").mark_bar().encode(
        y=alt.Y("diff:Q", title="challenger − baseline", axis=alt.Axis(format="+.2~f", tickMinStep=0.01)),
        color=colour)
    ties = base.transform_filter("datum.outcome == 'tie'").mark_point(shape="diamond", size=90, filled=True).encode(
        y=alt.Y("shown:Q"), color=colour)
    return alt.layer(bars, ties).properties(height=220)


def _distribution(scores: pd.DataFrame, probability: bool):
    import altair as alt

    order = list(dict.fromkeys(scores["run"]))
    x = alt.X("run:N", title=None, sort=order, axis=alt.Axis(labelAngle=0, labelLimit=220))
    y = alt.Y("score:Q", title="P(yes)" if probability else "raw score (not a probability)",
              scale=alt.Scale(domain=[0, 1]) if probability else alt.Scale(zero=False))
    box = alt.Chart(scores).mark_boxplot(extent="min-max", size=36, opacity=0.5).encode(x=x, y=y)
    dots = alt.Chart(scores).mark_tick(opacity=0.7, thickness=2, size=24, color="#c2185b").encode(
        x=x, y="score:Q", tooltip=["run", "query_id", "doc_id", alt.Tooltip("score:Q", format=".3f")])
    if not probability:
        return alt.layer(box, dots).properties(height=300)
    # the band gets its own one-row data (layered over `scores` it would be drawn once per score)
    band = alt.Chart(pd.DataFrame({"lo": [0.4], "hi": [0.6]})).mark_rect(
        opacity=0.15, color="#f9a825").encode(y="lo:Q", y2="hi:Q")
    return alt.layer(band, box, dots).properties(height=300)


def render_comparison(compare, result, descriptions: dict[str, str] | None = None) -> None:
    import altair as alt

    descriptions = descriptions or {}
    render_notes(result)
    t_metrics, t_shift, t_scores, t_agree = st.tabs(["Metrics", "Rank shifts", "Score distribution", "Agreement"])
    with t_metrics:
        if result.metrics is None:
            st.info("Label documents (Rerank or Sessions page: 0/1/2) to see NDCG, MRR, P@k, Recall@k and MAP.")
        else:
            st.markdown("**Runs × metrics** (mean over labelled queries)")
            table = result.metrics.table
            num = [c for c in table.columns if c != "n_queries"]
            st.dataframe(table.style.format("{:.3f}", subset=num).highlight_max(subset=num, color="#d8f0dc"),
                         width="stretch")
            sig = result.significance
            if sig is not None and len(sig):
                for row in sig[sig["winner"].fillna(False).astype(bool)].itertuples(index=False):
                    st.success(esc(row.verdict))
                rest = sig[~sig["winner"].fillna(False).astype(bool)]
                if len(rest):
                    verdicts = list(dict.fromkeys(rest["verdict"]))
                    st.info("  \n".join(esc(v) for v in verdicts[:3])
                            + (f"  \n… and {len(verdicts) - 3} more (see Paired tests)" if len(verdicts) > 3 else ""))
                with st.expander("Paired tests"):
                    st.dataframe(sig, hide_index=True, width="stretch")
            for (a, b), frame in result.win_loss.items():
                if frame.empty or frame["query_id"].nunique() < 2:
                    continue             # one query: the metrics table above says it all
                st.markdown(f"**Per-query win/loss** — {esc(b)} vs baseline {esc(a)} on "
                            f"{esc(frame['metric'].iloc[0])} (ties: grey diamonds on the zero line)")
                st.altair_chart(_win_loss_chart(frame), width="stretch")
    with t_shift:
        qids = list(result.rank_tables)
        if st.session_state.get("query") not in qids:
            st.session_state.query = qids[0]
        if len(qids) > 1:
            st.session_state["cmp_query"] = st.session_state.query
            q = st.selectbox("Query", qids, key="cmp_query",
                             on_change=lambda: st.session_state.update(query=st.session_state.cmp_query))
        else:
            q = qids[0]
        table = result.rank_tables[q]
        only = st.toggle("Show only changed", key="cmp_only_changed")
        shown = shift_view(table[table["changed"]] if only else table, descriptions)
        shift_cols = [c for c in shown.columns if c.endswith(" shift")]
        score_cols = [c for c in shown.columns if c.endswith(" score")]
        st.dataframe(shown.style.map(_shift_style, subset=shift_cols)
                     .format("{:.3f}", subset=score_cols, na_rep="—"),
                     hide_index=True, width="stretch",
                     column_config={"description": st.column_config.TextColumn(width="medium")})
        st.caption("shift = baseline rank − rank in that run: green moved up, red moved down.")
        runs_q = result.groups.for_query(q)
        if len(runs_q) >= 2:
            long = compare.rank_shift_long(runs_q)
            long["rank"] = long["rank"].astype(float)
            slope = alt.Chart(long).mark_line(point=True).encode(
                x=alt.X("run:N", sort=None, title=None), y=alt.Y("rank:Q", scale=alt.Scale(reverse=True)),
                detail="doc_id:N", color=alt.Color("changed:N", scale=alt.Scale(domain=[False, True],
                                                                               range=["#bdbdbd", "#c2185b"])),
                tooltip=["doc_id", "run", "rank", alt.Tooltip("score:Q", format=".3f")],
            ).properties(height=320)
            st.altair_chart(slope, width="stretch")
    with t_scores:
        scores = result.scores
        raw = {label for label, by_q in result.groups.runs.items()
               if any(r.backend in RAW_BACKENDS for r in by_q.values())
               or not all(0 <= s.score <= 1 for r in by_q.values() for s in r.scores)}
        prob_part = scores[~scores["run"].isin(raw)]
        raw_part = scores[scores["run"].isin(raw)]
        if len(prob_part):
            st.altair_chart(_distribution(prob_part, True), width="stretch")
            st.caption("P(yes) on 0–1. Shaded band: 0.4–0.6; most scores inside it means the instruction "
                       "barely discriminates.")
        if len(raw_part):
            st.altair_chart(_distribution(raw_part, False), width="stretch")
            st.caption("Raw scores (BM25 or imported) are shown on their own scale, apart from P(yes).")
        summary = result.discrimination_summary
        st.dataframe(summary.style.format("{:.3f}", subset=["share_flagged", "mean_std", "mean_iqr",
                                                             "mean_share_mid"], na_rep="—"),
                     hide_index=True, width="stretch")
    with t_agree:
        pairs = result.correlations.pairs
        if pairs is None or pairs.empty:
            st.info("Agreement needs two runs over the same documents.")
        else:
            st.dataframe(pairs.style.format(precision=3, na_rep="—"), hide_index=True, width="stretch")
            heat = result.correlations.long("kendall_tau")
            base = alt.Chart(heat).encode(x=alt.X("run_a:N", title=None), y=alt.Y("run_b:N", title=None))
            cells = base.mark_rect().encode(
                color=alt.Color("value:Q", scale=alt.Scale(domain=[-1, 1], scheme="redblue"), title="Kendall τ-b"),
                tooltip=["run_a", "run_b", alt.Tooltip("value:Q", format=".3f")])
            numbers = base.mark_text(fontSize=14).encode(
                text=alt.Text("value:Q", format=".2f"),
                color=alt.condition("abs(datum.value) > 0.6", alt.value("white"), alt.value("black")))
            st.altair_chart(alt.layer(cells, numbers).properties(height=260), width="stretch")
