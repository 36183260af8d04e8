"""The app's only Streamlit code besides the pages.

    state       session keys, the URL (st.query_params), the Store
    errors      errors: message + fix said for the app, or a bug's error id
    widgets     the backend/model choice, uploads, the import report
    jobs        long work in the worker: start, poll progress, cancel
    sidebar     the sidebar of every page (language, session, running jobs, checks) and Streamlit's own words
    results     a run's results, labels & notes
    comparison  the Compare page's result
    frames      tables and texts built without Streamlit (unit-tested)
"""

from workbench.i18n import t, tn  # noqa: F401  (the app's words: ui.t("key"), ui.tn("key", n))

from . import comparison, errors, frames, jobs, ocr_tools, results, sidebar, state, widgets  # noqa: F401
from .errors import errors_shown, show_error  # noqa: F401
from .frames import esc, plural, short, when  # noqa: F401
from .state import current_session, get_store, init_state, sync_url  # noqa: F401
