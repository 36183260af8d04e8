"""Team mode in the app (issue 22): who is grading, what others graded (blind mode), agreement,
disagreements and adjudication, and which labels Compare's metrics rest on.

The annotator is chosen once in the sidebar and kept in the URL like the language
(``?annotator=ann``); '' is the default annotator, shown as "(unnamed)". Every grade and note
the app writes carries it (Label page, the run results' and labels editors). The numbers come
from workbench.service (visible_grades, session_grades, adjudicate) and
workbench.compare.annotators (Cohen's kappa per pair, Krippendorff's ordinal alpha for all).

User text shown through any Markdown-rendering call goes through `frames.esc` first.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from workbench import service
from workbench.errors import WorkbenchError
from workbench.i18n import t, tn

from . import state
from .frames import esc

KEY = "annotator"                 # session-state key (ui.state.DEFAULTS; URL: annotator)
SOURCES = ("adjudicated", "majority")   # labels for metrics; plus annotator:NAME


# ----------------------------------------------------------------- who
def clean(name) -> str:
    """An annotator name from the URL or a text box as stored ('' when empty or unusable: the
    sidebar says why until another name is chosen)."""
    from workbench.store.labels import annotator_name

    try:
        name = annotator_name(name)
    except WorkbenchError:
        st.session_state["annotator_refused"] = True
        return ""
    st.session_state["annotator_refused"] = False
    return name


def current() -> str:
    """This tab's annotator ('' = the default, "(unnamed)")."""
    return str(st.session_state.get(KEY) or "")


def display(name: str, kinds: dict[str, str] | None = None) -> str:
    """An annotator's name as shown: "(unnamed)" for '', a model marked as giving suggestions."""
    text = t("team.unnamed") if not name else str(name)
    if kinds and kinds.get(name) == "model":
        text = t("team.model_name", name=text)
    return text


def session_annotators(store, session_id: int) -> list[str]:
    """The names that graded or noted anything in a session (service.session_annotators)."""
    return service.session_annotators(store, session_id)


def sidebar_picker(store, session_id: int | None) -> None:
    """The sidebar's annotator: one of the session's people (or the current name), or a new
    name typed under it. Kept in the URL (?annotator=)."""
    kinds = store.annotator_kinds()
    names = session_annotators(store, session_id) if session_id is not None else []
    options = sorted({"", current(), *(n for n in names if kinds.get(n) != "model")})

    def picked() -> None:
        st.session_state[KEY] = st.session_state["sb_annotator"] or ""
        st.session_state["annotator_refused"] = False

    def typed() -> None:
        new = clean(st.session_state.get("sb_annotator_new"))
        if new:
            st.session_state[KEY] = new
        st.session_state["sb_annotator_new"] = ""

    st.session_state["sb_annotator"] = current()
    shown = {n: display(n) for n in options}   # texts fixed at render (a later rerun may be in another language)
    st.selectbox(t("team.annotator"), options, key="sb_annotator", format_func=shown.get, on_change=picked,
                 help=t("team.annotator_help"))
    st.text_input(t("team.new_annotator"), key="sb_annotator_new", on_change=typed,
                  placeholder=t("team.new_annotator_placeholder"), label_visibility="collapsed")
    if st.session_state.get("annotator_refused"):
        st.warning(t("team.bad_name", max=100), icon=":material/warning:")


# ----------------------------------------------------------------- Label page: blind mode
def others_line(view, kinds: dict[str, str]) -> str | None:
    """What the annotator may see of others' grades of one document (a `service.DocView`)."""
    parts = []
    if view.graded_by:
        names = t("app.list_sep").join(esc(display(n, kinds)) for n in view.graded_by)
        if view.hidden:
            parts.append(t("team.others_hidden", n=len(view.graded_by), names=names))
        else:
            grades = t("app.list_sep").join(f"{esc(display(n, kinds))}: {view.others[n]}" for n in view.graded_by)
            parts.append(t("team.others_shown", grades=grades))
    if view.adjudicated is not None and (not view.hidden or view.mine is not None):
        parts.append(t("team.final_label", grade=view.adjudicated))
    return " · ".join(parts) or None


def others_summary(views: dict, blind: bool) -> str | None:
    """One line: how many documents of the query others graded (and that grades are hidden)."""
    by_others = [v for v in views.values() if v.graded_by]
    if not by_others:
        return None
    hidden = sum(1 for v in by_others if v.hidden)
    return t("team.others_summary", graded=len(by_others), docs=tn("label.count_documents", len(views)),
             hidden=hidden) if blind else t("team.others_summary_open", graded=len(by_others),
                                            docs=tn("label.count_documents", len(views)))


# ----------------------------------------------------------------- agreement
def _fmt(x) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}"


def agreement_frame(grades: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """`compare.annotators.agreement_table` of a grades frame, for display (names as shown,
    numbers to two decimals, '(all)' in words)."""
    from workbench.compare.annotators import ALL, agreement_table

    table = agreement_table(grades)

    def name(n):
        return t("team.all_annotators") if n == ALL else display(n, kinds)

    return pd.DataFrame({
        "annotator_a": table["annotator_a"].map(name), "annotator_b": table["annotator_b"].map(name),
        "n": table["n"].astype(int), "agreement": table["agreement"].map(_fmt),
        "kappa": table["kappa"].map(_fmt), "alpha": table["alpha"].map(_fmt)})


def agreement_line(frame: pd.DataFrame) -> str:
    """`agreement_frame` in one line: kappa per pair, alpha for all (Markdown-safe)."""
    pairs = t("app.list_sep").join(f"{esc(a)}–{esc(b)} κ {k or '—'}" for a, b, k in
                                   zip(frame["annotator_a"][:-1], frame["annotator_b"][:-1], frame["kappa"][:-1]))
    return t("team.agreement_line", pairs=pairs, alpha=frame["alpha"].iloc[-1] or "—")


def agreement_columns() -> dict:
    return {c: st.column_config.Column(t(f"team.col_{c}"), help=t(f"team.col_{c}_help") if c in
                                       ("agreement", "kappa", "alpha", "n") else None)
            for c in ("annotator_a", "annotator_b", "n", "agreement", "kappa", "alpha")}


def agreement_view(store, session, query_id: str, grades: pd.DataFrame, kinds: dict[str, str]) -> None:
    """Agreement of this query and of the whole session: kappa per pair, alpha for all, raw agreement."""
    st.caption(t("team.agreement_explained"))
    for title, frame in ((t("team.agreement_query", query=esc(query_id)), grades[grades["query_id"] == str(query_id)]),
                         (t("team.agreement_session"), grades)):
        st.markdown(f"**{title}**")
        if frame["annotator"].nunique() < 2:
            st.caption(t("team.agreement_needs_two"))
            continue
        shown = agreement_frame(frame, kinds)
        st.caption(agreement_line(shown))
        st.dataframe(shown, hide_index=True, column_config=agreement_columns(),
                     key=f"team_agreement_{'q' if len(frame) != len(grades) else 's'}")


# ----------------------------------------------------------------- disagreements, adjudication
def disagreements_view(store, session, sets, query_id: str, grades: pd.DataFrame, kinds: dict[str, str],
                       who: str) -> None:
    """The documents whose grades differ (this query or the whole session, paged), each
    annotator's grade (models as suggestions), the final label; an adjudicator sets it here."""
    from workbench.compare.annotators import disagreements

    from . import paging

    state.default("team_dis_scope", "query")
    scope = st.segmented_control(t("team.dis_scope"), ["query", "session"], key="team_dis_scope",
                                 format_func={k: t(f"team.dis_scope_{k}") for k in ("query", "session")}.get, selection_mode="single") or "query"
    frame = grades if scope == "session" else grades[grades["query_id"] == str(query_id)]
    differ = disagreements(frame) if len(frame) else pd.DataFrame(columns=["query_id", "doc_id"])
    set_of = {str(s.query_id): s.id for s in sets}
    if differ.empty:
        st.success(t("team.no_disagreements"), icon=":material/handshake:")
        return
    finals: dict[int, dict] = {}
    for qid in differ["query_id"].unique():
        sid = set_of.get(str(qid))
        finals[sid] = store.get_adjudications(sid) if sid is not None else {}
    shown = differ.copy()
    people = [c for c in shown.columns if c not in ("query_id", "doc_id")]
    shown["final"] = [str(finals.get(set_of.get(str(q)), {}).get(d, ("",))[0]) for q, d in
                      zip(shown["query_id"], shown["doc_id"])]
    for c in people:
        shown[c] = shown[c].map(lambda g: "" if pd.isna(g) else str(int(g)))
    columns = {"query_id": st.column_config.Column(t("label.col_query_id")),
               "doc_id": st.column_config.Column(t("team.col_doc")),
               "final": st.column_config.Column(t("team.col_final"), help=t("team.col_final_help")),
               **{c: st.column_config.Column(display(c, kinds)) for c in people}}
    st.caption(tn("team.n_disagreements", len(shown)))
    paging.table(shown[["query_id", "doc_id", *people, "final"]], "team_dis_table", hide_index=True,
                 column_config=columns)

    # adjudicate one of them
    units = [f"{q}\t{d}" for q, d in zip(shown["query_id"].astype(str), shown["doc_id"].astype(str))]
    picked = paging.picker(t("team.adjudicate_pick"), units, "team_adj_unit",
                           format_func=lambda u: t("team.unit", query=u.split("\t")[0], doc=u.split("\t")[1]),
                           current=st.session_state.get("team_adj_current"),
                           on_pick=lambda u: st.session_state.update(team_adj_current=u))
    if picked is None:
        return
    qid, doc_id = picked.split("\t", 1)
    sid = set_of[qid]
    row = shown[(shown["query_id"].astype(str) == qid) & (shown["doc_id"].astype(str) == doc_id)].iloc[0]
    given = t("app.list_sep").join(f"{esc(display(c, kinds))}: {row[c]}" for c in people if row[c] != "")
    st.markdown(t("team.adjudicate_grades", grades=given))
    final = finals.get(sid, {}).get(doc_id)
    st.caption(t("team.final_by", grade=final[0], who=esc(display(final[1]))) if final else t("team.no_final"))

    @state.localized
    def decide(grade) -> None:
        service.adjudicate(store, sid, doc_id, grade, who)
        st.session_state.team_adj_saved = (t("team.adjudicated", doc=doc_id, grade=grade) if grade is not None
                                           else t("team.adjudication_withdrawn", doc=doc_id))

    cols = st.columns(4)
    for col, value in zip(cols, (0, 1, 2)):
        col.button(t("team.final_button", grade=value, name=t(f"label.grade_name_{value}")), key=f"team_adj_{value}",
                   on_click=decide, args=(value,), width="stretch",
                   type="primary" if final and final[0] == value else "secondary")
    cols[3].button(t("team.withdraw"), key="team_adj_withdraw", on_click=decide, args=(None,), disabled=not final,
                   width="stretch")
    if st.session_state.get("team_adj_saved"):
        st.caption(esc(st.session_state.pop("team_adj_saved")))
    with st.expander(t("team.history")):
        history = pd.DataFrame(store.label_history(sid, doc_id))
        if history.empty:
            st.caption(t("team.no_history"))
        else:
            history["annotator"] = history["annotator"].map(lambda n: display(n or "", kinds))
            history["grade"] = history["grade"].map(lambda g: t("team.cleared") if g is None or pd.isna(g) else str(int(g)))
            history["adjudication"] = history["adjudication"].map(lambda a: t("team.yes") if a else "")
            st.dataframe(history[["changed_at", "annotator", "grade", "adjudication"]], hide_index=True,
                         column_config={c: st.column_config.Column(t(f"team.hcol_{c}"))
                                        for c in ("changed_at", "annotator", "grade", "adjudication")})


# ----------------------------------------------------------------- Compare: labels for metrics
def labels_source_picker(store, session_id: int, key: str = "cmp_labels") -> str:
    """Which labels Compare's metrics rest on: adjudicated (default), the majority, or one
    annotator's. Returns the service's ``labels_source`` (adjudicated | majority | annotator:NAME)."""
    kinds = store.annotator_kinds()
    options = [*SOURCES, *(f"annotator:{n}" for n in session_annotators(store, session_id))]
    state.default(key, "adjudicated")
    if st.session_state[key] not in options:
        st.session_state[key] = "adjudicated"
    return st.selectbox(t("team.labels_source"), options, key=key, format_func={o: source_text(o, kinds) for o in options}.get,
                        help=t("team.labels_source_help"))


def source_text(source: str, kinds: dict[str, str] | None = None) -> str:
    """A labels source in words."""
    if source.startswith("annotator:"):
        return t("team.source_annotator", name=display(source.split(":", 1)[1], kinds))
    return t(f"team.source_{source}")


def labels_caption(store, session, source: str) -> None:
    """Under Compare's table: which labels the metrics use, and the session's kappa / alpha."""
    kinds = store.annotator_kinds()
    st.caption(t("team.metrics_use", source=esc(source_text(source, kinds))))
    if len(session_annotators(store, store.get_session(session).id)) < 2:    # one statement; grades only when a team
        return
    grades = service.session_grades(store, session)
    if grades["annotator"].nunique() >= 2:
        st.caption(t("team.compare_agreement", line=agreement_line(agreement_frame(grades, kinds))))


def ranking_by_source(store, session, run_ids, k: int, query_id: str | None = None) -> None:
    """Compare, in team mode: how the ranking of the runs changes with whose labels the metric
    rests on (service.runs_by_label_source), folded under the table."""
    if len(run_ids) < 2 or len(session_annotators(store, store.get_session(session).id)) < 2:
        return
    with st.expander(t("team.by_source_title", k=k)):
        table = service.runs_by_label_source(store, session, run_ids, k=k, query_id=query_id)
        kinds = store.annotator_kinds()
        sources = [c for c in table.columns if not c.endswith(" rank")]
        shown = pd.DataFrame(index=table.index)
        for src in sources:
            ranks = table[f"{src} rank"]
            shown[source_text(src, kinds)] = [
                "–" if pd.isna(v) else f"{v:.3f} (#{int(r)})" for v, r in zip(table[src], ranks)]
        st.caption(t("team.by_source_help", k=k))
        st.table(shown)          # a few rows: plain HTML, so the numbers can be read and copied
