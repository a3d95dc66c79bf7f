"""Running a copied stage: its suite, its checks, its interpreter, from its own lock file."""

from __future__ import annotations

import platform
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from guide_kit.process import run, run_tool
from guide_kit.stage.environment import stage_environment, uv_binary

# Where a stage's tests put their temporary files (SQLite databases, mostly). A memory-backed
# folder spares each test's database its disk syncs: about a quarter of a suite's time here.
MEMORY_TMP = Path("/dev/shm")  # noqa: S108 - only a parent for private temporary folders

# What every stage must pass besides its tests: the lint, format and type checks that its own
# pyproject.toml configures, run with the versions its own lock file pins.
STAGE_CHECKS: dict[str, tuple[str, ...]] = {
    "ruff-check": ("ruff", "check", "--no-cache", "."),
    "ruff-format": ("ruff", "format", "--no-cache", "--check", "."),
}


def run_in_stage(
    stage_copy: Path, *command: str, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run a command in a copied stage's own environment, made from its own lock file."""
    return run(
        [uv_binary(), "run", "--locked", "--quiet", *command],
        cwd=stage_copy,
        env=stage_environment(),
        timeout=timeout,
    )


@contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """Yield a private temporary folder, in memory when the machine has a memory-backed one."""
    parent = MEMORY_TMP if MEMORY_TMP.is_dir() else None
    with tempfile.TemporaryDirectory(dir=parent, prefix=prefix) as folder:
        yield Path(folder)


def run_stage_suite(
    stage_copy: Path, *options: str, one_process: bool = False, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run every test of a copied stage's own suite, with `options` added to pytest's.

    `-m ""` takes in the slow tests that a stage's own `uv run pytest` leaves out. With
    `one_process`, a stage that asks for pytest-xdist runs in one process instead: a caller
    whose own workers already keep every core busy asks for that.
    """
    arguments = ["-p", "no:cacheprovider", "-m", "", *options]
    if one_process and _runs_on_every_core(stage_copy):
        arguments += ["-n", "0"]
    with scratch_folder(f"stage-{stage_copy.name}-") as basetemp:
        return run_in_stage(
            stage_copy, "pytest", *arguments, f"--basetemp={basetemp}", timeout=timeout
        )


def _runs_on_every_core(stage_copy: Path) -> bool:
    # The stages that add pytest-xdist ask for it in their pytest options.
    text = (stage_copy / "pyproject.toml").read_text(encoding="utf-8")
    return '"-n", "auto"' in text


def run_stage_mypy(stage: Path, cache_dir: Path) -> subprocess.CompletedProcess[str]:
    """Type-check a stage with its own mypy settings, in our environment.

    Our environment holds every package that the stages' lock files pin (a test in
    `test_stages.py` checks it). Checking every stage from it lets the stages share one cache
    of the libraries' types: each stage then costs a second or two instead of a cold start.
    """
    return run_tool("mypy", "--cache-dir", str(cache_dir), "fast_api_template", "tests", cwd=stage)


def stage_python(stage_copy: Path) -> str:
    """Return the Python version of a stage's environment (uv picks it by `requires-python`)."""
    result = run_in_stage(stage_copy, "python", "--version")
    return result.stdout.split()[-1] if result.returncode == 0 else platform.python_version()


def sync_stage(stage_copy: Path) -> subprocess.CompletedProcess[str]:
    """Make a copied stage's runtime environment (`.venv`) from its lock file, no dev tools."""
    return run(
        [uv_binary(), "sync", "--locked", "--no-dev", "--quiet"],
        cwd=stage_copy,
        env=stage_environment(),
    )
