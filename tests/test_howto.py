"""Every how-to recipe applies to a service scaffolded from the last stage, and passes its checks.

The test session scaffolds stage 09 once, as `acme_api`, and applies the recipes to it in order
(see `howto.py`): one test goes through them, a subtest each, which applies its recipe and runs
the checks its page prints. A recipe that no longer applies fails with its step (and the ones
after it cannot apply); one whose checks fail, with the command and its output.

One test, not one per recipe: the recipes patch one service in turn, so tests spread over the
workers would each wait for the one before (a worker idle for as long as a recipe's checks
run), and pytest-xdist's `xdist_group` is not honoured by the versions this suite runs.

`HOWTO_FULL=1` adds the service's whole suite, slow tests included, and mypy, after every
recipe: a job of its own in CI, since it takes minutes.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from guide_kit.lock import file_lock
from guide_kit.scaffold import find_stage, scaffold
from howto import (
    PACKAGE,
    RECIPES,
    RECIPES_DIR,
    Recipe,
    RecipeError,
    Step,
    apply_recipe,
    full_run_requested,
    load_recipe,
    page_problems,
    run_checks,
    run_in_service,
)

Apply = Callable[[str], AbstractContextManager[Path]]


@pytest.fixture(scope="session")
def recipe_service(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Apply:
    """Apply the recipes up to a given one to the session's scaffolded service, and hold it.

    Under pytest-xdist the workers share one service, in the parent of their temporary
    folders, and take turns under a lock, held while a test checks the service, so that no
    other worker patches it meanwhile; a file there records which recipes are applied, or the
    error of the one that did not apply.
    """
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent
    service = root / "howto" / "acme-api"
    state_file = root / "howto-state.json"

    @contextmanager
    def applied(name: str) -> Iterator[Path]:
        with file_lock(root / "howto.lock"):
            if not service.exists():
                scaffold(service, package=PACKAGE, stage=find_stage(None))
                state_file.write_text(json.dumps({"applied": [], "error": None}))
            state = json.loads(state_file.read_text())
            for recipe in RECIPES[: RECIPES.index(name) + 1]:
                if state["error"] is not None:
                    msg = f"an earlier recipe did not apply, so {name} cannot:\n{state['error']}"
                    raise RecipeError(msg)
                if recipe in state["applied"]:
                    continue
                try:
                    apply_recipe(load_recipe(RECIPES_DIR / recipe), service)
                except RecipeError as error:
                    state["error"] = str(error)
                    raise
                finally:
                    state["applied"].append(recipe)
                    state_file.write_text(json.dumps(state))
            yield service

    return applied


def test_the_recipes_apply_in_order_and_pass_their_checks(
    recipe_service: Apply, subtests: pytest.Subtests
) -> None:
    for name in RECIPES:
        with subtests.test(msg=name), recipe_service(name) as service:
            run_checks(load_recipe(RECIPES_DIR / name), service)


@pytest.mark.parametrize("name", RECIPES)
def test_a_recipes_page_shows_every_step_and_check(name: str) -> None:
    assert page_problems(load_recipe(RECIPES_DIR / name)) == []


@pytest.mark.skipif(not full_run_requested(), reason="set HOWTO_FULL=1 (a CI job of its own)")
def test_the_service_after_every_recipe_passes_its_whole_suite(recipe_service: Apply) -> None:
    with recipe_service(RECIPES[-1]) as service:
        suite = run_in_service(service, ["pytest", "-m", "", "-p", "no:cacheprovider"])
        types = run_in_service(service, ["mypy", PACKAGE, "tests"])

    assert suite.returncode == 0, f"the service's suite failed:\n{suite.stdout}{suite.stderr}"
    assert types.returncode == 0, f"mypy failed in the service:\n{types.stdout}{types.stderr}"


# The machinery, on a recipe broken on purpose.


def git(repository: Path, *arguments: str) -> None:
    subprocess.run(["git", *arguments], cwd=repository, check=True, capture_output=True)


def test_a_recipe_that_no_longer_applies_names_itself_and_its_step(tmp_path: Path) -> None:
    service = tmp_path / "service"
    service.mkdir()
    (service / "notes.txt").write_text("one\ntwo\nthree\n")
    git(service, "init", "--quiet")
    folder = tmp_path / "a-recipe"
    folder.mkdir()
    # The patch expects a line that the file no longer has: the stage changed under it.
    (folder / "notes.patch").write_text(
        "--- a/notes.txt\n+++ b/notes.txt\n@@ -1,3 +1,3 @@\n one\n-deux\n+zwei\n three\n"
    )
    recipe = Recipe(
        name="a-recipe",
        folder=folder,
        page=tmp_path / "page.md",
        steps=(Step(name="Rename the second note", patch="notes.patch"),),
        checks=(),
    )

    with pytest.raises(RecipeError) as raised:
        apply_recipe(recipe, service)

    message = str(raised.value)
    assert "recipe a-recipe, step 1 (Rename the second note, notes.patch)" in message
    assert "no longer applies" in message
    assert "notes.txt" in message  # what git said: which file did not match


def test_a_page_that_leaves_out_a_step_is_caught(tmp_path: Path) -> None:
    folder = tmp_path / "a-recipe"
    folder.mkdir()
    page = tmp_path / "page.md"
    page.write_text("# A task\n\nNo listing here.\n")
    recipe = Recipe(
        name="a-recipe",
        folder=folder,
        page=page,
        steps=(Step(name="Add a file", file="new.py", to="new.py"),),
        checks=(),
    )

    problems = page_problems(recipe)

    assert len(problems) == 1
    assert "step 'Add a file'" in problems[0]
