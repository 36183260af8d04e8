"""What the service modules share: the progress callback type and small helpers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import text

from ..model import Instruction, Result

Progress = Callable[[int, int], None]


def instruction_text(instruction: Instruction | str) -> str:
    return instruction.full if isinstance(instruction, Instruction) else str(instruction).strip()


def provisional_scores(scores_by_doc: dict[str, float], order: Sequence[str]) -> list[Result]:
    """Rank what is scored so far (best first, ties by input order)."""
    position = {doc_id: i for i, doc_id in enumerate(order)}
    ranked = sorted(scores_by_doc.items(), key=lambda kv: (-kv[1], position.get(kv[0], 0)))
    return [Result(doc_id=d, score=float(s), rank=r, index=position.get(d))
            for r, (d, s) in enumerate(ranked, start=1)]


def _short(text: object, n: int = 40) -> str:
    text = str(text)
    return text if len(text) <= n else text[:n - 1] + "…"


def _few(items: list[str], what: str, n: int = 5) -> str:
    """A list for a message, capped: the first few, how many more, the last one."""
    if len(items) <= n:
        return ", ".join(items)
    return f"{', '.join(items[:n - 2])}, … {len(items) - n + 1:,} more {what} …, {items[-1]} ({len(items):,} in all)"
