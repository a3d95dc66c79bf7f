"""The service's GitHub files: valid for GitHub, safe by zizmor's audits, and checking what ships.

Nothing here reaches the network: check-jsonschema validates against the schemas it bundles,
and zizmor runs offline.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from deployment import DOCKERFILE, dockerfile_stages

STAGE_ROOT = Path(__file__).resolve().parents[1]
GITHUB = STAGE_ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.y*ml"))
CI = GITHUB / "workflows" / "ci.yml"
ISSUE_FORMS = sorted(
    path for path in (GITHUB / "ISSUE_TEMPLATE").glob("*.yml") if path.name != "config.yml"
)
# An action is named by the full commit it runs: a tag can be moved to other code.
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")

SCHEMAS = [
    pytest.param("vendor.github-workflows", WORKFLOWS, id="workflows"),
    pytest.param("vendor.github-issue-forms", ISSUE_FORMS, id="issue-forms"),
    pytest.param(
        "vendor.github-issue-config", [GITHUB / "ISSUE_TEMPLATE" / "config.yml"], id="issue-config"
    ),
    pytest.param("vendor.dependabot", [GITHUB / "dependabot.yml"], id="dependabot"),
]


@pytest.mark.parametrize(("schema", "files"), SCHEMAS)
def test_github_files_match_their_schemas(
    schema: str, files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # check-jsonschema's own command, in this process: no process start per schema. Imported
    # here, as it takes a second, which only these tests should pay.
    from check_jsonschema.cli.main_command import main  # type: ignore[import-untyped]

    assert files, f"no file to check against {schema}"
    code = main(["--builtin-schema", schema, *map(str, files)], standalone_mode=False)

    assert code == 0, capsys.readouterr().out


def test_zizmor_finds_nothing_offline() -> None:
    # Every proxy is a closed port: a check that needs the network fails instead of passing.
    offline = "http://127.0.0.1:9"
    env = os.environ | {"HTTPS_PROXY": offline, "HTTP_PROXY": offline, "NO_PROXY": ""}
    zizmor = Path(sys.executable).parent / "zizmor"
    files = [*WORKFLOWS, GITHUB / "dependabot.yml"]
    arguments = ["--offline", "--min-severity", "medium", "--format", "json", "--no-progress"]
    result = subprocess.run(  # noqa: S603 -- our tool, our files
        [zizmor, *arguments, *map(str, files)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == []


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    """Every step of every job of a workflow."""
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def run_lines(job: dict[str, Any]) -> list[str]:
    """The shell lines that a job runs, one command a line."""
    return [line.strip() for step in job["steps"] for line in step.get("run", "").splitlines()]


@pytest.fixture(scope="module")
def ci() -> dict[str, Any]:
    """The CI workflow, as GitHub reads it."""
    workflow: dict[str, Any] = yaml.safe_load(CI.read_text(encoding="utf-8"))
    return workflow


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_actions_are_pinned_by_commit(workflow: Path) -> None:
    workflow_steps = steps(yaml.safe_load(workflow.read_text(encoding="utf-8")))
    used = [step["uses"] for step in workflow_steps if "uses" in step]

    assert used, f"{workflow.name} uses no action"
    assert [action for action in used if not PINNED_ACTION.match(action)] == []


def test_ci_tests_on_postgresql_and_redis_as_the_suite_expects(ci: dict[str, Any]) -> None:
    job = ci["jobs"]["test"]

    assert set(job["services"]) == {"postgres", "redis"}
    assert job["env"]["TEST_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert job["env"]["TEST_REDIS_URL"].startswith("redis://")
    assert job["env"]["REQUIRE_SERVICES"] == "1"
    assert "uv run --locked pytest --cov" in run_lines(job), "the tests run under the gate"


def test_ci_runs_the_slow_tests_in_a_job_of_their_own(ci: dict[str, Any]) -> None:
    # The inner loop leaves them out (tests/conftest.py); CI must not.
    job = ci["jobs"]["slow"]

    assert "uv run --locked pytest -m slow" in run_lines(job)
    assert job["env"]["REQUIRE_SERVICES"] == "1"
    assert set(job["services"]) == {"postgres", "redis"}


def test_ci_checks_the_migrations_against_the_models(ci: dict[str, Any]) -> None:
    job = ci["jobs"]["migrations"]
    lines = run_lines(job)

    assert "postgres" in job["services"]
    assert job["env"]["FAST_API_TEMPLATE_DATABASE__URL"].startswith("postgresql+asyncpg://")
    upgrade, check = "uv run --locked alembic upgrade head", "uv run --locked alembic check"
    assert lines.index(upgrade) < lines.index(check)


def test_ci_builds_the_production_image(ci: dict[str, Any]) -> None:
    builds = [line for line in run_lines(ci["jobs"]["image"]) if line.startswith("docker build")]

    assert len(builds) == 1
    target = re.search(r"--target (\S+)", builds[0])
    assert target is not None
    assert target.group(1) in dockerfile_stages(DOCKERFILE.read_text(encoding="utf-8"))


def test_a_workflow_audits_the_locked_dependencies_every_week() -> None:
    audit = yaml.safe_load((GITHUB / "workflows" / "audit.yml").read_text(encoding="utf-8"))
    lines = run_lines(audit["jobs"]["audit"])

    # PyYAML reads the key `on` as True (YAML 1.1).
    assert audit[True]["schedule"], "a lock that does not change can still become vulnerable"
    export = next(line for line in lines if line.startswith("uv export"))
    assert "--locked" in export
    assert any("pip-audit" in line and "requirements.txt" in line for line in lines)
