"""The stage under test: which one, a private copy of it, and the environment it runs in.

A case names the routes it needs; the stage is the newest folder under `examples/` that serves
them, so the same case measures stage 08 as soon as it exists. The stage is copied out (its
lesson files only, as a reader would copy it) and runs from an environment that uv makes from
the stage's own lock file, so the stage's folder and its `.venv` are never touched. The copy,
the environment and the stage's fingerprint are the kit's, from `guide_kit.stage`.
"""

from __future__ import annotations

import json
import platform
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import PACKAGE
from benchmarks.load import BenchmarkError
from benchmarks.probe import LIBRARIES, version_of
from guide_kit.process import run
from guide_kit.stage import content_fingerprint as stage_fingerprint
from guide_kit.stage import copy_stage, stage_dirs, sync_stage
from guide_kit.stage import stage_environment as uv_environment

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


def documented_settings(stage: Path) -> frozenset[str]:
    """Return the `FAST_API_TEMPLATE_*` names in a stage's `.env.example`, set or commented out."""
    example = stage / ".env.example"
    if not example.is_file():
        return frozenset()
    return frozenset(_SETTING.findall(example.read_text(encoding="utf-8")))


def probe(python: Path, stage_copy: Path, routes: Sequence[str]) -> dict[str, Any]:
    """Import a stage's app under `python` and report the routes it lacks and its libraries."""
    env = {f"{ENV_PREFIX}ENV": "test", "PYTHONDONTWRITEBYTECODE": "1"}
    failure = f"{stage_copy.name} cannot be imported"
    return script_report(
        python, PROBE, routes, cwd=stage_copy, env=env, timeout=120, failure=failure
    )


def script_report(
    python: Path,
    script: Path,
    arguments: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
    failure: str,
) -> dict[str, Any]:
    """Run one of our scripts under `python`, in uv's environment plus `env`; return its report.

    The report is the JSON object on the last line that the script prints.

    Raises:
        BenchmarkError: The script failed; the message starts with `failure`.

    """
    command = [str(python), "-P", str(script), *arguments]
    finished = run(command, cwd=cwd, env=uv_environment() | dict(env or {}), timeout=timeout)
    if finished.returncode != 0:
        raise BenchmarkError(f"{failure}:\n{finished.stderr[-3000:]}")
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
                report = probe(
                    Path(sys.executable), copy_stage(stage, self.workdir, reuse=True), self.routes
                )
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
    copy = copy_stage(stage, workdir, reuse=True)
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
    try:
        finished = sync_stage(copy)
    except RuntimeError as error:  # no uv to be found
        raise BenchmarkError(str(error)) from error
    if finished.returncode != 0:
        raise BenchmarkError(f"uv sync failed in {copy.name}:\n{finished.stderr}")
