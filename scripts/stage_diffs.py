"""Write the diff between each stage and the one before it, for the stage pages to include.

Run `uv run python scripts/stage_diffs.py` after changing a stage. The test suite fails while a
written diff differs from what this script would write now.

For each `examples/NN-name/` it writes, under `docs/stages/diffs/`:

- `NN-name.diff`: a unified diff from the previous stage (for the first stage, from nothing);
- `NN-name.md`: a table of the files added, changed and removed, with their line counts;
- `NN-name/index.md`: the page of the full diff, `stages/diffs/NN-name/` on the site, which
  shows the table and the diff, and is left out of the search index.

The stage's own page includes the table and links to the diff's page: the diff of a stage is
up to a megabyte of HTML, which a reader of the stage page would otherwise load every time.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass
from pathlib import Path

# Re-exported: the scripts and the tests read them from here too.
from guide_kit.stages import EXAMPLES as EXAMPLES
from guide_kit.stages import ROOT as ROOT
from guide_kit.stages import stage_dirs as stage_dirs

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


def diff_page_path(stage_name: str) -> str:
    """Where the page of a stage's full diff is written, relative to `OUTPUT`."""
    return f"{stage_name}/index.md"


def diff_page(stage: Path, previous: Path | None) -> str:
    """Write the page of a stage's full diff: a title, the way back, the table, the diff."""
    number, topic = stage.name[:2], stage.name[3:].replace("-", " ")
    if previous is None:
        title = f"Stage {number} ({topic}): the full listing"
        what = f"Every file of stage {number}, as a diff from nothing."
    else:
        title = f"Stage {number} ({topic}): the full diff from stage {previous.name[:2]}"
        what = (
            f"Every line that stage {number} adds, changes or removes, file by file, from "
            f"`examples/{previous.name}` to `examples/{stage.name}`."
        )
    return (
        "---\n"
        "# The diff is a listing to read, not to search: out of the search index.\n"
        "search:\n"
        "  exclude: true\n"
        "---\n\n"
        f"# {title}\n\n"
        f"{what} `scripts/stage_diffs.py` writes this page; the lesson itself is on "
        f"[the page of stage {number}](../../{stage.name}.md).\n\n"
        f'--8<-- "docs/stages/diffs/{stage.name}.md"\n\n'
        # Four backticks: the diff holds Markdown files, and their fences, of three.
        "````diff\n"
        f'--8<-- "docs/stages/diffs/{stage.name}.diff"\n'
        "````\n"
    )


def expected_outputs(examples: Path = EXAMPLES) -> dict[str, str]:
    """Compute every output file's path (relative to `OUTPUT`) and text from the stages."""
    outputs: dict[str, str] = {}
    previous: dict[str, str] = {}
    previous_stage: Path | None = None
    for stage in stage_dirs(examples):
        current = stage_files(stage)
        diff, table = render(previous, current)
        outputs[f"{stage.name}.diff"] = diff
        outputs[f"{stage.name}.md"] = table
        outputs[diff_page_path(stage.name)] = diff_page(stage, previous_stage)
        previous, previous_stage = current, stage
    return outputs


def written_outputs(output: Path = OUTPUT) -> dict[str, str]:
    """Every file under `output`, by path relative to it."""
    return {
        path.relative_to(output).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(output.rglob("*"))
        if path.is_file()
    }


def main() -> int:
    """Rewrite the outputs and delete those of stages that no longer exist."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    outputs = expected_outputs()
    for stale in written_outputs().keys() - outputs.keys():
        (OUTPUT / stale).unlink()
    for folder in sorted(OUTPUT.iterdir()):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    for name, text in outputs.items():
        (OUTPUT / name).parent.mkdir(parents=True, exist_ok=True)
        (OUTPUT / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(outputs)} files to {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
