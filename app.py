"""Lychee rerank workbench — Streamlit entry point.

    ./run_workbench.sh            (or: streamlit run app.py; .streamlit/config.toml binds 127.0.0.1)

st.navigation runs the chosen page inside this script, so the sidebar drawn here
shows on every page. Pages are thin: set up state, call workbench.*, render (ui/).
The view (session, set, runs, query, OCR languages) lives in the URL; long work runs
in a worker thread per workbench session (ui.jobs), so a reload does not stop it.
"""

import logging
import threading

import streamlit as st

import ui


@st.cache_resource(show_spinner=False)
def warm_up_compare() -> threading.Thread:
    """Once per server process: import ranx and load/compile its numba metrics (3–17 s)
    in a daemon thread, so the first Compare does not stall on it."""
    def work() -> None:
        from workbench import compare

        try:
            compare.warm_up()
        except Exception as err:  # noqa: BLE001 - the Compare page reports a broken ranx itself
            logging.getLogger("workbench").warning("compare warm-up failed: %s", err)  # i18n: not UI text

    thread = threading.Thread(target=work, name="workbench-compare-warm-up", daemon=True)
    thread.start()
    return thread


ui.state.apply_language()            # first: the page title is in the UI's language too
_ = ui.t
st.set_page_config(page_title=_("app.title"), page_icon="🍒", layout="wide",
                   initial_sidebar_state="expanded")
PAGES = [
    st.Page("pages/home_page.py", title=_("nav.home"), icon=":material/home:", url_path="home", default=True),
    st.Page("pages/import_page.py", title=_("nav.import"), icon=":material/upload_file:", url_path="import"),
    st.Page("pages/ocr_page.py", title=_("nav.ocr"), icon=":material/document_scanner:", url_path="ocr"),
    st.Page("pages/rerank_page.py", title=_("nav.rerank"), icon=":material/sort:", url_path="rerank"),
    st.Page("pages/compare_page.py", title=_("nav.compare"), icon=":material/compare_arrows:", url_path="compare"),
    st.Page("pages/matrix_page.py", title=_("nav.matrix"), icon=":material/table_view:", url_path="matrix"),
    st.Page("pages/label_page.py", title=_("nav.label"), icon=":material/label:", url_path="label"),
    st.Page("pages/sessions_page.py", title=_("nav.sessions"), icon=":material/folder_open:", url_path="sessions"),
]

warm_up_compare()
page = st.navigation(PAGES)
ui.init_state()
try:
    ui.sidebar.sidebar()
    ui.sync_url(page.url_path)      # before the page too: a page that ends in st.stop() can no longer write it
    page.run()
except Exception as err:  # noqa: BLE001 - a bug: short message + error id, details in the log
    ui.errors.unexpected(err, where=page.title)
finally:
    ui.sync_url(page.url_path)
