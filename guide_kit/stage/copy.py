"""A private copy of a stage, as a reader would copy it: its lesson files, no environment.

The kit never runs anything in `examples/` itself: a run there would leave caches, databases
and a `.venv` behind, and a run of a stage's own lock file needs a folder of its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from guide_kit.stage.lesson import is_lesson_file


def copy_stage(stage: Path, destination: Path, *, reuse: bool = False) -> Path:
    """Copy a stage's lesson files into `destination/<stage name>` and return that folder.

    With `reuse`, a copy already there is returned as it is: the benchmarks copy a stage once
    per run and ask for it once per case.
    """

    def not_lesson(directory: str, names: list[str]) -> set[str]:
        relative = Path(directory).relative_to(stage)
        return {name for name in names if not is_lesson_file(relative / name)}

    target = destination / stage.name
    if not (reuse and target.exists()):
        shutil.copytree(stage, target, ignore=not_lesson)
    return target
