"""Running another program and capturing what it says, the one way the kit does it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from guide_kit.paths import ROOT


def run(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run `command` in `cwd` and capture its output as text; its exit code is the caller's.

    Every command is a program and arguments that the kit makes itself, never a shell line.
    """
    return subprocess.run(  # noqa: S603 - our own programs and arguments, no shell
        list(command),
        cwd=cwd,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_tool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run a tool of our own environment (ruff, mypy, mkdocs) and capture its output.

    The tool is taken from beside our interpreter, so that it is the version this environment
    pins, whatever else is on PATH.
    """
    executable = Path(sys.executable).parent / args[0]
    return run([str(executable), *args[1:]], cwd=cwd)
