"""SQLite store (SQLAlchemy 2): sessions, candidate sets, runs, labels, score cache.

    from workbench.store import Store
    store = Store()            # config.db_path(), i.e. WORKBENCH_DB; migrations applied on open
"""

from .api import RUN_STATUSES, SessionInfo, SetInfo, Store
from .migrations import MIGRATIONS

__all__ = ["Store", "SessionInfo", "SetInfo", "RUN_STATUSES", "MIGRATIONS"]
