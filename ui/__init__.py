"""The app's only Streamlit code besides the pages.

    state       session keys, the URL (st.query_params), the Store
    widgets     errors (message + fix, or an error id), the backend/model choice, uploads, sidebar
    jobs        long work in the worker: start, poll progress, cancel
    results     a run's results, labels & notes
    comparison  the Compare page's result
    frames      tables and texts built without Streamlit (unit-tested)
"""

from workbench.i18n import t, tn  # noqa: F401  (the app's words: ui.t("key"), ui.tn("key", n))

from . import comparison, frames, jobs, ocr_tools, results, state, widgets  # noqa: F401
from .frames import esc, plural, short, when  # noqa: F401
from .state import current_session, get_store, init_state, sync_url  # noqa: F401
from .widgets import errors_shown, show_error  # noqa: F401
