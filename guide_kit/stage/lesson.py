"""Which files of a stage folder are the lesson: what a reader copies, diffs and measures.

A stage folder also holds what running it leaves behind (environments, caches, local data and
secrets); every command of the kit that copies, diffs, hashes or measures a stage reads only
its lesson files, as selected here.
"""

from __future__ import annotations

import os
from pathlib import Path

# What a stage folder holds that is not part of the lesson: environments, caches, local data.
IGNORED_PARTS = frozenset(
    {
        ".venv",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".hypothesis",
        ".import_linter_cache",
        "site",
        "htmlcov",
    }
)
# A stage's notebooks are the reader's scratch work, ignored by git; the note that says so
# is part of the lesson.
NOTEBOOKS = "notebooks"
NOTEBOOKS_NOTE = "README.md"
IGNORED_SUFFIXES = frozenset({".pyc", ".db", ".db-journal", ".sqlite"})
# Lock files change with every new dependency and would drown the lesson: named, not shown.
SUMMARISED_FILES = frozenset({"uv.lock"})


def is_lesson_file(relative: Path) -> bool:
    """Whether a file belongs to the lesson (not an environment, a cache or local data)."""
    if IGNORED_PARTS.intersection(relative.parts) or relative.suffix in IGNORED_SUFFIXES:
        return False
    # What `pytest --cov` leaves behind: the data of a run, not the lesson.
    if relative.name == ".coverage" or relative.name.startswith(".coverage."):
        return False
    if NOTEBOOKS in relative.parts[:-1]:
        return relative.parts[-2:] == (NOTEBOOKS, NOTEBOOKS_NOTE)
    # Local settings files hold secrets; only the documented example belongs to a stage.
    is_env_file = relative.name == ".env" or relative.name.startswith(".env.")
    return not is_env_file or relative.name == ".env.example"


def lesson_files(stage: Path) -> list[Path]:
    """List a stage's lesson files, relative to it, sorted by their POSIX path.

    The walk skips ignored folders instead of filtering their files afterwards: a stage's
    `.venv` alone holds tens of thousands of files.
    """
    found: list[Path] = []
    for directory, folders, files in os.walk(stage):
        relative = Path(directory).relative_to(stage)
        folders[:] = [name for name in folders if name not in IGNORED_PARTS]
        found += [relative / name for name in files if is_lesson_file(relative / name)]
    return sorted(found, key=lambda path: path.as_posix())


def lesson_texts(stage: Path) -> dict[str, str]:
    """Read a stage's lesson files into a mapping from relative POSIX path to text."""
    return {
        relative.as_posix(): (stage / relative).read_text(encoding="utf-8")
        for relative in lesson_files(stage)
    }
