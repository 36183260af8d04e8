"""Lexical BM25 baseline: what many production systems still run ("the old TF-IDF logic").

It scores each document's text (`Document.ranking_text`, plus the OCR text when
the description does not already carry it) against the **query text** with
Okapi BM25 (bm25s, Lucene variant, k1=1.5, b=0.75). The corpus statistics (IDF,
average length) are those of the candidate set being ranked.

- The instruction is ignored: BM25 has no notion of one. Comparing instructions
  on this backend therefore gives identical rankings, by design.
- Scores are raw BM25 values (>= 0, unbounded), NOT probabilities; only the
  order within one set is meaningful. A query with no word in any document
  scores 0 everywhere and keeps the input order.
- Tokenisation: Chinese through jieba's search mode (`cut_for_search`, which
  also emits the sub-words of long words), Latin text as lowercase word tokens
  without bm25s' English stopwords.
- Scores depend on the whole candidate set, so this backend does not use the
  per-pair score cache.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from ..model import Document, Query
from .base import Reranker

_WORD = re.compile(r"\w", re.UNICODE)
_jieba = None


def _get_jieba():
    global _jieba
    if _jieba is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        _jieba = jieba
    return _jieba


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens, English stopwords (bm25s' list) removed; Chinese via jieba.cut_for_search."""
    if not text:
        return []
    from bm25s.stopwords import STOPWORDS_EN

    jieba = _get_jieba()
    out = []
    for t in jieba.cut_for_search(text):
        t = t.strip().lower()
        if t and _WORD.search(t) and t not in STOPWORDS_EN:
            out.append(t)
    return out


def document_text(doc: Document) -> str:
    text = doc.ranking_text
    ocr = (doc.ocr_final or "").strip()
    if ocr and ocr not in text:
        text = f"{text}\n{ocr}" if text else ocr
    return text


class LexicalReranker(Reranker):
    backend = "lexical"
    model_id = "bm25"
    cacheable = False
    score_kind = "raw"           # BM25 values: >= 0, unbounded, not probabilities

    def __init__(self, k1: float = 1.5, b: float = 0.75, batch_size: int = 256, **_ignored: Any):
        import bm25s  # noqa: F401  (fail early with BackendUnavailable via the registry)

        self.k1 = float(k1)
        self.b = float(b)
        self.batch_size = max(1, int(batch_size))
        self._scores: dict[int, float] = {}

    def params(self) -> dict[str, Any]:
        return {"k1": self.k1, "b": self.b, "method": "lucene", "tokenizer": "jieba-search+lower"}

    def _prepare(self, instruction: str, query: Query, docs: list[Document]) -> None:
        import bm25s

        corpus = [tokenize(document_text(d)) or ["\u2205"] for d in docs]
        q = [t for t in tokenize(query.text or "")]
        self._scores = {}
        if not docs:
            return
        retriever = bm25s.BM25(k1=self.k1, b=self.b, method="lucene")
        retriever.index(corpus, show_progress=False)
        vocab = set(t for toks in corpus for t in toks)
        q = [t for t in q if t in vocab]
        values = retriever.get_scores(q) if q else [0.0] * len(docs)
        self._scores = {id(d): float(v) for d, v in zip(docs, values)}

    def _score_batch(self, instruction: str, query: Query, docs: list[Document]) -> list[float]:
        missing = [d for d in docs if id(d) not in self._scores]
        if missing:
            self._prepare(instruction, query, docs)
        return [self._scores[id(d)] for d in docs]
