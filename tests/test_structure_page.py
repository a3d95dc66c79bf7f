"""The project structure page lists the newest stage's tree, and nothing that is not in it.

`docs/structure.md` explains the layout of the newest stage in a table, one row per entry, its
path in the first column. This test reads the table back and compares it with the stage's
files: each listed path exists, and each entry at the stage's top level and directly under its
package is listed (itself, or a path under it). A file added to the stage without a row, or a
row left behind by a file that moved, fails here.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from guide_kit.paths import DOCS, EXAMPLES

PAGE = DOCS / "structure.md"
PACKAGE = "fast_api_template"
_FIRST_CELL = re.compile(r"^\|\s*`([^`]+)`\s*\|")


def newest_stage() -> Path:
    """Return the newest stage's folder."""
    return sorted(path for path in EXAMPLES.iterdir() if re.match(r"\d\d-", path.name))[-1]


def listed_paths(page: str) -> list[str]:
    """Return the paths in the first column of the page's tables, as written (`tests/`)."""
    return [match.group(1) for line in page.splitlines() if (match := _FIRST_CELL.match(line))]


def stage_files(stage: Path) -> list[str]:
    """Return the stage's files, as git sees them: tracked, or new and not ignored."""
    result = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "."],
        cwd=stage,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if (stage / line).exists()]


def required_entries(files: list[str]) -> set[str]:
    """Return the entries that the page must list: the top level, and the package's own."""
    entries = set()
    for file in files:
        parts = file.split("/")
        entries.add(parts[0] + ("/" if len(parts) > 1 else ""))
        if parts[0] == PACKAGE and len(parts) > 1:
            entries.add("/".join(parts[:2]) + ("/" if len(parts) > 2 else ""))
    return entries


def differences(page: str, files: list[str]) -> list[str]:
    """Say what the page lists that the stage lacks, and what it leaves out."""
    listed = listed_paths(page)
    present = set(files) | {
        "/".join(file.split("/")[:depth]) + "/"
        for file in files
        for depth in range(1, file.count("/") + 1)
    }
    problems = [f"{path}: listed, but not in the stage" for path in listed if path not in present]
    for entry in sorted(required_entries(files)):
        if not any(path == entry or path.startswith(entry) for path in listed):
            problems.append(f"{entry}: in the stage, but the page lists nothing at or under it")
    return problems


def test_the_structure_page_lists_the_newest_stages_tree() -> None:
    page = PAGE.read_text(encoding="utf-8")

    assert differences(page, stage_files(newest_stage())) == []


def test_a_missing_row_and_a_stale_row_both_fail() -> None:
    page = "| path | what | stage |\n|---|---|---|\n| `app.py` | x | y |\n| `gone.py` | x | y |\n"
    files = ["app.py", "README.md", f"{PACKAGE}/db.py", f"{PACKAGE}/api/deps.py"]

    problems = differences(page, files)

    assert "gone.py: listed, but not in the stage" in problems
    assert "README.md: in the stage, but the page lists nothing at or under it" in problems
    assert f"{PACKAGE}/api/: in the stage, but the page lists nothing at or under it" in problems
