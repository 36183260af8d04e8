"""The score cache: one score per (model, instruction, query, document, params) key."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import delete, func, select, text

from ..model import CacheKey
from . import schema as t
from .base import StoreBase, chunks, finite, utc_now


class ScoreCache(StoreBase):
    """get_many / put_many (what the engine's ``cache=`` needs), stats and clearing."""

    def get_many(self, keys: list[CacheKey]) -> dict[CacheKey, float]:
        groups: dict[tuple[str, str, str, str], dict[str, CacheKey]] = defaultdict(dict)
        for k in keys:
            groups[(k.model_id, k.instruction, k.query_hash, k.params)][k.doc_hash] = k
        out: dict[CacheKey, float] = {}
        if not groups:
            return out
        with self._read() as conn:
            for (model_id, instruction, query_hash, params), by_doc in groups.items():
                docs = list(by_doc)
                for chunk in chunks(docs):
                    c = t.score_cache.c
                    rows = conn.execute(select(c.doc_hash, c.score).where(
                        c.model_id == model_id, c.instruction == instruction, c.query_hash == query_hash,
                        c.params == params, c.doc_hash.in_(chunk)))
                    for doc_hash, score in rows:
                        out[by_doc[doc_hash]] = score
        return out

    def put_many(self, items: dict[CacheKey, float]) -> None:
        if not items:
            return
        now = utc_now()
        rows = [dict(model_id=k.model_id, instruction=k.instruction, query_hash=k.query_hash,
                     doc_hash=k.doc_hash, params=k.params,
                     score=finite(v, "store.cached_score_not_finite", {"hash": k.doc_hash[:12]}), created_at=now)
                for k, v in items.items()]
        with self._write() as conn:      # the same upsert on both engines (SQLite >= 3.24, PostgreSQL)
            conn.execute(text(
                "INSERT INTO score_cache (model_id, instruction, query_hash, doc_hash, params, score, created_at) "
                "VALUES (:model_id, :instruction, :query_hash, :doc_hash, :params, :score, :created_at) "
                "ON CONFLICT (model_id, instruction, query_hash, doc_hash, params) "
                "DO UPDATE SET score = excluded.score, created_at = excluded.created_at"), rows)

    def cache_stats(self) -> dict[str, Any]:
        with self._read() as conn:
            by_model = dict(conn.execute(select(t.score_cache.c.model_id, func.count())
                                         .group_by(t.score_cache.c.model_id)).all())
            n_instr = conn.execute(select(func.count(func.distinct(t.score_cache.c.instruction)))).scalar()
        return {"entries": int(sum(by_model.values())), "models": len(by_model),
                "instructions": int(n_instr or 0), "by_model": by_model}

    def clear_cache(self, model_id: str | None = None) -> int:
        stmt = delete(t.score_cache)
        if model_id is not None:
            stmt = stmt.where(t.score_cache.c.model_id == model_id)
        with self._write() as conn:
            return conn.execute(stmt).rowcount
