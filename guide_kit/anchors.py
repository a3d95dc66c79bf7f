"""The snippet sections of the stages that no page includes: find them, and remove them.

A page shows a stage's code through a named section: the stage file marks it with
`# --8<-- [start:name]` and `# --8<-- [end:name]`, and the page includes
`examples/NN-stage/path/to/file.py:name`. Stages are copies, so each section is copied into
every later stage. A section that no page includes from any stage is noise: two comment lines
in every copy of the file, and in the stage diffs whenever they move.

A section counts as used when a page includes it from any stage: it then stays in every stage
that has the file, so that the stage diffs show no marker lines coming and going.

    uv run python scripts/stage_anchors.py            # list the unused sections, file and line
    uv run python scripts/stage_anchors.py --remove   # delete their marker lines

After `--remove`, run `uv run ruff format .` in each stage it changed (a removed line can leave
two blank lines side by side), then `uv run python scripts/stage_diffs.py`.

`scripts/stage_anchors.py` is the command; this module is its work and its command line.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

from guide_kit.paths import EXAMPLES, ROOT, shown_path
from guide_kit.stage import lesson_files, stage_dirs

DESCRIPTION = "List the snippet sections of the stages that no page includes, and remove them."

# A section marker, as pymdownx.snippets reads it (an escaped `;--8<--` is no marker).
MARKER = re.compile(
    r"(?i)^(?P<pre>.*?)(?<!;)-{1,}8<-{1,}[ \t]+"
    r"\[[ \t]*(?P<kind>start|end)[ \t]*:[ \t]*(?P<name>[a-z][-_0-9a-z]*)[ \t]*\](?P<post>.*)$"
)
# An include line of a page: `--8<-- "examples/04-services/fast_api_template/app.py:create"`.
INCLUDE = re.compile(r"""^[ \t]*-{1,}8<-{1,}[ \t]+["'](?P<target>[^"'\n]+)["'][ \t]*$""")
# The section at the end of an include target (`:name`; line ranges such as `:3:9` are not one).
SECTION = re.compile(r"^(?P<file>.+?):(?P<name>[a-z][-_0-9a-z]*)$", re.IGNORECASE)
# The files whose markers are comments that may stand alone on a line.
MARKED_SUFFIXES = frozenset({".py", ".toml", ".cfg", ".ini", ".yaml", ".yml", ".sh"})


@dataclass(frozen=True)
class Marker:
    """One start or end line of a named section in a stage file."""

    stage: Path  # the stage folder
    path: Path  # the stage file
    line: int  # 1-based
    kind: str  # "start" or "end"
    name: str
    whole_line: bool  # the marker is all the line holds (then --remove may delete the line)

    @property
    def key(self) -> tuple[str, str]:
        """The file inside its stage, and the section's name: the same in every copy."""
        return (self.path.relative_to(self.stage).as_posix(), self.name)


def default_pages(root: Path = ROOT) -> list[Path]:
    """Return the Markdown files that can include stage code: the pages and the README."""
    return [*sorted((root / "docs").rglob("*.md")), root / "README.md"]


def section_markers(stage: Path) -> list[Marker]:
    """Every section marker in a stage's lesson files."""
    markers: list[Marker] = []
    for relative in lesson_files(stage):
        if relative.suffix not in MARKED_SUFFIXES:
            continue
        path = stage / relative
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = MARKER.match(text) if "8<-" in text else None
            if match:
                whole = match.group("pre").strip() in {"#", ""} and not match.group("post").strip()
                kind, name = match.group("kind").lower(), match.group("name")
                markers.append(Marker(stage, path, number, kind, name, whole))
    return markers


def included_sections(pages: list[Path]) -> set[tuple[str, str]]:
    """Return the (file inside its stage, section) pairs that a page includes."""
    used: set[tuple[str, str]] = set()
    for page in pages:
        if not page.is_file():
            continue
        for text in page.read_text(encoding="utf-8").splitlines():
            include = INCLUDE.match(text)
            section = SECTION.match(include.group("target")) if include else None
            if not section:
                continue
            parts = Path(section.group("file")).parts
            if len(parts) > 2 and parts[0] == "examples":
                used.add((Path(*parts[2:]).as_posix(), section.group("name")))
    return used


def checked_stages(examples: Path = EXAMPLES) -> list[Path]:
    """Return the stages that the check covers: every one, a new stage as soon as it exists."""
    return stage_dirs(examples)


def unused_markers(stages: list[Path], pages: list[Path]) -> list[Marker]:
    """Return the marker lines of sections that no page includes from any stage."""
    used = included_sections(pages)
    markers = [marker for stage in stages for marker in section_markers(stage)]
    return [marker for marker in markers if marker.key not in used]


def describe(markers: list[Marker], root: Path = ROOT) -> list[str]:
    """One line per unused section of a file: where it starts and ends, and what to do."""
    starts: dict[tuple[Path, str], list[int]] = {}
    for marker in markers:
        starts.setdefault((marker.path, marker.name), []).append(marker.line)
    return [
        f"{shown_path(path, root)}:{lines[0]}: section {name!r} "
        f"(lines {', '.join(map(str, lines))}) is included by no page from any stage; "
        "delete its marker lines in every stage "
        "(`uv run python scripts/stage_anchors.py --remove`)"
        for (path, name), lines in starts.items()
    ]


def _blank(line: str) -> bool:
    return not line.strip()


def without_lines(lines: list[str], numbers: set[int]) -> list[str]:
    """Drop the lines numbered `numbers` (1-based) and keep the blank lines around them tidy.

    Where dropped lines stood among blank lines, the longest of the blank runs around them
    stays, not their sum; none stays at the start or the end of the file.
    """
    kept: list[str] = []
    index = 0
    while index < len(lines):
        if not (index + 1 in numbers or _blank(lines[index])):
            kept.append(lines[index])
            index += 1
            continue
        # A group of blank and dropped lines: measure its blank runs.
        runs, dropped, end = [0], False, index
        while end < len(lines) and (end + 1 in numbers or _blank(lines[end])):
            if end + 1 in numbers:
                dropped = True
                runs.append(0)
            else:
                runs[-1] += 1
            end += 1
        blanks = max(runs) if dropped else runs[0]
        if dropped and (not kept or end == len(lines)):
            blanks = 0
        kept.extend([""] * blanks)
        index = end
    return kept


def remove_markers(markers: list[Marker]) -> dict[Path, int]:
    """Delete the lines of whole-line markers; return how many went from each file."""
    by_file: dict[Path, set[int]] = {}
    for marker in markers:
        if marker.whole_line:
            by_file.setdefault(marker.path, set()).add(marker.line)
    removed: dict[Path, int] = {}
    for path, numbers in sorted(by_file.items()):
        text = path.read_text(encoding="utf-8")
        kept = without_lines(text.splitlines(), numbers)
        path.write_text("\n".join(kept) + ("\n" if text.endswith("\n") else ""), encoding="utf-8")
        removed[path] = len(numbers)
    return removed


def main(argv: list[str] | None = None) -> int:
    """List the unused sections of every stage; with --remove, delete them."""
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--remove", action="store_true", help="delete the unused marker lines")
    arguments = parser.parse_args(argv)
    markers = unused_markers(checked_stages(), default_pages())
    for line in describe(markers):
        print(line)
    if not arguments.remove:
        return 1 if markers else 0
    removed = remove_markers(markers)
    for path, count in removed.items():
        print(f"{shown_path(path)}: removed {count} marker lines")
    by_hand = [m for m in markers if not m.whole_line]
    for marker in by_hand:
        where = f"{shown_path(marker.path)}:{marker.line}"
        print(f"{where}: the marker shares its line; remove it by hand")
    print("\nNow run `uv run ruff format .` in each stage above, then scripts/stage_diffs.py.")
    return 1 if by_hand else 0
