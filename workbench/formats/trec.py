"""TREC interop: qrels ("qid 0 docid rel") and runs ("qid Q0 docid rank score tag").

The formats trec_eval, ranx, ir-measures and pyserini read and write, so labels and
runs move between the workbench and IR tooling. Fields are whitespace separated;
blank lines and lines starting with ``#`` are skipped.

* Qrels ⇄ ``dict[query_id, dict[doc_id, grade]]`` (the labels dict used by
  ``workbench.compare``) or ``list[Label]``. Grades must be 0, 1 or 2 (the
  workbench's scale); other values are rejected unless ``clip=True`` maps
  negatives to 0 and grades above 2 to 2 (the result says how many were mapped).
* Runs ⇄ ``list[Run]``: one Run per (qid, tag). On reading, ranks are re-derived
  from the order trec_eval uses — higher score first — with the file's rank, then
  line order breaking ties, so a file whose rank column disagrees with its scores
  ranks the same way here as in trec_eval. Writing emits ranks 1..n in the run's order.

Malformed lines raise :class:`TrecFormatError` (a RowError): it names the first bad
line and carries every bad line in ``.errors`` with its line number and a fix.
Nothing is imported from a file with bad lines: fix the file, import again.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Union

from ..errors import EncodingError, InputError, NothingImported, RowError
from ..i18n import nested
from ..model import LABEL_GRADES, Label, Run, Result

Source = Union[str, Path, bytes, IO]

QRELS_FORMAT = "qid 0 docid relevance   (e.g. 'q1 0 doc7 2')"
RUN_FORMAT = "qid Q0 docid rank score tag   (e.g. 'q1 Q0 doc7 1 0.93 my-run')"
MAX_REPORTED = 20


class TrecFormatError(RowError):
    """Malformed TREC file: ``line`` is the first bad line, ``errors`` lists them all."""

    def __init__(self, errors: list[RowError], kind: str, source: str | None = None):
        self.errors = errors
        first = errors[0]
        lines = ", ".join(str(e.line) for e in errors[:MAX_REPORTED]) + ("…" if len(errors) > MAX_REPORTED else "")
        code = "trec.invalid_many" if len(errors) > 1 else "trec.invalid"
        params = {"kind": kind, "reason": nested.message_of(first), "count": len(errors), "lines": lines,
                  "fix": nested.fix_of(first)}
        made = nested.coded(RowError, code, params)
        super().__init__(made.message, made.fix, line=first.line, source=source)
        self.code, self.params = code, made.params


# --------------------------------------------------------------------------- reading helpers


def _read_text(src: Source) -> tuple[str, str | None]:
    """Text and a display name of a path, bytes, or a (binary/text) file object."""
    name = None
    if isinstance(src, (str, Path)):
        path = Path(src)
        name = str(path)
        if path.is_dir():
            raise InputError.coded("trec.is_folder", {"path": str(path)})
        if not path.is_file():
            raise InputError.coded("trec.no_such_file", {"path": str(path)})
        data: bytes | str = path.read_bytes()
    elif isinstance(src, (bytes, bytearray)):
        data = bytes(src)
    else:
        name = getattr(src, "name", None)
        data = src.read()
    if isinstance(data, str):
        return data, name
    try:
        return data.decode("utf-8-sig"), name
    except UnicodeDecodeError as exc:
        raise EncodingError.coded("trec.not_utf8" if name else "trec.not_utf8_unnamed",
                                  {"name": name or "", "byte": exc.start}) from exc


def _lines(text: str):
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        yield no, line.split()


# --------------------------------------------------------------------------- qrels


@dataclass
class QrelsResult:
    """Labels read from a qrels file: ``labels[qid][docid] = grade``."""

    labels: dict[str, dict[str, int]]
    n_judgments: int
    clipped: int = 0               # grades mapped into 0..2 (clip=True)
    source: str | None = None

    def to_labels(self) -> list[Label]:
        return qrels_to_labels(self.labels)

    def summary(self) -> str:
        s = f"{self.n_judgments} judgments for {len(self.labels)} queries"
        if self.clipped:
            s += f"; {self.clipped} grades outside 0–2 were clipped into 0–2"
        return s


def read_qrels(src: Source, *, clip: bool = False) -> QrelsResult:
    """Read a TREC qrels file (``qid iter docid rel``; the iter column is ignored).

    Raises TrecFormatError on malformed lines, NothingImported when no judgment is found.
    A (qid, docid) judged twice with different grades is an error; twice the same is fine.
    """
    text, name = _read_text(src)
    labels: dict[str, dict[str, int]] = {}
    line_of: dict[tuple[str, str], int] = {}
    errors: list[RowError] = []
    clipped = n = 0
    for no, parts in _lines(text):
        if len(parts) != 4:
            errors.append(RowError.coded("trec.qrels_fields", {"found": len(parts), "text": ' '.join(parts)[:80]},
                                         line=no, source=name))
            continue
        qid, _iter, doc, rel = parts
        try:
            grade = int(rel)
        except ValueError:
            try:
                as_float = float(rel)
            except ValueError:
                as_float = math.nan
            if as_float.is_integer():
                grade = int(as_float)
            else:
                errors.append(RowError.coded("trec.relevance_not_int", {"value": rel}, line=no,
                                             column="relevance", source=name))
                continue
        if grade not in LABEL_GRADES:
            if clip:
                grade = min(max(grade, 0), 2)
                clipped += 1
            else:
                errors.append(RowError.coded("trec.relevance_range", {"grade": grade}, line=no,
                                             column="relevance", source=name))
                continue
        key = (qid, doc)
        if key in line_of and labels[qid][doc] != grade:
            errors.append(RowError.coded("trec.conflicting_judgments", {
                "doc": doc, "query": qid, "grade_before": labels[qid][doc], "first_line": line_of[key],
                "grade": grade}, line=no, source=name))
            continue
        if key not in line_of:
            n += 1
        line_of[key] = no
        labels.setdefault(qid, {})[doc] = grade
    if errors:
        raise TrecFormatError(errors, "qrels", name)
    if not labels:
        raise NothingImported.coded("trec.no_judgments" if name else "trec.no_judgments_unnamed",
                                    {"name": name or ""})
    return QrelsResult(labels, n, clipped, name)


def qrels_to_labels(labels: Mapping[str, Mapping[str, int]]) -> list[Label]:
    return [Label(str(q), str(d), int(g)) for q, per in labels.items() for d, g in per.items()]


def labels_to_qrels(labels: Iterable[Label] | Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    """``list[Label]`` (or a labels dict) → ``{qid: {docid: grade}}``."""
    if isinstance(labels, Mapping):
        return {str(q): {str(d): int(getattr(g, "grade", g)) for d, g in per.items() if g is not None}
                for q, per in labels.items()}
    out: dict[str, dict[str, int]] = {}
    for lab in labels:
        out.setdefault(str(lab.query_id), {})[str(lab.doc_id)] = int(lab.grade)
    return out


def format_qrels(labels: Iterable[Label] | Mapping[str, Mapping[str, int]]) -> str:
    """Qrels text (one ``qid 0 docid grade`` line per judgment)."""
    q = labels_to_qrels(labels)
    lines = []
    for qid, per in q.items():
        for doc, grade in per.items():
            _check_id(qid, "query id")
            _check_id(doc, "document id")
            lines.append(f"{qid} 0 {doc} {grade}")
    return "\n".join(lines) + ("\n" if lines else "")


def write_qrels(labels, dest: str | Path | IO | None = None) -> str:
    """Write qrels to a path or text/binary file object; returns the text either way."""
    text = format_qrels(labels)
    _write(text, dest)
    return text


# --------------------------------------------------------------------------- runs


def read_run(src: Source, *, instruction: str = "", backend: str = "trec") -> list[Run]:
    """Read a TREC run file into one ``Run`` per (qid, tag), in first-seen order.

    Each Run has ``name = model_id = tag``, ``query_id = qid``, ``status = "imported"``.
    Ranks follow score (high first), then the file's rank, then line order.
    """
    text, name = _read_text(src)
    rows: dict[tuple[str, str], list[tuple[float, int, int, str]]] = {}
    seen: dict[tuple[str, str, str], int] = {}
    errors: list[RowError] = []
    for no, parts in _lines(text):
        if len(parts) != 6:
            errors.append(RowError.coded("trec.run_fields", {"found": len(parts), "text": ' '.join(parts)[:80]},
                                         line=no, source=name))
            continue
        qid, _q0, doc, rank_s, score_s, tag = parts
        try:
            rank = int(rank_s)
        except ValueError:
            try:
                rank = int(float(rank_s)) if float(rank_s).is_integer() else None
            except ValueError:
                rank = None
        if rank is None:
            errors.append(RowError.coded("trec.rank_not_int", {"value": rank_s}, line=no, column="rank",
                                         source=name))
            continue
        try:
            score = float(score_s)
        except ValueError:
            score = math.nan
        if not math.isfinite(score):
            errors.append(RowError.coded("trec.score_not_finite", {"value": score_s}, line=no, column="score",
                                         source=name))
            continue
        key = (qid, tag, doc)
        if key in seen:
            errors.append(RowError.coded("trec.duplicate_doc", {"doc": doc, "query": qid, "tag": tag,
                                                                "first_line": seen[key]}, line=no, source=name))
            continue
        seen[key] = no
        rows.setdefault((qid, tag), []).append((score, rank, no, doc))
    if errors:
        raise TrecFormatError(errors, "run", name)
    if not rows:
        raise NothingImported.coded("trec.no_ranked_docs" if name else "trec.no_ranked_docs_unnamed",
                                    {"name": name or ""})
    runs = []
    for (qid, tag), items in rows.items():
        items.sort(key=lambda t: (-t[0], t[1], t[2]))
        scores = [Result(doc_id=doc, score=score, rank=i) for i, (score, _r, _no, doc) in enumerate(items, 1)]
        runs.append(Run(instruction=instruction, backend=backend, model_id=tag, query_id=qid,
                        status="imported", scores=scores, name=tag,
                        params={"source": name} if name else {}))
    return runs


def format_run(runs: Iterable[Run], tag: str | None = None) -> str:
    """TREC run text. The tag is ``tag``, else the run's label (``Run.label``)
    with spaces turned into ``_``. Every run needs a query id. A second run with the same tag
    on the same query is tagged ``<tag>#2`` (and so on), so no (query, tag, document) repeats
    and every system reads back as one run: the n-th such run of each query gets the same tag."""
    from ..compare import ordered_scores

    lines = []
    used: dict[tuple[str, str], int] = {}
    for run in runs:
        if run.query_id is None:
            raise InputError.coded("trec.run_no_query" if run.id else "trec.run_no_query_unnamed",
                                   {"run": run.id or ""})
        t = tag or _safe_tag(run)
        qid = str(run.query_id)
        slot = used.get((qid, t), 0)
        used[(qid, t)] = slot + 1
        if slot:
            t = f"{t}#{slot + 1}"
        _check_id(qid, "query id")
        for i, s in enumerate(ordered_scores(run), start=1):
            _check_id(str(s.doc_id), "document id")
            lines.append(f"{qid} Q0 {s.doc_id} {i} {_fmt_score(s.score)} {t}")
    return "\n".join(lines) + ("\n" if lines else "")


def write_run(runs: Iterable[Run], dest: str | Path | IO | None = None, tag: str | None = None) -> str:
    """Write runs in TREC run format to a path or file object; returns the text either way."""
    text = format_run(runs, tag)
    _write(text, dest)
    return text


def _safe_tag(run: Run) -> str:
    tag = re.sub(r"\s+", "_", run.label.strip()) or "run"
    return tag


def _fmt_score(x: float) -> str:
    return repr(float(x))  # shortest text that reads back to the same float


def _check_id(value: str, what: str) -> None:
    if not value or re.search(r"\s", value):
        raise InputError.coded("trec.bad_query_id" if what == "query id" else "trec.bad_doc_id", {"value": value})


def _write(text: str, dest) -> None:
    if dest is None:
        return
    if isinstance(dest, (str, Path)):
        Path(dest).write_text(text, encoding="utf-8")
        return
    try:
        dest.write(text)
    except TypeError:
        dest.write(text.encode("utf-8"))


__all__ = [
    "TrecFormatError", "QrelsResult", "read_qrels", "write_qrels", "format_qrels",
    "qrels_to_labels", "labels_to_qrels", "read_run", "write_run", "format_run",
]
