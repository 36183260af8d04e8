"""Compare: 2–4 instructions and/or backends over one set or a whole session."""

import streamlit as st

import ui
from ui import frames
from workbench import compare, formats, service
from workbench.config import INSTRUCTION_TEMPLATES
from workbench.model import Instruction

ui.init_state()
st.title("Compare instructions and backends")
store = ui.get_store()
session = ui.current_session()

sets = store.list_candidate_sets(session.id)
if not sets:
    st.info("This session has no candidate sets yet: import one first.")
    st.stop()
ui.state.default("cmp_scope", "One candidate set")
scope = st.radio("Scope", ["One candidate set", "Whole session"], horizontal=True, key="cmp_scope",
                 format_func=lambda s: s if s != "Whole session" else f"Whole session ({frames.plural(len(sets), 'set')})")
set_ids = [ui.state.set_picker(sets, "cmp_set")] if scope == "One candidate set" else [s.id for s in sets]

job = ui.jobs.take_finished("compare")
if job is not None:
    ui.jobs.outcome(job, what="comparison")
    runs = [store.load_run(r) for r in job.run_ids]
    if runs:
        st.session_state.run_ids = [r.id for r in runs]
        st.session_state.pop("cmp_runs", None)
    if job.status == "done":
        hits, total = sum(r.cache_hits for r in runs), sum(r.cache_hits + r.cache_misses for r in runs)
        st.success(f"Scored {frames.plural(len(runs), 'run')}; {hits} of {total} scores came from the score "
                   "cache." if total else f"Scored {frames.plural(len(runs), 'run')}.", icon=":material/check_circle:")

busy = ui.jobs.running("compare")
available = [r for sid in set_ids for r in store.list_runs(set_id=sid) if r.status in ("done", "cancelled", "imported")]
by_id = {r.id: r for r in available}
ready = len({compare.run_label(by_id[i]) for i in st.session_state.run_ids if i in by_id}) >= 2
with st.expander("Run a new comparison", expanded=not ready or bool(busy)):
    ui.state.default("cmp_templates", ["web", "e-commerce"])
    picked = st.multiselect("Instructions (2–4)", [*INSTRUCTION_TEMPLATES], max_selections=4, key="cmp_templates")
    custom = st.text_area("Extra custom instructions, one per line", key="cmp_custom", height=68)
    precise = st.toggle("Be precise and avoid vague terms", key="cmp_precise")
    instructions = [Instruction(INSTRUCTION_TEMPLATES[t], t, precise) for t in picked]
    instructions += [Instruction(line.strip(), None, precise) for line in custom.splitlines() if line.strip()]
    names = [(i.template or f"custom {n + 1}") + (" + precise" if precise else "")
             for n, i in enumerate(instructions)]
    choice = ui.widgets.model_choice("cmp")
    extra_lexical = choice["backend"] != "lexical" and st.checkbox("Also run the lexical baseline", key="cmp_lex")
    if st.button("Run comparison", type="primary", icon=":material/play_arrow:", key="cmp_go",
                 disabled=not 1 <= len(instructions) <= 4 or bool(busy)):
        with ui.errors_shown("start comparison"):
            reranker, lock = ui.widgets.load_reranker(choice["backend"], choice["model_path"], prompt_format=choice["prompt_format"])
            lexical = ui.widgets.load_reranker("lexical") if extra_lexical else None

            def work(job, set_ids=tuple(set_ids)):
                runs = service.rerank_many(store, set_ids, instructions, reranker, progress=job.progress,
                                           cancel=job.cancel, names=names, on_run_created=job.add_run)
                if lexical is not None and not job.cancel.is_set():
                    lex, lex_lock = lexical
                    with lex_lock:
                        runs += service.rerank_many(store, set_ids, instructions[:1], lex, progress=job.progress,
                                                    cancel=job.cancel, names=[names[0] + " [lexical]"],
                                                    on_run_created=job.add_run)
                return runs

            ui.jobs.start("compare", f"Comparing {frames.plural(len(instructions), 'instruction')} on "
                                     f"{frames.plural(len(set_ids), 'set')}", work, lock=lock)
            st.rerun()
ui.jobs.progress_panel("compare")

# ------------------------------------------------------------------ pick runs
available = [r for sid in set_ids for r in store.list_runs(set_id=sid) if r.status in ("done", "cancelled", "imported")]
by_id = {r.id: r for r in available}       # again: a comparison may have just finished
st.session_state["cmp_runs"] = [i for i in st.session_state.run_ids if i in by_id]
chosen = st.multiselect("Runs to compare", list(by_id), format_func=lambda i: frames.run_label(by_id[i]),
                        key="cmp_runs", on_change=lambda: st.session_state.update(run_ids=st.session_state.cmp_runs))
if len({compare.run_label(by_id[i]) for i in chosen}) < 2:
    st.info("Pick runs of at least two different instructions or backends (or run a comparison above).")
    st.stop()

labels = list(dict.fromkeys(compare.run_label(by_id[i]) for i in chosen))
c_base, c_k = st.columns([3, 1])
baseline = c_base.selectbox("Baseline run (rank shifts and win/loss are measured against it)", labels,
                            key="cmp_baseline")
ui.state.default("cmp_k", 10)
k = c_k.number_input("k (NDCG@k, P@k, Recall@k, overlap@k)", 1, 1000, key="cmp_k")
with ui.errors_shown("comparison"):
    result = service.compare_runs(store, chosen, k=int(k), baseline=baseline)
    descriptions = {d.id: frames.short(d.ranking_text, 80) or ("(image only)" if d.image else "") for sid in {by_id[i].set_id for i in chosen}
                    for d in store.load_candidate_set(sid).documents}
    ui.comparison.render_comparison(compare, result, descriptions)
    st.markdown("**Export** (CSV)")
    tables = service.comparison_tables(result)
    for col, (name, frame) in zip(st.columns(len(tables)), tables.items()):
        col.download_button(name.replace("_", " "), formats.to_csv_bytes(frame), f"{session.name}-{name}.csv",
                            "text/csv", icon=":material/download:", key=f"cmp_dl_{name}")
