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
