"""Content hashes of what a result was measured with, so that stale results are caught.

A case's code fingerprint covers the runner (every module directly in `benchmarks/`, the
case registry and the wrk script), the kit's stage library that copies, prepares and runs the
stage (`guide_kit/stage/`, and `guide_kit/process.py` and `guide_kit/ports.py`, which it runs
programs and picks ports with), the case's own module and the single-file apps it runs. Python
files are hashed by their syntax tree without docstrings (`guide_kit.stage.fingerprint`), so
that a reworded comment, a docstring or a reformatted line keeps the results current, and any
change in what runs makes them stale.

How results are shown is not how they were measured: the modules that render tables and plots
(`report.py`, `plots.py`) and a case's own `table` and `plot` functions are left out, so that a
clearer table or plot is drawn again from the stored results (`--render`) without measuring.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from benchmarks import PACKAGE, ROOT
from guide_kit.stage import code_fingerprint

SHARED_SOURCES = ("*.py", "*.lua", "cases/__init__.py")
KIT = ROOT / "guide_kit"
KIT_SOURCES = ("stage/*.py", "process.py", "ports.py")
# What draws the results, not what measures them.
PRESENTATION_MODULES = frozenset({"report.py", "plots.py"})
PRESENTATION_FUNCTIONS = frozenset({"table", "plot"})


def shared_sources() -> list[Path]:
    """Return the runner's files and the kit's, which every case's figures depend on."""
    runner = {
        path
        for pattern in SHARED_SOURCES
        for path in PACKAGE.glob(pattern)
        if path.name not in PRESENTATION_MODULES
    }
    return sorted(runner | {path for pattern in KIT_SOURCES for path in KIT.glob(pattern)})


def fingerprint(paths: Iterable[Path]) -> str:
    """Hash files by name and by what they do (see the module's docstring)."""
    return code_fingerprint(
        ((path.relative_to(ROOT).as_posix(), path) for path in sorted(set(paths))),
        left_out=PRESENTATION_FUNCTIONS,
    )
