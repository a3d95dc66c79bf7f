"""The facts of the machine and the checkout that a run measured on, kept beside its figures."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import ROOT

CPUINFO = Path("/proc/cpuinfo")


def cpu_model() -> str:
    """Return the CPU's model name, as the kernel reports it where it can."""
    if CPUINFO.is_file():
        for line in CPUINFO.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _git(*args: str) -> str:
    try:
        finished = subprocess.run(  # noqa: S603 - git with fixed arguments, no shell
            ["git", *args],  # noqa: S607 - git from PATH, as a developer runs it
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return ""
    return finished.stdout.strip() if finished.returncode == 0 else ""


def describe() -> dict[str, object]:
    """Return the machine's facts, and the date and commit of the run, taken at its start.

    `git_dirty` says whether the benchmark code or the stages had uncommitted changes when the
    run started: the commit alone then does not say what ran.
    """
    changes = _git("status", "--porcelain", "--", "benchmarks", "examples", ":!benchmarks/results")
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "runner_python": platform.python_version(),
        "git_commit": _git("rev-parse", "HEAD") or "unknown",
        "git_dirty": bool(changes),
    }
