"""Seed the bundled sample sets (data/samples/<name>/) into sessions named "Sample: <Title>".

Discovery (one candidate file per folder, title from the README's first "# " heading)
is workbench.formats.list_samples; importing is workbench.formats.read_candidates. Seeding is
idempotent: a sample whose session already holds sets is skipped, so it is cheap to
call on every start. A sample that fails half-way leaves nothing behind.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from . import config

PREFIX = "Sample: "


def session_name(title: str) -> str:
    return f"{PREFIX}{title}"


def list_samples(root: str | Path | None = None) -> list[Any]:
    """The sample folders under `root` (default config.SAMPLES_DIR) as formats.Sample(name, title, path)."""
    from . import formats

    return formats.list_samples(root or config.SAMPLES_DIR)


def pending_samples(store, root: str | Path | None = None) -> list[Any]:
    """Samples not yet stored (their session is missing or has no sets)."""
    stored = {s.name: s.n_sets for s in store.list_sessions(filter=PREFIX)}
    return [s for s in list_samples(root) if not stored.get(session_name(s.title))]


def seed_samples(store, root: str | Path | None = None) -> list[str]:
    """Import every sample not yet stored; return the names of the sessions filled now."""
    from . import formats

    created: list[str] = []
    for sample in pending_samples(store, root):
        name = session_name(sample.title)
        result = formats.read_candidates(sample.path)
        if result.rejected:  # a broken bundled sample: keep the valid rows, but say so loudly
            warnings.warn(f"Sample '{sample.name}' has rejected rows:\n{result.summary()}", stacklevel=2)
        with store.transaction():   # a sample that fails half-way leaves nothing behind
            session = store.get_or_create_session(name, description=f"Bundled sample '{sample.name}' "
                                                                     f"({Path(sample.path).name})")
            for cset in result.sets:
                store.save_candidate_set(session.id, cset)
        created.append(name)
    return created
