"""The pre-commit hooks: a valid configuration that runs, before a commit, what CI runs after it.

prek validates the file as prek and pre-commit read it. Every hook runs a tool of this
environment through `uv run --locked`, so a hook can no more drift from CI's versions than
the tests can, and each command of CI's lint job has a hook that runs it.
"""

import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

STAGE_ROOT = Path(__file__).resolve().parents[1]
CONFIG = STAGE_ROOT / ".pre-commit-config.yaml"
CI = STAGE_ROOT / ".github" / "workflows" / "ci.yml"
RUNNER = "uv run --locked "
ENVIRONMENT = Path(sys.executable).parent


def hooks() -> list[dict[str, Any]]:
    """Every hook of the configuration, local or not."""
    config: dict[str, Any] = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    return [hook | {"repo": repo["repo"]} for repo in config["repos"] for hook in repo["hooks"]]


HOOKS = [pytest.param(hook, id=hook["id"]) for hook in hooks()]
FILE_HOOKS = [pytest.param(hook, id=hook["id"]) for hook in hooks() if "files" in hook]


def command_words(command: str) -> tuple[str, ...]:
    """What a command runs, its options and its `.` aside: `ruff format --check .` is
    ("ruff", "format"), as is `ruff format`."""
    return tuple(word for word in command.split() if not word.startswith("-") and word != ".")


@cache
def project_files() -> list[str]:
    """The project's files as a hook's `files` pattern sees them: paths from its root.

    The walk skips environments and caches instead of filtering their files afterwards.
    """
    skipped = {".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".hypothesis", ".git"}
    found = []
    for directory, folders, files in os.walk(STAGE_ROOT):
        folders[:] = [name for name in folders if name not in skipped]
        relative = Path(directory).relative_to(STAGE_ROOT)
        found += [(relative / name).as_posix() for name in files]
    return found


def test_prek_reads_the_configuration() -> None:
    result = subprocess.run(  # noqa: S603 -- the hook runner from this environment
        [ENVIRONMENT / "prek", "validate-config", str(CONFIG)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("hook", HOOKS)
def test_the_hook_runs_a_tool_of_this_environment(hook: dict[str, Any]) -> None:
    assert hook["repo"] == "local", "a hook from another repository runs its own version"
    assert hook["language"] == "system"
    assert hook["entry"].startswith(RUNNER), f"run it with the locked tools: {RUNNER}..."
    tool = hook["entry"].removeprefix(RUNNER).split()[0]

    assert (ENVIRONMENT / tool).is_file(), f"{tool} is not a command of this environment"


@pytest.mark.parametrize("hook", FILE_HOOKS)
def test_the_hook_has_files_to_check(hook: dict[str, Any]) -> None:
    pattern = re.compile(hook["files"])

    assert [path for path in project_files() if pattern.search(path)], hook["files"]


def test_every_command_of_ci_lint_job_has_its_hook() -> None:
    workflow: dict[str, Any] = yaml.safe_load(CI.read_text(encoding="utf-8"))
    lines = [
        line.strip()
        for step in workflow["jobs"]["lint"]["steps"]
        for line in step.get("run", "").splitlines()
    ]
    in_ci = {command_words(line.removeprefix(RUNNER)) for line in lines if line.startswith(RUNNER)}
    in_hooks = {command_words(hook["entry"].removeprefix(RUNNER)) for hook in hooks()}

    assert in_ci, "CI's lint job runs no locked tool"
    assert in_ci <= in_hooks, f"CI runs these, and no hook does: {sorted(in_ci - in_hooks)}"
