"""Ranked results in: a CSV of (query_id, doc_id, score and/or rank) from another system as Runs."""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import InputError, NothingImported, RowError
from ..i18n import nested
from ..model import Result, Run
from .decode import decode_bytes
from .export import unneutralise
from .tables import cell_text, coded_row_error, parse_csv


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
        raise InputError.coded("ranked.is_folder", {"path": str(path)})
    if not path.is_file():
        raise InputError.coded("ranked.no_such_file", {"path": str(path)})
    source = path.name
    text, _ = decode_bytes(path.read_bytes(), encoding, source)
    if not text.strip():
        raise InputError.coded("ranked.empty", {"name": source})
    names, rows, _notes = parse_csv(text, source, check=False)
    lower = {n.lower(): n for n in names}
    missing = [c for c in ("query_id", "doc_id") if c not in lower]
    if missing or ("score" not in lower and "rank" not in lower):
        need = missing + ([] if ("score" in lower or "rank" in lower) else ["score or rank"])
        raise InputError.coded("ranked.missing_columns", {"name": source, "missing": ", ".join(need),
                                                          "found": ", ".join(names)})
    groups: dict[tuple, list[tuple[int, str, float | None, int | None]]] = {}
    errors: list[RowError] = []
    seen: dict[tuple, int] = {}
    for row in rows:
        if row.error is not None:
            errors.append(row.error)
            continue

        def get(col: str) -> str:
            return unneutralise(cell_text(row.values.get(lower.get(col, ""), "")))

        def fail(col: str, code: str, params: dict | None = None) -> None:
            errors.append(coded_row_error(code, params, line=row.line, column=lower.get(col, col), source=source,
                                          values=row.values))

        qid, did = get("query_id"), get("doc_id")
        if not qid:
            fail("query_id", "ranked.no_query_id")
            continue
        if not did:
            fail("doc_id", "ranked.no_doc_id")
            continue
        score = rank = None
        if "score" in lower and get("score"):
            try:
                score = float(get("score"))
                if not math.isfinite(score):
                    raise ValueError
            except ValueError:
                fail("score", "ranked.bad_score", {"value": get("score")})
                continue
        if "rank" in lower and get("rank"):
            try:
                f = float(get("rank"))
                if not f.is_integer() or f < 1:
                    raise ValueError
                rank = int(f)
            except ValueError:
                fail("rank", "ranked.bad_rank", {"value": get("rank")})
                continue
        if score is None and rank is None:
            fail("score" if "score" in lower else "rank", "ranked.no_score_or_rank")
            continue
        key = (qid, get("instruction"), get("backend"), get("model"),
               get("system") or get("run") or get("tag") or get("run_name"))   # run_name: our long export
        if (key, did) in seen:
            fail("doc_id", "ranked.duplicate_doc", {"doc": did, "query": qid, "first_line": seen[(key, did)]})
            continue
        seen[(key, did)] = row.line
        groups.setdefault(key, []).append((row.line, did, score, rank))
    if errors:
        first = errors[0]
        where = {"line": first.line, "column": first.column, "source": source}
        if len(errors) == 1 and first.code:
            err = RowError.coded(first.code, first.params, **where)
        elif len(errors) == 1:
            err = RowError(first.message, first.fix, **where)
        else:
            err = nested.coded(RowError, "ranked.row_errors", {"reason": nested.message_of(first),
                                                               "more": len(errors) - 1,
                                                               "fix": nested.fix_of(first)}, **where)
        err.errors = errors
        raise err
    if not groups:
        raise NothingImported.coded("ranked.no_rows", {"name": source})
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
            raise RowError.coded("ranked.mixed_score_rank", {"query": qid},
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
