"""The stage under test: which one, a private copy of it, and the environment it runs in.

A case names the routes it needs; the stage is the newest folder under `examples/` that serves
them, so the same case measures stage 08 as soon as it exists. The stage is copied out (its
lesson files only, as a reader would copy it) and runs from an environment that uv makes from
the stage's own lock file, so the stage's folder and its `.venv` are never touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import PACKAGE, SCRIPTS
from benchmarks.load import BenchmarkError
from benchmarks.probe import LIBRARIES, version_of

# One definition of a stage's folders and lesson files, shared with the diff script and tests.
if str(SCRIPTS) not in sys.path:
    sys.path.append(str(SCRIPTS))
from stage_diffs import IGNORED_PARTS, is_lesson_file, stage_dirs

__all__ = [
    "Stage",
    "StageFinder",
    "copy_stage",
    "prepare",
    "probe",
    "stage_dirs",
    "stage_fingerprint",
    "uv_environment",
]

PROBE = PACKAGE / "probe.py"
ENV_PREFIX = "FAST_API_TEMPLATE_"
APP = "fast_api_template.app:app"
_SETTING = re.compile(rf"^#?\s*({ENV_PREFIX}[A-Z0-9_]+)=", re.MULTILINE)


@dataclass(frozen=True)
class Stage:
    """A stage copied out and ready to serve."""

    name: str
    source: Path
    copy: Path
    python: Path
    environment: str  # how `python` was made, for the results
    libraries: Mapping[str, str | None] = field(default_factory=dict)
    python_version: str = ""

    @property
    def settings(self) -> frozenset[str]:
        """Return the environment variables that the stage's `.env.example` documents."""
        return documented_settings(self.copy)

    @property
    def fingerprint(self) -> str:
        """Return the content hash of the lesson files that ran.

        The copy's, not the source's: the stage may have changed since it was copied.
        """
        return stage_fingerprint(self.copy)


def lesson_files(stage: Path) -> list[Path]:
    """List a stage's lesson files, relative to it, sorted, as the diff script selects them.

    The walk skips ignored folders instead of filtering their files afterwards: a stage's
    `.venv` alone holds tens of thousands of files.
    """
    found = []
    for directory, folders, files in os.walk(stage):
        relative = Path(directory).relative_to(stage)
        folders[:] = [name for name in folders if name not in IGNORED_PARTS]
        found += [relative / name for name in files if is_lesson_file(relative / name)]
    return sorted(found, key=lambda path: path.as_posix())


def stage_fingerprint(stage: Path) -> str:
    """Hash a stage's lesson files: their names and contents."""
    digest = hashlib.sha256()
    for relative in lesson_files(stage):
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update((stage / relative).read_bytes() + b"\0")
    return digest.hexdigest()


def documented_settings(stage: Path) -> frozenset[str]:
    """Return the `FAST_API_TEMPLATE_*` names in a stage's `.env.example`, set or commented out."""
    example = stage / ".env.example"
    if not example.is_file():
        return frozenset()
    return frozenset(_SETTING.findall(example.read_text(encoding="utf-8")))


def copy_stage(stage: Path, destination: Path) -> Path:
    """Copy a stage's lesson files (no environment, caches or local data) into `destination`."""

    def not_lesson(directory: str, names: list[str]) -> set[str]:
        relative = Path(directory).relative_to(stage)
        return {name for name in names if not is_lesson_file(relative / name)}

    target = destination / stage.name
    if not target.exists():
        shutil.copytree(stage, target, ignore=not_lesson)
    return target


def uv_environment() -> dict[str, str]:
    """Return our environment for uv and the stage's processes, minus our own virtualenv."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(ENV_PREFIX)}
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
        env.pop(name, None)
    env["UV_NO_PROGRESS"] = "1"
    return env


def probe(python: Path, stage_copy: Path, routes: Sequence[str]) -> dict[str, Any]:
    """Import a stage's app under `python` and report the routes it lacks and its libraries."""
    env = uv_environment() | {f"{ENV_PREFIX}ENV": "test", "PYTHONDONTWRITEBYTECODE": "1"}
    finished = subprocess.run(  # noqa: S603 - our interpreter and script, no shell
        [str(python), "-P", str(PROBE), *routes],
        cwd=stage_copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if finished.returncode != 0:
        raise BenchmarkError(f"{stage_copy.name} cannot be imported:\n{finished.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return report


class StageFinder:
    """Finds the newest stage that serves a case's routes, importing each stage at most once.

    Args:
        routes: Every route that the cases of this run need; each stage is asked about all
            of them at once.
        workdir: Where the stages are copied to.
        name: A stage to use for every case instead (`--stage`).

    """

    def __init__(self, routes: Sequence[str], workdir: Path, name: str | None = None) -> None:
        self.routes = sorted(set(routes))
        self.workdir = workdir
        self.name = name
        self._missing: dict[Path, set[str]] = {}

    def find(self, routes: Sequence[str]) -> Path:
        """Return the newest stage that serves `routes`, or the stage named on the command line.

        A stage that cannot be imported (one being built, say) is reported and skipped.

        Raises:
            BenchmarkError: No stage serves the routes, or the named stage does not exist.

        """
        stages = stage_dirs()
        if self.name is not None:
            chosen = [stage for stage in stages if stage.name == self.name]
            if not chosen:
                names = ", ".join(stage.name for stage in stages)
                raise BenchmarkError(f"no stage {self.name!r}; the stages are {names}")
            return chosen[0]
        for stage in reversed(stages):
            if not self.missing(stage).intersection(routes):
                return stage
        raise BenchmarkError(f"no stage serves all of {list(routes)}")

    def missing(self, stage: Path) -> set[str]:
        """Return the routes of this run that `stage` does not serve."""
        if stage not in self._missing:
            try:
                report = probe(Path(sys.executable), copy_stage(stage, self.workdir), self.routes)
                self._missing[stage] = set(report["missing"])
            except BenchmarkError as error:
                print(f"  skipping {stage.name}: {error}")
                self._missing[stage] = set(self.routes)
        return self._missing[stage]


def prepare(stage: Path, workdir: Path, *, own_environment: bool) -> Stage:
    """Copy a stage out and make the interpreter that serves it.

    Args:
        stage: The stage's folder under `examples/`.
        workdir: Where the copy goes.
        own_environment: Make the stage's own environment from its lock file (the real runs),
            or use this runner's interpreter, which holds every library the stages use
            (`--smoke`, where seconds matter more than exact versions).

    """
    copy = copy_stage(stage, workdir)
    if not own_environment:
        return Stage(
            name=stage.name,
            source=stage,
            copy=copy,
            python=Path(sys.executable),
            environment="the runner's (a smoke run), not the stage's lock file",
            libraries={name: version_of(name) for name in LIBRARIES},
            python_version=platform.python_version(),
        )
    _sync(copy)
    python = copy / ".venv" / "bin" / "python"
    report = probe(python, copy, [])
    return Stage(
        name=stage.name,
        source=stage,
        copy=copy,
        python=python,
        environment="the stage's own, made by `uv sync --locked --no-dev` from its uv.lock",
        libraries=report["libraries"],
        python_version=report["python"],
    )


def _sync(copy: Path) -> None:
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        raise BenchmarkError("uv is needed to make the stage's environment; see README.md")
    finished = subprocess.run(  # noqa: S603 - uv, fixed arguments, no shell
        [uv, "sync", "--locked", "--no-dev", "--quiet"],
        cwd=copy,
        env=uv_environment(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if finished.returncode != 0:
        raise BenchmarkError(f"uv sync failed in {copy.name}:\n{finished.stderr}")
