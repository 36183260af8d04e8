"""Candidate sets in: saving imported sets (one copy per session by content)."""

from __future__ import annotations

from sqlalchemy import text

from ._common import _few, _short


# ---------------------------------------------------------------- candidate sets in
def set_fingerprint(cset) -> str:
    """What makes two candidate sets the same: the query and every (doc id, content, label)."""
    return cset.fingerprint()


def _rough_size(sets) -> int:
    """Bytes the sets' texts and (not yet known) image files take, roughly."""
    import os

    total, seen = 0, set()
    for cset in sets:
        for item in (cset.query, *cset.documents):
            total += len((item.text or "").encode("utf-8", "replace")) + 200
            for extra in ("ocr_text", "description"):
                total += len(getattr(item, extra, None) or "")
            if item.image and item.image not in seen:
                seen.add(item.image)
                try:
                    total += os.path.getsize(item.image)
                except OSError:
                    pass
    return total


def save_sets(store, session, sets, *, annotator: str = "") -> tuple[list[int], list[int]]:
    """Save imported candidate sets into a session, skipping any set identical to one the
    session already holds (re-importing the same file is then harmless).

    Returns (ids of the sets saved now, ids of the existing sets that were identical).
    Each set is saved all-or-nothing, under a unique index, so several processes importing
    one file at once store it once. When a set cannot be saved (disk full, ...) the error
    says exactly which sets were saved before it and which were not. The sets' labels are
    `annotator`'s (default '', the default annotator).
    """
    from ..errors import StoreError

    info = store.get_session(session)
    store.check_integrity()          # a damaged file is refused before anything is written
    saved: list[int] = []
    same: list[int] = []
    for n, cset in enumerate(sets):
        try:
            set_id, new = store.save_or_find_set(info.id, cset, annotator=annotator)
        except StoreError as err:
            kept = _few([f"set {c.id} (query '{_short(c.query.id)}')" for c in sets[:n]], "sets") or "no set"
            lost = _few([f"'{_short(c.query.id)}'" for c in sets[n:]], "queries")
            rest = _rough_size(sets[n:])
            err.message = (f"{err.message} Already saved in session '{_short(info.name)}': {kept}. "
                           f"Not saved: the set(s) of query {lost} (roughly {rest / 2**20:,.1f} MB of text "
                           "and images, twice that free to be safe).")
            err.fix = ((err.fix or "") + " Importing the same file again afterwards adds only the sets "
                       "that are missing (identical sets are recognised).").strip()
            err.saved_sets, err.unsaved_queries = saved + same, [c.query.id for c in sets[n:]]
            raise
        (saved if new else same).append(set_id)
    return saved, same
