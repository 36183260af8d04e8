"""A served chat model as a first-pass judge: it grades a session's documents 0/1/2.

Any OpenAI-compatible ``/v1/chat/completions`` with image input (vLLM, SGLang, …) is asked,
once per document, with an editable rubric prompt: the rubric's text (``{query}`` and
``{document}`` filled in with the query text and the document's ranking text: its
description / OCR text when built, else its text), and the document's image (and the query's,
when it has one) as image parts. The requests go through the remote backend's client
(`workbench.rerank.remote`: replicas, retries with backoff, the same HTTP answer checks and
image data URLs).

The answer is read by `parse_grade`: a bare digit (``2``), ``Grade: 2`` (also "score" /
"relevance", the last one wins) or JSON ``{"grade": 2}``; ``<think>…</think>`` blocks are
ignored. Anything else is that document's error (naming the server and showing the start of the
answer): it never becomes a grade, and the other documents go on.

Grades are stored as an annotator named after the model (``model:<served-model-name>``,
registered with kind ``model``): they are suggestions, never human labels unless an adjudicator
accepts them (see workbench/store/labels.py). Each grade's note holds the answer's start and the
whole rubric it was given under (`rubric_of` reads it back). Each grade is written the moment it
arrives, so a cancelled or failed judging keeps every grade already given.

By default only unlabelled documents are graded (no person's grade, no adjudication; other
models' suggestions do not count); ``include_labelled``
grades the ones people labelled too (to measure the model's agreement with them) and
``regrade`` grades again the ones this model already graded.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import InputError, WorkbenchError
from .model import Document, Label, Query

DEFAULT_RUBRIC = """You are an expert relevance assessor for a search engine.
Judge how relevant the document is to the query. The document may be an image, a text, or both.

Query: {query}

Document text: {document}

Grades:
2 = highly relevant: the document answers the query or shows exactly what was asked for.
1 = partly relevant: on the topic, but incomplete, partial or only a near match.
0 = not relevant.

Answer with the grade only: a single digit, 0, 1 or 2."""

MODEL_PREFIX = "model:"
MAX_RUBRIC = 8000
DEFAULT_MAX_TOKENS = 64
DEFAULT_INFLIGHT = 4
ANSWER_SHOWN = 80           # characters of an answer shown in an error / kept in the note
RUBRIC_MARK = "\nrubric:\n"


# ----------------------------------------------------------------------------- rubric
def check_rubric(rubric: str | None) -> str:
    """The rubric to use (None / blank: DEFAULT_RUBRIC). Refused (InputError) when it lacks
    the ``{query}`` or ``{document}`` placeholder or is longer than MAX_RUBRIC characters."""
    text = (rubric or "").strip()
    if not text:
        return DEFAULT_RUBRIC
    missing = [p for p in ("{query}", "{document}") if p not in text]
    if missing:
        raise InputError.coded("judge.rubric_placeholders", {"missing": " and ".join(missing)})
    if len(text) > MAX_RUBRIC:
        raise InputError.coded("judge.rubric_too_long", {"length": f"{len(text):,}", "max": f"{MAX_RUBRIC:,}"})
    return text


def fill_rubric(rubric: str, query: Query, doc: Document) -> str:
    """The rubric with the query and document texts in (plain replacement: braces in the texts
    or elsewhere in the rubric are left alone)."""
    doc_text = doc.ranking_text or ("(none: see the image)" if doc.image else "(empty)")
    q_text = (query.text or "").strip() or ("(see the query image)" if query.image else "(empty)")
    return rubric.replace("{query}", q_text).replace("{document}", doc_text)


def rubric_sha(rubric: str) -> str:
    return hashlib.sha256(rubric.encode("utf-8")).hexdigest()[:12]


def grade_note(answer: str, rubric: str) -> str:
    """What a model grade's note holds: the start of the answer and the whole rubric."""
    shown = " ".join(str(answer).split())[:ANSWER_SHOWN]
    return f"model judge answer: {shown!r} (rubric {rubric_sha(rubric)}){RUBRIC_MARK}{rubric}"


def rubric_of(note: str | None) -> str | None:
    """The rubric a model grade was given under, from its note (None: not a judge's note)."""
    if not note or RUBRIC_MARK not in note:
        return None
    return note.split(RUBRIC_MARK, 1)[1]


def model_annotator(model: str) -> str:
    """``model:<served-model-name>``; a name too long for an annotator (a local path) keeps its tail."""
    from .store.labels import MAX_ANNOTATOR

    name = str(model).strip()
    if len(MODEL_PREFIX + name) > MAX_ANNOTATOR:
        name = name.rstrip("/").rsplit("/", 1)[-1][-(MAX_ANNOTATOR - len(MODEL_PREFIX)):]
    return MODEL_PREFIX + name


# ----------------------------------------------------------------------------- answers
_THINK = re.compile(r"<think>.*?(</think>|$)", re.S | re.I)
_BARE = re.compile(r"^[\s\"'`*(\[]*([012])(?:\s*/\s*2)?[\s\"'`*)\].!]*$")
_LABELLED = re.compile(r"\b(?:grade|score|relevance|rating)\b\s*(?:is|=|:)?\s*[\"'`*]*\s*([012])(?!\d|[.,]\d)", re.I)
_JSON = re.compile(r"\{[^{}]*\}", re.S)


def _json_grade(text: str) -> int | None:
    candidates = [text] + _JSON.findall(text)
    for cand in candidates:
        try:
            obj = json.loads(cand)
        except ValueError:
            continue
        if isinstance(obj, dict):
            for key in ("grade", "score", "relevance", "label"):
                val = obj.get(key)
                if isinstance(val, bool):
                    continue
                if isinstance(val, int) and val in (0, 1, 2):
                    return val
                if isinstance(val, str) and val.strip() in ("0", "1", "2"):
                    return int(val.strip())
                if isinstance(val, float) and val in (0.0, 1.0, 2.0):
                    return int(val)
        elif isinstance(obj, int) and not isinstance(obj, bool) and obj in (0, 1, 2):
            return obj
    return None


def parse_grade(answer: str | None) -> int | None:
    """0, 1 or 2 from a model's answer, or None when the answer does not give one clearly:
    a bare digit ("2", "**2**", "2/2"), "Grade: 2" (the last such phrase), JSON {"grade": 2}."""
    if answer is None:
        return None
    text = _THINK.sub("", str(answer)).strip()
    if not text:
        return None
    m = _BARE.match(text)
    if m:
        return int(m.group(1))
    if "{" in text:
        g = _json_grade(text.strip("`").removeprefix("json").strip())
        if g is not None:
            return g
    found = _LABELLED.findall(text)
    if found:
        return int(found[-1])
    return None


def answer_text(body: Any, server: str) -> str:
    """The text of a chat answer; WorkbenchError when it has none or the model refused."""
    from .rerank.remote import RemoteError

    try:
        msg = body["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        raise RemoteError.coded("judge.no_message", {"server": server, "body": str(body)[:200]}) from None
    refusal = msg.get("refusal") if isinstance(msg, dict) else None
    if refusal:
        raise RemoteError.coded("judge.refused", {"server": server, "answer": str(refusal)[:ANSWER_SHOWN]})
    content = msg.get("content") if isinstance(msg, dict) else None
    if isinstance(content, list):   # content parts
        content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    if content is None:
        content = ""
    return str(content)


# ----------------------------------------------------------------------------- results
@dataclass
class JudgeItem:
    set_id: int
    query: Query
    doc: Document


@dataclass
class JudgeResult:
    """What a judging did: grades given, documents failed (with why), documents skipped."""

    model: str
    annotator: str
    server: str
    rubric: str
    graded: list[tuple[str, str, int]] = field(default_factory=list)      # (query_id, doc_id, grade)
    failed: list[tuple[str, str, str]] = field(default_factory=list)      # (query_id, doc_id, why)
    skipped_graded: int = 0          # already graded by this model
    skipped_labelled: int = 0        # labelled by someone else (people)
    not_sent: int = 0                # over --limit, or left when cancelled
    cancelled: bool = False
    interrupted: BaseException | None = None     # the Ctrl-C / signal that cancelled it, if one did
    seconds: float = 0.0
    warnings: list[Any] = field(default_factory=list)


# ----------------------------------------------------------------------------- the server
def served_model(urls: list[str], model: str | None, api_key: str | None, timeout: float = 30.0) -> str:
    """The model to ask: `model` when every replica serves it, else the one model they all serve.
    RemoteError naming the server otherwise (unreachable, not served, several models)."""
    from .rerank.remote import RemoteError
    from .rerank.remote.probe import _client, _get_models

    with _client(timeout) as client:
        lists = []
        for base in urls:
            ids, _ = _get_models(client, base, api_key)
            if not ids:
                raise RemoteError.coded("remote.no_model", {"base": base})
            lists.append(ids)
    if model:
        for base, ids in zip(urls, lists):
            if model not in ids:
                raise RemoteError.coded("remote.wrong_model", {
                    "base": base, "model": model, "models": ", ".join(ids), "first": ids[0]})
        return model
    common = [m for m in lists[0] if all(m in ids for ids in lists)]
    if not common:
        raise RemoteError.coded("remote.replicas_differ", {"replicas": "; ".join(
            f"{b}: {', '.join(ids)}" for b, ids in zip(urls, lists))})
    if len(common) > 1:
        raise RemoteError.coded("remote.several_models", {"models": ", ".join(common), "first": common[0]})
    return common[0]


def request_body(model: str, rubric: str, query: Query, doc: Document, *, max_tokens: int,
                 extra_body: dict | None = None) -> dict:
    """One document's /v1/chat/completions body: the images (query's, then document's) and the
    filled rubric as one user message; temperature 0; `extra_body` merged in (the engine's own
    fields, e.g. vLLM's ``{"structured_outputs": {"choice": ["0", "1", "2"]}}``)."""
    from .rerank.prompts import get_format
    from .rerank.remote.protocol import content_parts

    fmt = get_format("lychee")
    px = {"min_pixels": fmt.min_pixels, "max_pixels": fmt.max_pixels, "patch": fmt.patch_size}
    parts: list[dict] = []
    if query.image:
        parts += content_parts(None, query.image, **px)
    if doc.image:
        parts += content_parts(None, doc.image, **px)
    parts.append({"type": "text", "text": fill_rubric(rubric, query, doc)})
    body = {"model": model, "messages": [{"role": "user", "content": parts}],
            "max_tokens": int(max_tokens), "temperature": 0}
    body.update(extra_body or {})
    return body


# ----------------------------------------------------------------------------- storage
def write_grade(store, set_id: int, doc_id: str, grade: int, note: str, annotator: str) -> None:
    """Store one model grade as `annotator`'s own label (the only place the judge writes)."""
    from .service.labels import save_labels

    save_labels(store, set_id, [Label(query_id="", doc_id=str(doc_id), grade=int(grade), note=note)],
                annotator=annotator)


def plan(store, session, annotator: str, *, query_id: str | None = None, regrade: bool = False,
         include_labelled: bool = False) -> tuple[list[JudgeItem], int, int]:
    """(documents to grade, skipped as graded by this model, skipped as labelled by others)."""
    from .service.annotators import session_sets

    sets = session_sets(store, session, query_id)
    items: list[JudgeItem] = []
    own = others = 0
    kinds = store.annotator_kinds()
    for s in sets:
        cset = store.load_candidate_set(s.id)
        grades = store.all_grades(s.id)
        final = store.get_adjudications(s.id)
        for doc in cset.documents:
            per = grades.get(doc.id, {})
            if annotator in per and not regrade:
                own += 1
                continue
            # labelled: a person graded it or an adjudicator decided it (other models' grades are
            # suggestions, not labels)
            people = any(kinds.get(a, "person") != "model" for a in per)
            if (people or doc.id in final) and not include_labelled and annotator not in per:
                others += 1
                continue
            items.append(JudgeItem(s.id, cset.query, doc))
    return items, own, others


# ----------------------------------------------------------------------------- judging
def judge_session(store, session, urls: str | list[str], *, model: str | None = None, rubric: str | None = None,
                  query_id: str | None = None, limit: int | None = None, regrade: bool = False,
                  include_labelled: bool = False, api_key: str | None = None,
                  max_tokens: int = DEFAULT_MAX_TOKENS, max_inflight: int = DEFAULT_INFLIGHT,
                  timeout: float = 120.0, retries: int = 2, extra_body: dict | None = None,
                  progress: Callable[[int, int, str, str, int | None, str | None], None] | None = None,
                  should_stop: Callable[[], bool] | None = None) -> JudgeResult:
    """Grade a session's documents with a served chat model (see the module's docstring).

    `progress(done, total, query_id, doc_id, grade or None, error or None)` after each document;
    `extra_body`: fields merged into every request (an engine's own options).
    `should_stop()` true (or Ctrl-C) ends the judging: nothing more is sent, grades already
    written stay, and the result says cancelled. Errors before any request (bad rubric, URL,
    server unreachable, unknown session) raise; per-document errors are in `result.failed`."""
    from . import config
    from .rerank.remote import API_KEY_ENV, ReplicaPool, parse_urls
    from .rerank.remote.pool import _Fatal

    rubric = check_rubric(rubric)
    if limit is not None and int(limit) < 1:
        raise InputError.coded("judge.bad_limit", {"limit": limit})
    base_urls = parse_urls(urls)
    api_key = api_key if api_key is not None else (config.env(API_KEY_ENV) or None)
    store.get_session(session)                       # NotFound before touching the server
    name = served_model(base_urls, model, api_key, timeout=min(timeout, 30.0))
    annotator = model_annotator(name)
    items, own, others = plan(store, session, annotator, query_id=query_id, regrade=regrade,
                              include_labelled=include_labelled)
    result = JudgeResult(model=name, annotator=annotator, server=", ".join(base_urls), rubric=rubric,
                         skipped_graded=own, skipped_labelled=others)
    warnings = result.warnings
    if limit is not None and len(items) > int(limit):
        result.not_sent = len(items) - int(limit)
        items = items[: int(limit)]
    if not items:
        return result
    store.register_annotator(annotator, "model")
    pool = ReplicaPool(base_urls, api_key=api_key, timeout=timeout, max_inflight=max_inflight,
                       retries=retries, max_failures=3, warn=warnings.append)
    loop = pool.ensure_loop()
    cond_box: dict[str, asyncio.Condition] = {}

    async def one(item: JudgeItem) -> tuple[int | None, str, str]:
        if "c" not in cond_box:
            cond_box["c"] = asyncio.Condition()
        body = await asyncio.to_thread(request_body, name, rubric, item.query, item.doc,
                                        max_tokens=max_tokens, extra_body=extra_body)
        data, server = await pool.send(cond_box["c"], "/chat/completions", body, 1, [item.doc])
        answer = answer_text(data, server)
        return parse_grade(answer), answer, server

    started = time.perf_counter()
    total = len(items)
    pending: dict[cf.Future, JudgeItem] = {}
    queue = list(reversed(items))
    done = 0
    width = len(pool.endpoints) * pool.max_inflight
    try:
        while queue or pending:
            if should_stop is not None and should_stop():
                result.cancelled = True
                break
            while queue and len(pending) < width:
                item = queue.pop()
                pending[asyncio.run_coroutine_threadsafe(one(item), loop)] = item
            finished, _ = cf.wait(list(pending), timeout=0.2, return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                item = pending.pop(fut)
                qid, did = str(item.query.id), str(item.doc.id)
                grade = error = None
                try:
                    grade, answer, server = fut.result()
                    if grade is None:
                        error = _unparsed(server, did, answer)
                    else:
                        write_grade(store, item.set_id, did, grade, grade_note(answer, rubric), annotator)
                        result.graded.append((qid, did, grade))
                except _Fatal as fatal:
                    error = fatal.error.message
                except WorkbenchError as err:
                    if (getattr(err, "code", None) or "").startswith(("judge.", "remote.", "rank.")):
                        error = err.message
                    else:
                        raise                       # a store error: stop, what is written stays
                if error is not None:
                    result.failed.append((qid, did, error))
                done += 1
                if progress is not None:
                    progress(done, total, qid, did, grade, error)
    except KeyboardInterrupt as stop:           # Ctrl-C / SIGTERM: the grades written stay
        result.cancelled = True
        result.interrupted = stop
    finally:
        for fut in pending:
            fut.cancel()
        result.not_sent += len(queue) + len(pending)
        result.seconds = time.perf_counter() - started
        pool.close()
    return result


def _unparsed(server: str, doc_id: str, answer: str) -> str:
    from .errors import WorkbenchError as _W

    shown = " ".join(str(answer).split())[:ANSWER_SHOWN]
    return _W.coded("judge.unparsed", {"server": server, "doc": doc_id, "answer": repr(shown)}).message
