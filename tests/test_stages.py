"""Every stage, copied out of the repository, passes its own tests, lint and type checks.

A stage's checks run in its own environment, made by uv from the stage's own lock file, exactly
as for a reader who copied it. The checks of one stage share one copy, whichever worker runs
them. An older stage whose files are those of its recorded run, in which its suite, ruff and
`fastapi run` passed, is left to that record (conftest.py); mypy and the import layers, which
run from our environment, check every stage on every run.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import LONG_TESTS, SCAFFOLDED, STAGE_REPORT_KEY, stage_runs_needed
from guide_kit.dependencies import stage_dependency_problems
from guide_kit.lock import file_lock
from guide_kit.paths import ROOT
from guide_kit.process import run_tool
from guide_kit.scaffold import ANSWERS, scaffold
from guide_kit.serve import STAGE_PREFIX, health_under_fastapi_run
from guide_kit.stage import (
    STAGE_CHECKS,
    copy_stage,
    run_in_stage,
    run_stage_mypy,
    run_stage_suite,
    stage_dirs,
)

_RESULT_LINE = re.compile(r"^(?P<test>\S+::\S+) (?P<outcome>PASSED|FAILED|SKIPPED|ERROR|XFAIL)")
NEWEST = stage_dirs()[-1]


@pytest.fixture(scope="session")
def stage_copy(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Callable[[Path], Path]:
    """Copy each stage once per test run, on first use, for every worker.

    Under pytest-xdist the workers share the parent of their temporary folders: the first
    worker that needs a stage copies it there under a lock, and uv makes its environment once.
    """
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent
    copies = root / "stages"

    def copy(stage: Path) -> Path:
        target = copies / stage.name
        with file_lock(root / f"stage-{stage.name}.lock"):
            if not target.exists():
                copies.mkdir(exist_ok=True)
                if stage.name in SCAFFOLDED:
                    scaffold(target, package=SCAFFOLDED[stage.name], stage=stage)
                else:
                    copy_stage(stage, copies)
        return target

    return copy


def env_prefix(copy: Path) -> str:
    """The settings' prefix of a copied stage: the stages', or the scaffolded service's own."""
    answers = copy / ANSWERS
    if not answers.is_file():
        return STAGE_PREFIX
    return f"{tomllib.loads(answers.read_text(encoding='utf-8'))['package'].upper()}_"


def summarise(stage_name: str, output: str) -> str:
    """Keep a suite's closing line and its per-test result lines, for the terminal summary."""
    results = [
        line.split(" [")[0].rstrip() for line in output.splitlines() if _RESULT_LINE.match(line)
    ]
    tail = output.strip().splitlines()[-1] if output.strip() else "(no output)"
    return "\n".join([f"examples/{stage_name}: {tail}", *(f"    {r}" for r in results)])


# What the kit leaves out of an older stage's suite, because the newest stage runs it:
# - its slow tests, whose copies the newest stage has, every one of them
#   (test_the_newest_stage_runs_every_slow_test_of_the_others);
# - its API tests' PostgreSQL runs. An API test is about HTTP; what the database does under it
#   is tested on both backends by the stage's own tests of its services, models and db.py (the
#   rule that the stages' conftest.py states for `sqlite_only`), which the kit runs on both.
# The newest stage runs its whole suite, on both backends.
OLDER_STAGE_KEYWORDS = "not (test_api and postgresql)"


# The newest stage's suite runs on every run, and it is the run's longest test: the kit runs it
# in two parts, which the two workers can take at the same time. One part is its API tests (three
# fifths of its time), the other the rest of its tests; the second leaves out the first's folder.
NEWEST_API_TESTS = "tests/test_api"
NEWEST_PARTS = {"api": (NEWEST_API_TESTS,), "rest": (f"--ignore={NEWEST_API_TESTS}",)}


def kit_selection(stage: Path) -> list[str]:
    """Return the options that pick what the kit runs of a stage's suite: all of the newest's.

    The last `-m` is the one pytest keeps: it replaces the `-m ""` that run_stage_suite sets.
    """
    if stage == NEWEST:
        return ["-m", ""]
    return ["-m", "not slow" if slow_tests(stage) else "", "-k", OLDER_STAGE_KEYWORDS]


# The tests of a stage that its record stands for, while it stands (conftest.py).
RECORDED_TESTS = (
    "test_stage_suite",
    "test_stage_check",
    "test_stage_serves_with_fastapi_run",
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give the tests of RECORDED_TESTS the stages that this run must run (see conftest.py),
    the newest stage's suite in its parts."""
    name = metafunc.definition.originalname
    if name not in RECORDED_TESTS:
        return
    to_run, _recorded = stage_runs_needed(metafunc.config)
    if name == "test_stage_suite":
        cases = [
            pytest.param(stage, part, id=f"{stage.name}-{part}" if part else stage.name)
            for stage in to_run
            for part in (NEWEST_PARTS if stage == NEWEST else [""])
        ]
        metafunc.parametrize(("stage", "part"), cases)
    else:
        metafunc.parametrize("stage", [pytest.param(s, id=s.name) for s in to_run])


def test_stage_suite(
    stage: Path,
    part: str,
    stage_copy: Callable[[Path], Path],
    record_property: Callable[[str, object], None],
) -> None:
    name = f"{stage.name} ({part})" if part else stage.name
    paths = NEWEST_PARTS.get(part, ())
    result = run_stage_suite(
        stage_copy(stage), "-v", *kit_selection(stage), *paths, one_process=True
    )

    output = result.stdout + result.stderr
    record_property(STAGE_REPORT_KEY, summarise(name, result.stdout))
    assert result.returncode == 0, f"the suite of {name} failed:\n{output}"
    assert re.search(r"\b\d+ passed\b", output), f"{name} ran no test:\n{output}"


def test_the_newest_stages_parts_make_its_whole_suite() -> None:
    """Each test of the newest stage is in one part, and only one."""
    [api], [rest] = NEWEST_PARTS.values()
    folder = api.removeprefix("tests/")

    assert rest == f"--ignore={api}"
    assert (NEWEST / api).is_dir(), f"{NEWEST.name} has no {api}/"
    assert list((NEWEST / "tests").glob(f"{folder}/test_*.py")), f"{api}/ holds no tests"


@pytest.mark.parametrize("check", STAGE_CHECKS)
def test_stage_check(stage: Path, check: str, stage_copy: Callable[[Path], Path]) -> None:
    result = run_in_stage(stage_copy(stage), *STAGE_CHECKS[check])

    assert result.returncode == 0, (
        f"{check} failed in {stage.name}:\n{result.stdout}{result.stderr}"
    )


def test_stage_serves_with_fastapi_run(stage: Path, stage_copy: Callable[[Path], Path]) -> None:
    """`fastapi run` (what `fastapi dev` runs, without the reloader) serves the stage."""
    copy = stage_copy(stage)
    response, output = health_under_fastapi_run(copy, env_prefix(copy))

    assert response.status_code == 200, output
    assert response.json()["status"] == "ok", output


# The kit's own code, which the root pyproject.toml's mypy settings cover.
OWN_CODE = [
    name
    for name in ("guide_kit", "tests", "snippets", "scripts", "benchmarks")
    if (ROOT / name).is_dir()
]


def test_the_kit_and_every_stage_type_check() -> None:
    """`mypy --strict` on the kit's own code, then on every stage with its own settings.

    One test, not one per stage: the runs go one after another and share one cache of the
    libraries' types, so each run after the first costs a second or two instead of a cold
    start. (pytest-xdist's `xdist_group` would keep them on one worker, but it is not honoured
    by the versions this suite runs.) The cache lives in the repository's `.mypy_cache`, which
    git ignores, so that a second run is faster still; mypy checks every entry it reads.
    """
    cache = ROOT / ".mypy_cache" / "shared"
    own = run_tool("mypy", "--cache-dir", str(cache), *OWN_CODE)
    failures = [
        f"mypy failed in {stage.name}:\n{result.stdout}{result.stderr}"
        for stage in stage_dirs()
        if (result := run_stage_mypy(stage, cache)).returncode != 0
    ]

    assert own.returncode == 0, f"mypy failed on the kit's own code:\n{own.stdout}{own.stderr}"
    assert failures == []


def has_import_contracts(stage: Path) -> bool:
    """Whether a stage declares import-linter contracts (every stage from 03 on)."""
    with (stage / "pyproject.toml").open("rb") as file:
        return "importlinter" in tomllib.load(file).get("tool", {})


def test_every_stage_from_03_on_has_import_contracts() -> None:
    lacking = [s.name for s in stage_dirs() if int(s.name[:2]) >= 3 and not has_import_contracts(s)]

    assert lacking == [], "add a [tool.importlinter] layers contract to their pyproject.toml"


@pytest.mark.parametrize(
    "stage", [s for s in stage_dirs() if has_import_contracts(s)], ids=lambda stage: stage.name
)
def test_stage_layers(stage: Path) -> None:
    """`lint-imports`: no module imports from a layer above its own.

    Run from this suite's environment, which holds import-linter, with the stage as the working
    directory, so that its package and its pyproject.toml are the ones checked.
    """
    result = run_tool("lint-imports", "--no-cache", cwd=stage)

    assert result.returncode == 0, f"a wrong import in {stage.name}:\n{result.stdout}"


@pytest.mark.parametrize("stage", stage_dirs(), ids=lambda stage: stage.name)
def test_root_environment_holds_every_stage_package(stage: Path) -> None:
    """The guide's inline examples and the type checks above run in the root environment.

    A stage's runtime dependencies go in the root's `app` group, its dev dependencies in `lint`.
    """
    problems = stage_dependency_problems(stage)

    assert not problems, "\n".join(problems)


def test_the_scaffolded_service_runs_its_hooks(stage_copy: Callable[[Path], Path]) -> None:
    """The scaffold made a git repository, so prek runs; the migrations match the models.

    Two hooks, a cheap one and the drift check: the others run tools that test_stage_check
    and the type checks above run already.
    """
    copy = stage_copy(ROOT / "examples" / "09-production")

    result = run_in_stage(
        copy, "prek", "run", "--all-files", "ruff-check", "migrations-match-models"
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "alembic check (on SQLite)" in result.stdout


def slow_tests(stage: Path) -> tuple[str, ...]:
    """Return what a stage's conftest marks slow (its `SLOW` tuple), or nothing."""
    conftest = stage / "tests" / "conftest.py"
    if not conftest.is_file():
        return ()
    for node in ast.parse(conftest.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "SLOW" for target in node.targets
        ):
            value = ast.literal_eval(node.value)
            assert isinstance(value, tuple)
            return tuple(str(entry) for entry in value)
    return ()


def test_the_newest_stage_runs_every_slow_test_of_the_others() -> None:
    # The kit runs an older stage's suite without its slow tests: each must have its copy in
    # the newest stage, whose slow tests the kit runs, or it would run nowhere.
    newest = slow_tests(NEWEST)
    missing = {
        stage.name: [entry for entry in slow_tests(stage) if not entry.startswith(newest)]
        for stage in stage_dirs()[:-1]
    }

    assert newest, f"{NEWEST.name} marks no test slow"
    assert not {name: entries for name, entries in missing.items() if entries}
    for entry in newest:
        assert (NEWEST / entry.split("::")[0]).exists(), f"{NEWEST.name}: no {entry}"


def defined_names(module: Path) -> list[str]:
    """Return the names of a module's functions and classes, which `-k` matches against."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return [node.name for node in ast.walk(tree) if isinstance(node, kinds)]


def test_an_older_stage_leaves_out_only_its_api_tests_on_postgresql() -> None:
    # `-k` matches the names of a test's folders, module, class and function, its parameters
    # and its marks. For OLDER_STAGE_KEYWORDS to leave out only the API tests' PostgreSQL runs,
    # "test_api" must name the API tests' folder and nothing else, and in that folder
    # "postgresql" must be a backend's parameter or mark, never part of a test's own name.
    misnamed = []
    for stage in stage_dirs()[:-1]:
        tests = stage / "tests"
        for module in tests.rglob("test_*.py"):
            names = [module.stem, *defined_names(module)]
            word = "postgresql" if "test_api" in module.relative_to(tests).parts else "test_api"
            misnamed += [f"{module}: {name}" for name in names if word in name.lower()]

    assert OLDER_STAGE_KEYWORDS == "not (test_api and postgresql)"
    assert misnamed == [], "rename these, or change OLDER_STAGE_KEYWORDS"


def test_each_test_that_the_run_starts_first_exists() -> None:
    # conftest.py starts the longest tests first by name: a renamed one would quietly lose its
    # place and could start last, with the other worker idle meanwhile.
    defined = {name for module in ROOT.glob("tests/test_*.py") for name in defined_names(module)}

    assert [name for name in LONG_TESTS if name not in defined] == []
