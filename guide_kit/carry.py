"""Carry a change of one stage into every later stage that shares the file.

Stages are copies on purpose, so a fix made in one stage belongs in each later stage that has
the same file. This script takes what changed in a stage since a commit (by default the last
one, so the uncommitted change) and merges it into the later stages, file by file, with a
three-way merge:

- base: the file as committed in the stage you changed;
- theirs: the file as it is now in that stage;
- ours: the file as it is now in the later stage.

A later stage whose copy of the file still equals the base simply gets the new version; one
whose copy differs (it changed the file for its own lesson) gets a merge, and a conflict is
written with the usual markers and reported. Nothing is committed: review with `git diff`.

    uv run python scripts/carry_forward.py examples/04-services
    uv run python scripts/carry_forward.py examples/04-services --dry-run
    uv run python scripts/carry_forward.py examples/04-services --since HEAD~1 --to 06-security

`scripts/carry_forward.py` is the command; this module is its work and its command line.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from guide_kit.paths import ROOT
from guide_kit.process import run
from guide_kit.stage import SUMMARISED_FILES, is_lesson_file, stage_dirs


@dataclass(frozen=True)
class Change:
    """One file that changed in the source stage since the last commit."""

    relative: str  # path inside the stage, e.g. "fast_api_template/api/errors.py"
    base: str | None  # committed text; None for a new file
    new: str | None  # current text; None for a deleted file


@dataclass(frozen=True)
class Outcome:
    """What happened to one file of one later stage."""

    stage: str
    relative: str
    result: str  # "copied", "merged", "conflict", "added", "deleted", "kept", "unchanged"


# Every command below runs git with arguments made here, never with outside input.
def _git(*args: str) -> str:
    return subprocess.run(  # noqa: S603
        ["git", *args],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def committed_text(path: Path, revision: str = "HEAD") -> str | None:
    """Return a file's text at `revision`, or None when that commit does not have it."""
    relative = path.relative_to(ROOT).as_posix()
    result = run(["git", "show", f"{revision}:{relative}"], cwd=ROOT)
    return result.stdout if result.returncode == 0 else None


def changes_of(stage: Path, since: str = "HEAD") -> list[Change]:
    """List the lesson files of `stage` that differ from `since`, new and deleted ones included."""
    relative_stage = stage.relative_to(ROOT).as_posix()
    tracked = _git("diff", "--name-only", since, "--", relative_stage).splitlines()
    untracked = _git(
        "ls-files", "--others", "--exclude-standard", "--", relative_stage
    ).splitlines()
    changes = []
    for name in sorted(set(tracked) | set(untracked)):
        path = ROOT / name
        relative = path.relative_to(stage)
        # A lock file is never merged: each stage regenerates its own with `uv lock`.
        if not is_lesson_file(relative) or relative.name in SUMMARISED_FILES:
            continue
        new = path.read_text(encoding="utf-8") if path.is_file() else None
        changes.append(Change(relative.as_posix(), committed_text(path, since), new))
    return changes


def merge_text(ours: str, base: str, theirs: str) -> tuple[str, bool]:
    """Three-way merge with `git merge-file`; return the text and whether it conflicted."""
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(folder) / name
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        labels = ["-L", "later stage", "-L", "base", "-L", "change"]
        result = run(["git", "merge-file", "-p", *labels, *paths], cwd=Path(folder))
    # merge-file exits with the number of conflicts, or a negative number on error.
    if result.returncode < 0:
        raise RuntimeError(result.stderr)
    return result.stdout, result.returncode > 0


def apply_change(change: Change, target: Path) -> str:
    """Apply one change to the same file of a later stage; return what happened."""
    path = target / change.relative
    ours = path.read_text(encoding="utf-8") if path.is_file() else None
    if change.new is None:  # deleted in the source stage
        if ours is None:
            return "unchanged"
        if ours == change.base:
            path.unlink()
            return "deleted"
        return "kept"  # the later stage changed it: deleting is a decision for a person
    if ours == change.new:
        return "unchanged"
    if change.base is None or ours is None:
        if ours is not None:
            return "kept"  # both added a file of that name, differently
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(change.new, encoding="utf-8")
        return "added"
    if ours == change.base:
        path.write_text(change.new, encoding="utf-8")
        return "copied"
    merged, conflicted = merge_text(ours, change.base, change.new)
    path.write_text(merged, encoding="utf-8")
    return "conflict" if conflicted else "merged"


def carry_forward(
    source: Path, *, since: str = "HEAD", last: str | None = None, dry_run: bool = False
) -> list[Outcome]:
    """Apply the changes of `source` since a commit (the last, by default) to later stages.

    Args:
        source: The stage that was changed.
        since: The commit to compare with; HEAD carries the uncommitted changes.
        last: The name of the last stage to change (e.g. `06-security`); None for all.
        dry_run: Report what would change, and change nothing.

    """
    stages = stage_dirs()
    later = [s for s in stages[stages.index(source) + 1 :] if last is None or s.name <= last]
    changes = changes_of(source, since)
    outcomes = []
    for stage in later:
        for change in changes:
            if dry_run:
                exists = (stage / change.relative).is_file()
                outcomes.append(
                    Outcome(stage.name, change.relative, "would merge" if exists else "would add")
                )
            else:
                outcomes.append(Outcome(stage.name, change.relative, apply_change(change, stage)))
    return outcomes


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, carry the change forward and print what happened to each file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", type=Path, help="the stage you changed, e.g. examples/04-services")
    parser.add_argument(
        "--since",
        default="HEAD",
        help="carry what changed since this commit (default: the uncommitted changes)",
    )
    parser.add_argument(
        "--to", help="the last stage to change (default: every later stage), e.g. 06-security"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would change, change nothing"
    )
    arguments = parser.parse_args(argv)
    source = arguments.stage.resolve()
    if source not in stage_dirs():
        parser.error(f"{arguments.stage} is not a stage folder under examples/")
    outcomes = carry_forward(
        source, since=arguments.since, last=arguments.to, dry_run=arguments.dry_run
    )
    for outcome in outcomes:
        print(f"{outcome.stage}/{outcome.relative}: {outcome.result}")
    if any(o.relative == "pyproject.toml" for o in outcomes):
        print("\npyproject.toml changed: run `uv lock` in each stage it reached.")
    conflicts = [o for o in outcomes if o.result in {"conflict", "kept"}]
    if conflicts:
        print(
            f"\n{len(conflicts)} file(s) need a person: resolve the markers, then re-run the tests."
        )
        return 1
    return 0
