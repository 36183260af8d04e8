"""Ranked results out: ranked CSV (long/wide), tidy CSV/Parquet, TREC runs and qrels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import text

from ..errors import InputError, shell_quote
from ..model import Run
from .labels import labels_by_query


# ---------------------------------------------------------------- ranked results in and out
def export_runs(store, *, session=None, run_ids: Sequence[int] | None = None,
                fmt: str = "long", bom: bool = False) -> tuple[bytes, int]:
    """CSV bytes (long or wide) for a session's runs or the given runs, with labels.

    Returns (data, number of rows). Raises NotFound when there is nothing to export.
    """
    from .. import formats as wio

    if fmt not in ("long", "wide"):
        raise InputError.coded("export.bad_format", {"format": fmt})
    runs = _runs_to_export(store, session, run_ids)
    set_ids = sorted({r.set_id for r in runs if r.set_id is not None})
    labels = {i: store.get_labels(i) for i in set_ids}
    query_ids = {i: store.get_set(i).query_id for i in set_ids}
    frame = (wio.long_frame if fmt == "long" else wio.wide_frame)(runs, labels, query_ids)
    return wio.to_csv_bytes(frame, bom=bom), len(frame)


def export_tidy(store, *, session=None, run_ids: Sequence[int] | None = None, fmt: str = "csv",
                bom: bool = False) -> tuple[bytes, int]:
    """The tidy export (`workbench.formats.tidy`) of a session's runs or the given runs: one row
    per (run, document) with run id/name/note, query text, document text, image path, OCR text,
    score, rank, label and note. ``fmt``: "csv" or "parquet". Returns (data, number of rows).
    Image paths point at the workbench's copies of the stored images (WORKBENCH_HOME/images).
    """
    from .. import formats as wio

    if fmt not in ("csv", "parquet"):
        raise InputError.coded("export.bad_tidy_format", {"format": fmt})
    frame = tidy_export_frame(store, session=session, run_ids=run_ids)
    data = wio.to_parquet_bytes(frame) if fmt == "parquet" else wio.to_csv_bytes(frame, bom=bom)
    return data, len(frame)


def tidy_export_frame(store, *, session=None, run_ids: Sequence[int] | None = None):
    """The tidy export as a DataFrame (what `export_tidy` writes)."""
    from .. import formats as wio

    runs = _runs_to_export(store, session, run_ids)
    set_ids = sorted({r.set_id for r in runs if r.set_id is not None})
    sets = {i: store.load_candidate_set(i) for i in set_ids}
    labels = {i: store.get_labels(i) for i in set_ids}
    notes = {i: store.get_notes(i) for i in set_ids}
    return wio.tidy_frame(runs, sets, labels, notes)


def _runs_to_export(store, session, run_ids) -> list[Run]:
    from ..errors import InputError, NotFound

    if run_ids:
        return [store.load_run(int(r)) for r in run_ids]
    if session is None:
        raise InputError.coded("export.nothing_named")
    info = store.get_session(session)
    runs = [store.load_run(r.id) for r in store.list_runs(session_id=info.id)]
    if not runs:
        raise NotFound.coded("export.no_runs", {"session": info.name, "quoted": shell_quote(info.name)})
    return runs


def export_trec_run(store, *, session=None, run_ids: Sequence[int] | None = None,
                    tag: str | None = None) -> bytes:
    """TREC run file (``qid Q0 docid rank score tag``, UTF-8) of a session's runs or the given runs.

    The tag is ``tag`` or the run's label (name, else backend + instruction; spaces → ``_``),
    so the runs of one instruction across the session's queries form one TREC run. Two runs
    with the same tag for the same query (a re-run) would collide: the newest keeps the
    tag and older ones get ``_run<id>`` appended, so every stored run is exported.
    """
    from ..formats import trec
    from ..errors import InputError

    runs = _runs_to_export(store, session, run_ids)
    for run in runs:
        if run.query_id is None and run.set_id is not None:
            run.query_id = store.get_set(run.set_id).query_id
    if tag is not None:
        tag = tag.strip()
        if not tag or any(c.isspace() for c in tag):
            raise InputError.coded("export.bad_tag", {"tag": tag})
        clash = [q for q, n in Counter(str(r.query_id) for r in runs).items() if n > 1]
        if clash:
            raise InputError.coded("export.tag_clash", {"tag": tag, "count": len(runs), "query": clash[0]})
        return trec.format_run(runs, tag=tag).encode("utf-8")
    parts = []
    taken: dict[tuple[str, str], int] = {}
    for run in sorted(runs, key=lambda r: -(r.id or 0)):       # newest first keeps the plain tag
        t = trec._safe_tag(run)
        key = (str(run.query_id), t)
        if key in taken:
            t = f"{t}_run{run.id}"
        taken[(str(run.query_id), t)] = run.id or 0
        parts.append((run, t))
    order = {id(r): i for i, r in enumerate(runs)}
    parts.sort(key=lambda p: order[id(p[0])])
    return "".join(trec.format_run([run], tag=t) for run, t in parts).encode("utf-8")


def export_qrels(store, session) -> bytes:
    """TREC qrels (``qid 0 docid grade``, UTF-8) of every label in a session."""
    from ..formats import trec
    from ..errors import NotFound

    info = store.get_session(session)
    labels = labels_by_query(store, [s.id for s in store.list_candidate_sets(info.id)])
    if not labels:
        raise NotFound.coded("export.no_labels", {"session": info.name})
    return trec.format_qrels(labels).encode("utf-8")
