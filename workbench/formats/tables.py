"""Table rows from CSV/TSV and JSONL/JSON-array text, with per-row errors (line + column).

A row that cannot be read becomes a :class:`RawRow` carrying a :class:`RowError`; the
header is checked for the candidate columns. No validation of the values happens here
(that is :mod:`workbench.formats.candidates`).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .. import limits
from ..errors import InputError, RowError
from ..i18n import t

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


def coded_row_error(code: str, params: dict | None = None, *, line: int | None, column: str | None,
                    source: str | None, values: Mapping[str, Any] | None = None) -> RowError:
    """A rejected row whose texts come from the catalogs (err.<code>), see WorkbenchError.coded."""
    from ..i18n import nested
    err = nested.coded(RowError, code, params, line=line, column=column, source=source)
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


def unique_names(header: list[str]) -> list[str]:
    """Unnamed and repeated columns get unique names (no value is lost); linear time."""
    names: list[str] = []
    taken: set[str] = set()
    next_n: dict[str, int] = {}
    for i, h in enumerate(header):
        h = h or f"column_{i + 1}"
        base = h
        n = next_n.get(base, 2)
        while h in taken:
            h, n = f"{base}.{n}", n + 1
        next_n[base] = n
        taken.add(h)
        names.append(h)
    return names


def _too_many_columns(n: int, source: str) -> InputError:
    return limits.COLUMNS.exceeded("table.too_many_columns", {"name": source, "count": f"{n:,}"})


def _field_too_big(line: int, source: str) -> RowError:
    lim = limits.FIELD_SIZE
    return coded_row_error("csv.field_too_big", {"limit": lim.shown(), "env": lim.env, "now": f"{lim.value():g}",
                                                 "example": f"{lim.value() * 4:g}"},
                           line=line, column=None, source=source)


def _row_too_long(line: int, size: int | None, source: str, values: dict) -> RowError:
    lim = limits.LINE_SIZE
    params = {"limit": lim.shown(), "env": lim.env, "now": f"{lim.value():g}", "example": f"{lim.value() * 4:g}"}
    if size:
        return coded_row_error("table.row_too_long_size", {**params, "mb": f"{size / 2**20:,.1f}"},
                               line=line, column=None, source=source, values=values)
    return coded_row_error("table.row_too_long", params, line=line, column=None, source=source, values=values)


_LONG = "\x00\x01workbench: line over the row limit\x01\x00"


def _csv_lines(text: str, max_line: int) -> Iterator[str]:
    """The text's lines for csv.reader, without copying the text into a StringIO (4 bytes per
    character). A line longer than `max_line` is never handed over: a marker stands in for
    it, and the row holding the marker is rejected as too long."""
    head = text[:1 << 20]
    sep = "\r" if "\n" not in head and "\r" in head else "\n"     # old Mac "CSV (Macintosh)": CR only
    start, n = 0, len(text)
    while start < n:
        end = text.find(sep, start)
        stop = n if end == -1 else end + 1
        if stop - start > max_line:
            yield _LONG + (sep if end != -1 else "")
        else:
            yield text[start:stop]
        start = stop


def parse_csv(text: str, source: str, delimiter: str | None = None, *,
               check: bool = True) -> tuple[list[str], list[RawRow], list[str]]:
    notes: list[str] = []
    if delimiter is None:   # comma, or tab / semicolon when the header clearly uses those
        end = text.find("\n", 0, limits.LINE_SIZE.bytes())
        first = text[:end if end >= 0 else limits.LINE_SIZE.bytes()]
        delimiter = max((",", "\t", ";"), key=lambda d: (first.count(d), d == ","))
    csv.field_size_limit(max(limits.FIELD_SIZE.bytes(), 1))
    max_columns = limits.COLUMNS.count()
    max_row = limits.LINE_SIZE.bytes()
    reader = csv.reader(_csv_lines(text, max_row), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError.coded("csv.empty", {"name": source, "columns": ", ".join(REQUIRED_COLUMNS)}) from None
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise limits.FIELD_SIZE.exceeded("csv.header_field_too_big", {"name": source}) from None
        raise InputError.coded("csv.bad_header", {"name": source, "reason": str(exc)}) from None
    if any(_LONG in h for h in header):
        raise limits.LINE_SIZE.exceeded("csv.header_too_long", {"name": source})
    if len(header) > max_columns:
        raise _too_many_columns(len(header), source)
    header = [h.strip().lstrip("\ufeff") for h in header]
    if check:
        check_header(header, source)
    names = unique_names(header)
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
            if "field limit" in str(exc):
                err = _field_too_big(start, source)
            else:
                err = coded_row_error("csv.bad_row", {"reason": str(exc)}, line=start, column=None, source=source)
            rows.append(RawRow(start, {}, err))
            prev_end = reader.line_num
            continue
        prev_end = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            blank += 1
            continue
        size = sum(map(len, fields))
        if size > max_row or any(_LONG in f for f in fields):
            size = None if any(_LONG in f for f in fields) else size
            rows.append(RawRow(start, {}, _row_too_long(start, size, source, {})))
            continue
        if len(fields) != len(names):
            values = {names[i] if i < len(names) else f"extra_{i + 1}": v for i, v in enumerate(fields)}
            counts = {"fields": len(fields), "columns": len(names)}
            if len(fields) < len(names):
                col = names[len(fields)]
                code, counts["column"] = "csv.fields_missing", col
            else:
                col = f"field {len(names) + 1} (after '{names[-1]}')"
                code = "csv.fields_extra"
            err = coded_row_error(code, counts, line=start, column=col, source=source, values=values)
            rows.append(RawRow(start, values, err))
            continue
        rows.append(RawRow(start, dict(zip(names, fields))))
    if blank:
        notes.append(t("import.note_blank_rows", n=blank))
    return names, rows, notes


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_depth(text: str, start: int = 0, stop_at_zero: bool = False) -> tuple[int, int]:
    """(deepest nesting of arrays/objects, end position) of JSON text, in linear time
    without decoding it (brackets inside strings are skipped). With `stop_at_zero` the scan
    ends where the first value opened at `start` closes."""
    depth = deepest = 0
    pos = start
    for m in _JSON_TOKEN.finditer(text, start):
        c = m.group()
        pos = m.end()
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
            if stop_at_zero and depth <= 0:
                return deepest, pos
    return deepest, pos


def _too_deep(depth: int, line: int, source: str) -> RowError:
    lim = limits.JSON_DEPTH
    return coded_row_error("json.too_deep", {"depth": f"{depth:,}", "limit": lim.shown(), "env": lim.env,
                                             "now": f"{lim.value():g}"}, line=line, column=None, source=source)


def _json_array_lines(text: str, source: str) -> Iterator[tuple[int, str]]:
    """(line, JSON text) for each element of a top-level JSON array, keeping line numbers.
    An element nested deeper than the limit is yielded with its depth error instead of text."""
    dec = json.JSONDecoder()
    idx = text.index("[") + 1
    ws = re.compile(r"[\s,]*")
    max_depth = limits.JSON_DEPTH.count()
    line, counted = 1, 0
    while True:
        idx = ws.match(text, idx).end()
        if idx >= len(text):
            raise InputError.coded("json.array_not_closed", {"name": source})
        if text[idx] == "]":
            return
        line += text.count("\n", counted, idx)        # incremental: linear over the whole file
        counted = idx
        if text[idx] in "[{":
            depth, end = json_depth(text, idx, stop_at_zero=True)
            if depth > max_depth:
                yield line, _DepthError(depth)
                idx = end
                continue
        try:
            _, end = dec.raw_decode(text, idx)
        except json.JSONDecodeError as exc:
            raise InputError.coded("json.invalid", {"name": source, "line": exc.lineno, "reason": exc.msg}) from None
        except (ValueError, RecursionError) as exc:     # e.g. an integer of more than 4300 digits
            if "digits" in str(exc):
                raise InputError.coded("json.number_too_long", {"name": source, "line": line}) from None
            raise InputError.coded("json.bad_value", {"name": source, "line": line, "reason": str(exc)}) from None
        yield line, text[idx:end]
        idx = end


class _DepthError(str):
    """Stands in for an array element that is nested too deep (carries its depth)."""

    def __new__(cls, depth: int):
        obj = super().__new__(cls, "")
        obj.depth = depth
        return obj


def parse_jsonl(text: str, source: str) -> tuple[list[str], list[RawRow], list[str]]:
    rows: list[RawRow] = []
    names: list[str] = []
    notes: list[str] = []
    blank = 0
    text = text.lstrip("\ufeff")
    if text.lstrip().startswith("["):      # a .json file holding an array of row objects
        items: Iterable[tuple[int, str]] = list(_json_array_lines(text, source))
    else:
        # split on newlines only: str.splitlines() also breaks at U+2028, \x1c… that JSON strings may hold
        sep = "\r" if "\n" not in text and "\r" in text else "\n"      # CR-only line ends (old Mac)
        body = text[:-1] if text.endswith(sep) else text
        items = enumerate((ln[:-1] if ln.endswith("\r") else ln for ln in body.split(sep)), start=1)
    max_depth = limits.JSON_DEPTH.count()
    max_row = limits.LINE_SIZE.bytes()
    max_columns = limits.COLUMNS.count()
    seen: set[str] = set()
    for i, raw in items:
        if isinstance(raw, _DepthError):
            rows.append(RawRow(i, {}, _too_deep(raw.depth, i, source)))
            continue
        if not raw.strip():
            blank += 1
            continue
        if len(raw) > max_row:
            rows.append(RawRow(i, {}, _row_too_long(i, len(raw), source, {})))
            continue
        if raw.count("[") + raw.count("{") > max_depth:       # cheap pre-check, then the exact depth
            depth = json_depth(raw)[0]
            if depth > max_depth:
                rows.append(RawRow(i, {}, _too_deep(depth, i, source)))
                continue
        try:
            obj = json.loads(raw)
        except RecursionError:
            rows.append(RawRow(i, {}, _too_deep(json_depth(raw)[0], i, source)))
            continue
        except json.JSONDecodeError as exc:
            rows.append(RawRow(i, {"raw": raw}, coded_row_error(
                "json.line_invalid", {"reason": exc.msg, "char": exc.colno},
                line=i, column=None, source=source, values={"raw": raw})))
            continue
        except ValueError as exc:                       # e.g. an integer of more than 4300 digits
            rows.append(RawRow(i, {"raw": raw}, coded_row_error(
                "json.line_number_too_long" if "digits" in str(exc) else "json.line_bad_value",
                {} if "digits" in str(exc) else {"reason": str(exc)},
                line=i, column=None, source=source, values={"raw": raw})))
            continue
        if not isinstance(obj, dict):
            rows.append(RawRow(i, {"raw": raw}, coded_row_error(
                "json.line_not_object", {}, line=i, column=None, source=source, values={"raw": raw})))
            continue
        values = {str(k).strip(): ("" if v is None else v) for k, v in obj.items()}
        for k in values:
            if k not in seen:
                seen.add(k)
                names.append(k)
        if len(names) > max_columns:
            raise _too_many_columns(len(names), source)
        rows.append(RawRow(i, values))
    if blank:
        notes.append(t("import.note_blank_lines", n=blank))
    if not names and not rows:
        raise InputError.coded("json.empty", {"name": source, "columns": ", ".join(REQUIRED_COLUMNS)})
    if names:
        check_header(names, source)
    return names, rows, notes


def check_header(names: list[str], source: str) -> None:
    """Required columns present, known columns not repeated. Linear in the number of columns;
    common aliases (`text`, `image`, `query` …) count as their canonical column."""
    aliased = {orig: c for c, orig in column_map(names).items()}
    lowered = [aliased.get(n, n.lower()) for n in names]
    counts: dict[str, int] = {}
    for n in lowered:
        counts[n] = counts.get(n, 0) + 1
    # ids are required; each side needs its text or its image column (a text-only file need
    # not carry empty image columns, an image-only one no empty text columns)
    missing = [c for c in ("query_id", "doc_id") if c not in counts]
    for side in ("query", "doc"):
        if f"{side}_text" not in counts and f"{side}_image" not in counts:
            missing.append(f"{side}_text or {side}_image")
    if missing:
        shown = ", ".join(names[:20]) + (f", … ({len(names):,} columns)" if len(names) > 20 else "")
        raise InputError.coded("table.missing_columns" if shown else "table.no_columns",
                               {"name": source, "missing": ", ".join(missing), "found": shown,
                                "columns": ", ".join(REQUIRED_COLUMNS)})
    dupes = sorted(n for n, c in counts.items() if c > 1 and n in REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
    if dupes:
        raise InputError.coded("table.duplicate_columns", {"name": source, "columns": ", ".join(dupes)})
