"""Home: quick start with the sample sets, recent sessions, what the GPU model still needs."""

import pandas as pd
import streamlit as st

import ui
from ui import frames
from ui.frames import esc

ui.init_state()
st.title("Lychee rerank workbench")
st.caption("Import candidate sets · OCR images · rerank with Lychee-rerank-mm · compare instructions · "
           "label · export")

store = ui.get_store()
sets = store.list_candidate_sets()

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Quick start")
    if not sets:
        st.write("The database is empty. Load the bundled sample sets to try every page.")
        if st.button("Load the sample sets", type="primary", icon=":material/download:"):
            with ui.errors_shown("load samples"):
                ui.widgets.seed_samples(store)
                st.rerun()
    else:
        st.write("Open a candidate set straight in the Rerank page:")
        for info in sets[:8]:
            c1, c2, c3 = st.columns([5, 2, 2], vertical_alignment="center")
            c1.markdown(f"**{esc(frames.set_name(info))}** — {esc(frames.short(info.query_text, 90))}")
            c2.caption(f"{frames.plural(info.n_docs, 'doc')} · {frames.plural(info.n_labels, 'label')}")
            if c3.button("Rerank", key=f"home_open_{info.id}", icon=":material/sort:", width="stretch"):
                st.session_state.session_id = info.session_id
                st.session_state.set_id = info.id
                st.session_state.run_ids = []
                st.switch_page("pages/rerank_page.py")

    st.subheader("Recent sessions")
    sessions = store.list_sessions()
    if sessions:
        st.dataframe(frames.sessions_frame(sessions[:10]), hide_index=True, width="stretch")
    else:
        st.caption("No sessions yet.")

with right:
    st.subheader("Running the GPU model")
    checks = ui.widgets.doctor_summary()
    if checks is None:
        st.info("Environment checks are not available yet.")
    else:
        missing = [c for c in checks if not c["ok"]]
        if not missing:
            st.success("Everything the Qwen-VL model needs is in place.")
        for c in missing:
            st.warning(f"**{esc(c['name'])}** — {esc(c['detail'])}"
                       + (f"\n\n**Fix:** {esc(c['fix'])}" if c["fix"] else ""))
        with st.expander("All checks"):
            st.dataframe(pd.DataFrame(checks), hide_index=True, width="stretch")
    st.caption("Without a GPU you can still use every page with the lexical (BM25) backend.")
