"""`workbench ocr`: fill in [OCR]/[TEXT] descriptions for a session's sets or a candidate file."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from .. import ocr
from ..errors import Cancelled, InputError
from ._output import check_output, write_output


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ocr", help="OCR document images into [OCR] … [TEXT] … descriptions",
        description="Read the text in every document image with tesseract and build the description the "
                    "rerankers use: '[OCR] <image text> [TEXT] <document text>'. An analyst's edited OCR "
                    "text is kept and wins over the new OCR. Results are cached by image content.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--session", help="session (name or id) whose candidate sets are updated in the database")
    src.add_argument("--input", metavar="FILE", help="candidate file (CSV/JSONL/ZIP/folder) to read")
    p.add_argument("--output", metavar="FILE",
                   help="CSV to write with --input (default: <input>.ocr.csv next to the input)")
    p.add_argument("--query-text", help="query text, when --input is a folder of images")
    p.add_argument("--langs", default=ocr.DEFAULT_LANGS,
                   help=f"tesseract languages joined by '+' (default {ocr.DEFAULT_LANGS}); see --list-langs")
    p.add_argument("--cap", type=int, default=200,
                   help="soft length cap of a description in characters, 0 = none (default 200)")
    p.add_argument("--psm", type=int, default=ocr.OcrSettings.psm, help="tesseract page segmentation mode")
    p.add_argument("--workers", type=int, default=None, help="parallel OCR processes (default: CPU cores)")
    p.add_argument("--timeout", type=float, default=ocr.OcrSettings.timeout, help="seconds per image")
    p.add_argument("--min-confidence", type=float, default=None, metavar="N",
                   help="drop text lines tesseract reads with a median word confidence under N (0-100); an "
                        "image with no line left gives 'no text found' (default "
                        f"{ocr.DEFAULT_MIN_CONFIDENCE:g}, or ${ocr.MIN_CONFIDENCE_ENV}; 0 = keep all)")
    p.add_argument("--min-word-confidence", type=float, default=None, metavar="N",
                   help="in the lines kept, drop words with a confidence under N (default "
                        f"{ocr.DEFAULT_MIN_WORD_CONFIDENCE:g}, or ${ocr.MIN_WORD_CONFIDENCE_ENV}; 0 = keep all)")
    p.add_argument("--set", type=int, action="append", dest="set_ids", metavar="ID",
                   help="with --session: only this set (repeat for several; default every set)")
    p.add_argument("--only-missing", action="store_true",
                   help="with --session: skip documents that already have OCR text")
    clear = p.add_mutually_exclusive_group()
    clear.add_argument("--clear", metavar="DOC_IDS",
                       help="with --session: mark these documents' images as having no text (comma-separated doc "
                            "ids, in every set holding them) instead of reading; descriptions are rebuilt, and "
                            "--only-missing leaves them alone afterwards (a run without it reads them again)")
    clear.add_argument("--clear-all", action="store_true",
                       help="with --session: mark every document of the session (or --set) as having no OCR text")
    p.add_argument("--drop-edits", action="store_true",
                   help="with --clear/--clear-all: also forget the analyst's edited OCR text (kept by default)")
    p.add_argument("--no-cache", action="store_true", help="ignore and do not write the OCR cache")
    p.add_argument("--encoding", help="text encoding of --input, e.g. gbk (default: detected)")
    p.add_argument("--bom", action="store_true", help="write the CSV with a UTF-8 BOM (Excel and Chinese)")
    p.set_defaults(func=cmd_ocr)
    lp = sub.add_parser("ocr-langs", help="list the installed tesseract languages")
    lp.set_defaults(func=lambda args: print("\n".join(ocr.list_languages())) or 0)


def _progress(label: str):
    def show(done: int, total: int) -> None:
        if sys.stderr.isatty() or done == total:
            print(f"\r  {label}: {done}/{total} images", end="\n" if done == total else "", file=sys.stderr)
    return show


def _report(name: str, results: list[ocr.DocOcr]) -> tuple[int, int, int]:
    n_ok = sum(r.status == "ok" for r in results)
    empty = [r for r in results if r.status == "empty"]
    errors = [r for r in results if r.status == "error"]
    cached = sum(r.cached for r in results if r.status in ("ok", "empty"))
    print(f"  {name}: {n_ok} described, {len(empty)} {ocr.NO_TEXT_FOUND}, {len(errors)} failed, "
          f"{sum(r.status == 'no_image' for r in results)} without image ({cached} from cache)")
    for r in empty:
        print(f"    {ocr.NO_TEXT_FOUND}: document '{r.doc_id}' ({r.image}); if it does hold text, type it on "
              "the OCR page or lower --min-confidence")
    for r in errors:
        print(f"    failed: document '{r.doc_id}': " + str(r.error).replace("\n", "\n      "))
    return n_ok, len(empty), len(errors)


def cmd_ocr(args: argparse.Namespace) -> int:
    if args.cap is not None and args.cap < 0:
        raise InputError(f"--cap {args.cap} is negative.", "Give a length in characters, or 0 for no cap.")
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be at least 1 (got {args.workers}).",
                         "Use e.g. --workers 2, or leave it out to use every CPU core.")
    if not args.timeout > 0:
        raise InputError(f"--timeout must be more than 0 seconds (got {args.timeout}).",
                         "Use e.g. --timeout 60 (seconds per image).")
    if args.session and args.output:
        raise InputError("--output only applies to --input: with --session the descriptions are saved "
                         "in the database.", "Leave out --output, or use --input FILE --output FILE.")
    if args.session and args.query_text:
        raise InputError("--query-text only applies to --input FOLDER.", "Leave out --query-text.")
    if (args.clear or args.clear_all) and not args.session:
        raise InputError("--clear and --clear-all apply to a session's stored documents.",
                         "Add --session NAME (for a candidate file, simply run OCR again).")
    if args.drop_edits and not (args.clear or args.clear_all):
        raise InputError("--drop-edits only applies with --clear or --clear-all.",
                         "Add --clear DOC_IDS or --clear-all, or leave out --drop-edits.")
    if (args.set_ids or args.only_missing) and not args.session:
        raise InputError("--set and --only-missing apply to --session.", "Add --session NAME, or leave them out.")
    if args.clear or args.clear_all:
        return _clear_session(args)
    conf = {}
    if args.min_confidence is not None:
        conf["min_confidence"] = ocr.check_min_confidence(args.min_confidence, "--min-confidence")
    if args.min_word_confidence is not None:
        conf["min_word_confidence"] = ocr.check_min_confidence(args.min_word_confidence, "--min-word-confidence")
    settings = ocr.OcrSettings(psm=args.psm, timeout=args.timeout, **conf)
    engine = ocr.TesseractEngine(args.langs, settings)
    engine.check()  # tesseract / languages missing: fail before reading anything
    kw = dict(engine=engine, cap=args.cap or None, workers=args.workers,
              cache=False if args.no_cache else None, cancel=threading.Event())
    if args.session:
        return _ocr_session(args, kw)
    return _ocr_file(args, kw)


def _stopped_code(err: BaseException) -> int:
    """The README's exit codes: Ctrl-C (or a cancel) 130, SIGTERM 143, SIGHUP 129."""
    from . import interrupted_exit

    return interrupted_exit(err)[1] if isinstance(err, KeyboardInterrupt) else 130


def _ocr_session(args: argparse.Namespace, kw: dict) -> int:
    from ..service import ocr_session
    from ..store import Store

    store = Store()
    try:
        session = store.get_session(args.session)
        try:
            report = ocr_session(store, session.id, set_ids=args.set_ids, only_missing=args.only_missing,
                                 progress=_progress(f"session '{session.name}'"), **kw)
        except (Cancelled, KeyboardInterrupt) as err:
            print("Cancelled: the images done so far are saved.", file=sys.stderr)
            return _stopped_code(err)
        failed = 0
        for set_id, results in report.items():
            info = store.get_set(set_id)
            failed += _report(f"set {set_id} '{info.name or info.query_id}'", results)[2]
        print(f"OCR descriptions saved in session '{session.name}' ({len(report)} set(s)).")
    finally:
        store.close()
    return 1 if failed else 0


def _clear_session(args: argparse.Namespace) -> int:
    from ..service import clear_ocr, clear_session_ocr
    from ..store import Store

    doc_ids = None if args.clear_all else [x.strip() for x in args.clear.split(",") if x.strip()]
    if doc_ids is not None and not doc_ids:
        raise InputError("--clear was given no doc ids.", "Use e.g. --clear d1,d2, or --clear-all.")
    store = Store()
    try:
        session = store.get_session(args.session)
        if args.set_ids:
            sets = {s.id for s in store.list_candidate_sets(session.id)}
            bad = [i for i in args.set_ids if i not in sets]
            if bad:
                raise InputError(f"Set(s) {', '.join(map(str, bad))} are not in session '{session.name}'.",
                                 f"Pick from: {', '.join(map(str, sorted(sets)))}.")
            with store.transaction():
                cleared = {sid: clear_ocr(store, sid, doc_ids, edits=args.drop_edits, cap=args.cap or None)
                           for sid in args.set_ids}
        else:
            cleared = clear_session_ocr(store, session.id, doc_ids, edits=args.drop_edits, cap=args.cap or None)
        n = sum(len(v) for v in cleared.values())
        kept = "" if args.drop_edits else " (edited OCR text kept; --drop-edits forgets it too)"
        print(f"Cleared the OCR text of {n} document(s) in {len(cleared)} set(s) of session "
              f"'{session.name}'{kept}.")
    finally:
        store.close()
    return 0


def _ocr_file(args: argparse.Namespace, kw: dict) -> int:
    import pandas as pd

    from .. import formats

    src = Path(args.input)
    out = Path(args.output) if args.output else src.with_name(f"{src.stem}.ocr.csv")
    check_output(str(out))
    result = formats.read_candidates(src, args.encoding, query_text=args.query_text)
    for err in result.rejected:
        print("  rejected: " + str(err).replace("\n", "\n    "), file=sys.stderr)
    records, failed = [], 0
    for cset in result.sets:
        try:
            results = ocr.describe_set(cset, progress=_progress(f"query {cset.query.id}"), **kw)
        except (Cancelled, KeyboardInterrupt) as err:
            print(f"Cancelled: nothing was written to {out}; the images read so far are in the OCR cache, "
                  "so running the command again resumes quickly.", file=sys.stderr)
            return _stopped_code(err)
        failed += _report(f"query '{cset.query.id}'", results)[2]
        for doc in cset.documents:
            rec = {"query_id": cset.query.id, "query_text": cset.query.text, "query_image": cset.query.image or "",
                   "doc_id": doc.id, "doc_text": doc.text, "doc_image": doc.image or "",
                   "label": doc.label, "first_stage_score": doc.first_stage_score,
                   "ocr_text": doc.ocr_text or "", "ocr_status": ocr.ocr_status(doc),
                   "description": doc.description or ""}
            for key, value in doc.metadata.items():
                rec.setdefault(key, value)
            records.append(rec)
    write_output(str(out), formats.to_csv_bytes(pd.DataFrame.from_records(records), bom=args.bom))
    print(f"Wrote {len(records)} document(s) with descriptions to {out}.")
    return 1 if failed else 0
