"""Compare: 2–4 instructions and/or backends over one set or a whole session."""

import streamlit as st

import ui
import ui.annotators
import ui.paging
from ui import frames, t, tn
from ui.comparison import template_name
from workbench import compare, formats, service
from workbench.config import INSTRUCTION_TEMPLATES
from workbench.i18n import has
from workbench.model import Instruction
from workbench.rerank.spec import LEXICAL, is_lexical

ui.init_state()
st.title(t("compare.title"))
store = ui.get_store()
session = ui.current_session()

sets = store.list_candidate_sets(session.id)
if not sets:
    st.info(t("compare.no_sets"))
    st.stop()
SCOPES = {"session": lambda: t("compare.scope_session_n", sets=tn("count.sets", len(sets))),  # the default
          "set": lambda: t("compare.scope_set")}
if st.session_state.get("cmp_scope") not in SCOPES:
    st.session_state.cmp_scope = "session"
scope = st.radio(t("compare.scope"), list(SCOPES), horizontal=True, key="cmp_scope",
                 format_func=lambda s: SCOPES[s]())
# one query (its set) is a filter on the compared runs, not the unit; paged past 100 sets
set_ids = [ui.paging.set_picker(sets, "cmp_set", label=t("compare.set_picker"))] if scope == "set" \
    else [s.id for s in sets]
set_by_id = {s.id: s for s in sets}

job = ui.jobs.take_finished("compare")
if job is not None:
    ui.jobs.outcome(job, what=t("compare.job_what"))
    runs = service.load_rankings(store, ranking_ids=list(job.run_ids), comparable=False, scores=False)
    if runs:
        st.session_state.compare_runs = list(dict.fromkeys(r.run_id for r in runs))
        st.session_state.pop("cmp_runs", None)
    if job.status == "done":
        hits, total = sum(r.cache_hits for r in runs), sum(r.cache_hits + r.cache_misses for r in runs)
        n_runs = tn("compare.count_runs", len(runs))
        st.success(t("compare.scored_cache", runs=n_runs, hits=hits, total=total) if total
                   else t("compare.scored", runs=n_runs), icon=":material/check_circle:")

busy = ui.jobs.running("compare")


def comparable_runs() -> dict:
    """The session's runs (run id -> RunInfo) with finished rankings; in the one-query scope,
    those with a ranking of that query's set. Metadata only: no scores."""
    infos = {r.id: r for r in store.list_run_infos(session.id)
             if any(r.statuses.get(x) for x in ("done", "cancelled", "imported"))}
    if scope == "set":
        have = {g.run_id for g in store.list_runs(set_id=set_ids[0]) if g.status in ("done", "cancelled", "imported")}
        infos = {i: r for i, r in infos.items() if i in have}
    return infos


by_id = comparable_runs()
if st.session_state.run_ids and st.session_state.get("_cmp_linked") != st.session_state.run_ids:
    # a link or another page named other rankings (runs=): compare the runs they belong to
    st.session_state._cmp_linked = list(st.session_state.run_ids)
    linked = list(dict.fromkeys(g.run_id for g in service.load_rankings(
        store, ranking_ids=st.session_state.run_ids, comparable=False, scores=False) if g.run_id in by_id))
    if len(linked) >= 2:
        st.session_state.compare_runs = linked
if not st.session_state.compare_runs and not busy:
    # nothing picked yet: the session's runs (the first four), compared over all its queries
    st.session_state.compare_runs = list(by_id)[:4]
ready = len([i for i in st.session_state.compare_runs if i in by_id]) >= 2
with st.expander(t("compare.new_comparison"), expanded=not ready or bool(busy)):
    ui.state.default("cmp_templates", ["web", "e-commerce"])
    picked = st.multiselect(t("compare.instructions"), [*INSTRUCTION_TEMPLATES], max_selections=4, placeholder=t("common.choose_options"),
                            key="cmp_templates", format_func=template_name)
    custom = st.text_area(t("compare.custom_instructions"), key="cmp_custom", height=68)
    precise = st.toggle(t("compare.precise"), key="cmp_precise")
    instructions = [Instruction(INSTRUCTION_TEMPLATES[tpl], tpl, precise) for tpl in picked]
    instructions += [Instruction(line.strip(), None, precise) for line in custom.splitlines() if line.strip()]
    # run names are data (stored, exported, shown in every language): the same names as the Rerank
    # page gives its runs (workbench.service), never translated
    names = [(i.template or f"custom {n + 1}") + (" + precise" if precise else "")  # i18n: not UI text
             for n, i in enumerate(instructions)]
    choice = ui.widgets.model_choice("cmp")
    extra_lexical = not is_lexical(choice["backend"]) and st.checkbox(t("compare.also_lexical"), key="cmp_lex")
    if st.button(t("compare.run_button"), type="primary", icon=":material/play_arrow:", key="cmp_go",
                 disabled=not 1 <= len(instructions) <= 4 or bool(busy)):
        with ui.errors_shown("start comparison"):  # i18n: not UI text
            reranker, lock = ui.widgets.load_reranker(choice["backend"], choice["model_path"], prompt_format=choice["prompt_format"])
            lexical = ui.widgets.load_reranker(LEXICAL.name) if extra_lexical else None

            def work(job, set_ids=tuple(set_ids)):
                # each instruction is ONE run over the chosen queries (one progress, one Cancel)
                plan = [(i, n, reranker) for i, n in zip(instructions, names)]
                if lexical is not None:
                    plan.append((instructions[0], names[0] + " [lexical]", lexical[0]))
                runs = []
                for step, (instruction, name, rr) in enumerate(plan):
                    if job.cancel.is_set():
                        break
                    report = (lambda d, tot, s=step: job.progress(s * tot + d, len(plan) * tot))
                    if rr is reranker:
                        run = service.rerank_run(store, session.id, instruction, rr, set_ids=set_ids, name=name,
                                                 progress=report, cancel=job.cancel)
                    else:
                        with lexical[1]:
                            run = service.rerank_run(store, session.id, instruction, rr, set_ids=set_ids,
                                                     name=name, progress=report, cancel=job.cancel)
                    for g in store.list_runs(run_id=run.id):
                        if g.status == "done":
                            job.add_run(g.id)
                    runs.append(run)
                return runs

            ui.jobs.start("compare", t("compare.job_label", instructions=tn("compare.count_instructions", len(instructions)),
                                       sets=tn("count.sets", len(set_ids))), work, lock=lock)
            st.rerun()
ui.jobs.progress_panel("compare")

# ------------------------------------------------------------------ pick runs
by_id = comparable_runs()                   # again: a comparison may have just finished
st.session_state["cmp_runs"] = [i for i in st.session_state.compare_runs if i in by_id]
chosen = st.multiselect(t("compare.runs_to_compare"), list(by_id), format_func=lambda i: by_id[i].name,
                        key="cmp_runs", placeholder=t("common.choose_options"),
                        on_change=lambda: st.session_state.update(compare_runs=st.session_state.cmp_runs))
if len(chosen) < 2:
    st.info(t("compare.pick_two"))
    st.stop()

labels = [by_id[i].name for i in chosen]
c_base, c_k = st.columns([3, 1])
baseline = c_base.selectbox(t("compare.baseline"), labels, key="cmp_baseline")
ui.state.default("cmp_k", 10)
k = c_k.number_input(t("compare.k"), 1, 1000, key="cmp_k", help=t("compare.k_help"))
labels_source = ui.annotators.labels_source_picker(store, session.id)   # team mode: whose labels (issue 22)
query_filter = set_by_id[set_ids[0]].query_id if scope == "set" else None
n_queries = 1 if scope == "set" else len(sets)
# past a page of queries, agreement and score spread (every score of every query) wait for a click
detail_key = ("detail", session.id, tuple(chosen), query_filter)
detail = n_queries <= ui.paging.PAGE_SIZE or st.session_state.get("cmp_detail") == detail_key
with ui.errors_shown("comparison"):
    # metrics, significance tests and agreement take a while (the first time also loading scipy):
    # say so while they compute instead of leaving the page blank below the pickers
    with ui.comparison.computing(len(chosen), n_queries if scope == "session" else 1):
        result = service.compare_session_runs(store, session.id, chosen, k=int(k), baseline=baseline,
                                              query_id=query_filter, detail=detail, labels_source=labels_source,
                                              all_pairs=n_queries <= ui.paging.PAGE_SIZE,
                                              n_resamples=10_000 if n_queries <= ui.paging.PAGE_SIZE else 2_000)
    if not detail:
        c_note, c_go = st.columns([4, 1.4], vertical_alignment="center")
        c_note.caption(t("compare.detail_deferred", queries=tn("count.queries", n_queries)))
        if c_go.button(t("compare.detail_button"), key="cmp_detail_go", icon=":material/query_stats:"):
            st.session_state.cmp_detail = detail_key
            st.rerun()

    def descriptions(query_id: str) -> dict[str, str]:
        """The documents of one query, described (only the query in view is loaded)."""
        sid = next((s.id for s in sets if str(s.query_id) == str(query_id)), None)
        if sid is None:
            return {}
        return {d.id: frames.short(d.ranking_text, 80) or (t("compare.image_only") if d.image else "")
                for d in store.load_candidate_set(sid).documents}

    # each per-query metric links to the Matrix of that query: these runs, this baseline (the
    # rankings of that query, looked up among the compared ones)
    ranking_ids: dict[str, list[int]] = {}
    base_of: dict[str, int] = {}
    for lab, per_q in result.groups.runs.items():
        for q, g in per_q.items():
            ranking_ids.setdefault(q, []).append(g.id)
            if lab == baseline:
                base_of[q] = g.id
    ui.annotators.labels_caption(store, session.id, labels_source)     # which labels, and kappa
    ui.annotators.ranking_by_source(store, session.id, chosen, int(k), query_filter)   # and what changes with them
    ui.comparison.render_comparison(compare, result, descriptions,
                                    link={"session_id": session.id, "run_ids": ranking_ids, "baseline_id": base_of},
                                    queries={str(c.query_id): c.query_text or "" for c in sets})
    st.markdown(t("compare.export"))
    for col, name in zip(st.columns(6), ("metrics", "per_query_metrics", "significance", "rank_shifts",
                                          "correlations", "discrimination")):
        shown_name = t(f"compare.table_{name}") if has(f"compare.table_{name}") else name.replace("_", " ")

        def data(name=name) -> bytes:           # built on click: the rank shifts of 1,000 queries take a while
            return formats.to_csv_bytes(service.comparison_tables(result, only=name)[name])

        if name in ("metrics", "per_query_metrics") and result.metrics is None:
            continue
        if name == "significance" and (result.significance is None or not len(result.significance)):
            continue
        if name == "correlations" and (result.correlations.pairs is None or not len(result.correlations.pairs)):
            continue
        col.download_button(shown_name, data, f"{session.name}-{name}.csv",
                            "text/csv", icon=":material/download:", key=f"cmp_dl_{name}")
