"""Content hashes of what a result was measured with, so that stale results are caught.

A case's code fingerprint covers the runner (every module directly in `benchmarks/`, the
case registry and the wrk script), the case's own module and the single-file apps it runs.
Python files are hashed by their syntax tree without docstrings, so that a reworded comment,
a docstring or a reformatted line keeps the results current, and any change in what runs
makes them stale.

How results are shown is not how they were measured: the modules that render tables and plots
(`report.py`, `plots.py`) and a case's own `table` and `plot` functions are left out, so that a
clearer table or plot is drawn again from the stored results (`--render`) without measuring.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from benchmarks import PACKAGE, ROOT

SHARED_SOURCES = ("*.py", "*.lua", "cases/__init__.py")
# What draws the results, not what measures them.
PRESENTATION_MODULES = frozenset({"report.py", "plots.py"})
PRESENTATION_FUNCTIONS = frozenset({"table", "plot"})


def shared_sources() -> list[Path]:
    """Return the runner's files, which every case's figures depend on."""
    return sorted(
        {
            path
            for pattern in SHARED_SOURCES
            for path in PACKAGE.glob(pattern)
            if path.name not in PRESENTATION_MODULES
        }
    )


def fingerprint(paths: Iterable[Path]) -> str:
    """Hash files by name and by what they do (see the module's docstring)."""
    digest = hashlib.sha256()
    for path in sorted(set(paths)):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(_behaviour(path) + b"\0")
    return digest.hexdigest()


@cache
def _behaviour(path: Path) -> bytes:
    if path.suffix != ".py":
        return path.read_bytes()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # A case's `table` and `plot` only show what `run` measured.
    tree.body = [
        statement
        for statement in tree.body
        if not (isinstance(statement, ast.FunctionDef) and statement.name in PRESENTATION_FUNCTIONS)
    ]
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            # Docstrings, and strings that document an attribute, do nothing when run.
            body[:] = [ast.Pass() if _is_docstring(statement) else statement for statement in body]
    return ast.dump(tree, include_attributes=False).encode()


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )
