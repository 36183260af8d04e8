"""Candidate-set import (CSV / JSONL / ZIP / image folder) and ranked-results export/import.

Canonical candidate format: one row per (query, document) with the required columns
``query_id, query_text, query_image, doc_id, doc_text, doc_image`` (values may be
empty, the columns must exist), optional ``label`` (0/1/2) and ``first_stage_score``;
every other column is kept in ``Document.metadata``. Image paths are relative to the
file and may not leave its folder.

Import never silently drops anything: valid rows become :class:`CandidateSet` objects,
every rejected row becomes a :class:`RowError` (file line + column + how to fix) in
``ImportResult.rejected``, downloadable with ``ImportResult.rejected_csv()``.

Export works on domain objects (``Run`` + labels) and returns bytes so pages can offer
download buttons: ``long_frame`` / ``wide_frame`` build DataFrames, ``to_csv_bytes`` /
``write_csv`` serialise them (optionally with a UTF-8 BOM for Excel) with cells that
could be read as spreadsheet formulas neutralised.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io as _io
import json
import math
import re
import shutil
import stat
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from . import config
from .errors import EncodingError, ImageError, InputError, NothingImported, RowError
from .images import inspect_image
from .model import LABEL_GRADES, CandidateSet, Document, Label, Query, Run, Result

REQUIRED_COLUMNS = ("query_id", "query_text", "query_image", "doc_id", "doc_text", "doc_image")
OPTIONAL_COLUMNS = ("label", "first_stage_score", "ocr_text", "ocr_edited", "description")
# Common names understood for the canonical columns (used only when the canonical name is absent).
COLUMN_ALIASES = {"text": "doc_text", "document": "doc_text", "doc": "doc_text", "image": "doc_image",
                  "query": "query_text", "qid": "query_id", "docid": "doc_id"}


def _column_map(names: list[str]) -> dict[str, str]:
    """canonical column -> the file's own column name, aliases included."""
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    canon = {n.lower(): n for n in names if n.lower() in known}
    for n in names:
        alias = COLUMN_ALIASES.get(n.lower())
        if alias and alias not in canon:
            canon[alias] = n
    return canon
# ocr_text / ocr_edited / description round-trip what `workbench ocr --input` writes.
LONG_COLUMNS = ["query_id", "doc_id", "rank", "score", "instruction", "backend", "model", "label"]
TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff",
                  ".heic", ".heif", ".avif")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MAX_ZIP_BYTES = 4 * 1024**3          # refuse archives that unpack to more than this
SHOW_ERRORS = 5                      # row errors quoted in a NothingImported message

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DRIVE = re.compile(r"^[A-Za-z]:")
_ENCODING_FIX = ("Re-save the file as UTF-8 (in Excel: 'CSV UTF-8'), or name its encoding, "
                 "e.g. --encoding gbk (or encoding='gbk').")


# --------------------------------------------------------------------------- results


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
        report = {}
        for key in ("line", "column", "error", "fix", "source"):
            name = key
            while name in value_cols:
                name = "_" + name
            report[key] = name
        records = []
        for err in self.rejected:
            rec = {k: (getattr(err, "values", {}) or {}).get(k, "") for k in value_cols}
            rec.update({report["line"]: err.line if err.line is not None else "",
                        report["column"]: err.column or "", report["error"]: err.message,
                        report["fix"]: err.fix or "", report["source"]: err.source or ""})
            records.append(rec)
        cols = value_cols + list(report.values())
        frame = pd.DataFrame.from_records(records, columns=cols)
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


def _row_error(message: str, fix: str, *, line: int | None, column: str | None,
               source: str | None, values: Mapping[str, Any] | None = None) -> RowError:
    err = RowError(message, fix, line=line, column=column, source=source)
    err.values = dict(values or {})  # the original row, for rejected_csv()
    return err


# --------------------------------------------------------------------------- decoding


def decode_bytes(data: bytes, encoding: str | None = None, source: str = "") -> tuple[str, str]:
    """Decode file bytes -> (text, encoding used). BOM sniff, UTF-8, GB18030, charset-normalizer."""
    name = source or "the file"
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise EncodingError(f"Unknown encoding '{encoding}'.",
                                "Use a Python codec name such as utf-8, utf-8-sig, utf-16, gbk or gb18030.") from None
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8") and data.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise EncodingError(f"{name} is not valid {encoding}: byte 0x{data[exc.start]:02x} on line {line} "
                                "cannot be decoded.",
                                "Pass the file's real encoding (e.g. --encoding gbk), leave out --encoding to detect it, "
                                "or re-save the file as UTF-8.") from None
    if data.startswith(codecs.BOM_UTF8):
        cands = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        cands = ["utf-32"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        cands = ["utf-16"]
    else:
        cands = ["utf-8"]
        sample = data[:4000]
        if sample and sample.count(b"\x00") * 4 > len(sample):   # UTF-16 without a BOM
            even_nulls = sample[0::2].count(b"\x00")
            cands = ["utf-16-le" if even_nulls < sample[1::2].count(b"\x00") else "utf-16-be"]
        elif b"\x00" not in sample:
            cands.append("gb18030")
    for enc in cands:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        return text, ("gbk" if enc == "gb18030" and _is_gbk(data) else enc)
    if b"\x00" not in data[:4000]:
        try:
            from charset_normalizer import from_bytes

            best = from_bytes(data).best()
        except Exception:  # pragma: no cover - optional helper failing is not the analyst's fault
            best = None
        if best is not None and best.encoding:
            return str(best), best.encoding
    raise EncodingError(f"Could not work out the text encoding of {name} (tried UTF-8, UTF-16, GBK/GB18030); "
                        "it may be a binary file such as .xlsx.", _ENCODING_FIX)


def _is_gbk(data: bytes) -> bool:
    try:
        data.decode("gbk")
        return True
    except UnicodeDecodeError:
        return False


# --------------------------------------------------------------------------- raw rows


@dataclass
class _RawRow:
    line: int
    values: dict[str, Any]
    error: RowError | None = None


def _parse_csv(text: str, source: str, delimiter: str | None = None, *,
               check: bool = True) -> tuple[list[str], list[_RawRow], list[str]]:
    notes: list[str] = []
    if delimiter is None:   # comma, or tab / semicolon when the header clearly uses those
        first = text.split("\n", 1)[0]
        delimiter = max((",", "\t", ";"), key=lambda d: (first.count(d), d == ","))
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{source} is empty.", "Add a header row with the columns " +
                         ", ".join(REQUIRED_COLUMNS) + " and one row per (query, document).") from None
    except csv.Error as exc:
        raise InputError(f"{source}: the header row cannot be read as CSV ({exc}).",
                         "Check the quotes in the first line.") from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    if check:
        _check_header(header, source)
    names: list[str] = []
    for i, h in enumerate(header):   # unnamed and repeated columns get unique names (no value is lost)
        h = h or f"column_{i + 1}"
        base, n = h, 2
        while h in names:
            h, n = f"{base}.{n}", n + 1
        names.append(h)
    rows: list[_RawRow] = []
    blank = 0
    prev_end = reader.line_num
    while True:
        start = prev_end + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            err = _row_error(f"the row cannot be read as CSV ({exc}).",
                             "Close the quote or remove the stray quote character in this row.",
                             line=start, column=None, source=source)
            rows.append(_RawRow(start, {}, err))
            prev_end = reader.line_num
            continue
        prev_end = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            blank += 1
            continue
        if len(fields) != len(names):
            values = {names[i] if i < len(names) else f"extra_{i + 1}": v for i, v in enumerate(fields)}
            if len(fields) < len(names):
                col = names[len(fields)]
                msg = (f"the row has {len(fields)} fields but the header has {len(names)}; "
                       f"'{col}' and later columns are missing.")
            else:
                col = f"field {len(names) + 1} (after '{names[-1]}')"
                msg = f"the row has {len(fields)} fields but the header has {len(names)}."
            err = _row_error(msg, "Give every row exactly one value per header column; quote values "
                                  "that contain commas (\"a, b\").",
                             line=start, column=col, source=source, values=values)
            rows.append(_RawRow(start, values, err))
            continue
        rows.append(_RawRow(start, dict(zip(names, fields))))
    if blank:
        notes.append(f"skipped {blank} blank row(s)")
    return names, rows, notes


def _json_array_lines(text: str, source: str) -> Iterator[tuple[int, str]]:
    """(line, JSON text) for each element of a top-level JSON array, keeping line numbers."""
    dec = json.JSONDecoder()
    idx = text.index("[") + 1
    ws = re.compile(r"[\s,]*")
    while True:
        idx = ws.match(text, idx).end()
        if idx >= len(text):
            raise InputError(f"{source}: the JSON array is not closed.", "End the file with ']'.")
        if text[idx] == "]":
            return
        line = text.count("\n", 0, idx) + 1
        try:
            _, end = dec.raw_decode(text, idx)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}, line {exc.lineno}: invalid JSON ({exc.msg}).",
                             "Fix the JSON syntax there, or save the rows as JSONL (one object per line).") from None
        yield line, text[idx:end]
        idx = end


def _parse_jsonl(text: str, source: str) -> tuple[list[str], list[_RawRow], list[str]]:
    rows: list[_RawRow] = []
    names: list[str] = []
    notes: list[str] = []
    blank = 0
    text = text.lstrip("\ufeff")
    if text.lstrip().startswith("["):      # a .json file holding an array of row objects
        items: Iterable[tuple[int, str]] = list(_json_array_lines(text, source))
    else:
        items = enumerate(text.splitlines(), start=1)
    for i, raw in items:
        if not raw.strip():
            blank += 1
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            rows.append(_RawRow(i, {"raw": raw}, _row_error(
                f"the line is not valid JSON ({exc.msg} at character {exc.colno}).",
                "Write one JSON object per line, e.g. {\"query_id\": \"q1\", \"doc_id\": \"d1\", ...}.",
                line=i, column=None, source=source, values={"raw": raw})))
            continue
        if not isinstance(obj, dict):
            rows.append(_RawRow(i, {"raw": raw}, _row_error(
                "the line is JSON but not an object.", "Write one JSON object ({...}) per line.",
                line=i, column=None, source=source, values={"raw": raw})))
            continue
        values = {str(k).strip(): ("" if v is None else v) for k, v in obj.items()}
        for k in values:
            if k not in names:
                names.append(k)
        rows.append(_RawRow(i, values))
    if blank:
        notes.append(f"skipped {blank} blank line(s)")
    if not names and not rows:
        raise InputError(f"{source} is empty.", "Write one JSON object per line with the keys " +
                         ", ".join(REQUIRED_COLUMNS) + ".")
    if names:
        _check_header(names, source)
    return names, rows, notes


def _check_header(names: list[str], source: str) -> None:
    aliased = {orig: c for c, orig in _column_map(names).items()}
    lowered = [aliased.get(n, n.lower()) for n in names]
    missing = [c for c in REQUIRED_COLUMNS if c not in lowered]
    if missing:
        raise InputError(
            f"{source} lacks the required column(s) {', '.join(missing)}. Found columns: "
            f"{', '.join(names) or '(none)'}.",
            "Add the missing column(s) to the header (values may be empty): " + ", ".join(REQUIRED_COLUMNS) +
            ". If the columns look right, the delimiter or encoding may be wrong (try --encoding).")
    dupes = sorted({n for n in lowered if lowered.count(n) > 1 and n in REQUIRED_COLUMNS + OPTIONAL_COLUMNS})
    if dupes:
        raise InputError(f"{source} has the column(s) {', '.join(dupes)} more than once.",
                         "Keep one column per name; rename or delete the copies.")


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


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return ""
    return v.strip() if isinstance(v, str) else str(v)


def _parse_label(v: Any) -> int | None:
    s = _text(v)
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
    s = _text(v)
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


def _build_sets(names: list[str], rows: list[_RawRow], base: Path, source: str,
                set_prefix: str = "") -> tuple[list[CandidateSet], list[RowError]]:
    canon = _column_map(names)
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
            return _text(vals.get(canon.get(col, col), ""))

        def fail(col: str | None, message: str, fix: str) -> None:
            rejected.append(_row_error(message, fix, line=row.line, column=canon.get(col, col) if col else None,
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
        meta = {n: vals[n] for n in extra if _text(vals.get(n, ""))}
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
        tables = _tables_in(path)
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


def _tables_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES and not p.name.startswith("."))


def _read_table(path: Path, base: Path, encoding: str | None, *, source: str,
                name: str | None = None, result: ImportResult | None = None) -> ImportResult:
    text, used = decode_bytes(path.read_bytes(), encoding, source)
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        names, rows, notes = _parse_jsonl(text, source)
    else:
        names, rows, notes = _parse_csv(text, source, "\t" if path.suffix.lower() == ".tsv" else None)
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
            "Fix the rows listed above (download the rejected rows as CSV to see all of them) and import again."
            if shown else "The file has a header but no data rows: add one row per (query, document) "
                          "and import again.")
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
                result.rejected.append(_row_error(
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
            result.rejected.append(_row_error(b.message, b.fix, line=None, column="doc_image",
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


# --------------------------------------------------------------------------- samples


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
        tables = _tables_in(d)
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


# --------------------------------------------------------------------------- export


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


def long_frame(runs: Iterable[Run], labels: Any = None, query_ids: Mapping[int, str] | None = None) -> pd.DataFrame:
    """One row per (run, document): query_id, doc_id, rank, score, instruction, backend, model, label.

    ``labels``: ``{doc_id: grade|Label}``, ``{set_id or query_id: {doc_id: grade|Label}}`` or a list of Label.
    ``query_ids``: ``{set_id: query_id}`` for runs whose ``query_id`` is not filled in.
    """
    lookup = _label_lookup(labels)
    records = []
    for run in runs:
        qid = _run_query_id(run, query_ids)
        for s in sorted(run.scores, key=lambda s: s.rank):
            records.append((qid, s.doc_id, s.rank, s.score, run.instruction, run.backend, run.model_id,
                            _grade(lookup, run, qid, s.doc_id)))
    df = pd.DataFrame.from_records(records, columns=LONG_COLUMNS)
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


def wide_frame(runs: Iterable[Run], labels: Any = None, query_ids: Mapping[int, str] | None = None) -> pd.DataFrame:
    """One row per (query_id, doc_id); a ``<run> rank`` and ``<run> score`` column pair per run.

    Runs with the same name/instruction over different queries share a column pair;
    a second run of the same instruction on the same query gets its own (``… #2``).
    """
    runs = list(runs)
    lookup = _label_lookup(labels)
    cols: list[str] = []
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    label_of: dict[tuple[str, str], Any] = {}
    used: dict[tuple[str, str], int] = {}
    for run, name in zip(runs, run_labels(runs)):
        qid = _run_query_id(run, query_ids)
        slot = used.get((name, qid), 0)
        used[(name, qid)] = slot + 1
        col = name if slot == 0 else f"{name} #{slot + 1}"
        if col not in cols:
            cols.append(col)
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


def _unneutral(v: str) -> str:
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


# --------------------------------------------------------------------------- ranked-results import


def read_ranked_csv(path: str | Path, encoding: str | None = None, *, name: str | None = None) -> list[Run]:
    """Read ranked results from another system as Runs (backend ``"imported"``, status ``"imported"``).

    Columns: ``query_id, doc_id`` and ``score`` and/or ``rank``; optional ``instruction``,
    ``backend``, ``model``, ``system`` (or ``run``/``tag``). One Run per (query_id, instruction, backend,
    model, system), named after its system. Without
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
    names, rows, _notes = _parse_csv(text, source, check=False)
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
            return _unneutral(_text(row.values.get(lower.get(col, ""), "")))

        def fail(col: str, msg: str, fix: str) -> None:
            errors.append(_row_error(msg, fix, line=row.line, column=lower.get(col, col), source=source,
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


__all__ = [
    "REQUIRED_COLUMNS", "LONG_COLUMNS", "ImportResult", "Sample", "decode_bytes", "read_candidates",
    "import_folder", "list_samples", "long_frame", "wide_frame", "run_labels", "neutralise",
    "to_csv_bytes", "write_csv", "export_long", "export_wide", "read_ranked_csv",
]
