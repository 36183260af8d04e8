"""Shared fixtures.

Every test gets its own SQLite db and cache folder through WORKBENCH_DB /
WORKBENCH_HOME, so no test ever touches data/workbench.db.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_workbench(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "workbench.db"))
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("WORKBENCH_MODEL", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """Path (str) of a random tiny Qwen2.5-VL checkpoint, built once per test session."""
    from workbench.rerank.tiny import build_tiny_checkpoint

    return str(build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-checkpoint") / "tiny"))


@pytest.fixture(scope="session")
def tiny_qwen3_checkpoint(tmp_path_factory):
    """Path (str) of a random tiny Qwen3-VL (Qwen3-VL-Reranker architecture) checkpoint,
    built once per test session."""
    from workbench.rerank.tiny import build_tiny_checkpoint

    folder = tmp_path_factory.mktemp("tiny-qwen3-checkpoint") / "tiny-qwen3"
    return str(build_tiny_checkpoint(folder, family="qwen3-vl"))
