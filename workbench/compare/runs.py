"""Runs and run groups: display labels, deterministic order, grouping a session's runs by label."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..errors import InputError
from ..i18n import t
from ..model import Result, Run, unique_run_labels

Labels = Mapping[str, Mapping[str, int]]
RunsByLabel = dict[str, dict[str, Run]]

DEFAULT_K = 10
ALPHA = 0.05
MIN_QUERIES_FOR_WINNER = 5

# --------------------------------------------------------------------------- runs & groups


def run_label(run: Run) -> str:
    """Display label of a run: `Run.label` (the one home of run names)."""
    return run.label


def query_key(run: Run) -> str:
    """The query a run belongs to: ``query_id``, else ``set:<set_id>``, else ``run:<id>``."""
    if run.query_id is not None:
        return str(run.query_id)
    if run.set_id is not None:
        return f"set:{run.set_id}"
    return f"run:{run.id}"


def ordered_scores(run: Run) -> list[Result]:
    """Scores best first: by rank, then higher score, then doc id (deterministic ties)."""
    def key(s: Result):
        rank = s.rank if s.rank is not None else math.inf
        score = -s.score if s.score is not None and not math.isnan(s.score) else math.inf
        return (rank, score, str(s.doc_id))
    return sorted(run.scores, key=key)


def ordered_doc_ids(run: Run) -> list[str]:
    return [str(s.doc_id) for s in ordered_scores(run)]


def unique_labels(runs: Sequence[Run]) -> list[str]:
    """Labels for a list of runs, made unique with ``#id`` (or ``#n``) where two collide."""
    return unique_run_labels(runs)


@dataclass
class RunGroups:
    """Runs of a session grouped by run label: ``runs[label][query_id] -> Run``.

    ``replaced`` holds older runs of the same label and query that were superseded
    by a newer one (higher id, or later in the input) — shown, never silently lost.
    """

    runs: RunsByLabel
    replaced: list[Run] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return list(self.runs)

    @property
    def query_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for per_q in self.runs.values():
            for q in per_q:
                seen.setdefault(q, None)
        return list(seen)

    def for_query(self, query_id: str) -> list[Run]:
        """The runs of one query, one per label (input for :func:`rank_table`)."""
        return [per_q[query_id] for per_q in self.runs.values() if query_id in per_q]

    def common_query_ids(self, labels: Iterable[str] | None = None) -> list[str]:
        labels = list(labels) if labels is not None else self.labels
        if not labels:
            return []
        common = set(self.runs[labels[0]])
        for lab in labels[1:]:
            common &= set(self.runs[lab])
        return [q for q in self.query_ids if q in common]

    @property
    def warnings(self) -> list[str]:
        return [t("advice.note_superseded", id=r.id, run=run_label(r), query=query_key(r))
                for r in self.replaced]


def group_runs(runs: Iterable[Run], key=run_label) -> RunGroups:
    """Group a session's runs by label (``key(run)``) and query.

    When one label has several runs for the same query (a re-run), the newest one
    (highest id; later in the input when ids are equal or missing) is compared and
    the others are listed in ``RunGroups.replaced``.
    """
    groups: RunsByLabel = {}
    replaced: list[Run] = []
    for run in runs:
        per_q = groups.setdefault(key(run), {})
        q = query_key(run)
        old = per_q.get(q)
        if old is not None:
            newer = (run.id or 0) >= (old.id or 0)
            replaced.append(old if newer else run)
            if not newer:
                continue
        per_q[q] = run
    return RunGroups(groups, replaced)


def _as_groups(runs) -> RunGroups:
    """RunGroups from RunGroups, a ``{label: {query_id: Run}}`` dict, or a list of runs.

    A list of runs of ONE query keeps every run (labels made unique, like the rank
    table); a list spanning several queries is grouped with :func:`group_runs`.
    """
    if isinstance(runs, RunGroups):
        return runs
    if isinstance(runs, Mapping):
        return RunGroups({str(k): dict(v) for k, v in runs.items()})
    runs = list(runs)
    qids = {query_key(r) for r in runs}
    if len(qids) == 1:
        return RunGroups({lab: {query_key(r): r} for lab, r in zip(unique_labels(runs), runs)})
    return group_runs(runs)


def _is_session(runs) -> bool:
    if isinstance(runs, (RunGroups, Mapping)):
        return True
    return len({query_key(r) for r in runs}) > 1


def _check_runs(runs: Sequence[Run], least: int = 1) -> None:
    if len(runs) < least:
        raise InputError.coded("compare.too_few_runs", {"least": least, "n": len(runs)})
