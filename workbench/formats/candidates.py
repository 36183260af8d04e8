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

import hashlib
import math
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from .. import config
from ..errors import ImageError, InputError, NothingImported, RowError
from ..images import inspect_image
from ..model import LABEL_GRADES, CandidateSet, Document, Query
from .decode import decode_bytes
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
    row_error,
)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff",
                  ".heic", ".heif", ".avif")
MAX_ZIP_BYTES = 4 * 1024**3          # refuse archives that unpack to more than this
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

    @property
    def n_docs(self) -> int:
        return sum(len(s.documents) for s in self.sets)

    def rejected_frame(self) -> pd.DataFrame:
        """Rejected rows: their original values plus line, column, error and fix."""
        value_cols: list[str] = []
        for err in self.rejected:
            for key in getattr(err, "values", {}) or {}:
                if key not in value_cols:
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
            rec.update({report["line"]: err.line if err.line is not None else "",
                        report["column"]: err.column or "", report["error"]: err.message,
                        report["fix"]: err.fix or "", report["source"]: err.source or ""})
            records.append(rec)
        frame = pd.DataFrame.from_records(records, columns=value_cols + list(report.values()))
        frame.attrs["report_columns"] = report
        return frame

    def rejected_csv(self, bom: bool = False) -> bytes:
        return to_csv_bytes(self.rejected_frame(), bom=bom)

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

    def resolve(self, value: str, column: str) -> tuple[str, str]:
        """-> (absolute path, sha256). Raises (message, fix) as ValueError args."""
        raw = value.strip()
        if raw in self._by_value:
            return self._result(self._by_value[raw], raw)
        norm = raw.replace("\\", "/")
        if re.match(r"^[a-z][a-z0-9+.-]*://", norm, re.I):
            raise _Bad(f"'{raw}' is a URL; images are not downloaded.",
                       "Download the image next to the file and give its relative path.")
        if norm.startswith("/") or _DRIVE.match(norm):
            raise _Bad(f"'{raw}' is an absolute path; image paths must be relative to the imported file.",
                       "Copy the image into the file's folder (e.g. images/) and write the path relative "
                       "to the file, e.g. images/cat.jpg.")
        if ".." in PurePosixPath(norm).parts:
            raise _Bad(f"'{raw}' uses '..' to leave the set's folder.",
                       "Keep images inside the file's folder (e.g. images/) and refer to them without '..'.")
        path = (self.base / norm).resolve()
        if not path.is_relative_to(self.base):
            raise _Bad(f"'{raw}' points outside the set's folder (through a link).",
                       "Copy the image itself into the file's folder.")
        if path not in self._seen:
            try:
                if not path.is_file():
                    raise ImageError(f"image file '{raw}' does not exist." if not path.exists()
                                     else f"'{raw}' is a folder, not an image file.",
                                     "Check the spelling (paths are case-sensitive) and that the image is "
                                     "in the folder of the imported file (when uploading, put the file and "
                                     "its images in one ZIP), or leave the cell empty.")
                meta = inspect_image(path)
                self._seen[path] = (str(path), meta.sha256)
            except ImageError as exc:
                self._seen[path] = exc
        self._by_value[raw] = path
        return self._result(path, raw)

    def _result(self, path: Path, raw: str) -> tuple[str, str]:
        got = self._seen[path]
        if isinstance(got, ImageError):
            msg = got.message
            if "does not exist" in msg or "folder, not" in msg:
                raise _Bad(msg, got.fix or "")
            raise _Bad(f"image '{raw}' cannot be read: {msg}", got.fix or "Re-export the image as JPEG or PNG.")
        return got


class _Bad(Exception):
    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.message, self.fix = message, fix



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
    raise _Bad(f"label '{s}' is not a relevance grade.",
               "Use 0 (not relevant), 1 (partly relevant) or 2 (relevant), or leave it empty.")


def _parse_score(v: Any) -> float | None:
    s = cell_text(v)
    if not s:
        return None
    try:
        f = float(s)
    except ValueError:
        raise _Bad(f"first_stage_score '{s}' is not a number.",
                   "Write a plain number such as 0.82 (dot as decimal separator) or leave it empty.") from None
    if not math.isfinite(f):
        raise _Bad(f"first_stage_score '{s}' is not a finite number.", "Write a finite number or leave it empty.")
    return f


def _build_sets(names: list[str], rows: list[RawRow], base: Path, source: str,
                set_prefix: str = "") -> tuple[list[CandidateSet], list[RowError]]:
    canon = column_map(names)
    extra = [n for n in names if n not in canon.values()]
    images = _Images(base)
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

        def fail(col: str | None, message: str, fix: str) -> None:
            rejected.append(row_error(message, fix, line=row.line, column=canon.get(col, col) if col else None,
                                       source=source, values=vals))

        qid, did = get("query_id"), get("doc_id")
        qtext, qimg, dtext, dimg = get("query_text"), get("query_image"), get("doc_text"), get("doc_image")
        if not qid:
            fail("query_id", "query_id is empty.", "Give every row the id of its query (e.g. q1).")
            continue
        if not did:
            fail("doc_id", "doc_id is empty.", "Give every row a document id, unique within its query.")
            continue
        if not qtext and not qimg:
            fail("query_text", f"query '{qid}' is empty: it has neither query_text nor query_image.",
                 "Write the query text, or give the path of a query image, on every row of this query.")
            continue
        if not dtext and not dimg:
            fail("doc_text", f"document '{did}' has neither doc_text nor doc_image.",
                 "Write the document text or give the path of its image, or delete the row.")
            continue
        try:
            label = _parse_label(vals.get(canon.get("label", "label"), ""))
        except _Bad as b:
            fail("label", b.message, b.fix)
            continue
        try:
            fss = _parse_score(vals.get(canon.get("first_stage_score", "first_stage_score"), ""))
        except _Bad as b:
            fail("first_stage_score", b.message, b.fix)
            continue
        if qid in queries:
            q, qline = queries[qid]
            if qtext != q.text:
                fail("query_text", f"query '{qid}' has a different query_text than on line {qline} "
                     f"('{_short(qtext)}' vs '{_short(q.text)}').",
                     "Use the same query_text on every row of one query_id, or give the other query its own id.")
                continue
            if qimg != raw_qimg[qid]:
                fail("query_image", f"query '{qid}' has a different query_image than on line {qline}.",
                     "Use the same query_image on every row of one query_id, or give the other query its own id.")
                continue
        else:
            q_path = q_hash = None
            if qimg:
                try:
                    q_path, q_hash = images.resolve(qimg, "query_image")
                except _Bad as b:
                    fail("query_image", b.message, b.fix)
                    continue
            q = Query(id=qid, text=qtext, image=q_path, image_hash=q_hash)
        if did in docs.get(qid, {}):
            fail("doc_id", f"doc_id '{did}' appears twice in query '{qid}' (first on line "
                 f"{docs[qid][did][1]}).", "Give each document of a query its own doc_id, or delete the duplicate row.")
            continue
        d_path = d_hash = None
        if dimg:
            try:
                d_path, d_hash = images.resolve(dimg, "doc_image")
            except _Bad as b:
                fail("doc_image", b.message, b.fix)
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
        raise InputError(f"'{path}' does not exist.", "Check the path of the file to import.")
    if path.is_dir():
        tables = tables_in(path)
        if len(tables) == 1:
            return read_candidates(tables[0], encoding, name=name)
        if len(tables) > 1:
            raise InputError(f"The folder '{path}' holds several candidate files: "
                             f"{', '.join(t.name for t in tables)}.", "Import one of them by its file name.")
        if not query_text:
            raise InputError(f"'{path}' is a folder with no CSV/JSONL file in it.",
                             "To import a folder of images as one set, type the query text (CLI: --query-text).")
        return import_folder(path, query_text)
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _read_zip(path, encoding, name=name)
    if suffix in (".xlsx", ".xls", ".xlsm", ".numbers", ".ods"):
        raise InputError(f"'{path.name}' is a spreadsheet, not a text table.",
                         "In Excel use File > Save As > 'CSV UTF-8 (comma delimited)' and import the .csv.")
    if suffix not in TABLE_SUFFIXES:
        raise InputError(f"'{path.name}' is not a supported candidate file ({suffix or 'no extension'}).",
                         "Import a .csv, .tsv, .jsonl or .zip file, or a folder of images with a query text "
                         "(CLI: --query-text).")
    return _read_table(path, path.parent, encoding, source=path.name, name=name)


def tables_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES and not p.name.startswith("."))


def _read_table(path: Path, base: Path, encoding: str | None, *, source: str,
                name: str | None = None, result: ImportResult | None = None) -> ImportResult:
    text, used = decode_bytes(path.read_bytes(), encoding, source)
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        names, rows, notes = parse_jsonl(text, source)
    else:
        names, rows, notes = parse_csv(text, source, "\t" if path.suffix.lower() == ".tsv" else None)
    prefix = f"{name}: " if name else ""
    sets, rejected = _build_sets(names, rows, base, source, prefix)
    result = result or ImportResult()
    result.sets.extend(sets)
    result.rejected.extend(rejected)
    result.encoding = used
    result.source = source
    result.rows_read = len(rows)
    result.notes.extend(notes)
    return _finish(result)


def _finish(result: ImportResult) -> ImportResult:
    if not result.sets and not result.rejected:
        err = NothingImported(f"{result.source} has a header but no data rows, so nothing was imported.",
                              "Add one row per (query, document) under the header and import again.")
        err.result = result
        raise err
    if not result.sets:
        shown = "\n".join("  " + str(e).replace("\n", "\n    ") for e in result.rejected[:SHOW_ERRORS])
        more = len(result.rejected) - SHOW_ERRORS
        err = NothingImported(
            f"{result.source}: nothing was imported; all {len(result.rejected)} row(s) were rejected"
            + (":\n" + shown if shown else ".") + (f"\n  … and {more} more" if more > 0 else ""),
            "Fix the rows listed above (download the rejected rows as CSV to see all of them) and import again.")
        err.result = result
        raise err
    return result


def _read_zip(path: Path, encoding: str | None, *, name: str | None = None) -> ImportResult:
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise InputError(f"'{path.name}' is not a readable ZIP archive.", "Re-create the ZIP and import it again.") from None
    result = ImportResult(source=path.name)
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
            raise InputError(f"'{path.name}' unpacks to more than {MAX_ZIP_BYTES // 1024**3} GB.",
                             "Split the set into smaller archives.")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        dest = config.home_dir() / "imports" / f"{path.stem}-{digest}"
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        root = dest.resolve()
        tables: list[str] = []
        for info in infos:
            member = info.filename.replace("\\", "/")
            parts = PurePosixPath(member).parts
            if member.startswith("__MACOSX/") or PurePosixPath(member).name.startswith("._"):
                continue
            target = (root / member).resolve()
            is_link = stat.S_ISLNK(info.external_attr >> 16)
            if (member.startswith("/") or _DRIVE.match(member) or ".." in parts or is_link
                    or not target.is_relative_to(root)):
                result.rejected.append(row_error(
                    f"ZIP entry '{info.filename}' " + ("is a symbolic link" if is_link else
                                                       "points outside the archive folder (zip-slip)")
                    + "; it was not extracted.",
                    "Re-create the ZIP from inside the set's folder so that every entry is a plain relative path.",
                    line=None, column=None, source=f"{path.name}!{info.filename}",
                    values={"zip_entry": info.filename}))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            if PurePosixPath(member).suffix.lower() in TABLE_SUFFIXES and not PurePosixPath(member).name.startswith("."):
                tables.append(member)
    if not tables:
        raise InputError(f"'{path.name}' holds no CSV or JSONL file.",
                         "Put one candidates.csv (or .jsonl) in the ZIP next to its images.")
    if len(tables) > 1:
        raise InputError(f"'{path.name}' holds several candidate files: {', '.join(tables)}.",
                         "Put exactly one CSV/JSONL file in the ZIP.")
    table = root / tables[0]
    return _read_table(table, table.parent, encoding, source=f"{path.name}!{tables[0]}", name=name, result=result)


def import_folder(folder: str | Path, query_text: str, query_id: str | None = None, *,
                  query_image: str | Path | None = None) -> ImportResult:
    """A folder of images plus a query text -> one candidate set (doc ids = relative file paths)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise InputError(f"'{folder}' is not a folder.", "Give the path of a folder that holds the images.")
    query_text = (query_text or "").strip()
    if not query_text and not query_image:
        raise InputError("The query is empty.", "Type the query text for the folder of images "
                         "(CLI: --query-text).")
    source = folder.name or str(folder)
    result = ImportResult(source=source)
    imgs = _Images(folder)
    q_path = q_hash = None
    if query_image:
        try:
            q_path, q_hash = imgs.resolve(str(query_image), "query_image")
        except _Bad as b:
            raise ImageError(f"query image: {b.message}", b.fix) from None
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
            result.rejected.append(row_error(b.message, b.fix, line=None, column="doc_image",
                                              source=f"{source}/{rel}", values={"doc_id": rel, "doc_image": rel}))
            continue
        docs.append(Document(id=rel, image=path, image_hash=sha))
    if ignored:
        result.notes.append(f"ignored {ignored} file(s) that are not images")
    result.rows_read = len(docs) + len(result.rejected)
    if docs:
        qid = query_id or source
        result.sets.append(CandidateSet(query=Query(id=qid, text=query_text, image=q_path, image_hash=q_hash),
                                        documents=docs, name=qid, source=str(folder)))
    elif not result.rejected:
        raise NothingImported(f"The folder '{folder}' holds no images.",
                              "Put .jpg/.png/.webp images in the folder (sub-folders are included).")
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
