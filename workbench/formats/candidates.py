"""Candidate sets in: validation of table rows into CandidateSets, ZIP and image-folder import,
and the bundled sample listing.

Canonical candidate format: one row per (query, document) with the required columns
``query_id, query_text, query_image, doc_id, doc_text, doc_image`` (values may be
empty, the columns must exist), optional ``label`` (0/1/2) and ``first_stage_score``;
every other column is kept in ``Document.metadata``. Image paths are relative to the
file and may not leave its folder.

Import never silently drops anything: valid rows become :class:`CandidateSet` objects,
every rejected row becomes a :class:`RowError` (file line + column + how to fix) in
``ImportResult.rejected``, downloadable with ``ImportResult.rejected_csv()``.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from .. import config, limits
from ..errors import ImageError, InputError, NothingImported, RowError
from ..i18n import error_text, t
from ..images import inspect_image
from ..model import LABEL_GRADES, CandidateSet, Document, Query
from ..i18n import nested
from . import image_data, safezip
from .decode import decode_text
from .export import to_csv_bytes
from .tables import (
    column_map,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    TABLE_SUFFIXES,
    RawRow,
    cell_text,
    parse_csv,
    parse_jsonl,
    coded_row_error,
    reject_bad_lines,
)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff",
                  ".heic", ".heif", ".avif")
SHOW_ERRORS = 5                      # row errors quoted in a NothingImported message

_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class ImportResult:
    """What an import produced: the valid sets, every rejected row, and notes."""

    sets: list[CandidateSet] = field(default_factory=list)
    rejected: list[RowError] = field(default_factory=list)
    encoding: str | None = None
    source: str = ""
    rows_read: int = 0
    notes: list[str] = field(default_factory=list)
    image_names: dict[str, str] = field(default_factory=dict)   # kept image path -> the name the file used

    @property
    def n_docs(self) -> int:
        return sum(len(s.documents) for s in self.sets)

    def rejected_frame(self, surface: str = "cli") -> pd.DataFrame:
        """Rejected rows: their original values plus line, column, error and fix (the fix as
        `surface` says it: "cli", or "app" for the Import page)."""
        value_cols: list[str] = []
        seen: set[str] = set()
        for err in self.rejected:
            for key in getattr(err, "values", {}) or {}:
                if key not in seen:
                    seen.add(key)
                    value_cols.append(key)
        # the report's own columns never clash with the file's: a file column named
        # `source`, `line`, `error` … keeps its name, the report's gets a leading "_"
        taken = set(value_cols)
        report = {}
        for key in ("line", "column", "error", "fix", "source"):
            name = key
            while name in taken:
                name = "_" + name
            report[key] = name
        records = []
        for err in self.rejected:
            rec = {k: (getattr(err, "values", {}) or {}).get(k, "") for k in value_cols}
            message, fix = error_text(err, surface=surface)   # in the UI's language (English in the CLI)
            rec.update({report["line"]: err.line if err.line is not None else "",
                        report["column"]: err.column or "", report["error"]: message,
                        report["fix"]: fix or "", report["source"]: err.source or ""})
            records.append(rec)
        frame = pd.DataFrame.from_records(records, columns=value_cols + list(report.values()))
        frame.attrs["report_columns"] = report
        return frame

    def rejected_csv(self, bom: bool = False, surface: str = "cli") -> bytes:
        return to_csv_bytes(self.rejected_frame(surface), bom=bom)

    def summary(self) -> str:
        lines = [f"{self.source}: imported {len(self.sets)} candidate set(s) with {self.n_docs} "
                 f"document(s)" + (f" (encoding {self.encoding})" if self.encoding else "")]
        if self.rejected:
            lines.append(f"rejected {len(self.rejected)} row(s):")
            lines.extend("  " + str(e).replace("\n", "\n    ") for e in self.rejected)
        lines.extend(self.notes)
        return "\n".join(lines)



# --------------------------------------------------------------------------- validation


class _Images:
    """Resolves image paths safely inside a base folder, inspecting each file once."""

    def __init__(self, base: Path):
        self.base = base.resolve()
        self._seen: dict[Path, Any] = {}
        self._by_value: dict[str, Path] = {}   # cell value -> resolved path (skips re-resolving)
        self.notes: list[str] = []             # e.g. data after an image's end that was not kept
        self.names: dict[str, str] = {}        # kept path -> the name the file used (the preview shows it)

    def resolve(self, value: str, column: str) -> tuple[str, str]:
        """-> (absolute path, sha256). Raises (message, fix) as ValueError args."""
        raw = value.strip()
        if raw in self._by_value:
            return self._result(self._by_value[raw], raw)
        if "\x00" in raw:
            raise _Bad("import.image_path_nul")
        norm = raw.replace("\\", "/")
        if re.match(r"^[a-z][a-z0-9+.-]*://", norm, re.I):
            raise _Bad("import.image_url", {"raw": raw})
        if norm.startswith("/") or _DRIVE.match(norm):
            raise _Bad("import.image_absolute", {"raw": raw})
        if ".." in PurePosixPath(norm).parts:
            raise _Bad("import.image_dotdot", {"raw": raw})
        path = (self.base / norm).resolve()
        if not path.is_relative_to(self.base):
            raise _Bad("import.image_link_outside", {"raw": raw})
        if path not in self._seen:
            try:
                if not path.is_file():
                    raise ImageError.coded("import.image_missing" if not path.exists()
                                           else "import.image_is_folder", {"raw": raw})
                try:   # only the image itself: junk after its end marker is not kept; size limit
                    kept, sha, note = image_data.kept_image(path, raw)
                except ValueError as too_big:
                    self._seen[path] = _Bad(*too_big.args)        # (code, params)
                else:
                    meta = inspect_image(kept)         # decoded and verified
                    self._seen[path] = (str(kept), sha or meta.sha256)
                    if note:
                        self.notes.append(note)
            except ImageError as exc:
                self._seen[path] = exc
        self._by_value[raw] = path
        return self._result(path, raw)

    def _result(self, path: Path, raw: str) -> tuple[str, str]:
        got = self._seen[path]
        if isinstance(got, _Bad):
            raise got
        if isinstance(got, ImageError):
            if got.code in ("import.image_missing", "import.image_is_folder"):
                raise _Bad(got.code, got.params)
            if got.fix:
                raise _Bad("import.image_unreadable", {"raw": raw, "reason": nested.message_of(got),
                                                       "fix": nested.fix_of(got)})
            raise _Bad("import.image_unreadable_nofix", {"raw": raw, "reason": nested.message_of(got)})
        self.names.setdefault(got[0], raw)
        return got


class _Bad(Exception):
    """A rejected value: its catalog code (err.<code>) and params; `message`/`fix` are the English texts."""

    def __init__(self, code: str, params: dict | None = None):
        err = nested.coded(InputError, code, params)
        super().__init__(err.message)
        self.code, self.params, self.message, self.fix = code, err.params, err.message, err.fix



def _parse_label(v: Any) -> int | None:
    s = cell_text(v)
    if not s:
        return None
    try:
        f = float(s)
    except ValueError:
        f = None
    if f is not None and f.is_integer() and int(f) in LABEL_GRADES:
        return int(f)
    raise _Bad("import.bad_label", {"value": s})


def _parse_score(v: Any) -> float | None:
    s = cell_text(v)
    if not s:
        return None
    try:
        f = float(s)
    except ValueError:
        raise _Bad("import.score_not_number", {"value": s}) from None
    if not math.isfinite(f):
        raise _Bad("import.score_not_finite", {"value": s})
    return f


def _build_sets(names: list[str], rows: list[RawRow], base: Path, source: str,
                set_prefix: str = "", notes: list[str] | None = None,
                image_names: dict[str, str] | None = None) -> tuple[list[CandidateSet], list[RowError]]:
    canon = column_map(names)
    extra = [n for n in names if n not in canon.values()]
    images = _Images(base)
    if image_names is not None:
        images.names = image_names
    if notes is not None:      # image notes (data after an image's end) go with the import's notes
        images.notes = notes
    rejected: list[RowError] = []
    order: list[str] = []
    queries: dict[str, tuple[Query, int]] = {}
    raw_qimg: dict[str, str] = {}
    docs: dict[str, dict[str, tuple[Document, int]]] = {}

    for row in rows:
        if row.error is not None:
            rejected.append(row.error)
            continue
        vals = row.values

        def get(col: str) -> str:
            return cell_text(vals.get(canon.get(col, col), ""))

        def fail(col: str | None, code: str, params: dict | None = None) -> None:
            rejected.append(coded_row_error(code, params, line=row.line,
                                            column=canon.get(col, col) if col else None, source=source, values=vals))

        qid, did = get("query_id"), get("doc_id")
        qtext, qimg, dtext, dimg = get("query_text"), get("query_image"), get("doc_text"), get("doc_image")
        if not qid:
            fail("query_id", "import.no_query_id")
            continue
        if not did:
            fail("doc_id", "import.no_doc_id")
            continue
        if not qtext and not qimg:
            fail("query_text", "import.empty_query", {"query": qid})
            continue
        if not dtext and not dimg:
            fail("doc_text", "import.empty_document", {"doc": did})
            continue
        try:
            label = _parse_label(vals.get(canon.get("label", "label"), ""))
        except _Bad as b:
            fail("label", b.code, b.params)
            continue
        try:
            fss = _parse_score(vals.get(canon.get("first_stage_score", "first_stage_score"), ""))
        except _Bad as b:
            fail("first_stage_score", b.code, b.params)
            continue
        if qid in queries:
            q, qline = queries[qid]
            if qtext != q.text:
                fail("query_text", "import.query_text_differs", {"query": qid, "first_line": qline,
                                                                 "text": _short(qtext), "first_text": _short(q.text)})
                continue
            if qimg != raw_qimg[qid]:
                fail("query_image", "import.query_image_differs", {"query": qid, "first_line": qline})
                continue
        else:
            q_path = q_hash = None
            if qimg:
                try:
                    q_path, q_hash = images.resolve(qimg, "query_image")
                except _Bad as b:
                    fail("query_image", b.code, b.params)
                    continue
            q = Query(id=qid, text=qtext, image=q_path, image_hash=q_hash)
        if did in docs.get(qid, {}):
            fail("doc_id", "import.duplicate_doc", {"doc": did, "query": qid, "first_line": docs[qid][did][1]})
            continue
        d_path = d_hash = None
        if dimg:
            try:
                d_path, d_hash = images.resolve(dimg, "doc_image")
            except _Bad as b:
                fail("doc_image", b.code, b.params)
                continue
        meta = {n: vals[n] for n in extra if cell_text(vals.get(n, ""))}
        doc = Document(id=did, text=dtext, image=d_path, image_hash=d_hash, metadata=meta,
                       first_stage_score=fss, label=label,
                       ocr_text=get("ocr_text") or None, ocr_edited=get("ocr_edited") or None,
                       description=get("description") or None)
        if qid not in queries:
            queries[qid] = (q, row.line)
            raw_qimg[qid] = qimg
            order.append(qid)
            docs[qid] = {}
        docs[qid][did] = (doc, row.line)

    sets = []
    for qid in order:
        q = queries[qid][0]
        sets.append(CandidateSet(query=q, documents=[d for d, _ in docs[qid].values()],
                                 name=f"{set_prefix}{qid}", source=source))
    return sets, rejected


def _short(s: str, n: int = 40) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


# --------------------------------------------------------------------------- public import


def read_candidates(path: str | Path, encoding: str | None = None, *, query_text: str | None = None,
                    name: str | None = None) -> ImportResult:
    """Import a candidate file: CSV/TSV, JSONL, a ZIP holding one of those plus images, or a folder.

    A folder holding exactly one CSV/JSONL imports that file; a folder of images needs
    ``query_text`` and becomes one set (see :func:`import_folder`). Raises
    :class:`NothingImported` (with ``.result`` attached) when no row is valid.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError.coded("import.no_such_file", {"path": str(path)})
    if path.is_dir():
        tables = tables_in(path)
        if len(tables) == 1:
            return read_candidates(tables[0], encoding, name=name)
        if len(tables) > 1:
            raise InputError.coded("import.folder_several_tables", {"path": str(path),
                                                                    "files": ", ".join(t.name for t in tables)})
        if not query_text:
            raise InputError.coded("import.folder_no_table", {"path": str(path)})
        return import_folder(path, query_text)
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _read_zip(path, encoding, name=name)
    if suffix in (".xlsx", ".xls", ".xlsm", ".numbers", ".ods"):
        raise InputError.coded("import.spreadsheet", {"name": path.name})
    if suffix not in TABLE_SUFFIXES:
        raise InputError.coded("import.unsupported_type" if suffix else "import.no_extension",
                               {"name": path.name, "suffix": suffix})
    return _read_table(path, path.parent, encoding, source=path.name, name=name)


def tables_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES and not p.name.startswith("."))


def _read_table(path: Path, base: Path, encoding: str | None, *, source: str,
                name: str | None = None, result: ImportResult | None = None,
                on_rows: Callable[[list[str], list[RawRow]], None] | None = None) -> ImportResult:
    size = path.stat().st_size
    if size > limits.TABLE_SIZE.bytes():
        raise limits.TABLE_SIZE.exceeded("import.file_too_big", {"name": source, "mb": f"{size / 2**20:,.0f}"})
    decoded = decode_text(path.read_bytes(), encoding, source)
    text, used = decoded.text, decoded.encoding
    decoded.text = ""                       # parse from one reference; freed as soon as it is parsed
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        names, rows, notes = parse_jsonl(text, source)
    else:
        names, rows, notes = parse_csv(text, source, "\t" if path.suffix.lower() == ".tsv" else None)
    del text
    notes = list(decoded.notes) + notes
    if decoded.bad_lines:
        reject_bad_lines(rows, decoded, source)
    notes.extend(_clean_rows(names, rows, source))
    if on_rows is not None:
        on_rows(names, rows)
    prefix = f"{name}: " if name else ""
    result = result or ImportResult()
    sets, rejected = _build_sets(names, rows, base, source, prefix, notes, result.image_names)
    result.sets.extend(sets)
    result.rejected.extend(rejected)
    result.encoding = used
    result.source = source
    result.rows_read = len(rows)
    result.notes.extend(notes)
    return _finish(result)


_ID_COLUMNS = ("query_id", "doc_id", "query_image", "doc_image")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean_rows(names: list[str], rows: list[RawRow], source: str) -> list[str]:
    """NUL bytes: an id (or image path) holding one rejects the row; in text they are removed.
    Lone UTF-16 surrogates (from JSON escapes) are rejected in ids and replaced in text."""
    ids = {n for n in names if n.lower() in _ID_COLUMNS}
    removed_rows = removed = 0
    for row in rows:
        if row.error is not None:
            continue
        touched = False
        for key, value in row.values.items():
            if not isinstance(value, str) or (value.isascii() and "\x00" not in value):
                continue
            nul = "\x00" in value
            sur = _SURROGATE.search(value) is not None
            if not (nul or sur):
                continue
            if key in ids:
                row.error = coded_row_error("import.id_nul" if nul else "import.id_surrogate", {"column": key},
                                            line=row.line, column=key, source=source,
                                      values={k: (v.replace("\x00", "\\0") if isinstance(v, str) else v)
                                              for k, v in row.values.items()})
                break
            if nul:
                removed += value.count("\x00")
                value = value.replace("\x00", "")
            if sur:
                value = _SURROGATE.sub("\ufffd", value)
            row.values[key] = value
            touched = True
        removed_rows += touched
    if removed_rows:
        return [f"removed {removed:,} NUL byte(s) / invalid character(s) from the text of {removed_rows:,} row(s) "
                "(NUL bytes cannot be stored in text)"]
    return []


def _finish(result: ImportResult) -> ImportResult:
    if not result.sets and not result.rejected:
        err = NothingImported.coded("import.no_rows", {"name": result.source})
        err.result = result
        raise err
    if not result.sets:
        more = len(result.rejected) - SHOW_ERRORS
        err = nested.coded(NothingImported, "import.all_rejected_more" if more > 0 else "import.all_rejected", {
            "name": result.source, "count": len(result.rejected),
            "rows": nested.rows_text(result.rejected[:SHOW_ERRORS]), "more": more})
        err.result = result
        raise err
    return result


def _clean_stale_unzips(folder: Path, max_age_s: float = 6 * 3600) -> None:
    """Remove temporary unzip folders left by killed processes (older than 6 hours)."""
    now = time.time()
    for old in folder.glob(".unzip-*"):
        try:
            if now - old.stat().st_mtime > max_age_s:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass


def _read_zip(path: Path, encoding: str | None, *, name: str | None = None) -> ImportResult:
    """A ZIP with one candidate file and its images. Unpacked within limits (safezip) into a
    temporary folder that is removed afterwards; only the table and the images its rows
    reference are unpacked, and those images are kept by content hash (image_data)."""
    result = ImportResult(source=path.name)
    with safezip.open_zip(path) as zf:
        safe: dict[str, zipfile.ZipInfo] = {}
        tables: list[str] = []
        for info in zf.infolist():
            if info.is_dir():
                continue
            member = info.filename.replace("\\", "/")
            if member.startswith("__MACOSX/") or PurePosixPath(member).name.startswith("._"):
                continue
            reason = safezip.unsafe_reason(info)
            if reason:
                result.rejected.append(coded_row_error(
                    "zip.entry_symlink" if reason == "symlink" else "zip.entry_outside", {"entry": info.filename},
                    line=None, column=None, source=f"{path.name}!{info.filename}",
                    values={"zip_entry": info.filename}))
                continue
            safe[member] = info
            if PurePosixPath(member).suffix.lower() in TABLE_SUFFIXES and not PurePosixPath(member).name.startswith("."):
                tables.append(member)
        if not tables:
            raise InputError.coded("zip.no_table", {"name": path.name})
        if len(tables) > 1:
            raise InputError.coded("zip.several_tables", {"name": path.name, "files": ", ".join(tables)})
        imports = config.home_dir() / "imports"
        imports.mkdir(parents=True, exist_ok=True)
        _clean_stale_unzips(imports)
        budget = safezip.Budget(path.name)
        with tempfile.TemporaryDirectory(prefix=".unzip-", dir=imports) as tmp:
            root = Path(tmp).resolve()
            table = root / tables[0]
            safezip.extract_member(zf, safe[tables[0]], table, budget, limits.TABLE_SIZE)
            table_dir = PurePosixPath(tables[0]).parent

            def extract_referenced(names: list[str], rows: list[RawRow]) -> None:
                cols = [n for n in names if n.lower() in ("query_image", "doc_image")]
                done: set[str] = set()
                for row in rows:
                    if row.error is not None:
                        continue
                    for col in cols:
                        value = cell_text(row.values.get(col, ""))
                        if not value or "\x00" in value:
                            continue
                        norm = value.replace("\\", "/")
                        if norm.startswith("/") or ".." in PurePosixPath(norm).parts:
                            continue                       # rejected with its reason by _Images
                        member = (table_dir / norm).as_posix() if str(table_dir) != "." else norm
                        if member in safe and member not in done:
                            done.add(member)
                            safezip.extract_member(zf, safe[member], root / member, budget,
                                                   limits.IMAGE_SIZE, image_data.image_limit(), truncate=True)

            result = _read_table(table, table.parent, encoding, source=f"{path.name}!{tables[0]}", name=name,
                                 result=result, on_rows=extract_referenced)
            _keep_images(result.sets, root, result.image_names)
    return result


def _keep_images(sets: list[CandidateSet], root: Path, names: dict[str, str] | None = None) -> None:
    """Move the images the sets use out of the temporary folder into the content store
    (`names`, ImportResult.image_names, follows them to their new paths)."""
    for cset in sets:
        for item in (cset.query, *cset.documents):
            if item.image and item.image_hash and Path(item.image).is_relative_to(root):
                old = item.image
                item.image = str(image_data.store_copy(Path(item.image), item.image_hash))
                if names is not None and old in names:
                    names.setdefault(item.image, names[old])


def import_folder(folder: str | Path, query_text: str, query_id: str | None = None, *,
                  query_image: str | Path | None = None) -> ImportResult:
    """A folder of images plus a query text -> one candidate set (doc ids = relative file paths)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise InputError.coded("import.not_a_folder", {"path": str(folder)})
    query_text = (query_text or "").strip()
    if not query_text and not query_image:
        raise InputError.coded("import.folder_no_query")
    source = folder.name or str(folder)
    result = ImportResult(source=source)
    imgs = _Images(folder)
    imgs.names = result.image_names
    q_path = q_hash = None
    if query_image:
        try:
            q_path, q_hash = imgs.resolve(str(query_image), "query_image")
        except _Bad as b:
            raise nested.coded(ImageError, "import.query_image_bad", {"reason": nested.message_of(b),
                                                                      "fix": nested.fix_of(b)}) from None
    docs: list[Document] = []
    ignored = 0
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or any(part.startswith(".") for part in p.relative_to(folder).parts):
            continue
        rel = p.relative_to(folder).as_posix()
        if q_path and p.resolve() == Path(q_path):
            continue
        if p.suffix.lower() not in IMAGE_SUFFIXES:
            ignored += 1
            continue
        try:
            path, sha = imgs.resolve(rel, "doc_image")
        except _Bad as b:
            result.rejected.append(coded_row_error(b.code, b.params, line=None, column="doc_image",
                                                   source=f"{source}/{rel}", values={"doc_id": rel, "doc_image": rel}))
            continue
        docs.append(Document(id=rel, image=path, image_hash=sha))
    if ignored:
        result.notes.append(t("import.note_not_images", n=ignored))
    result.rows_read = len(docs) + len(result.rejected)
    if docs:
        qid = query_id or source
        result.sets.append(CandidateSet(query=Query(id=qid, text=query_text, image=q_path, image_hash=q_hash),
                                        documents=docs, name=qid, source=str(folder)))
    elif not result.rejected:
        raise NothingImported.coded("import.folder_no_images", {"path": str(folder)})
    return _finish(result)


@dataclass(frozen=True)
class Sample:
    name: str          # folder name under data/samples
    title: str         # first heading of its README.md
    path: Path         # its candidates file


def list_samples(root: str | Path | None = None) -> list[Sample]:
    """The bundled sample sets (data/samples/<name>/candidates.csv + README.md title)."""
    root = Path(root) if root else config.SAMPLES_DIR
    out = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        tables = tables_in(d)
        if len(tables) != 1:
            continue
        title = d.name
        readme = d / "README.md"
        if readme.is_file():
            for line in readme.read_text(encoding="utf-8").splitlines():
                if line.startswith("# "):
                    title = line[2:].strip()
                    break
        out.append(Sample(d.name, title, tables[0]))
    return out
