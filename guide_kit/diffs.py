"""The diff between each stage and the one before it, which the stage pages include.

For each `examples/NN-name/` there are three outputs, under `docs/stages/diffs/`:

- `NN-name.diff`: a unified diff from the previous stage (for the first stage, from nothing);
- `NN-name.md`: a table of the files added, changed and removed, with their line counts;
- `NN-name/index.md`: the page of the full diff, `stages/diffs/NN-name/` on the site, which
  shows the table and the diff, and is left out of the search index.

`scripts/stage_diffs.py` writes them; `tests/test_stage_diffs.py` fails while a written one
differs from what this module computes now.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from guide_kit.paths import EXAMPLES, ROOT
from guide_kit.stage import SUMMARISED_FILES, lesson_texts, stage_dirs

OUTPUT = ROOT / "docs" / "stages" / "diffs"


@dataclass(frozen=True)
class FileChange:
    """One file's change between two stages."""

    path: str
    kind: str  # "added", "changed" or "removed"
    added: int
    removed: int


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
        current = lesson_texts(stage)
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
