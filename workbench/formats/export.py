"""Ranked results out: long and wide DataFrames over Runs + labels, CSV bytes with a UTF-8 BOM
option for Excel, and spreadsheet-formula neutralising of text cells."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..model import Label, Run

LONG_COLUMNS = ["run_id", "run_name", "query_id", "doc_id", "rank", "score", "instruction", "backend", "model",
                "prompt_format", "label"]
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _label_lookup(labels: Any) -> dict[tuple[Any, str], int]:
    """Normalise labels to {(key, doc_id): grade}; key is a set id, a query id or None (any)."""
    out: dict[tuple[Any, str], int] = {}
    if not labels:
        return out

    def grade(v: Any) -> int | None:
        return v.grade if isinstance(v, Label) else (None if v is None else int(v))

    if isinstance(labels, Mapping):
        for k, v in labels.items():
            if isinstance(v, Mapping):          # {set_id or query_id: {doc_id: grade|Label}}
                for doc_id, g in v.items():
                    if grade(g) is not None:
                        out[(k, str(doc_id))] = grade(g)
            elif isinstance(v, Label):
                out[(v.query_id or None, v.doc_id)] = v.grade
                out.setdefault((None, v.doc_id), v.grade)
            elif v is not None:
                out[(None, str(k))] = int(v)
    else:
        for lab in labels:
            out[(lab.query_id or None, lab.doc_id)] = lab.grade
    return out


def _run_query_id(run: Run, query_ids: Mapping[int, str] | None) -> str:
    if run.query_id:
        return run.query_id
    if query_ids and run.set_id in query_ids:
        return query_ids[run.set_id]
    return "" if run.set_id is None else str(run.set_id)


def _grade(lookup: dict, run: Run, qid: str, doc_id: str) -> Any:
    for key in ((run.set_id, qid, None) if run.set_id is not None else (qid, None)):
        if (key, doc_id) in lookup:
            return lookup[(key, doc_id)]
    return pd.NA


def _run_id(run: Run) -> int | None:
    """The id exports give a ranking: its run's (one configuration over many queries), so all the
    queries of one run share it; a ranking not stored in runs keeps its own id."""
    return run.run_id if getattr(run, "run_id", None) is not None else run.id


def long_frame(runs: Iterable[Run], labels: Any = None, query_ids: Mapping[int, str] | None = None) -> pd.DataFrame:
    """One row per (ranking, document): run_id (the run's), run_name (`Run.label`), query_id, doc_id, rank, score,
    instruction, backend, model, prompt_format, label. Two runs of one instruction stay apart.

    ``labels``: ``{doc_id: grade|Label}``, ``{set_id or query_id: {doc_id: grade|Label}}`` or a list of Label.
    ``query_ids``: ``{set_id: query_id}`` for runs whose ``query_id`` is not filled in.
    """
    lookup = _label_lookup(labels)
    records = []
    for run in runs:
        qid = _run_query_id(run, query_ids)
        for s in sorted(run.scores, key=lambda s: s.rank):
            records.append((_run_id(run), run.label, qid, s.doc_id, s.rank, s.score, run.instruction, run.backend,
                            run.model_id, run.prompt_format or "", _grade(lookup, run, qid, s.doc_id)))
    df = pd.DataFrame.from_records(records, columns=LONG_COLUMNS)
    df["run_id"] = df["run_id"].astype("Int64")
    df["rank"] = df["rank"].astype("Int64")
    df["score"] = df["score"].astype("float64")
    df["label"] = df["label"].astype("Int64")
    return df


def run_labels(runs: list[Run]) -> list[str]:
    """Column names for runs in a wide table: `Run.label`, disambiguated by backend/model."""
    base = [r.label.strip() or "run" for r in runs]
    variants: dict[str, set] = {}
    for b, r in zip(base, runs):
        variants.setdefault(b, set()).add((r.backend, r.model_id))
    names = []
    for b, r in zip(base, runs):
        if len(variants[b]) > 1:
            backends = {v[0] for v in variants[b]}
            b = f"{b} [{r.backend}]" if len(backends) == len(variants[b]) else f"{b} [{r.backend}:{r.model_id}]"
        names.append(b)
    return names


def wide_columns(runs: Sequence[Run], names: Sequence[str] | None = None,
                 query_ids: Mapping[int, str] | None = None) -> tuple[list[str], dict[str, list[int]], dict[int, str]]:
    """The wide table's run columns for `runs`: (column names in order, {query_id: [run indices]},
    {run index: its column}). A second run of one name on one query gets its own (``… #2``)."""
    names = list(names) if names is not None else run_labels(list(runs))
    cols: list[str] = []
    by_query: dict[str, list[int]] = {}
    name_of: dict[int, str] = {}
    used: dict[tuple[str, str], int] = {}
    for i, (run, name) in enumerate(zip(runs, names)):
        qid = _run_query_id(run, query_ids)
        slot = used.get((name, qid), 0)
        used[(name, qid)] = slot + 1
        col = name if slot == 0 else f"{name} #{slot + 1}"
        if col not in cols:
            cols.append(col)
        by_query.setdefault(qid, []).append(i)
        name_of[i] = col
    return cols, by_query, name_of


def wide_frame(runs: Iterable[Run], labels: Any = None, query_ids: Mapping[int, str] | None = None, *,
               names: Sequence[str] | None = None, cols: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per (query_id, doc_id); a ``<run> rank`` and ``<run> score`` column pair per run.

    Runs with the same name/instruction over different queries share a column pair;
    a second run of the same instruction on the same query gets its own (``… #2``).
    ``names`` (each run's column, as `wide_columns` gives them) and ``cols`` (every column, in
    order) let a streamed export write a batch of whole queries with the columns of all runs.
    """
    runs = list(runs)
    lookup = _label_lookup(labels)
    if names is None:
        found, _, name_of = wide_columns(runs, None, query_ids)
        names = [name_of[i] for i in range(len(runs))]
    else:
        found = list(dict.fromkeys(names))
    cols = list(cols) if cols is not None else found
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    label_of: dict[tuple[str, str], Any] = {}
    for run, col in zip(runs, names):
        qid = _run_query_id(run, query_ids)
        for s in run.scores:
            key = (qid, s.doc_id)
            row = cells.setdefault(key, {})
            row[f"{col} rank"] = s.rank
            row[f"{col} score"] = s.score
            g = _grade(lookup, run, qid, s.doc_id)
            if key not in label_of or pd.isna(label_of[key]):
                label_of[key] = g
    columns = ["query_id", "doc_id", "label"] + [f"{c} {k}" for c in cols for k in ("rank", "score")]
    records = [{"query_id": q, "doc_id": d, "label": label_of.get((q, d), pd.NA), **vals}
               for (q, d), vals in cells.items()]
    df = pd.DataFrame.from_records(records, columns=columns)
    for c in columns[2:]:
        df[c] = df[c].astype("Int64" if c == "label" or c.endswith(" rank") else "float64")
    if cols:
        df = df.sort_values(["query_id", f"{cols[0]} rank"], kind="stable", na_position="last")
    return df.reset_index(drop=True)


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe.

    Numeric columns are left alone, and so are text cells that are plain numbers ("-3.5").
    """
    out = df.copy()
    out.columns = [_neutral_cell(c) if isinstance(c, str) else c for c in out.columns]
    for c in out.columns:
        if pd.api.types.is_numeric_dtype(out[c]) or pd.api.types.is_bool_dtype(out[c]):
            continue
        out[c] = out[c].map(_neutral_cell).astype(object)
    return out


def _neutral_cell(v: Any) -> Any:
    if isinstance(v, str) and v.startswith(FORMULA_TRIGGERS) and not _NUMBER.match(v.strip()):
        return "'" + v
    return v


def unneutralise(v: str) -> str:
    return v[1:] if len(v) > 1 and v[0] == "'" and v[1] in "=+-@\t\r" else v


def to_csv_bytes(df: pd.DataFrame, bom: bool = False) -> bytes:
    """CSV bytes (UTF-8, with a BOM when ``bom`` so Excel reads Chinese), formulas neutralised."""
    text = neutralise(df).to_csv(index=False, lineterminator="\r\n" if bom else "\n")
    return text.encode("utf-8-sig" if bom else "utf-8")


def write_csv(df: pd.DataFrame, path: str | Path, bom: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(to_csv_bytes(df, bom=bom))
    return path


def _emit(df: pd.DataFrame, path_or_buffer: Any, bom: bool) -> bytes:
    data = to_csv_bytes(df, bom=bom)
    if path_or_buffer is None:
        return data
    if hasattr(path_or_buffer, "write"):
        try:
            path_or_buffer.write(data)
        except TypeError:
            path_or_buffer.write(data.decode("utf-8"))
    else:
        write_csv(df, path_or_buffer, bom=bom)
    return data


def export_long(runs: Iterable[Run], path_or_buffer: Any = None, bom: bool = False, *, labels: Any = None,
                query_ids: Mapping[int, str] | None = None) -> bytes:
    """Long ranked-results CSV; written to ``path_or_buffer`` when given; the bytes are returned."""
    return _emit(long_frame(runs, labels, query_ids), path_or_buffer, bom)


def export_wide(runs: Iterable[Run], path_or_buffer: Any = None, bom: bool = False, *, labels: Any = None,
                query_ids: Mapping[int, str] | None = None) -> bytes:
    """Wide ranked-results CSV (one row per document, rank/score per run); the bytes are returned."""
    return _emit(wide_frame(runs, labels, query_ids), path_or_buffer, bom)
