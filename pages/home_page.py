"""Home: quick start with the sample sets, recent sessions, what the GPU model still needs."""

import pandas as pd
import streamlit as st

import ui
from ui import frames, sessions_view, t, tn
from ui.frames import esc

ui.init_state()
st.title(t("home.title"))
st.caption(t("home.caption"))

store = ui.get_store()
sets = store.list_candidate_sets()

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader(t("home.quick_start"))
    if not sets:
        st.write(t("home.empty_database"))
        if st.button(t("home.load_samples"), type="primary", icon=":material/download:"):
            with ui.errors_shown("load samples"):  # i18n: not UI text
                ui.widgets.seed_samples(store)
                st.rerun()
    else:
        st.write(t("home.open_in_rerank"))
        for info in sets[:8]:
            c1, c2, c3 = st.columns([5, 2, 2], vertical_alignment="center")
            c1.markdown(f"**{esc(frames.set_name(info))}** — {esc(frames.short(info.query_text, 90))}")
            c2.caption(f"{tn('home.n_docs', info.n_docs)} · {tn('home.n_labels', info.n_labels)}")
            if c3.button(t("home.rerank_button"), key=f"home_open_{info.id}", icon=":material/sort:",
                         width="stretch"):
                st.session_state.session_id = info.session_id
                st.session_state.set_id = info.id
                st.session_state.run_ids = []
                st.switch_page("pages/rerank_page.py")

    st.subheader(t("home.recent_sessions"))
    sessions = store.list_sessions()
    if sessions:
        st.dataframe(sessions_view.sessions_table(sessions[:10]), hide_index=True, width="stretch")
    else:
        st.caption(t("home.no_sessions"))

with right:
    st.subheader(t("home.gpu_title"))
    checks = ui.sidebar.doctor_summary()
    if checks is None:
        st.info(t("home.checks_unavailable"))
    else:
        missing = [c for c in checks if not c["ok"]]
        if not missing:
            st.success(t("home.all_ok"))
        for c in missing:
            st.warning(f"**{esc(c['name'])}** — {esc(c['detail'])}"
                       + (f"\n\n**{t('home.fix')}** {esc(c['fix'])}" if c["fix"] else ""))
        with st.expander(t("home.all_checks")):
            st.dataframe(pd.DataFrame(checks).rename(columns={
                "name": t("home.col_check"), "ok": t("home.col_ok"), "detail": t("home.col_detail"),
                "fix": t("home.col_fix")}), hide_index=True, width="stretch")
    st.caption(t("home.no_gpu_hint"))
