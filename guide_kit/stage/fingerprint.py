"""Content hashes that say whether a stored figure was measured on the code of this checkout.

Two kinds. A content fingerprint hashes a stage's lesson files as they are: any change shows.
A code fingerprint hashes files by what they do: Python by its syntax tree without docstrings
and comments, TOML by its parsed values, so that a reworded comment, a docstring or a
reformatted line keeps a figure current, and any change in what runs makes it stale.
"""

from __future__ import annotations

import ast
import hashlib
import json
import tomllib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from guide_kit.stage.lesson import lesson_files


def content_fingerprint(stage: Path) -> str:
    """Hash a stage's lesson files: their names and contents."""
    digest = hashlib.sha256()
    for relative in lesson_files(stage):
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update((stage / relative).read_bytes() + b"\0")
    return digest.hexdigest()


def code_fingerprint(
    files: Iterable[tuple[str, Path]], *, left_out: frozenset[str] = frozenset()
) -> str:
    """Hash files, each given as (name, path), by name and by what they do.

    `left_out` names module-level functions of the Python files that do not count: the code
    that only shows a result, not the code that measures it.
    """
    digest = hashlib.sha256()
    for name, path in files:
        digest.update(name.encode() + b"\0")
        digest.update(behaviour(path, left_out) + b"\0")
    return digest.hexdigest()


def behaviour(path: Path, left_out: frozenset[str] = frozenset()) -> bytes:
    """Return what a file does, as bytes: see the module's docstring."""
    if path.suffix == ".py":
        return python_behaviour(path.read_bytes(), left_out)
    if path.suffix == ".toml":
        # Read as its tools read it: its comments (and page sections) aside.
        return json.dumps(tomllib.loads(path.read_text(encoding="utf-8")), sort_keys=True).encode()
    return path.read_bytes()


@cache  # keyed by the source: nine stages share most of their files
def python_behaviour(source: bytes, left_out: frozenset[str] = frozenset()) -> bytes:
    """Dump a module's syntax tree without its docstrings and the functions `left_out`."""
    tree = ast.parse(source)
    tree.body = [
        statement
        for statement in tree.body
        if not (isinstance(statement, ast.FunctionDef) and statement.name in left_out)
    ]
    # Comments are not in the tree; docstrings, and strings that document an attribute, are,
    # and do nothing when run.
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            body[:] = [ast.Pass() if _is_docstring(statement) else statement for statement in body]
    return ast.dump(tree, include_attributes=False).encode()


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )
