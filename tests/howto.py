"""The how-to recipes, applied to a scaffolded service the way a reader follows their pages.

A recipe is a folder under `docs/how-to/recipes/`: the files that its page includes, and a
`recipe.toml` that lists its steps in the page's order and the commands that check them. A
step either applies a patch to files of the service (`patch`), or adds a file (`file`, copied
to `to`). The pages show those same files, so the page and the test have one source.

The recipes are written for a service scaffolded as `acme_api` (`uv run scaffold ../acme-api
--package acme_api`), and applied to one in the order of `RECIPES`: each starts where the one
before it left the service.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from guide_kit.paths import ROOT
from guide_kit.stage import stage_environment, uv_binary

HOWTO = ROOT / "docs" / "how-to"
RECIPES_DIR = HOWTO / "recipes"
# The recipes in the order a service goes through them; each starts from the one before.
RECIPES = (
    "start-your-service",
    "change-a-model",
    "add-a-resource",
    "add-a-background-job",
    "add-a-cached-read",
    "test-with-overrides",
    "operate",
)
# The name that the recipes' files use for the service's package.
PACKAGE = "acme_api"
# Options that change how a check's tests run here, not which: one process (the kit's own
# suite keeps the cores busy), no cache folder left in the service.
PYTEST_OPTIONS = ("-n", "0", "-p", "no:cacheprovider", "-q")


class RecipeError(Exception):
    """A recipe no longer applies to the stage, or its checks fail: says which step."""


@dataclass(frozen=True)
class Step:
    """One step of a recipe: a patch to apply, or a file to add."""

    name: str
    patch: str | None = None
    file: str | None = None
    to: str | None = None

    @property
    def source(self) -> str:
        """The recipe's file that this step uses."""
        return self.patch or self.file or ""


@dataclass(frozen=True)
class Check:
    """A command that the page tells the reader to run, and what it prints when it worked."""

    run: str
    expect: str


@dataclass(frozen=True)
class Recipe:
    """A recipe folder, read."""

    name: str
    folder: Path
    page: Path
    steps: tuple[Step, ...]
    checks: tuple[Check, ...]


def load_recipe(folder: Path) -> Recipe:
    """Read a recipe's `recipe.toml`.

    Raises:
        RecipeError: The file is missing, or a step names no file or a file that is missing.

    """
    manifest = folder / "recipe.toml"
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        msg = f"recipe {folder.name}: cannot read {manifest.name}: {error}"
        raise RecipeError(msg) from None
    steps = tuple(Step(**step) for step in data.get("steps", []))
    for number, step in enumerate(steps, 1):
        if not step.source or (step.file and not step.to):
            msg = f"recipe {folder.name}, step {number} ({step.name}): give patch, or file and to"
            raise RecipeError(msg)
        if not (folder / step.source).is_file():
            msg = f"recipe {folder.name}, step {number} ({step.name}): no file {step.source}"
            raise RecipeError(msg)
    checks = tuple(Check(**check) for check in data.get("checks", []))
    return Recipe(folder.name, folder, HOWTO / data["page"], steps, checks)


def apply_recipe(recipe: Recipe, service: Path) -> None:
    """Apply a recipe's steps to the service, in order.

    Raises:
        RecipeError: A step does not apply: names the recipe, the step and what git said.

    """
    for number, step in enumerate(recipe.steps, 1):
        where = f"recipe {recipe.name}, step {number} ({step.name}, {step.source})"
        if step.patch is not None:
            result = subprocess.run(
                ["git", "apply", "--whitespace=nowarn", str(recipe.folder / step.patch)],
                cwd=service,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                msg = f"{where} no longer applies to the service:\n{result.stderr.strip()}"
                raise RecipeError(msg)
        else:
            target = service / (step.to or "")
            if target.exists():
                msg = f"{where}: {step.to} exists already in the service"
                raise RecipeError(msg)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((recipe.folder / (step.file or "")).read_bytes())


_ASSIGNMENT = re.compile(r"[A-Z_][A-Z0-9_]*=")


def check_command(check: Check) -> tuple[dict[str, str], list[str]]:
    """Split a check's command line into its variables and the command after `uv run`.

    Raises:
        RecipeError: The command is not `[NAME=value ...] uv run ...`.

    """
    words = shlex.split(check.run)
    variables: dict[str, str] = {}
    while words and _ASSIGNMENT.match(words[0]):
        name, _, value = words.pop(0).partition("=")
        variables[name] = value
    if words[:2] != ["uv", "run"] or len(words) < 3:
        msg = f"a check must be `[NAME=value ...] uv run ...`: {check.run!r}"
        raise RecipeError(msg)
    command = words[2:]
    if command[0] == "pytest":
        command += PYTEST_OPTIONS
    return variables, command


def run_checks(recipe: Recipe, service: Path) -> None:
    """Run a recipe's checks in the service; each must succeed and print what the page says.

    Raises:
        RecipeError: A check failed: names the recipe, the command and its output.

    """
    for check in recipe.checks:
        variables, command = check_command(check)
        result = run_in_service(service, command, variables)
        output = result.stdout + result.stderr
        if result.returncode != 0 or check.expect not in output:
            msg = (
                f"recipe {recipe.name}: `{check.run}` "
                f"{'failed' if result.returncode else f'did not print {check.expect!r}'}:\n"
                f"{output[-4000:]}"
            )
            raise RecipeError(msg)


def run_in_service(
    service: Path, command: list[str], variables: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command in the service's own environment, made from its own lock file."""
    return subprocess.run(
        [uv_binary(), "run", "--locked", "--quiet", *command],
        cwd=service,
        env=stage_environment() | (variables or {}),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def page_problems(recipe: Recipe) -> list[str]:
    """What the recipe's page fails to show: a step's file, or a check's command."""
    if not recipe.page.is_file():
        return [f"recipe {recipe.name}: no page {recipe.page.name}"]
    text = recipe.page.read_text(encoding="utf-8")
    folder = (
        recipe.folder.relative_to(ROOT).as_posix()
        if recipe.folder.is_relative_to(ROOT)
        else recipe.folder.as_posix()
    )
    problems = [
        f"{recipe.page.name} does not include {folder}/{step.source} (step {step.name!r})"
        for step in recipe.steps
        if f'--8<-- "{folder}/{step.source}' not in text
    ]
    problems += [
        f"{recipe.page.name} does not show the check `{check.run}`"
        for check in recipe.checks
        if check.run not in text
    ]
    problems += [
        f"{recipe.page.name} does not show what `{check.run}` prints: {check.expect!r}"
        for check in recipe.checks
        if check.expect not in text
    ]
    return problems


def full_run_requested() -> bool:
    """Whether to run the service's whole suite after every recipe (HOWTO_FULL=1)."""
    return os.environ.get("HOWTO_FULL") == "1"
