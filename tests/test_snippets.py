"""Every snippet runs, and prints exactly what its recorded `.out` file says.

Pages include a snippet and its `.out` file, so what the reader sees printed is what the code
printed on the last run. Refresh the recordings with `uv run pytest tests/test_snippets.py
--update-snippets`, then review the diff.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from guide_kit.paths import ROOT, SNIPPETS
from guide_kit.process import run

SNIPPET_FILES = sorted(SNIPPETS.rglob("*.py"))


def run_snippet(path: Path) -> subprocess.CompletedProcess[str]:
    """Run one snippet as a reader would, from the repository root, with a plain environment.

    Bytecode is written (git ignores it): each snippet imports FastAPI and SQLModel, and on a
    fresh environment compiling them again in every snippet costs seconds each.
    """
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env |= {"PYTHONHASHSEED": "0", "NO_COLOR": "1"}
    return run([sys.executable, str(path)], cwd=ROOT, env=env, timeout=120)


def test_there_are_snippets() -> None:
    assert SNIPPET_FILES, "no snippet found under snippets/"


@pytest.mark.parametrize("path", SNIPPET_FILES, ids=lambda p: p.relative_to(SNIPPETS).as_posix())
def test_snippet_prints_its_recorded_output(path: Path, request: pytest.FixtureRequest) -> None:
    result = run_snippet(path)
    recorded = path.with_suffix(".out")

    assert result.returncode == 0, f"{path.name} failed:\n{result.stdout}{result.stderr}"
    if request.config.getoption("--update-snippets"):
        recorded.write_text(result.stdout, encoding="utf-8")
    assert recorded.is_file(), f"no recorded output: run with --update-snippets to write {recorded}"
    assert result.stdout == recorded.read_text(encoding="utf-8")
