"""workbench.config is the one reader of WORKBENCH_* settings, every setting is declared once,
and the README documents each one (a table) and names every package of the library."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workbench import config

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [*sorted((ROOT / "workbench").rglob("*.py")), *sorted((ROOT / "ui").glob("*.py")),
           *sorted((ROOT / "pages").glob("*.py")), ROOT / "app.py"]
NAME = re.compile(r"\bWORKBENCH_[A-Z0-9_]*[A-Z0-9]\b")


def test_only_config_reads_the_environment_for_settings():
    readers = []
    for path in SOURCES:
        if path == ROOT / "workbench" / "config.py" or "i18n" in path.parts:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"os\.environ|os\.getenv|getenv\(", line) and not re.search(r"\bHF_[A-Z_]+", line):
                readers.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not readers, "read settings through workbench.config.env():\n" + "\n".join(readers)


def test_every_setting_named_in_the_code_is_declared():
    declared = set(config.SETTINGS) | set(config.SCRIPT_SETTINGS)
    files = [*SOURCES, ROOT / "run_workbench.sh", *sorted((ROOT / "scripts").iterdir()),
             *sorted((ROOT / "tests").glob("*.py"))]
    used = {}
    for path in files:
        if path.is_file():
            for name in NAME.findall(path.read_text(encoding="utf-8", errors="replace")):
                used.setdefault(name, path.relative_to(ROOT))
    unknown = {n: str(p) for n, p in used.items() if n not in declared and not n.startswith("WORKBENCH_MAX_")}
    unknown.update({n: str(p) for n, p in used.items() if n.startswith("WORKBENCH_MAX_") and n not in declared
                    and n != "WORKBENCH_MAX_"})
    assert not unknown, f"declare these in workbench.config.SETTINGS or SCRIPT_SETTINGS: {unknown}"
    with pytest.raises(KeyError, match="SETTINGS"):
        config.env("WORKBENCH_" + "NOT_A_SETTING")


def test_limits_are_settings():
    from workbench import limits

    assert {lim.env for lim in limits.ALL} <= set(config.SETTINGS)


def test_readme_has_a_row_for_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `(WORKBENCH_[A-Z0-9_]+)` \|", readme, re.M))
    missing = (set(config.SETTINGS) | set(config.SCRIPT_SETTINGS)) - rows
    assert not missing, f"the README's settings table lacks {sorted(missing)}"


def test_readme_module_map_names_every_package_and_module():
    """Every package of the library and every module at its top level and in ui/ (the map may
    describe a package's modules together)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    arch = readme[readme.index("## Architecture"):]
    arch = arch[:arch.index("\n## ", 5)]
    missing = []
    for path in sorted((ROOT / "workbench").rglob("__init__.py")):
        rel = path.parent.relative_to(ROOT / "workbench")
        if rel.parts and f"{rel.parts[-1]}/" not in arch:
            missing.append(f"workbench/{rel}/")
    for path in [*sorted((ROOT / "workbench").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]:
        if path.name not in ("__init__.py", "__main__.py") and path.name not in arch:
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"the README's Architecture section does not name: {missing}"
