"""Write the diff between each stage and the one before it, for the stage pages to include.

Run `uv run python scripts/stage_diffs.py` after changing a stage. The test suite fails while a
written diff differs from what this script would write now.

For each `examples/NN-name/` it writes, under `docs/stages/diffs/`:

- `NN-name.diff`: a unified diff from the previous stage (for the first stage, from nothing);
- `NN-name.md`: a table of the files added, changed and removed, with their line counts.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
OUTPUT = ROOT / "docs" / "stages" / "diffs"

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


@dataclass(frozen=True)
class FileChange:
    """One file's change between two stages."""

    path: str
    kind: str  # "added", "changed" or "removed"
    added: int
    removed: int


def stage_dirs(examples: Path = EXAMPLES) -> list[Path]:
    """Return the stage folders in order (`01-hello`, `02-settings`, ...)."""
    return sorted(path for path in examples.iterdir() if path.is_dir() and path.name[:2].isdigit())


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


def stage_files(stage: Path) -> dict[str, str]:
    """Read a stage's files into a mapping from relative POSIX path to text."""
    return {
        path.relative_to(stage).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(stage.rglob("*"))
        if path.is_file() and is_lesson_file(path.relative_to(stage))
    }


def _file_diff(path: str, old: str | None, new: str | None) -> tuple[list[str], FileChange]:
    """Diff one file, returning the diff lines and its summary."""
    old_lines = [] if old is None else old.splitlines(keepends=True)
    new_lines = [] if new is None else new.splitlines(keepends=True)
    kind = "added" if old is None else "removed" if new is None else "changed"
    header = [f"diff a/{path} b/{path}\n"]
    if path in SUMMARISED_FILES:
        body = [f"# {path} {kind}: regenerate it with `uv lock`\n"]
    else:
        body = list(
            difflib.unified_diff(
                old_lines,
                new_lines,
                fromfile="/dev/null" if old is None else f"a/{path}",
                tofile="/dev/null" if new is None else f"b/{path}",
                n=3,
            )
        )
        body = [line if line.endswith("\n") else line + "\n" for line in body]
    added = sum(1 for line in body if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in body if line.startswith("-") and not line.startswith("---"))
    return header + body, FileChange(path, kind, added, removed)


def render(previous: dict[str, str], current: dict[str, str]) -> tuple[str, str]:
    """Return the diff text and the Markdown summary table between two stages."""
    diff_lines: list[str] = []
    changes: list[FileChange] = []
    for path in sorted(previous.keys() | current.keys()):
        old, new = previous.get(path), current.get(path)
        if old == new:
            continue
        lines, change = _file_diff(path, old, new)
        diff_lines.extend(lines)
        changes.append(change)
    table = ["| file | change | lines |", "|---|---|---|"]
    for change in changes:
        counts = "" if change.path in SUMMARISED_FILES else f"+{change.added} -{change.removed}"
        table.append(f"| `{change.path}` | {change.kind} | {counts} |")
    return "".join(diff_lines), "\n".join(table) + "\n"


def expected_outputs(examples: Path = EXAMPLES) -> dict[str, str]:
    """Compute every output file's name and text from the stages as they are now."""
    outputs: dict[str, str] = {}
    previous: dict[str, str] = {}
    for stage in stage_dirs(examples):
        current = stage_files(stage)
        diff, table = render(previous, current)
        outputs[f"{stage.name}.diff"] = diff
        outputs[f"{stage.name}.md"] = table
        previous = current
    return outputs


def main() -> int:
    """Rewrite the outputs and delete those of stages that no longer exist."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    outputs = expected_outputs()
    for stale in OUTPUT.iterdir():
        if stale.name not in outputs:
            stale.unlink()
    for name, text in outputs.items():
        (OUTPUT / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(outputs)} files to {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
