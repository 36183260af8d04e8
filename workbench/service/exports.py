"""Ranked results out: ranked CSV (long/wide), tidy CSV/Parquet, TREC runs and qrels."""

from __future__ import annotations

import copy
import io
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..errors import InputError, shell_quote
from ..model import Run
from .labels import labels_by_query


# ---------------------------------------------------------------- ranked results in and out
def export_runs(store, *, session=None, run_ids: Sequence[int] | None = None,
                fmt: str = "long", bom: bool = False) -> tuple[bytes, int]:
    """CSV bytes (long or wide) for a session's runs or the given runs, with labels.

    Returns (data, number of rows). Raises NotFound when there is nothing to export.
    For big sessions write to a file with `write_runs` (streamed, flat memory).
    """
    buf = io.BytesIO()
    n = write_runs(store, buf, session=session, run_ids=run_ids, fmt=fmt, bom=bom)
    return buf.getvalue(), n


def export_tidy(store, *, session=None, run_ids: Sequence[int] | None = None, fmt: str = "csv",
                bom: bool = False) -> tuple[bytes, int]:
    """The tidy export (`workbench.formats.tidy`) of a session's runs or the given runs: one row
    per (run, document) with run id/name/note, query text, document text, image path, OCR text,
    score, rank, label and note. ``fmt``: "csv" or "parquet". Returns (data, number of rows).
    Image paths point at the workbench's copies of the stored images (WORKBENCH_HOME/images).
    For big sessions write to a file with `write_tidy` (streamed, flat memory).
    """
    buf = io.BytesIO()
    n = write_tidy(store, buf, session=session, run_ids=run_ids, fmt=fmt, bom=bom)
    return buf.getvalue(), n


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
    buf = io.BytesIO()
    write_trec_run(store, buf, session=session, run_ids=run_ids, tag=tag)
    return buf.getvalue()


# ---------------------------------------------------------------- streaming: a batch at a time
# Every export below is written a batch of rankings at a time: one read of the batch's scores,
# one of its sets' queries, documents, labels and notes, then the batch's rows are written
# (a Parquet row group, or CSV/TREC lines appended) and dropped. Memory stays flat as the
# number of queries grows; the bytes-returning functions above wrap these with a BytesIO.
EXPORT_BATCH = 200          # rankings per batch (200 x 100 documents: 20,000 rows in memory)


def _scope(store, session, run_ids) -> list[Run]:
    """The rankings to export, without scores (metadata only), in export order."""
    from ..errors import NotFound
    from ..store import schema as S
    from ..store.base import chunks

    if run_ids:
        ids = [int(r) for r in run_ids]
        found = rankings_meta(store, ids)
        for i in ids:
            if i not in found:
                raise store._no_run(i)
        return [copy.copy(found[i]) for i in ids]
    if session is None:
        raise InputError.coded("export.nothing_named")
    info = store.get_session(session)
    metas = store.list_runs(session_id=info.id)
    if not metas:
        raise NotFound.coded("export.no_runs", {"session": info.name, "quoted": shell_quote(info.name)})
    return metas


def rankings_meta(store, ids) -> dict[int, Run]:
    """{ranking id: ranking without scores} of those of `ids` that exist (one read per 500 ids)."""
    from ..store import schema as S
    from ..store.base import chunks

    found: dict[int, Run] = {}
    with store._read() as conn:
        for chunk in chunks(sorted({int(i) for i in ids})):
            for row in conn.execute(store._rankings_select().where(S.rankings.c.id.in_(chunk))):
                found[int(row.id)] = store._to_run(row)
    return found


def _batches(items: list, size: int) -> Iterator[list]:
    size = max(1, int(size))
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _with_scores(store, metas: list[Run]) -> list[Run]:
    """The batch's rankings with their scores, best first (as `Store.load_run` gives them): one read."""
    from sqlalchemy import select

    from ..model import Result
    from ..store import recovery
    from ..store import schema as S
    from ..store.base import chunks

    by: dict[int, list[Result]] = {}
    with store._read() as conn:
        for chunk in chunks(sorted({int(m.id) for m in metas})):
            for r in conn.execute(select(S.scores).where(S.scores.c.ranking_id.in_(chunk))
                                  .order_by(S.scores.c.ranking_id, S.scores.c.rank, S.scores.c.doc_id)):
                by.setdefault(int(r.ranking_id), []).append(
                    Result(doc_id=r.doc_id, score=r.score, rank=r.rank, index=r.position))
    out = []
    for meta in metas:
        run = copy.copy(meta)
        run.scores = list(by.get(int(meta.id), []))
        if recovery.has_rank_gaps(run.scores):
            run.scores = recovery.normalise_ranks(run.scores)
        out.append(run)
    return out


def _set_parts(store, set_ids: Sequence[int], *, documents: bool = True):
    """For a batch of sets, one read: ({set_id: CandidateSet} (query and documents, image paths
    materialised), {set_id: {doc_id: Label}} (the default annotator's, as `Store.get_labels`),
    {set_id: {doc_id: note}} (as `Store.get_notes`))."""
    from sqlalchemy import select

    from ..model import CandidateSet, Label, Query
    from ..store import schema as S
    from ..store.base import chunks

    ids = sorted({int(i) for i in set_ids})
    queries: dict[int, Any] = {}
    docs: dict[int, list] = {}
    labels: dict[int, dict[str, Label]] = {i: {} for i in ids}
    notes: dict[int, dict[str, str]] = {i: {} for i in ids}
    labelled_notes: dict[int, dict[str, str]] = {i: {} for i in ids}
    with store._read() as conn:
        for chunk in chunks(ids):
            for q in conn.execute(select(S.queries).where(S.queries.c.set_id.in_(chunk))):
                queries[int(q.set_id)] = q
            if documents:
                D = S.documents.c           # the columns an export shows (not metadata: no JSON to decode)
                for d in conn.execute(select(D.set_id, D.doc_id, D.text, D.image_hash, D.ocr_text, D.ocr_edited,
                                             D.description).where(D.set_id.in_(chunk))
                                      .order_by(S.documents.c.set_id, S.documents.c.position)):
                    docs.setdefault(int(d.set_id), []).append(d)
            for r in conn.execute(select(S.labels.c.set_id, S.labels.c.doc_id, S.labels.c.grade, S.labels.c.note)
                                  .where(S.labels.c.set_id.in_(chunk), S.labels.c.annotator == "")):
                labels[int(r.set_id)][r.doc_id] = (r.grade, r.note)
                if r.note:
                    labelled_notes[int(r.set_id)][r.doc_id] = r.note
            if documents:
                for r in conn.execute(select(S.doc_notes.c.set_id, S.doc_notes.c.doc_id, S.doc_notes.c.note)
                                      .where(S.doc_notes.c.set_id.in_(chunk), S.doc_notes.c.annotator == "")):
                    if r.note:
                        notes[int(r.set_id)][r.doc_id] = r.note
    for i in ids:
        notes[i].update(labelled_notes[i])
    hashes = {d.image_hash for rows in docs.values() for d in rows if d.image_hash}
    hashes |= {q.image_hash for q in queries.values() if q.image_hash}
    paths = store.materialise_images(hashes) if hashes else {}
    sets: dict[int, CandidateSet] = {}
    label_objs: dict[int, dict[str, Label]] = {}
    for i in ids:
        q = queries.get(i)
        qid = q.query_id if q is not None else ""
        label_objs[i] = {d: Label(qid, d, g, n) for d, (g, n) in labels[i].items()}
        if q is None:
            continue
        query = Query(id=q.query_id, text=q.text, image=paths.get(q.image_hash), image_hash=q.image_hash)
        # plain records with a Document's export fields (a Document per row validates its id: slow at 500,000)
        documents_ = [SimpleNamespace(id=r.doc_id, text=r.text, image=paths.get(r.image_hash),
                                      ocr_text=r.ocr_text, description=r.description,
                                      ocr_final=r.ocr_edited if r.ocr_edited is not None else r.ocr_text)
                      for r in docs.get(i, [])]
        sets[i] = CandidateSet(query=query, documents=documents_, id=i)
    return sets, label_objs, notes


class _Sink:
    """A binary destination: a path (written to '<path>.part', renamed when complete, so a
    failed export never leaves half a file under the name asked for) or a binary stream."""

    def __init__(self, dest) -> None:
        self.dest = dest
        self.path = None if hasattr(dest, "write") else Path(dest)

    def __enter__(self):
        if self.path is None:
            return self.dest
        self.part = None
        if self.path.exists() and not self.path.is_file():
            # a device, pipe or socket (/dev/stdout, /dev/full, a FIFO): written straight through;
            # renaming a .part over it would replace the device itself
            self.fh = self.path.open("wb")
            return self.fh
        self.part = self.path.with_name(self.path.name + ".part")
        self.fh = self.part.open("wb")
        return self.fh

    def __exit__(self, exc_type, *_exc) -> None:
        if self.path is None:
            return
        try:
            self.fh.close()             # a full device reports the lost bytes here
        except OSError:
            if self.part is not None:
                self.part.unlink(missing_ok=True)
            if exc_type is None:
                raise
            return
        if self.part is None:
            return
        if exc_type is None:
            os.replace(self.part, self.path)
        else:
            self.part.unlink(missing_ok=True)


class _CsvOut:
    """CSV appended a frame at a time, byte for byte what `formats.to_csv_bytes` of the whole
    frame gives (one header, a BOM once, formulas neutralised)."""

    def __init__(self, fh, bom: bool) -> None:
        self.fh, self.bom, self.header = fh, bom, True

    def write(self, frame) -> None:
        from ..formats.export import neutralise

        text_ = neutralise(frame).to_csv(index=False, header=self.header,
                                         lineterminator="\r\n" if self.bom else "\n")
        self.fh.write(text_.encode("utf-8-sig" if self.bom and self.header else "utf-8"))
        self.header = False


class _ParquetOut:
    """Parquet written a frame at a time: one row group per batch, one schema (the first's)."""

    def __init__(self, fh) -> None:
        from ..extras import require

        require("pyarrow", "the Parquet export", extra="parquet")
        self.fh, self.writer = fh, None

    def write(self, frame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.fh, table.schema)
        elif not table.schema.equals(self.writer.schema):
            table = table.cast(self.writer.schema)
        self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def write_tidy(store, dest, *, session=None, run_ids: Sequence[int] | None = None, fmt: str = "csv",
               bom: bool = False, batch: int = EXPORT_BATCH, progress=None) -> int:
    """Stream the tidy export (`export_tidy`'s content) to ``dest`` (a path or a binary stream),
    ``batch`` rankings at a time (a Parquet row group per batch). Returns the number of rows.
    ``progress(done, total)`` is called after each batch (rankings written, rankings in all)."""
    from .. import formats as wio

    if fmt not in ("csv", "parquet"):
        raise InputError.coded("export.bad_tidy_format", {"format": fmt})
    metas = _scope(store, session, run_ids)
    if fmt == "parquet":
        from ..extras import require

        require("pyarrow", "the Parquet export", extra="parquet")
    n = done = 0
    with _Sink(dest) as fh:
        out = _ParquetOut(fh) if fmt == "parquet" else _CsvOut(fh, bom)
        for part in _batches(metas, batch):
            runs = _with_scores(store, part)
            sets, labels, notes = _set_parts(store, [r.set_id for r in runs if r.set_id is not None])
            frame = wio.tidy_frame(runs, sets, labels, notes)
            if len(frame) or n == 0:
                out.write(frame)
            n += len(frame)
            done += len(part)
            del runs, sets, labels, notes, frame
            if progress is not None:
                progress(done, len(metas))
        if fmt == "parquet":
            out.close()
    return n


def write_runs(store, dest, *, session=None, run_ids: Sequence[int] | None = None, fmt: str = "long",
               bom: bool = False, batch: int = EXPORT_BATCH, progress=None) -> int:
    """Stream the long or wide CSV (`export_runs`'s content) to ``dest``, ``batch`` rankings at a
    time (wide: whole queries at a time, in query order, so each row has every run's columns).
    Returns the number of rows."""
    from .. import formats as wio
    from ..formats import export as fx

    if fmt not in ("long", "wide"):
        raise InputError.coded("export.bad_format", {"format": fmt})
    metas = _scope(store, session, run_ids)
    n = done = 0
    with _Sink(dest) as fh:
        out = _CsvOut(fh, bom)
        if fmt == "long":
            for part in _batches(metas, batch):
                runs = _with_scores(store, part)
                _sets, labels, _notes = _set_parts(store, [r.set_id for r in runs if r.set_id is not None],
                                                   documents=False)
                frame = wio.long_frame(runs, labels, {i: s.query.id for i, s in _sets.items()})
                if len(frame) or n == 0:
                    out.write(frame)
                n += len(frame)
                done += len(part)
                if progress is not None:
                    progress(done, len(metas))
            return n
        # wide: the column names come from every run (as wide_frame over all of them would name them)
        names = fx.run_labels(metas)
        cols, by_query, name_of = fx.wide_columns(metas, names)
        columns = ["query_id", "doc_id", "label"] + [f"{c} {k}" for c in cols for k in ("rank", "score")]
        groups: list[list[int]] = [[]]
        for qid in sorted(by_query):
            if groups[-1] and sum(len(by_query[q]) for q in groups[-1]) >= batch:
                groups.append([])
            groups[-1].append(qid)
        for group in groups:
            idx = sorted(i for q in group for i in by_query[q])
            runs = _with_scores(store, [metas[i] for i in idx])
            _sets, labels, _notes = _set_parts(store, [r.set_id for r in runs if r.set_id is not None],
                                               documents=False)
            frame = fx.wide_frame(runs, labels, names=[name_of[i] for i in idx], cols=cols)
            frame = frame.reindex(columns=columns)
            for c in columns[2:]:
                frame[c] = frame[c].astype("Int64" if c == "label" or c.endswith(" rank") else "float64")
            if len(frame) or n == 0:
                out.write(frame)
            n += len(frame)
            done += len(idx)
            if progress is not None:
                progress(done, len(metas))
    return n


def write_trec_run(store, dest, *, session=None, run_ids: Sequence[int] | None = None,
                   tag: str | None = None, batch: int = EXPORT_BATCH) -> int:
    """Stream the TREC run file (`export_trec_run`'s content) to ``dest``; returns the lines written."""
    from ..formats import trec

    metas = _scope(store, session, run_ids)
    for run in metas:
        if run.query_id is None and run.set_id is not None:
            run.query_id = store.get_set(run.set_id).query_id
    tags = _trec_tags(metas, tag)
    n = 0
    with _Sink(dest) as fh:
        for part in _batches(list(range(len(metas))), batch):
            runs = _with_scores(store, [metas[i] for i in part])
            chunk = "".join(trec.format_run([run], tag=tags[i]) for i, run in zip(part, runs))
            fh.write(chunk.encode("utf-8"))
            n += chunk.count("\n")
    return n


def _trec_tags(runs: list[Run], tag: str | None) -> list[str]:
    """Each ranking's TREC tag (see `export_trec_run`), from the rankings' metadata alone."""
    from ..formats import trec

    if tag is not None:
        tag = tag.strip()
        if not tag or any(c.isspace() for c in tag):
            raise InputError.coded("export.bad_tag", {"tag": tag})
        clash = [q for q, n in Counter(str(r.query_id) for r in runs).items() if n > 1]
        if clash:
            raise InputError.coded("export.tag_clash", {"tag": tag, "count": len(runs), "query": clash[0]})
        return [tag] * len(runs)
    tags: dict[int, str] = {}
    taken: dict[tuple[str, str], int] = {}
    for i in sorted(range(len(runs)), key=lambda i: -(runs[i].id or 0)):   # newest first keeps the plain tag
        run = runs[i]
        t_ = trec._safe_tag(run)
        if (str(run.query_id), t_) in taken:
            t_ = f"{t_}_run{run.id}"
        taken[(str(run.query_id), t_)] = run.id or 0
        tags[i] = t_
    return [tags[i] for i in range(len(runs))]


def export_file(store, dest, *, what: str, session=None, run_ids: Sequence[int] | None = None,
                bom: bool = False, tag: str | None = None, batch: int = EXPORT_BATCH) -> int:
    """One door for the CLI and the app: ``what`` is long, wide, tidy, tidy-parquet or trec;
    streams to ``dest`` (path or binary stream) and returns the rows (TREC: lines) written."""
    if what in ("long", "wide"):
        return write_runs(store, dest, session=session, run_ids=run_ids, fmt=what, bom=bom, batch=batch)
    if what in ("tidy", "tidy-parquet", "csv", "parquet"):
        fmt = "parquet" if what in ("tidy-parquet", "parquet") else "csv"
        return write_tidy(store, dest, session=session, run_ids=run_ids, fmt=fmt, bom=bom, batch=batch)
    if what == "trec":
        return write_trec_run(store, dest, session=session, run_ids=run_ids, tag=tag, batch=batch)
    raise InputError.coded("export.bad_format", {"format": what})


def count_rows(store, *, session=None, run_ids: Sequence[int] | None = None) -> int:
    """The scored documents (rows of a long or tidy export) of this scope: counted, nothing loaded."""
    from sqlalchemy import func, select

    from ..store import schema as S
    from ..store.base import chunks

    n = 0
    with store._read() as conn:
        if run_ids:
            for chunk in chunks(sorted({int(i) for i in run_ids})):
                n += int(conn.execute(select(func.count()).select_from(S.scores)
                                      .where(S.scores.c.ranking_id.in_(chunk))).scalar() or 0)
            return n
        if session is None:
            raise InputError.coded("export.nothing_named")
        sid = store.get_session(session).id
        stmt = (select(func.count()).select_from(S.scores.join(S.rankings, S.rankings.c.id == S.scores.c.ranking_id)
                                                 .join(S.runs, S.runs.c.id == S.rankings.c.run_id))
                .where(S.runs.c.session_id == sid))
        return int(conn.execute(stmt).scalar() or 0)


def export_qrels(store, session) -> bytes:
    """TREC qrels (``qid 0 docid grade``, UTF-8) of every label in a session."""
    from ..formats import trec
    from ..errors import NotFound

    info = store.get_session(session)
    labels = labels_by_query(store, [s.id for s in store.list_candidate_sets(info.id)])
    if not labels:
        raise NotFound.coded("export.no_labels", {"session": info.name})
    return trec.format_qrels(labels).encode("utf-8")
