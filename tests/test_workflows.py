"""Checks of the CI definitions: the GitHub workflows and the `.ci/run` script.

No Docker and no network here, so the workflows are checked statically: against the
GitHub-workflow JSON schema that check-jsonschema ships, and with zizmor's offline audits.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS_DIR = ROOT / ".github" / "workflows"
CI_SCRIPT = ROOT / ".ci" / "run"
README = ROOT / "README.md"

WORKFLOWS = sorted([*WORKFLOWS_DIR.glob("*.yml"), *WORKFLOWS_DIR.glob("*.yaml")])

# Any attempt to reach the network goes to a closed local port and fails at once, so a tool
# that stops working offline fails the test instead of passing on a machine with a network.
OFFLINE_ENV = {
    **os.environ,
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "",
    "no_proxy": "",
    "ZIZMOR_OFFLINE": "true",
}

TEST_COMMAND_LINE = re.compile(r'^TEST_COMMAND="(?P<command>[^"]+)"$', re.MULTILINE)
BASH_BLOCK = re.compile(r"^```(?:bash|console|sh|shell)[ \t]*\n(?P<body>.*?)^```", re.DOTALL | re.M)


def tool(name: str) -> str:
    """Path of a tool installed in the environment that runs the tests."""
    beside_python = Path(sys.executable).parent / name
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which(name)
    assert found is not None, f"{name} is not installed: run `uv sync`"
    return found


def workflow_id(path: Path) -> str:
    """Test id for a workflow: its file name."""
    return path.name


def test_workflows_exist() -> None:
    names = {path.name for path in WORKFLOWS}
    assert {"ci.yml", "docs.yml"} <= names


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=workflow_id)
def test_workflow_matches_schema(workflow: Path) -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
        env=OFFLINE_ENV,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=workflow_id)
def test_workflow_has_no_zizmor_findings(workflow: Path) -> None:
    result = subprocess.run(
        [
            tool("zizmor"),
            "--offline",
            "--min-severity",
            "medium",
            "--format",
            "json",
            "--no-progress",
            str(workflow),
        ],
        capture_output=True,
        text=True,
        env=OFFLINE_ENV,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    findings = json.loads(result.stdout)
    assert findings == [], json.dumps(findings, indent=2)


def test_ci_script_is_valid_bash() -> None:
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run(
        [bash, "-n", str(CI_SCRIPT)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_ci_script_is_executable() -> None:
    assert CI_SCRIPT.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
    assert os.access(CI_SCRIPT, os.X_OK)


def test_ci_script_runs_the_readme_test_command() -> None:
    script = CI_SCRIPT.read_text(encoding="utf-8")
    assert 'TEST_COMMAND="uv run pytest"' in script.splitlines()
    match = TEST_COMMAND_LINE.search(script)
    assert match is not None
    # The command must actually run, not only be declared.
    assert '"${command[@]}"' in script

    assert README.is_file(), "README.md is missing"
    readme = README.read_text(encoding="utf-8")
    commands = {
        line.strip()
        for block in BASH_BLOCK.finditer(readme)
        for line in block.group("body").splitlines()
    }
    assert match.group("command") in commands, (
        f"README.md has no bash block with the line `{match.group('command')}`"
    )


def test_ci_runs_every_stages_suite_on_each_python() -> None:
    """Locally, an unchanged older stage's suite is left to its recorded run, made with one
    Python (conftest.py); CI's test job runs them all, on each version it tests."""
    workflow = yaml.safe_load((WORKFLOWS_DIR / "ci.yml").read_text(encoding="utf-8"))
    job = workflow["jobs"]["test"]
    commands = [step["run"] for step in job["steps"] if "pytest" in step.get("run", "")]

    assert commands == ["uv run pytest --every-stage"]
    assert len(job["strategy"]["matrix"]["python-version"]) > 1


def test_ci_runs_every_stage_with_nothing_installed() -> None:
    """A reader's first run of a copied stage has no PostgreSQL and no Redis: CI does it too.

    The suite here runs the stages with both services, where a test that needs one of them by
    mistake passes; the job below runs each stage's suite with neither.
    """
    workflow = yaml.safe_load((WORKFLOWS_DIR / "ci.yml").read_text(encoding="utf-8"))
    job = workflow["jobs"]["stages-without-services"]
    script = "\n".join(step.get("run", "") for step in job["steps"])

    assert "services" not in job
    assert not {"TEST_DATABASE_URL", "TEST_REDIS_URL"} & set(job.get("env", {}))
    assert not {"TEST_DATABASE_URL", "TEST_REDIS_URL"} & set(workflow.get("env", {}))
    assert "for stage in examples/*/" in script
    assert "pytest" in script


def test_ci_runs_the_service_of_the_how_to_recipes_whole() -> None:
    """The root suite applies the recipes and runs their own checks; a job runs the rest.

    `HOWTO_FULL=1` adds the scaffolded service's whole suite, slow tests included, and mypy,
    after every recipe, with PostgreSQL, Redis and HAProxy, which its replica test needs.
    """
    workflow = yaml.safe_load((WORKFLOWS_DIR / "ci.yml").read_text(encoding="utf-8"))
    job = workflow["jobs"]["howto"]
    script = "\n".join(step.get("run", "") for step in job["steps"])

    assert job["env"]["HOWTO_FULL"] == "1"
    assert job["env"]["REQUIRE_SERVICES"] == "1"
    assert {"postgres", "redis"} <= set(job["services"])
    assert "haproxy" in script
    assert "pytest tests/test_howto.py" in script
