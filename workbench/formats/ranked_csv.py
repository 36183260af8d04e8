"""Ranked results in: a CSV of (query_id, doc_id, score and/or rank) from another system as Runs."""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import InputError, NothingImported, RowError
from ..model import Result, Run
from .decode import decode_bytes
from .export import unneutralise
from .tables import cell_text, parse_csv, row_error


def read_ranked_csv(path: str | Path, encoding: str | None = None, *, name: str | None = None) -> list[Run]:
    """Read ranked results from another system as Runs (backend ``"imported"``, status ``"imported"``).

    Columns: ``query_id, doc_id`` and ``score`` and/or ``rank``; optional ``instruction``,
    ``backend``, ``model``, ``system`` (or ``run``/``tag``). One Run per (query_id, instruction,
    backend, model, system), named after its system. Without
    ranks, ranks follow descending score; without scores, ``score = -rank`` (params say so).
    Any bad row raises a RowError (line + column); nothing is half-imported.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise InputError(f"'{path}' is a folder, not a ranked-results CSV.",
                         "Give the path of the CSV file itself (e.g. folder/ranked.csv).")
    if not path.is_file():
        raise InputError(f"'{path}' does not exist.", "Check the path of the ranked-results CSV.")
    source = path.name
    text, _ = decode_bytes(path.read_bytes(), encoding, source)
    if not text.strip():
        raise InputError(f"{source} is empty.",
                         "A ranked-results CSV needs a header row with query_id, doc_id and score and/or rank "
                         "(optional: instruction, backend, model), then one row per ranked document.")
    names, rows, _notes = parse_csv(text, source, check=False)
    lower = {n.lower(): n for n in names}
    missing = [c for c in ("query_id", "doc_id") if c not in lower]
    if missing or ("score" not in lower and "rank" not in lower):
        need = missing + ([] if ("score" in lower or "rank" in lower) else ["score or rank"])
        raise InputError(f"{source} lacks the column(s) {', '.join(need)}. Found columns: {', '.join(names)}.",
                         "A ranked-results CSV needs query_id, doc_id and a score and/or rank column "
                         "(optional: instruction, backend, model).")
    groups: dict[tuple, list[tuple[int, str, float | None, int | None]]] = {}
    errors: list[RowError] = []
    seen: dict[tuple, int] = {}
    for row in rows:
        if row.error is not None:
            errors.append(row.error)
            continue

        def get(col: str) -> str:
            return unneutralise(cell_text(row.values.get(lower.get(col, ""), "")))

        def fail(col: str, msg: str, fix: str) -> None:
            errors.append(row_error(msg, fix, line=row.line, column=lower.get(col, col), source=source,
                                     values=row.values))

        qid, did = get("query_id"), get("doc_id")
        if not qid:
            fail("query_id", "query_id is empty.", "Give every row the query id it was ranked for.")
            continue
        if not did:
            fail("doc_id", "doc_id is empty.", "Give every row the id of the ranked document.")
            continue
        score = rank = None
        if "score" in lower and get("score"):
            try:
                score = float(get("score"))
                if not math.isfinite(score):
                    raise ValueError
            except ValueError:
                fail("score", f"score '{get('score')}' is not a finite number.", "Write a plain number such as 0.93.")
                continue
        if "rank" in lower and get("rank"):
            try:
                f = float(get("rank"))
                if not f.is_integer() or f < 1:
                    raise ValueError
                rank = int(f)
            except ValueError:
                fail("rank", f"rank '{get('rank')}' is not a whole number from 1 up.", "Write ranks as 1, 2, 3 …")
                continue
        if score is None and rank is None:
            fail("score" if "score" in lower else "rank", "the row has neither a score nor a rank.",
                 "Fill in the score or the rank of this document.")
            continue
        key = (qid, get("instruction"), get("backend"), get("model"), get("system") or get("run") or get("tag"))
        if (key, did) in seen:
            fail("doc_id", f"doc_id '{did}' is ranked twice for query '{qid}' (first on line {seen[(key, did)]}).",
                 "Keep one row per document and query, or give the second ranking its own instruction/model.")
            continue
        seen[(key, did)] = row.line
        groups.setdefault(key, []).append((row.line, did, score, rank))
    if errors:
        first = errors[0]
        more = f" ({len(errors) - 1} more row(s) have errors too)" if len(errors) > 1 else ""
        err = RowError(first.message + more, first.fix, line=first.line, column=first.column, source=source)
        err.errors = errors
        raise err
    if not groups:
        raise NothingImported(f"{source} holds no ranked rows.", "Add one row per (query_id, doc_id) with a score or rank.")
    runs = []
    for (qid, instr, backend, model, system), items in groups.items():
        have_rank = all(r is not None for _, _, _, r in items)
        have_score = all(s is not None for _, _, s, _ in items)
        if have_rank:
            ordered = sorted(items, key=lambda t: (t[3], -(t[2] or 0.0)))
        elif have_score:
            ordered = sorted(items, key=lambda t: -t[2])
        else:
            line = next(t[0] for t in items if t[3] is None)
            raise RowError(f"query '{qid}' mixes rows with only a score and rows with only a rank.",
                           "Give every row of one ranking a score, or every row a rank.",
                           line=line, column=lower.get("rank", "rank"), source=source)
        scores = []
        for i, (_line, did, s, r) in enumerate(ordered, start=1):
            rank = r if have_rank else i
            scores.append(Result(doc_id=did, score=float(s) if s is not None else -float(rank), rank=rank))
        if have_rank and len({s.rank for s in scores}) != len(scores):
            # ties in the other system's ranks: keep its order, re-number 1..n
            for i, s in enumerate(scores, start=1):
                s.rank = i
        params = {"source_file": source, "source_backend": backend or None}
        if system:
            params["system"] = system
        if not have_score:
            params["score_from_rank"] = True
        # one run per system (a `system`, `run` or `tag` column), named after it
        runs.append(Run(instruction=instr, backend="imported",
                        model_id=model or f"imported:{system or path.stem}",
                        query_id=qid, params=params, status="imported", scores=scores,
                        name=name or system or instr or path.stem))
    return runs
