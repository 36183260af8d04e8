"""Compare: 2–4 instructions and/or backends over one set or a whole session."""

import streamlit as st

import ui_common as ui
from workbench import compare
from workbench import formats
from workbench import service
from workbench.config import INSTRUCTION_TEMPLATES
from workbench.model import Instruction

ui.init_state()
st.title("Compare instructions and backends")
store = ui.get_store()
session = ui.current_session()
ui.recover_interrupted_run("compare_running", "compare_run_ids")

sets = store.list_candidate_sets(session.id)
if not sets:
    st.info("This session has no candidate sets yet: import one first.")
    st.stop()
ids = [s.id for s in sets]
scope = st.radio("Scope", ["One candidate set", f"Whole session ({len(sets)} set{'s' if len(sets) != 1 else ''})"],
                 horizontal=True,
                 key="cmp_scope")
if scope == "One candidate set":
    set_ids = [st.selectbox("Candidate set", ids, key="cmp_set",
                            index=ids.index(st.session_state.set_id) if st.session_state.set_id in ids else 0,
                            format_func=lambda i: next(f"{s.name or s.query_id} — {s.n_docs} docs"
                                                       for s in sets if s.id == i))]
else:
    set_ids = ids

with st.expander("Run a new comparison", expanded=not st.session_state.compare_run_ids):
    picked = st.multiselect("Instructions (2–4)", [*INSTRUCTION_TEMPLATES], default=["web", "e-commerce"],
                            max_selections=4, key="cmp_templates")
    custom = st.text_area("Extra custom instructions, one per line", key="cmp_custom", height=68)
    precise = st.toggle("Be precise and avoid vague terms", key="cmp_precise")
    instructions = [Instruction(INSTRUCTION_TEMPLATES[t], t, precise) for t in picked]
    instructions += [Instruction(line.strip(), None, precise) for line in custom.splitlines() if line.strip()]
    names = [(i.template or f"custom {n + 1}") + (" + precise" if precise else "")
             for n, i in enumerate(instructions)]
    backend, model_path = ui.backend_picker("cmp")
    extra_lexical = backend != "lexical" and st.checkbox("Also run the lexical baseline", key="cmp_lex")
    b_go, b_cancel, _ = st.columns([1, 1, 4])
    if b_go.button("Run comparison", type="primary", icon=":material/play_arrow:", key="cmp_go",
                   disabled=not 1 <= len(instructions) <= 4):
        with ui.errors_shown():
            reranker, lock = ui.load_reranker(backend, model_path)
            st.session_state.compare_running = {"set_ids": set_ids, "run_ids": []}
            track = ui.track_run("compare_running")
            b_cancel.button("Cancel", icon=":material/stop:", key="cmp_cancel")
            bar = ui.StreamlitProgress("Scoring (cached scores are reused)")
            with lock:
                runs = service.rerank_many(store, set_ids, instructions, reranker, progress=bar, names=names,
                                           on_run_created=track)
            if extra_lexical:
                lex, lex_lock = ui.load_reranker("lexical")
                with lex_lock:
                    runs += service.rerank_many(store, set_ids, instructions[:1], lex, progress=bar,
                                                names=[names[0] + " [lexical]"], on_run_created=track)
            st.session_state.compare_running = None
            st.session_state.compare_run_ids = st.session_state.cmp_runs = [r.id for r in runs]
            hits, total = sum(r.cache_hits for r in runs), sum(r.cache_hits + r.cache_misses for r in runs)
            st.session_state.compare_note = (f"Scored {len(runs)} runs; {hits} of {total} scores came from "
                                             "the score cache." if total else f"Scored {len(runs)} runs.")
            st.rerun()
        st.session_state.compare_running = None

# ------------------------------------------------------------------ pick runs
if st.session_state.compare_note:
    st.success(st.session_state.compare_note, icon=":material/check_circle:")
    st.session_state.compare_note = None
available = [r for sid in set_ids for r in store.list_runs(set_id=sid) if r.status in ("done", "cancelled", "imported")]
by_id = {r.id: r for r in available}
chosen = st.multiselect("Runs to compare", list(by_id),
                        default=[i for i in st.session_state.compare_run_ids if i in by_id],
                        format_func=lambda i: ui.run_name(by_id[i]), key="cmp_runs")
if len({compare.run_label(by_id[i]) for i in chosen}) < 2:
    st.info("Pick runs of at least two different instructions or backends (or run a comparison above).")
    st.stop()

k = st.number_input("k (cut-off of NDCG@k, P@k, Recall@k and overlap@k)", 1, 1000, 10, key="cmp_k")
with ui.errors_shown():
    result = service.compare_runs(store, chosen, k=int(k))
    ui.render_comparison(compare, result)
    st.markdown("**Export** (CSV)")
    tables = service.comparison_tables(result)
    cols = st.columns(len(tables))
    for col, (name, frame) in zip(cols, tables.items()):
        col.download_button(name.replace("_", " "), formats.to_csv_bytes(frame), f"{session.name}-{name}.csv",
                            "text/csv", icon=":material/download:", key=f"cmp_dl_{name}")
