"""Compare: 2–4 instructions and/or backends over one set or a whole session."""

import streamlit as st

import ui
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
SCOPES = {"set": lambda: t("compare.scope_set"),
          "session": lambda: t("compare.scope_session_n", sets=tn("count.sets", len(sets)))}
if st.session_state.get("cmp_scope") not in SCOPES:
    st.session_state.cmp_scope = "set"
scope = st.radio(t("compare.scope"), list(SCOPES), horizontal=True, key="cmp_scope",
                 format_func=lambda s: SCOPES[s]())
set_ids = [ui.state.set_picker(sets, "cmp_set", label=t("compare.set_picker"))] if scope == "set" \
    else [s.id for s in sets]

job = ui.jobs.take_finished("compare")
if job is not None:
    ui.jobs.outcome(job, what=t("compare.job_what"))
    runs = [store.load_run(r) for r in job.run_ids]
    if runs:
        st.session_state.run_ids = [r.id for r in runs]
        st.session_state.pop("cmp_runs", None)
    if job.status == "done":
        hits, total = sum(r.cache_hits for r in runs), sum(r.cache_hits + r.cache_misses for r in runs)
        n_runs = tn("compare.count_runs", len(runs))
        st.success(t("compare.scored_cache", runs=n_runs, hits=hits, total=total) if total
                   else t("compare.scored", runs=n_runs), icon=":material/check_circle:")

busy = ui.jobs.running("compare")
available = [r for sid in set_ids for r in store.list_runs(set_id=sid) if r.status in ("done", "cancelled", "imported")]
by_id = {r.id: r for r in available}
ready = len({compare.run_label(by_id[i]) for i in st.session_state.run_ids if i in by_id}) >= 2
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
available = [r for sid in set_ids for r in store.list_runs(set_id=sid) if r.status in ("done", "cancelled", "imported")]
by_id = {r.id: r for r in available}       # again: a comparison may have just finished
st.session_state["cmp_runs"] = [i for i in st.session_state.run_ids if i in by_id]
chosen = st.multiselect(t("compare.runs_to_compare"), list(by_id), format_func=lambda i: frames.run_label(by_id[i]),
                        key="cmp_runs", placeholder=t("common.choose_options"), on_change=lambda: st.session_state.update(run_ids=st.session_state.cmp_runs))
if len({compare.run_label(by_id[i]) for i in chosen}) < 2:
    st.info(t("compare.pick_two"))
    st.stop()

labels = list(dict.fromkeys(compare.run_label(by_id[i]) for i in chosen))
c_base, c_k = st.columns([3, 1])
baseline = c_base.selectbox(t("compare.baseline"), labels, key="cmp_baseline")
ui.state.default("cmp_k", 10)
k = c_k.number_input(t("compare.k"), 1, 1000, key="cmp_k", help=t("compare.k_help"))
with ui.errors_shown("comparison"):
    # metrics, significance tests and agreement take a while (the first time also loading scipy):
    # say so while they compute instead of leaving the page blank below the pickers
    with ui.comparison.computing(len(chosen), len({by_id[i].set_id for i in chosen})):
        result = service.compare_runs(store, chosen, k=int(k), baseline=baseline)
        csets = [store.load_candidate_set(sid) for sid in {by_id[i].set_id for i in chosen}]
    descriptions = {d.id: frames.short(d.ranking_text, 80) or (t("compare.image_only") if d.image else "")
                    for cset in csets for d in cset.documents}
    # each per-query metric links to the Matrix of that query: these runs, this baseline
    base_id = next((i for i in chosen if compare.run_label(by_id[i]) == baseline), None)
    ui.comparison.render_comparison(compare, result, descriptions,
                                    link={"session_id": session.id, "run_ids": list(chosen), "baseline_id": base_id},
                                    queries={c.query.id: c.query.text or "" for c in csets})
    st.markdown(t("compare.export"))
    tables = service.comparison_tables(result)
    for col, (name, frame) in zip(st.columns(len(tables)), tables.items()):
        shown_name = t(f"compare.table_{name}") if has(f"compare.table_{name}") else name.replace("_", " ")
        col.download_button(shown_name, formats.to_csv_bytes(frame), f"{session.name}-{name}.csv",
                            "text/csv", icon=":material/download:", key=f"cmp_dl_{name}")
