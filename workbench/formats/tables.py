"""Table rows from CSV/TSV and JSONL/JSON-array text, with per-row errors (line + column).

A row that cannot be read becomes a :class:`RawRow` carrying a :class:`RowError`; the
header is checked for the candidate columns. No validation of the values happens here
(that is :mod:`workbench.formats.candidates`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InputError, RowError

REQUIRED_COLUMNS = ("query_id", "query_text", "query_image", "doc_id", "doc_text", "doc_image")
OPTIONAL_COLUMNS = ("label", "first_stage_score", "ocr_text", "ocr_edited", "description")
# Common names understood for the canonical columns (used only when the canonical name is absent).
COLUMN_ALIASES = {"text": "doc_text", "document": "doc_text", "doc": "doc_text", "image": "doc_image",
                  "query": "query_text", "qid": "query_id", "docid": "doc_id"}


def column_map(names: list[str]) -> dict[str, str]:
    """canonical column -> the file's own column name, aliases included."""
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    canon = {n.lower(): n for n in names if n.lower() in known}
    for n in names:
        alias = COLUMN_ALIASES.get(n.lower())
        if alias and alias not in canon:
            canon[alias] = n
    return canon
# ocr_text / ocr_edited / description round-trip what `workbench ocr --input` writes.
TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json")


def row_error(message: str, fix: str, *, line: int | None, column: str | None,
               source: str | None, values: Mapping[str, Any] | None = None) -> RowError:
    err = RowError(message, fix, line=line, column=column, source=source)
    err.values = dict(values or {})  # the original row, for rejected_csv()
    return err


def cell_text(v: Any) -> str:
    """A cell as stripped text ('' for None / NaN)."""
    if v is None:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return ""
    return v.strip() if isinstance(v, str) else str(v)


@dataclass
class RawRow:
    line: int
    values: dict[str, Any]
    error: RowError | None = None


def parse_csv(text: str, source: str, delimiter: str | None = None, *,
               check: bool = True) -> tuple[list[str], list[RawRow], list[str]]:
    notes: list[str] = []
    if delimiter is None:   # comma, or tab / semicolon when the header clearly uses those
        first = text.split("\n", 1)[0]
        delimiter = max((",", "\t", ";"), key=lambda d: (first.count(d), d == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
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
        check_header(header, source)
    names: list[str] = []
    for i, h in enumerate(header):   # unnamed and repeated columns get unique names (no value is lost)
        h = h or f"column_{i + 1}"
        base, n = h, 2
        while h in names:
            h, n = f"{base}.{n}", n + 1
        names.append(h)
    rows: list[RawRow] = []
    blank = 0
    prev_end = reader.line_num
    while True:
        start = prev_end + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            err = row_error(f"the row cannot be read as CSV ({exc}).",
                             "Close the quote or remove the stray quote character in this row.",
                             line=start, column=None, source=source)
            rows.append(RawRow(start, {}, err))
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
            err = row_error(msg, "Give every row exactly one value per header column; quote values "
                                  "that contain commas (\"a, b\").",
                             line=start, column=col, source=source, values=values)
            rows.append(RawRow(start, values, err))
            continue
        rows.append(RawRow(start, dict(zip(names, fields))))
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


def parse_jsonl(text: str, source: str) -> tuple[list[str], list[RawRow], list[str]]:
    rows: list[RawRow] = []
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
            rows.append(RawRow(i, {"raw": raw}, row_error(
                f"the line is not valid JSON ({exc.msg} at character {exc.colno}).",
                "Write one JSON object per line, e.g. {\"query_id\": \"q1\", \"doc_id\": \"d1\", ...}.",
                line=i, column=None, source=source, values={"raw": raw})))
            continue
        if not isinstance(obj, dict):
            rows.append(RawRow(i, {"raw": raw}, row_error(
                "the line is JSON but not an object.", "Write one JSON object ({...}) per line.",
                line=i, column=None, source=source, values={"raw": raw})))
            continue
        values = {str(k).strip(): ("" if v is None else v) for k, v in obj.items()}
        for k in values:
            if k not in names:
                names.append(k)
        rows.append(RawRow(i, values))
    if blank:
        notes.append(f"skipped {blank} blank line(s)")
    if not names and not rows:
        raise InputError(f"{source} is empty.", "Write one JSON object per line with the keys " +
                         ", ".join(REQUIRED_COLUMNS) + ".")
    if names:
        check_header(names, source)
    return names, rows, notes


def check_header(names: list[str], source: str) -> None:
    aliased = {orig: c for c, orig in column_map(names).items()}
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
