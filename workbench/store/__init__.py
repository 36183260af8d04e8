"""SQLite store (SQLAlchemy 2): sessions, candidate sets, runs, labels, images, score cache.

    from workbench.store import Store
    store = Store()            # config.db_path(), i.e. WORKBENCH_DB; migrations applied on open
    with store.transaction():  # several calls, one transaction
        ...

Modules: api (Store: sessions, sets, documents, runs, labels), images (content-addressed image
storage), score_cache, base (connections, transaction()), engine (SQLite pragmas, error
translation), schema, migrations.
"""

from .api import RUN_STATUSES, SessionInfo, SetInfo, Store
from .migrations import MIGRATIONS

__all__ = ["Store", "SessionInfo", "SetInfo", "RUN_STATUSES", "MIGRATIONS"]
