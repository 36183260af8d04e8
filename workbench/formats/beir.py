"""The standard evaluation layout in: BEIR / ViDoRe ``corpus`` + ``queries`` + ``qrels``.

    read_beir(path, run=None, depth=100, split=None) -> BeirImport

``path`` is a folder (or a ZIP, unpacked within limits by :mod:`.safezip`) holding
``corpus``, ``queries`` and ``qrels``, each a file (``corpus.jsonl``, ``queries.parquet`` …)
or a folder of files (``qrels/test.tsv``, ``corpus/test-00000-of-00001.parquet``) as JSONL,
CSV/TSV or Parquet. Column names are BEIR's (corpus ``_id, title, text``; queries ``_id, text``;
qrels ``query-id, corpus-id, score``) or ViDoRe's BEIR-format ones (``corpus-id, image``;
``query-id, query``). Images are relative paths, Parquet / HF-datasets image structs
(``{"bytes", "path"}``) or base64 (a data URL or the bare text); every one goes through the
candidate import's intake (:class:`.candidates._Images`: path safety, size limit, only the image
kept, decoded and verified, content hash) and is kept by content hash.

Candidates of each query: the top ``depth`` documents of the first-stage TREC run when one is
given (:func:`.trec.read_run`; its scores and ranks become one imported run per query), else BM25's
top ``depth`` over the documents' title + text (the lexical backend's tokenizer and Lucene BM25,
the numbers of :func:`workbench.rerank.lexical.bm25_scores` over the whole corpus, computed from an
inverted index), kept as an imported run too. qrels become graded labels of the candidates.

Nothing is dropped silently: every unreadable row is a RowError (line - for Parquet the row
number -, column, fix) in ``rejected``; queries without a judgment or without any candidate,
judgments outside the candidates, and ranked documents missing from the corpus are counted in
the result and said by :meth:`BeirImport.report`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .. import config, limits
from ..errors import InputError, NothingImported, RowError
from ..i18n import Text
from ..model import LABEL_GRADES, CandidateSet, Document, Query, Result, Run
from . import image_data, safezip
from .candidates import ImportResult, _Bad, _clean_stale_unzips, _Images, _keep_images
from .decode import decode_text
from .tables import (
    RawRow,
    cell_text,
    coded_row_error,
    parse_csv,
    parse_jsonl,
    reject_bad_lines,
)

DEFAULT_DEPTH = 100
PARTS = ("corpus", "queries", "qrels")
READABLE = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet")
DEFAULT_SPLIT = "test"
SHOW_IDS = 10                          # query ids quoted in a report line

# column names, first present wins: BEIR's, ViDoRe's BEIR-format ones, the workbench's own
CORPUS_ID = ("_id", "corpus-id", "corpus_id", "doc_id", "docid", "id")
CORPUS_TEXT = ("text", "doc_text", "contents")
CORPUS_TITLE = ("title",)
QUERY_ID = ("_id", "query-id", "query_id", "qid", "id")
QUERY_TEXT = ("text", "query", "query_text")
IMAGE = ("image", "doc_image", "query_image")
QRELS_QUERY = ("query-id", "query_id", "qid")
QRELS_DOC = ("corpus-id", "corpus_id", "doc_id", "docid")
QRELS_SCORE = ("score", "relevance", "grade", "label")

_IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8", ".jpg"), (b"GIF8", ".gif"), (b"BM", ".bmp"),
                (b"II*\x00", ".tif"), (b"MM\x00*", ".tif"))
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s_-]+$")
_LAZY = object()                       # a Parquet image cell read later, for candidates only


@dataclass
class BeirImport(ImportResult):
    """What a BEIR import produced (an ImportResult: ``sets``, ``rejected``, ``notes`` …) plus the
    first-stage runs (one per set, same order) and the counts the report says."""

    runs: list[Run] = field(default_factory=list)
    candidates_from: str = "bm25"                  # "run" or "bm25"
    depth: int = DEFAULT_DEPTH
    split: str | None = None
    run_name: str | None = None
    files: dict[str, list[str]] = field(default_factory=dict)
    n_corpus: int = 0
    n_queries: int = 0
    n_judgments: int = 0
    no_qrels: list[str] = field(default_factory=list)          # queries without any judgment
    no_candidates: list[str] = field(default_factory=list)     # queries without any candidate
    qrels_unknown_queries: list[str] = field(default_factory=list)
    qrels_unknown_docs: int = 0                    # judgments of documents the corpus lacks
    judged_outside: int = 0                        # judgments of documents outside the candidates
    run_unknown_queries: list[str] = field(default_factory=list)
    run_unknown_docs: int = 0                      # ranked documents the corpus lacks (skipped)
    no_text_docs: int = 0                          # documents BM25 cannot find (no text)
    included_unjudged: bool = False
    seconds: float = 0.0

    @property
    def n_labels(self) -> int:
        return sum(len(s.labels) for s in self.sets)

    def report(self) -> list[Text]:
        """What the import did, one line each (English `Text`s; ``i18n.localize`` for the app)."""
        out = [Text("beir.report_read", corpus=f"{self.n_corpus:,}", queries=f"{self.n_queries:,}",
                    judgments=f"{self.n_judgments:,}", split=self.split or "-")]
        if self.candidates_from == "run":
            out.append(Text("beir.report_from_run", depth=self.depth, run=self.run_name or ""))
        else:
            out.append(Text("beir.report_from_bm25", depth=self.depth))
        out.append(Text("beir.report_sets", sets=f"{len(self.sets):,}", docs=f"{self.n_docs:,}",
                        labels=f"{self.n_labels:,}"))
        if self.no_qrels:
            key = "beir.report_no_qrels_kept" if self.included_unjudged else "beir.report_no_qrels"
            out.append(Text(key, n=f"{len(self.no_qrels):,}", ids=_ids(self.no_qrels)))
        if self.no_candidates:
            out.append(Text("beir.report_no_candidates", n=f"{len(self.no_candidates):,}",
                            ids=_ids(self.no_candidates)))
        if self.judged_outside:
            out.append(Text("beir.report_judged_outside", n=f"{self.judged_outside:,}", depth=self.depth))
        if self.qrels_unknown_queries:
            out.append(Text("beir.report_qrels_unknown_queries", n=f"{len(self.qrels_unknown_queries):,}",
                            ids=_ids(self.qrels_unknown_queries)))
        if self.qrels_unknown_docs:
            out.append(Text("beir.report_qrels_unknown_docs", n=f"{self.qrels_unknown_docs:,}"))
        if self.run_unknown_queries:
            out.append(Text("beir.report_run_unknown_queries", n=f"{len(self.run_unknown_queries):,}",
                            ids=_ids(self.run_unknown_queries)))
        if self.run_unknown_docs:
            out.append(Text("beir.report_run_unknown_docs", n=f"{self.run_unknown_docs:,}"))
        if self.no_text_docs and self.candidates_from == "bm25":
            out.append(Text("beir.report_no_text_docs", n=f"{self.no_text_docs:,}"))
        if self.rejected:
            out.append(Text("beir.report_rejected", n=f"{len(self.rejected):,}"))
        return out

    def summary(self) -> str:
        return "\n".join([*map(str, self.report()), *self.notes])


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:SHOW_IDS])
    return shown + (" …" if len(ids) > SHOW_IDS else "")


# --------------------------------------------------------------------------- the layout


@dataclass
class Layout:
    root: Path
    parts: dict[str, list[Path]]
    split: str | None


def _split_of(path: Path) -> str:
    """'test' of test.tsv, test-00000-of-00001.parquet, test_0.jsonl."""
    return re.split(r"[-_.]", path.name, maxsplit=1)[0].lower()


def _tables(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in READABLE
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _find_part(root: Path, name: str, split: str | None, *, by_split: bool) -> tuple[list[Path], str | None]:
    files = [p for p in root.iterdir() if p.is_file() and p.stem.lower() == name and p.suffix.lower() in READABLE]
    if len(files) > 1:
        raise InputError.coded("beir.several_files", {"part": name, "files": ", ".join(sorted(p.name for p in files))})
    if files:
        return files, None
    folder = root / name
    if not folder.is_dir():
        return [], None
    found = _tables(folder)
    if not found:
        raise InputError.coded("beir.empty_part", {"part": name, "folder": str(folder)})
    if not by_split:
        return found, None
    splits = sorted({_split_of(p) for p in found})
    chosen = split.lower() if split else (splits[0] if len(splits) == 1 else
                                          DEFAULT_SPLIT if DEFAULT_SPLIT in splits else None)
    if chosen is None or chosen not in splits:
        code = "beir.no_such_split" if split else "beir.which_split"
        raise InputError.coded(code, {"part": name, "split": split or "", "splits": ", ".join(splits)})
    return [p for p in found if _split_of(p) == chosen], chosen


def find_layout(folder: Path, split: str | None = None) -> Layout:
    """The corpus, queries and qrels files of a BEIR folder (or of its one subfolder)."""
    root = folder
    for _ in range(3):                     # a ZIP often holds one folder named after the data set
        if any((root / n).is_dir() or any(p.stem.lower() == n for p in root.iterdir() if p.is_file())
               for n in PARTS):
            break
        subs = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "__MACOSX"))]
        if len(subs) != 1:
            break
        root = subs[0]
    parts: dict[str, list[Path]] = {}
    chosen = None
    for name in PARTS:
        files, got = _find_part(root, name, split, by_split=(name == "qrels"))
        parts[name] = files
        chosen = chosen or got
    missing = [n for n in PARTS if not parts[n]]
    if missing:
        found = ", ".join(sorted(p.name + ("/" if p.is_dir() else "") for p in root.iterdir())[:20]) or "-"
        raise InputError.coded("beir.missing_parts", {"path": str(folder), "missing": ", ".join(missing),
                                                      "found": found})
    return Layout(root, parts, chosen or (split.lower() if split else None))


# --------------------------------------------------------------------------- reading tables


@dataclass
class _Table:
    source: str                      # the file as named in messages (relative to the layout)
    path: Path
    names: list[str]
    rows: list[RawRow]
    parquet: bool = False


def _read_table(path: Path, source: str, encoding: str | None, notes: list[str],
                lazy: tuple[str, ...] = ()) -> _Table:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _read_parquet(path, source, lazy)
    size = path.stat().st_size
    if size > limits.TABLE_SIZE.bytes():
        raise limits.TABLE_SIZE.exceeded("import.file_too_big", {"name": source, "mb": f"{size / 2**20:,.0f}"})
    decoded = decode_text(path.read_bytes(), encoding, source)
    text = decoded.text
    decoded.text = ""
    if not text.strip():
        raise InputError.coded("beir.empty_file", {"name": source})
    if suffix in (".jsonl", ".ndjson", ".json"):
        names, rows, more = parse_jsonl(text, source, check=False)
    else:
        names, rows, more = parse_csv(text, source, "\t" if suffix == ".tsv" else None, check=False)
    del text
    notes.extend(decoded.notes)
    notes.extend(more)
    if decoded.bad_lines:
        reject_bad_lines(rows, decoded, source)
    return _Table(source, path, names, rows)


def _read_parquet(path: Path, source: str, lazy: tuple[str, ...]) -> _Table:
    """Rows of a Parquet file (row numbers as lines); columns named in `lazy` (images) are not
    read here: :func:`_parquet_cells` reads them for the rows that need them."""
    from ..extras import require

    pq = require("pyarrow.parquet", "reading Parquet files", extra="parquet")
    try:
        pf = pq.ParquetFile(path)
        names = [str(n) for n in pf.schema_arrow.names]
        wanted = [n for n in names if n.lower() not in lazy]
        n_cols = len(names)
        if n_cols > limits.COLUMNS.count():
            raise limits.COLUMNS.exceeded("table.too_many_columns", {"name": source, "count": f"{n_cols:,}"})
        rows: list[RawRow] = []
        line = 0
        for batch in pf.iter_batches(batch_size=4096, columns=wanted):
            for values in batch.to_pylist():
                line += 1
                for n in names:
                    if n not in values:
                        values[n] = _LAZY
                rows.append(RawRow(line, values))
    except InputError:
        raise
    except Exception as err:  # noqa: BLE001 - any reader failure is the file's fault
        raise InputError.coded("beir.parquet_unreadable", {"name": source, "reason": f"{type(err).__name__}: {err}"}) \
            from None
    return _Table(source, path, names, rows, parquet=True)


def _parquet_cells(table: _Table, column: str, lines: set[int]) -> dict[int, Any]:
    """The cells of one (image) column of a Parquet table for the given row numbers, streamed."""
    import pyarrow.parquet as pq

    out: dict[int, Any] = {}
    if not lines:
        return out
    last = max(lines)
    line = 0
    for batch in pq.ParquetFile(table.path).iter_batches(batch_size=256, columns=[column]):
        col = batch.column(0)
        for i in range(len(col)):
            line += 1
            if line in lines:
                out[line] = col[i].as_py()
        if line >= last:
            break
    return out


def _column(names: list[str], candidates: tuple[str, ...]) -> str | None:
    lowered = {n.lower(): n for n in names}
    for c in candidates:
        if c in lowered:
            return lowered[c]
    return None


def _need(table: _Table, candidates: tuple[str, ...], part: str) -> str:
    col = _column(table.names, candidates)
    if col is None:
        raise InputError.coded("beir.missing_column", {
            "name": table.source, "part": part, "wanted": " or ".join(candidates[:2]),
            "found": ", ".join(table.names[:20]) or "-"})
    return col


def _id_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return cell_text(value)


def _has_image(value: Any) -> bool:
    """Whether an image cell holds anything (a lazy Parquet cell counts until it is read)."""
    if value is _LAZY:
        return True
    if isinstance(value, dict):
        return bool(value.get("bytes") or cell_text(value.get("path")))
    if isinstance(value, (bytes, bytearray)):
        return bool(value)
    return bool(cell_text(value))


def _bad_id(value: str) -> str | None:
    if "\x00" in value:
        return "import.id_nul"
    if re.search(r"[\ud800-\udfff]", value):
        return "import.id_surrogate"
    return None


def _shown(values: dict) -> dict:
    """A rejected row's values for the report: no image bytes, no lazy markers."""
    out = {}
    for k, v in values.items():
        if v is _LAZY:
            continue
        if isinstance(v, (bytes, bytearray)) or (isinstance(v, dict) and "bytes" in v):
            v = "<image bytes>"
        elif isinstance(v, str) and len(v) > 500:
            v = v[:500] + "…"
        out[k] = v
    return out


# --------------------------------------------------------------------------- images


def _suffix_of(data: bytes, name: str | None) -> str:
    if name and Path(name).suffix.lower() in (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff",
                                             ".heic", ".heif", ".avif"):
        return Path(name).suffix.lower()
    for magic, suffix in _IMAGE_MAGIC:
        if data.startswith(magic):
            return suffix
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return ".img"


class _ImageIntake:
    """Image cells (paths, HF structs, base64) to (path, sha256) through the one intake:
    bytes are written once, named by their hash, into the import's temporary folder and then
    resolved like any image file (candidates._Images); paths resolve against the table's folder."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.blobs = _Images(scratch)
        self.by_folder: dict[Path, _Images] = {}
        self.notes: list[str] = []
        self.blobs.notes = self.notes

    def _for(self, folder: Path) -> _Images:
        if folder not in self.by_folder:
            imgs = _Images(folder)
            imgs.notes = self.notes
            self.by_folder[folder] = imgs
        return self.by_folder[folder]

    def resolve(self, value: Any, folder: Path) -> tuple[str, str] | None:
        """None for an empty cell; raises _Bad with the reason."""
        if value is None or value is _LAZY:
            return None
        if isinstance(value, dict):
            data, name = value.get("bytes"), value.get("path")
            if data:
                return self._bytes(data if isinstance(data, (bytes, bytearray)) else _b64(str(data)), name)
            if name:
                return self._for(folder).resolve(str(name), "image")
            return None
        if isinstance(value, (bytes, bytearray)):
            return self._bytes(bytes(value), None) if value else None
        text = cell_text(value)
        if not text:
            return None
        if text.startswith("data:"):
            head, _, payload = text.partition(",")
            if ";base64" not in head:
                raise _Bad("beir.image_data_url")
            return self._bytes(_b64(payload), None)
        if len(text) > 512 and _BASE64.match(text[:4096]):
            return self._bytes(_b64(text), None)
        return self._for(folder).resolve(text, "image")

    def _bytes(self, data: bytes, name: str | None) -> tuple[str, str]:
        if not data:
            raise _Bad("beir.image_empty")
        if len(data) > image_data.image_limit():   # the byte size before hashing or writing (issue 21)
            raise _Bad(*image_data.oversize_message(f"<{len(data):,} image bytes{' ' + name if name else ''}>",
                                                    len(data)))
        digest = hashlib.sha256(data).hexdigest()
        target = self.scratch / f"{digest}{_suffix_of(data, name)}"
        if not target.exists():
            target.write_bytes(data)
        try:
            return self.blobs.resolve(target.name, "image")
        except _Bad as bad:       # name the bytes as the analyst knows them, not the temporary file
            label = f"<{len(data):,} image bytes{' ' + name if name else ''}>"
            params = {k: (str(v).replace(str(target), label).replace(target.name, label)
                          if isinstance(v, str) else v) for k, v in bad.params.items()}
            raise _Bad(bad.code, params) from None


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=False)
    except (binascii.Error, ValueError):
        raise _Bad("beir.image_base64") from None


# --------------------------------------------------------------------------- BM25 first stage


class _BM25Index:
    """Lucene BM25 over a whole corpus from an inverted index: per query the same numbers as
    lexical.bm25_scores(corpus, query) (float32), computed only for the documents sharing a term."""

    def __init__(self, texts: list[str], k1: float = 1.5, b: float = 0.75):
        import numpy as np

        from ..rerank.lexical import tokenize

        self.k1, self.b = k1, b
        postings: dict[str, dict[int, int]] = {}
        lens = np.zeros(len(texts), dtype=np.float64)
        for i, text in enumerate(texts):
            tokens = tokenize(text) or ["\u2205"]
            lens[i] = len(tokens)
            for tok in tokens:
                per = postings.setdefault(tok, {})
                per[i] = per.get(i, 0) + 1
        self.n = len(texts)
        avg = float(lens.mean()) if self.n else 1.0
        self.norm = k1 * ((1 - b) + b * lens / avg)
        self.postings = {tok: (np.fromiter(per.keys(), dtype=np.int64, count=len(per)),
                               np.fromiter(per.values(), dtype=np.float64, count=len(per)))
                         for tok, per in postings.items()}

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """(document index, score) of the best k documents with a score above 0, best first
        (ties: corpus order)."""
        import numpy as np

        from ..rerank.lexical import tokenize

        weight: dict[str, int] = {}
        for tok in tokenize(query):
            weight[tok] = weight.get(tok, 0) + 1
        scores = np.zeros(self.n, dtype=np.float64)
        for tok, w in weight.items():
            if tok not in self.postings:
                continue
            idx, tf = self.postings[tok]
            idf = math.log(1 + (self.n - len(idx) + 0.5) / (len(idx) + 0.5))
            scores[idx] += w * idf * tf / (tf + self.norm[idx])
        scores = scores.astype(np.float32)
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            part = np.argpartition(-scores[hits], k - 1)[:k]
            hits = hits[part]
        order = sorted(hits.tolist(), key=lambda i: (-scores[i], i))
        return [(i, float(scores[i])) for i in order]


# --------------------------------------------------------------------------- the import


@dataclass
class _Doc:
    line: int
    table: _Table
    text: str
    image: Any
    metadata: dict
    values: dict
    resolved: tuple[str, str] | None | bool = False      # False: not resolved yet


def _grade(value: Any, clip: bool) -> int:
    s = cell_text(value)
    try:
        f = float(s)
    except ValueError:
        raise _Bad("beir.grade_not_number", {"value": s}) from None
    if not f.is_integer():
        raise _Bad("beir.grade_not_number", {"value": s})
    g = int(f)
    if g not in LABEL_GRADES:
        if not clip:
            raise _Bad("beir.grade_range", {"value": s})
        g = min(max(g, 0), 2)
    return g


def read_beir(path: str | Path, *, run: str | Path | None = None, depth: int = DEFAULT_DEPTH,
              split: str | None = None, encoding: str | None = None, clip_grades: bool = False,
              include_unjudged: bool = False) -> BeirImport:
    """Read a BEIR / ViDoRe folder or ZIP into one candidate set per query (see the module doc).

    Raises InputError for a layout it cannot use (a part missing, a column missing, a bad
    ``depth``, a run file with bad lines or several run tags), NothingImported when no query
    ends up with a candidate (``.result`` attached)."""
    import time

    start = time.perf_counter()
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError.coded("import.no_such_file", {"path": str(path)})
    try:
        depth = int(depth)
    except (TypeError, ValueError):
        depth = 0
    if depth < 1:
        raise InputError.coded("beir.bad_depth", {"depth": depth})
    runs = None
    if run is not None:
        from .trec import read_run

        runs = read_run(run)
        tags = sorted({r.model_id for r in runs})
        if len(tags) > 1:
            raise InputError.coded("beir.run_several_tags", {"name": Path(run).name, "tags": ", ".join(tags[:10])})
    imports = config.home_dir() / "imports"
    imports.mkdir(parents=True, exist_ok=True)
    _clean_stale_unzips(imports)
    with tempfile.TemporaryDirectory(prefix=".unzip-", dir=imports) as tmp:
        root = Path(tmp).resolve()
        scratch = root / "_image_bytes"
        scratch.mkdir()
        rejected: list[RowError] = []
        if path.is_dir():
            folder = path
        elif path.suffix.lower() == ".zip":
            folder = root / "zip"
            _unzip(path, folder, rejected)
        else:
            raise InputError.coded("beir.not_a_layout", {"path": str(path)})
        layout = find_layout(folder, split)
        result = BeirImport(source=path.name, depth=depth, split=layout.split, rejected=rejected,
                            included_unjudged=include_unjudged,
                            files={k: [p.relative_to(layout.root).as_posix() for p in v]
                                   for k, v in layout.parts.items()})
        _build(result, layout, runs, run, encoding, clip_grades, include_unjudged, scratch)
        _keep_images(result.sets, root)
    result.seconds = time.perf_counter() - start
    if not result.sets:
        err = NothingImported.coded("beir.nothing", {"name": path.name, "report": "; ".join(
            map(str, result.report()))})
        err.result = result
        raise err
    return result


def _unzip(path: Path, folder: Path, rejected: list[RowError]) -> None:
    """The ZIP's tables and images unpacked into `folder` within the limits (safezip)."""
    from .candidates import IMAGE_SUFFIXES

    with safezip.open_zip(path) as zf:
        budget = safezip.Budget(path.name)
        for info in zf.infolist():
            if info.is_dir():
                continue
            member = info.filename.replace("\\", "/")
            pure = PurePosixPath(member)
            if member.startswith("__MACOSX/") or pure.name.startswith("._"):
                continue
            reason = safezip.unsafe_reason(info)
            if reason:
                rejected.append(coded_row_error(
                    "zip.entry_symlink" if reason == "symlink" else "zip.entry_outside", {"entry": info.filename},
                    line=None, column=None, source=f"{path.name}!{info.filename}",
                    values={"zip_entry": info.filename}))
                continue
            suffix = pure.suffix.lower()
            target = folder / member
            if suffix == ".parquet":
                safezip.extract_member(zf, info, target, budget)
            elif suffix in READABLE:
                safezip.extract_member(zf, info, target, budget, limits.TABLE_SIZE)
            elif suffix in IMAGE_SUFFIXES:
                from .image_data import image_limit

                safezip.extract_member(zf, info, target, budget, limits.IMAGE_SIZE, image_limit(), truncate=True)
    if not folder.exists():
        raise InputError.coded("beir.zip_empty", {"name": path.name})


def _row_fail(rejected: list[RowError], row: RawRow, table: _Table, column: str | None, code: str,
              params: dict | None = None) -> None:
    rejected.append(coded_row_error(code, params, line=row.line, column=column, source=table.source,
                                    values=_shown(row.values)))


def _build(result: BeirImport, layout: Layout, runs: list[Run] | None, run_path, encoding: str | None,
           clip: bool, include_unjudged: bool, scratch: Path) -> None:
    rejected, notes = result.rejected, result.notes
    rel = {p: p.relative_to(layout.root).as_posix() for ps in layout.parts.values() for p in ps}

    # ---- corpus
    docs: dict[str, _Doc] = {}
    for p in layout.parts["corpus"]:
        table = _read_table(p, rel[p], encoding, notes, lazy=IMAGE)
        id_col = _need(table, CORPUS_ID, "corpus")
        text_col, title_col = _column(table.names, CORPUS_TEXT), _column(table.names, CORPUS_TITLE)
        image_col = _column(table.names, IMAGE)
        if text_col is None and image_col is None:
            raise InputError.coded("beir.missing_column", {"name": table.source, "part": "corpus",
                                                           "wanted": "text or image",
                                                           "found": ", ".join(table.names[:20])})
        used = {id_col, text_col, title_col, image_col}
        for row in table.rows:
            if row.error is not None:
                rejected.append(row.error)
                continue
            vals = row.values
            did = _id_text(vals.get(id_col))
            if not did:
                _row_fail(rejected, row, table, id_col, "beir.no_doc_id")
                continue
            bad = _bad_id(did)
            if bad:
                _row_fail(rejected, row, table, id_col, bad, {"column": id_col})
                continue
            if did in docs:
                _row_fail(rejected, row, table, id_col, "beir.duplicate_doc",
                          {"doc": did, "first": f"{docs[did].table.source}:{docs[did].line}"})
                continue
            title = cell_text(vals.get(title_col)) if title_col else ""
            text = cell_text(vals.get(text_col)) if text_col else ""
            text = f"{title}\n{text}" if title and text else (title or text)
            text = text.replace("\x00", "")
            image = vals.get(image_col) if image_col else None
            if not _has_image(image):
                image = None
            if not text and image is None:
                _row_fail(rejected, row, table, text_col or image_col, "beir.empty_document", {"doc": did})
                continue
            meta = {k: v for k, v in vals.items() if k not in used and v is not _LAZY and v not in ("", {}, [])
                    and isinstance(v, (str, int, float, bool, dict, list)) and cell_text(v) != ""}
            docs[did] = _Doc(row.line, table, text, image, meta, vals)
    result.n_corpus = len(docs)

    # ---- queries
    queries: dict[str, list] = {}          # query id -> [Query, row, table, image cell]
    for p in layout.parts["queries"]:
        table = _read_table(p, rel[p], encoding, notes, lazy=IMAGE)
        id_col = _need(table, QUERY_ID, "queries")
        text_col, image_col = _column(table.names, QUERY_TEXT), _column(table.names, IMAGE)
        if text_col is None and image_col is None:
            raise InputError.coded("beir.missing_column", {"name": table.source, "part": "queries",
                                                           "wanted": "text or query",
                                                           "found": ", ".join(table.names[:20])})
        for row in table.rows:
            if row.error is not None:
                rejected.append(row.error)
                continue
            qid = _id_text(row.values.get(id_col))
            if not qid:
                _row_fail(rejected, row, table, id_col, "beir.no_query_id")
                continue
            bad = _bad_id(qid)
            if bad:
                _row_fail(rejected, row, table, id_col, bad, {"column": id_col})
                continue
            if qid in queries:
                q_first = queries[qid]
                _row_fail(rejected, row, table, id_col, "beir.duplicate_query",
                          {"query": qid, "first": f"{q_first[2].source}:{q_first[1].line}"})
                continue
            text = (cell_text(row.values.get(text_col)) if text_col else "").replace("\x00", "")
            image = row.values.get(image_col) if image_col else None
            if not _has_image(image):
                image = None
            if not text and image is None:
                _row_fail(rejected, row, table, text_col or image_col, "beir.empty_query", {"query": qid})
                continue
            queries[qid] = [Query(id=qid, text=text), row, table, image]
    result.n_queries = len(queries)

    # ---- qrels
    qrels: dict[str, dict[str, int]] = {}
    for p in layout.parts["qrels"]:
        table = _read_table(p, rel[p], encoding, notes)
        q_col, d_col = _need(table, QRELS_QUERY, "qrels"), _need(table, QRELS_DOC, "qrels")
        s_col = _column(table.names, QRELS_SCORE)
        first: dict[tuple[str, str], int] = {}
        for row in table.rows:
            if row.error is not None:
                rejected.append(row.error)
                continue
            qid, did = _id_text(row.values.get(q_col)), _id_text(row.values.get(d_col))
            if not qid:
                _row_fail(rejected, row, table, q_col, "beir.no_query_id")
                continue
            if not did:
                _row_fail(rejected, row, table, d_col, "beir.no_doc_id")
                continue
            try:
                grade = _grade(row.values.get(s_col), clip) if s_col else 1
            except _Bad as b:
                _row_fail(rejected, row, table, s_col, b.code, b.params)
                continue
            per = qrels.setdefault(qid, {})
            if did in per and per[did] != grade:
                _row_fail(rejected, row, table, s_col, "beir.conflicting_grades",
                          {"query": qid, "doc": did, "grade": grade, "before": per[did], "first": first[(qid, did)]})
                continue
            first.setdefault((qid, did), row.line)
            per[did] = grade
    result.n_judgments = sum(len(v) for v in qrels.values())
    result.qrels_unknown_queries = [q for q in qrels if q not in queries]
    result.qrels_unknown_docs = sum(d not in docs for q, per in qrels.items() if q in queries for d in per)

    # ---- which queries, and their candidates
    chosen = [q for q in queries if q in qrels or include_unjudged]
    result.no_qrels = [q for q in queries if q not in qrels]
    cands: dict[str, list[tuple[str, float]]] = {}
    if runs is not None:
        result.candidates_from = "run"
        result.run_name = runs[0].model_id if runs else Path(run_path).name
        by_query = {r.query_id: r for r in runs}
        result.run_unknown_queries = [q for q in by_query if q not in queries]
        for qid in chosen:
            r = by_query.get(qid)
            top = sorted(r.scores, key=lambda s: s.rank)[:result.depth] if r else []
            kept = [(s.doc_id, s.score) for s in top if s.doc_id in docs]
            result.run_unknown_docs += len(top) - len(kept)
            cands[qid] = kept
    else:
        ids = list(docs)
        texts = [docs[d].text for d in ids]
        result.no_text_docs = sum(not t for t in texts)
        if not any(texts):
            raise InputError.coded("beir.no_text_for_bm25", {"name": result.source})
        index = _BM25Index(texts)
        for qid in chosen:
            q = queries[qid][0]
            cands[qid] = [(ids[i], s) for i, s in index.top(q.text, result.depth)] if q.text else []
        result.run_name = "bm25"

    # ---- images of the candidates (and queries), through the one intake
    intake = _ImageIntake(scratch)
    needed = {d for qid in chosen for d, _ in cands.get(qid, [])}
    _fetch_lazy([docs[d] for d in needed], [queries[q] for q in chosen if cands.get(q)])
    for did in sorted(needed, key=lambda d: (docs[d].table.source, docs[d].line)):
        doc = docs[did]
        image_col = _column(doc.table.names, IMAGE)
        try:
            doc.resolved = intake.resolve(doc.image, doc.table.path.parent) if doc.image is not None else None
        except _Bad as b:           # the document's row is rejected, like any row with a bad image
            doc.resolved = "rejected"
            rejected.append(coded_row_error(b.code, b.params, line=doc.line, column=image_col,
                                            source=doc.table.source, values=_shown(doc.values)))
            continue
        if doc.resolved is None and not doc.text:     # a Parquet image cell that was empty after all
            doc.resolved = "rejected"
            rejected.append(coded_row_error("beir.empty_document", {"doc": did}, line=doc.line, column=image_col,
                                            source=doc.table.source, values=_shown(doc.values)))

    # ---- sets, labels, first-stage runs
    for qid in chosen:
        query, qrow, qtable, qimage = queries[qid]
        if qimage is not None and query.image is None and cands.get(qid):
            got, bad = None, None
            try:
                got = intake.resolve(qimage, qtable.path.parent)
            except _Bad as b:
                bad = (b.code, b.params)
            if got:
                query.image, query.image_hash = got
            elif bad or not query.text:   # the query's row is rejected (reported there), not "no candidates"
                code, params = bad or ("beir.empty_query", {"query": qid})
                rejected.append(coded_row_error(code, params, line=qrow.line, column=_column(qtable.names, IMAGE),
                                                source=qtable.source, values=_shown(qrow.values)))
                continue
        labels = qrels.get(qid, {})
        items = [(d, s) for d, s in cands.get(qid, []) if docs[d].resolved != "rejected"]
        if not items:
            result.no_candidates.append(qid)
            continue
        documents = []
        for did, score in items:
            doc = docs[did]
            image, sha = doc.resolved if isinstance(doc.resolved, tuple) else (None, None)
            documents.append(Document(id=did, text=doc.text, image=image, image_hash=sha, metadata=dict(doc.metadata),
                                      first_stage_score=float(score), label=labels.get(did)))
        in_set = {d for d, _ in items}
        result.judged_outside += sum(d not in in_set and d in docs for d in labels)
        result.sets.append(CandidateSet(query=query, documents=documents, name=qid, source=result.source))
        if result.candidates_from == "run":
            params = {"source": Path(run_path).name, "depth": result.depth, "first_stage": True}
            backend, model, name = "trec", result.run_name, result.run_name
        else:
            params = {"k1": 1.5, "b": 0.75, "method": "lucene", "corpus_docs": result.n_corpus,
                      "depth": result.depth, "first_stage": True}
            from ..rerank.spec import LEXICAL

            backend, model, name = LEXICAL.name, "bm25", "bm25 first stage"
        result.runs.append(Run(instruction="", backend=backend, model_id=model, query_id=qid, status="imported",
                               params=params, name=name,
                               scores=[Result(doc_id=d, score=float(s), rank=i) for i, (d, s) in
                                       enumerate(items, start=1)]))
    notes.extend(intake.notes)


def _fetch_lazy(docs: Iterable[_Doc], queries: Iterable[tuple]) -> None:
    """Read the Parquet image cells of the documents (and queries) that need them."""
    by_table: dict[int, tuple[_Table, dict[int, _Doc]]] = {}
    for doc in docs:
        if doc.image is _LAZY:
            by_table.setdefault(id(doc.table), (doc.table, {}))[1][doc.line] = doc
    for table, wanted in by_table.values():
        col = _column(table.names, IMAGE)
        cells = _parquet_cells(table, col, set(wanted))
        for line, doc in wanted.items():
            doc.image = cells.get(line)
    q_tables: dict[int, tuple[_Table, dict[int, list]]] = {}
    for entry in queries:                  # [Query, row, table, image cell]
        if entry[3] is _LAZY:
            q_tables.setdefault(id(entry[2]), (entry[2], {}))[1][entry[1].line] = entry
    for table, wanted in q_tables.values():
        cells = _parquet_cells(table, _column(table.names, IMAGE), set(wanted))
        for line, entry in wanted.items():
            entry[3] = cells.get(line) if _has_image(cells.get(line)) else None


__all__ = ["DEFAULT_DEPTH", "BeirImport", "Layout", "find_layout", "read_beir"]
