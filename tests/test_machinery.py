"""The guard is guarded: each check of the kit fails on a deliberately broken input."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from pytest_examples import EvalExample, find_examples

from guide_kit import anchors
from guide_kit.coverage.check import coverage_problems, gate_problems
from guide_kit.coverage.measure import checks_passed, stage_code_fingerprint
from guide_kit.coverage.record import REQUIRED_CHECKS, standing_record
from guide_kit.coverage.render import write_results
from guide_kit.coverage.results import FLOOR, RESULTS_FILE, TABLE_FILE
from guide_kit.dependencies import stage_dependency_problems
from guide_kit.guard import guard_problems
from guide_kit.page_examples import run_page_example
from guide_kit.paths import EXAMPLES, ROOT
from guide_kit.process import run_tool
from guide_kit.recipe import (
    planned_stage_problems,
    reference_stage_problems,
    stage_name_problems,
    stage_nav_problems,
    stage_page_problems,
    stage_row_problems,
)
from guide_kit.stage import (
    STAGE_CHECKS,
    content_fingerprint,
    copy_stage,
    run_in_stage,
    run_stage_suite,
)

FIRST_STAGE = EXAMPLES / "01-hello"


def write_page(directory: Path, text: str) -> Path:
    """Write a Markdown page and return its path."""
    page = directory / "page.md"
    page.write_text(textwrap.dedent(text), encoding="utf-8")
    return page


# --- docs examples -----------------------------------------------------------------------------


def test_a_wrong_printed_output_fails(tmp_path: Path, eval_example: EvalExample) -> None:
    page = write_page(
        tmp_path,
        """
        ```python
        print(1 + 1)
        #> 3
        ```
        """,
    )
    [example] = find_examples(str(page))

    with pytest.raises(pytest.fail.Exception, match="Print output changed"):
        eval_example.run_print_check(example)


def test_an_example_that_raises_fails_with_its_error(
    tmp_path: Path, eval_example: EvalExample
) -> None:
    page = write_page(
        tmp_path,
        """
        ```python
        import asyncio


        async def main() -> None:
            raise ValueError("the example's own error")


        asyncio.run(main())
        ```
        """,
    )
    [example] = find_examples(str(page))

    with pytest.raises(pytest.fail.Exception) as failed:
        run_page_example(eval_example, example)

    report = str(failed.value)
    assert "ValueError: the example's own error" in report
    assert f"{page}:" in report  # the page's lines it passed through


def test_a_right_printed_output_passes(tmp_path: Path, eval_example: EvalExample) -> None:
    page = write_page(tmp_path, "```python\nprint(1 + 1)\n#> 2\n```\n")
    [example] = find_examples(str(page))

    eval_example.run_print_check(example)


# --- the guard ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "problem"),
    [
        ("~~~python\nprint('never run')\n~~~\n", "no test runs"),
        ("!!! note\n\n    ~~~~ py\n    x = 1\n    ~~~~\n", "no test runs"),
        ("```{.python}\nx = 1\n```\n", "no test runs"),
        ('```python\n--8<-- "examples/01-hello/fast_api_template/app.py"\nx = 1\n```\n', "mixes"),
        ('```python\n--8<-- "docs/notes.py"\n```\n', "not under examples/, snippets/"),
        ('```python {test="skip"}\nx = 1\n```\n', "without a reason"),
    ],
    ids=["tilde-fence", "indented-tilde-fence", "attribute-fence", "mixed", "outside", "skip"],
)
def test_the_guard_catches(tmp_path: Path, page: str, problem: str) -> None:
    problems = guard_problems([write_page(tmp_path, page)])

    assert len(problems) == 1
    assert problem in problems[0]


def test_the_guard_accepts_run_and_included_blocks(tmp_path: Path) -> None:
    page = write_page(
        tmp_path,
        """
        ```python
        print("run by pytest-examples")
        ```

        ```python {test="skip" reason="needs a Redis server"}
        import redis
        ```

        ```python title="app.py"
        --8<-- "examples/01-hello/fast_api_template/app.py:app"
        ```

        ~~~bash
        uv run pytest
        ~~~
        """,
    )

    assert guard_problems([page]) == []


# --- includes ----------------------------------------------------------------------------------


def site_with_page(tmp_path: Path, include: str) -> Path:
    """A site with the guide's own Markdown configuration and one page that includes a file."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    # Keep the Markdown extensions, which are under test; drop what needs the real docs.
    for block in ("plugins", "nav"):
        config = re.sub(rf"(?ms)^{block}:\n.*?(?=^\S|\Z)", "", config)
    (tmp_path / "mkdocs.yml").write_text(config, encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(f'```python\n--8<-- "{include}"\n```\n')
    code = tmp_path / "examples" / "app.py"
    code.parent.mkdir()
    code.write_text("# --8<-- [start:main]\nx = 1\n# --8<-- [end:main]\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "include",
    ["examples/missing.py", "examples/app.py:missing"],
    ids=["missing-file", "missing-section"],
)
def test_an_include_of_something_missing_breaks_the_build(tmp_path: Path, include: str) -> None:
    site = site_with_page(tmp_path, include)

    result = run_tool("mkdocs", "build", "--strict", cwd=site)

    assert result.returncode != 0
    assert "missing" in (result.stdout + result.stderr)


def test_an_include_of_an_existing_section_builds(tmp_path: Path) -> None:
    site = site_with_page(tmp_path, "examples/app.py:main")

    result = run_tool("mkdocs", "build", "--strict", cwd=site)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "x" in (site / "site" / "index.html").read_text(encoding="utf-8")


# --- stages ------------------------------------------------------------------------------------


def test_a_failing_test_inside_a_stage_fails_and_shows_why(tmp_path: Path) -> None:
    stage = copy_stage(FIRST_STAGE, tmp_path)
    broken = stage / "tests" / "test_api" / "test_broken.py"
    broken.write_text("def test_broken() -> None:\n    assert 1 == 2\n", encoding="utf-8")

    result = run_stage_suite(stage, "-v", one_process=True)

    assert result.returncode != 0
    assert "test_broken FAILED" in result.stdout
    assert "assert 1 == 2" in result.stdout


def test_a_ruff_violation_inside_a_stage_fails(tmp_path: Path) -> None:
    stage = copy_stage(FIRST_STAGE, tmp_path)
    app = stage / "fast_api_template" / "app.py"
    app.write_text("import os\n" + app.read_text(encoding="utf-8"), encoding="utf-8")

    result = run_in_stage(stage, *STAGE_CHECKS["ruff-check"])

    assert result.returncode != 0
    assert "F401" in result.stdout


def test_a_record_names_only_the_checks_that_passed(tmp_path: Path) -> None:
    stage = copy_stage(FIRST_STAGE, tmp_path)
    app = stage / "fast_api_template" / "app.py"
    # An app that cannot start, for `fastapi run`, then an unused import, for ruff.
    broken = '\n\nraise RuntimeError("no start")\nimport os\n'
    app.write_text(app.read_text(encoding="utf-8") + broken, encoding="utf-8")

    assert checks_passed(stage) == ["ruff-format"]


def test_an_import_against_the_layers_fails(tmp_path: Path) -> None:
    copy = copy_stage(EXAMPLES / "03-database", tmp_path)
    models = copy / "fast_api_template" / "models" / "base.py"
    # A model that reaches up into the app: the arrow points the wrong way.
    models.write_text(models.read_text() + "\nimport fast_api_template.app  # noqa: F401\n")

    result = run_tool("lint-imports", "--no-cache", cwd=copy)

    assert result.returncode != 0
    assert "fast_api_template.models.base -> fast_api_template.app" in result.stdout


# --- adding a stage ----------------------------------------------------------------------------

SITE = "https://guide.example/"
RIGHT_INIT = (
    '"""A FastAPI service, structured to grow: stage {n} of the FastAPI structure guide."""\n'
)


def fake_stage(examples: Path, name: str) -> Path:
    """A stage folder that names itself as the recipe asks: package, pyproject, README."""
    stage, number, topic = examples / name, name[:2], name[3:]
    (stage / "fast_api_template").mkdir(parents=True)
    (stage / "fast_api_template" / "__init__.py").write_text(RIGHT_INIT.format(n=number))
    (stage / "pyproject.toml").write_text(
        '[project]\nname = "fast-api-template"\n'
        f'description = "Stage {number} of the FastAPI structure guide: {topic}."\n'
    )
    (stage / "README.md").write_text(
        f"# Stage {number}: {topic}\n\nThis is stage {number} of the "
        f"[FastAPI structure guide]({SITE}stages/{name}/).\n"
    )
    return stage


def test_a_stage_that_names_the_stage_it_was_copied_from_is_caught(tmp_path: Path) -> None:
    first = fake_stage(tmp_path / "examples", "01-hello")
    copied = tmp_path / "examples" / "02-more-things"
    shutil.copytree(first, copied)

    problems = stage_name_problems(copied, SITE, root=tmp_path)

    assert stage_name_problems(first, SITE, root=tmp_path) == []
    assert len(problems) == 4, problems
    docstring, description, heading, link = problems
    assert docstring.startswith("examples/02-more-things/fast_api_template/__init__.py:")
    assert "names stage 01, not 02" in docstring
    assert RIGHT_INIT.format(n="02").strip() in docstring
    assert "'Stage 02 of the FastAPI structure guide: '" in description
    assert "'# Stage 02: more things'" in heading
    assert f"{SITE}stages/02-more-things/" in link


def write_lock(path: Path, packages: dict[str, list[str]], extras: str = "") -> None:
    """A small uv.lock: each package with the packages it depends on."""
    tables = []
    for name, dependencies in packages.items():
        edges = ", ".join(f'{{ name = "{dependency}" }}' for dependency in dependencies)
        tables.append(f'[[package]]\nname = "{name}"\ndependencies = [{edges}]\n')
    path.write_text("version = 1\n\n" + "\n".join(tables) + extras, encoding="utf-8")


def test_a_stage_package_missing_from_the_root_names_its_group(tmp_path: Path) -> None:
    root_pyproject = (
        "[dependency-groups]\n"
        'app = ["fastapi>=0.1"]\n'
        'test = [{ include-group = "app" }, "pytest>=8"]\n'
        'lint = [{ include-group = "app" }, "ruff>=0.1"{more_lint}]\n'
    )
    (tmp_path / "pyproject.toml").write_text(root_pyproject.replace("{more_lint}", ""))
    write_lock(tmp_path / "uv.lock", {"fastapi": [], "pytest": [], "ruff": []})
    stage = tmp_path / "examples" / "02-cache"
    stage.mkdir(parents=True)
    (stage / "pyproject.toml").write_text(
        '[project]\nname = "fast-api-template"\n'
        'dependencies = ["fastapi>=0.1", "cashews[redis]>=7"]\n'
        '[dependency-groups]\ndev = ["pytest>=8", "ruff>=0.1", "fakeredis>=2"]\n'
    )
    packages = {
        "fast-api-template": ["fastapi", "cashews"],
        "fastapi": [],
        "redis": [],
        "pytest": [],
        "ruff": [],
        "fakeredis": ["sortedcontainers"],
        "sortedcontainers": [],
        "cashews": [],
    }
    write_lock(
        stage / "uv.lock",
        packages,
        '\n[package.optional-dependencies]\nredis = [{ name = "redis" }]\n',
    )

    problems = stage_dependency_problems(stage, root=tmp_path)

    assert problems == [
        "examples/02-cache: add 'cashews[redis]>=7' (a runtime dependency of the stage) to the "
        "'app' group of the root pyproject.toml, then run `uv lock` at the root "
        "(the root uv.lock lacks cashews, redis)",
        "examples/02-cache: add 'fakeredis>=2' (in its 'dev' group of the stage) to the 'lint' "
        "group of the root pyproject.toml, then run `uv lock` at the root "
        "(the root uv.lock lacks fakeredis, sortedcontainers)",
    ]
    # Named in the root's groups, but not locked there yet.
    (tmp_path / "pyproject.toml").write_text(
        root_pyproject.replace("{more_lint}", ', "fakeredis>=2"').replace(
            '"fastapi>=0.1"]', '"fastapi>=0.1", "cashews[redis]>=7.4"]'
        )
    )
    problems = stage_dependency_problems(stage, root=tmp_path)
    assert all(problem.endswith("run `uv lock` at the root") for problem in problems), problems
    write_lock(tmp_path / "uv.lock", {name: [] for name in packages if name != "fast-api-template"})
    assert stage_dependency_problems(stage, root=tmp_path) == []


def test_an_api_reference_of_an_older_stage_is_caught(tmp_path: Path) -> None:
    for name in ("01-hello", "02-settings"):
        (tmp_path / "examples" / name).mkdir(parents=True)
    config = tmp_path / "mkdocs.yml"
    plugins = "plugins:\n  - search\n  - mkdocstrings:\n      handlers:\n        python:\n"
    config.write_text(plugins + "          paths: [examples/01-hello]\n")

    [problem] = reference_stage_problems(config, tmp_path / "examples", root=tmp_path)

    assert problem.startswith("mkdocs.yml: the API reference documents examples/01-hello")
    assert "set `paths: [examples/02-settings]`" in problem
    config.write_text(plugins + "          paths: [examples/02-settings]\n")
    assert reference_stage_problems(config, tmp_path / "examples", root=tmp_path) == []


def test_a_stage_without_a_page_gets_the_lines_to_paste(tmp_path: Path) -> None:
    examples, docs = tmp_path / "examples", tmp_path / "docs"
    for name in ("01-hello", "02-settings"):
        (examples / name).mkdir(parents=True)
    (docs / "stages").mkdir(parents=True)
    first = docs / "stages" / "01-hello.md"
    # An escaped include (`;--8<--`) shows the line instead of including the file.
    first.write_text(
        '# Stage 01\n\n;--8<-- "docs/stages/diffs/01-hello.md"\n\n'
        '    --8<-- "docs/stages/diffs/01-hello.diff"\n'
    )

    problems = stage_page_problems(docs, examples, root=tmp_path)
    nav = stage_nav_problems(examples, {"stages/01-hello.md"})

    assert nav == [
        "mkdocs.yml: add the page of 02-settings to nav, under Stages:\n"
        "      - 02 Settings: stages/02-settings.md"
    ]
    assert [problem.split(":")[0] for problem in problems] == [
        "docs/stages/01-hello.md",
        "docs/stages/02-settings.md",
    ]
    assert "write it" in problems[1]
    assert "[The full diff from stage 01](diffs/02-settings/index.md)" in problems[1]
    assert "[The full listing, as a diff from nothing](diffs/01-hello/index.md)" in problems[0]
    # What the message says to paste is what the check looks for.
    for problem, page in zip(problems, ("01-hello", "02-settings"), strict=True):
        pasted = problem.split("\n\n", 1)[1]
        (docs / "stages" / f"{page}.md").write_text(f"# Stage\n\n## What changed\n\n{pasted}")
    assert stage_page_problems(docs, examples, root=tmp_path) == []
    # The full diff goes on its own page: a stage page that still includes it is told so.
    with first.open("a") as handle:
        handle.write('\n```diff\n--8<-- "docs/stages/diffs/01-hello.diff"\n```\n')
    assert [problem.split(":")[0] for problem in stage_page_problems(docs, examples, tmp_path)] == [
        "docs/stages/01-hello.md"
    ]


def test_a_stage_without_its_rows_gets_the_rows_to_add(tmp_path: Path) -> None:
    examples, docs = tmp_path / "examples", tmp_path / "docs"
    for name in ("01-hello", "02-settings"):
        (examples / name).mkdir(parents=True)
    (docs / "stages").mkdir(parents=True)
    table = "| stage | adds |\n|---|---|\n"
    (docs / "index.md").write_text(
        f"{table}| [01 hello](stages/01-hello.md) | one app |\n| 02 settings (planned) | config |\n"
    )
    (docs / "stages" / "index.md").write_text(f"{table}| [01 hello](01-hello.md) | one app |\n")
    # A link outside a table row is not a row.
    (docs / "structure.md").write_text(
        f"{table}| `app.py` | [01 hello](stages/01-hello.md) |\n\n[02](stages/02-settings.md)\n"
    )

    problems = stage_row_problems(docs, examples, root=tmp_path)

    assert [problem.split(":")[0] for problem in problems] == [
        "docs/index.md",
        "docs/stages/index.md",
        "docs/structure.md",
    ]
    assert "in place of '| 02 settings (planned) | config |'" in problems[0]
    for problem, path in zip(
        problems, ("index.md", "stages/index.md", "structure.md"), strict=True
    ):
        row = problem.splitlines()[-1]
        assert "02 settings" in row
        with (docs / path).open("a") as page:
            page.write(row + "\n")
    assert stage_row_problems(docs, examples, root=tmp_path) == []


def test_a_stage_called_planned_once_it_exists_is_caught(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    for name in ("01-hello", "02-settings"):
        (examples / name).mkdir(parents=True)
    page = tmp_path / "index.md"
    page.write_text(
        "| stage |\n|---|\n| [01 hello](stages/01-hello.md) |\n| 02 settings (planned) |\n"
        "| 03 database (planned) |\n\n"
        "```mermaid\nflowchart LR\n"
        '    s01["01 hello"] --> s02["02 settings<br/>planned"]\n'
        '    s02 --> s03["03 database<br/>planned"]\n'
        "    class s01,s03 planned\n```\n"
    )

    problems = planned_stage_problems(page, examples, root=tmp_path)

    assert len(problems) == 3, problems  # the row of 02, its box, and 01 in the planned class
    assert "calls 02-settings planned" in problems[0]
    boxes = [re.search(r"the box '(\w+)'", problem) for problem in problems[1:]]
    assert sorted(box.group(1) for box in boxes if box) == ["s01", "s02"]


SECTIONS = """\
import os


# --8<-- [start:used]
def used() -> str:
    return os.sep
# --8<-- [end:used]


# --8<-- [start:unused]
def unused() -> None:
    # --8<-- [start:inner]
    pass
    # --8<-- [end:inner]


# --8<-- [end:unused]
"""


def test_sections_that_no_page_includes_are_listed_and_removed(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    for name in ("01-hello", "02-settings", "03-database"):
        (examples / name).mkdir(parents=True)
        (examples / name / "app.py").write_text(SECTIONS)
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir()
    # Included from stage 02 only: the section stays in every stage that has the file.
    page.write_text('```python\n--8<-- "examples/02-settings/app.py:used"\n```\n')
    # Every stage is checked, the last one too.
    stages = anchors.checked_stages(examples)

    markers = anchors.unused_markers(stages, [page])
    problems = anchors.describe(markers, root=tmp_path)

    assert [stage.name for stage in stages] == ["01-hello", "02-settings", "03-database"]
    assert problems == [
        f"examples/{stage}/app.py:{line}: section {name!r} (lines {lines}) is included by no "
        "page from any stage; delete its marker lines in every stage "
        "(`uv run python scripts/stage_anchors.py --remove`)"
        for stage in ("01-hello", "02-settings", "03-database")
        for line, name, lines in ((10, "unused", "10, 17"), (12, "inner", "12, 14"))
    ]
    anchors.remove_markers(markers)
    expected = SECTIONS.split("# --8<-- [start:unused]")[0] + ("def unused() -> None:\n    pass\n")
    for name in ("01-hello", "02-settings", "03-database"):
        assert (examples / name / "app.py").read_text() == expected
    assert anchors.unused_markers(stages, [page]) == []
    # A stage added later is checked as soon as it exists.
    (examples / "04-services").mkdir()
    (examples / "04-services" / "app.py").write_text(SECTIONS)
    assert {
        marker.stage.name
        for marker in anchors.unused_markers(anchors.checked_stages(examples), [page])
    } == {"04-services"}


# --- the coverage gate -------------------------------------------------------------------------

COVERED_MODULE = '"""A module."""\n\n\ndef double(number: int) -> int:\n    return 2 * number\n'
GATED_PYPROJECT = """\
[dependency-groups]
dev = ["pytest>=8.4", "pytest-cov>=7.0"]

[tool.coverage.run]
source = ["fast_api_template"]
branch = true

[tool.coverage.report]
fail_under = 90
"""


def measured_stage(
    tmp_path: Path,
    lines: int,
    branches: int,
    services: tuple[str, ...] = (),
    checks: frozenset[str] = REQUIRED_CHECKS,
) -> tuple[Path, Path]:
    """A stage, and results that say its tests ran `lines` of 100 lines, `branches` of 100,
    with `services`, and that `checks` passed."""
    stage = tmp_path / "examples" / "01-hello"
    (stage / "fast_api_template").mkdir(parents=True)
    (stage / "fast_api_template" / "app.py").write_text(COVERED_MODULE)
    (stage / "pyproject.toml").write_text(GATED_PYPROJECT)
    entry = {
        "fingerprint": stage_code_fingerprint(stage),
        "lesson_fingerprint": content_fingerprint(stage),
        "lines": {"covered": lines, "total": 100},
        "branches": {"covered": branches, "total": 100},
        "tests_passed": 3,
        "date": "2026-01-01",
        "python": "3.11.7",
        "services": list(services),
        "checks_passed": sorted(checks),
    }
    results = {"floor": FLOOR, "stages": {stage.name: entry}}
    write_results(results, tmp_path / "results", tmp_path / "assets")
    return stage, tmp_path / "results"


def coverage_problems_of(tmp_path: Path) -> list[str]:
    return coverage_problems(tmp_path / "results", tmp_path / "assets", tmp_path / "examples")


def test_a_current_figure_over_the_floor_passes(tmp_path: Path) -> None:
    stage, _ = measured_stage(tmp_path, lines=90, branches=100)
    # Comments and docstrings do not change what runs: the figure stays current.
    (stage / "fast_api_template" / "app.py").write_text(
        COVERED_MODULE.replace('"""A module."""', '"""Reworded."""\n# --8<-- [start:double]')
    )
    (stage / "pyproject.toml").write_text("# --8<-- [start:gate]\n" + GATED_PYPROJECT)

    assert coverage_problems_of(tmp_path) == []


@pytest.mark.parametrize(("lines", "branches", "kind"), [(89, 100, "lines"), (100, 89, "branches")])
def test_a_figure_under_the_floor_fails(
    tmp_path: Path, lines: int, branches: int, kind: str
) -> None:
    measured_stage(tmp_path, lines, branches)

    [problem] = coverage_problems_of(tmp_path)

    assert problem.startswith(f"01-hello: its tests run 89.0% (89 of 100) of its {kind}, under")
    assert "scripts/coverage_report.py --only 01-hello`" in problem


def test_a_figure_measured_on_other_code_fails(tmp_path: Path) -> None:
    stage, _ = measured_stage(tmp_path, lines=100, branches=100)
    (stage / "fast_api_template" / "app.py").write_text(COVERED_MODULE.replace("2 *", "3 *"))

    [problem] = coverage_problems_of(tmp_path)

    assert "01-hello: the coverage figure was measured on other code" in problem
    assert "`uv run python scripts/coverage_report.py --only 01-hello`" in problem


def test_a_stage_without_a_figure_and_a_hand_edited_table_fail(tmp_path: Path) -> None:
    _, results = measured_stage(tmp_path, lines=100, branches=100)
    shutil.copytree(tmp_path / "examples" / "01-hello", tmp_path / "examples" / "02-settings")
    table = results / TABLE_FILE
    table.write_text(table.read_text().replace("100.0%", "99.0%"))

    problems = coverage_problems_of(tmp_path)

    assert problems == [
        "02-settings: no coverage figure: run "
        "`uv run python scripts/coverage_report.py --only 02-settings`",
        "stages.md: not what stages.json renders: "
        "run `uv run python scripts/coverage_report.py --render`",
    ]


# --- a stage's recorded run, which stands for a run of its suite ----------------------------

BOTH_SERVICES = ("PostgreSQL", "Redis")


def test_a_recorded_run_stands_for_a_stage_whose_files_are_unchanged(tmp_path: Path) -> None:
    stage, results = measured_stage(tmp_path, lines=100, branches=100, services=BOTH_SERVICES)

    record = standing_record(stage, results)

    assert record is not None
    assert "run of 2026-01-01: its whole suite, 3 passed with PostgreSQL and Redis" in record
    assert "its ruff and `fastapi run` checks passed" in record
    assert "`uv run python scripts/coverage_report.py --only 01-hello`" in record


@pytest.mark.parametrize(
    ("changed", "text"),
    [
        # A comment leaves the coverage figure current, but the suite ran other files.
        ("fast_api_template/app.py", COVERED_MODULE + "# a comment\n"),
        ("uv.lock", "version = 1\n"),
        ("tests/test_app.py", "def test_nothing() -> None:\n    assert True\n"),
    ],
)
def test_a_recorded_run_no_longer_stands_once_any_lesson_file_changes(
    tmp_path: Path, changed: str, text: str
) -> None:
    stage, results = measured_stage(tmp_path, lines=100, branches=100, services=BOTH_SERVICES)
    (stage / changed).parent.mkdir(parents=True, exist_ok=True)
    (stage / changed).write_text(text)

    assert standing_record(stage, results) is None


@pytest.mark.parametrize("services", [(), ("PostgreSQL",), ("Redis",)])
def test_a_run_recorded_without_both_servers_does_not_stand(
    tmp_path: Path, services: tuple[str, ...]
) -> None:
    stage, results = measured_stage(tmp_path, lines=100, branches=100, services=services)

    assert standing_record(stage, results) is None


@pytest.mark.parametrize("failed", sorted(REQUIRED_CHECKS))
def test_a_run_recorded_with_a_check_that_failed_does_not_stand(
    tmp_path: Path, failed: str
) -> None:
    stage, results = measured_stage(
        tmp_path, 100, 100, services=BOTH_SERVICES, checks=REQUIRED_CHECKS - {failed}
    )

    assert standing_record(stage, results) is None


def test_a_stage_without_a_record_or_with_an_older_one_has_none_that_stands(
    tmp_path: Path,
) -> None:
    stage, results = measured_stage(tmp_path, lines=100, branches=100, services=BOTH_SERVICES)
    # A figure from before records kept their lesson fingerprint.
    figures = json.loads((results / RESULTS_FILE).read_text())
    del figures["stages"]["01-hello"]["lesson_fingerprint"]
    (results / RESULTS_FILE).write_text(json.dumps(figures))
    other = tmp_path / "examples" / "02-settings"
    shutil.copytree(stage, other)

    assert standing_record(stage, results) is None
    assert standing_record(other, results) is None


def test_a_stage_that_does_not_enforce_the_floor_is_told_what_to_add(tmp_path: Path) -> None:
    stage, _ = measured_stage(tmp_path, lines=100, branches=100)
    (stage / "pyproject.toml").write_text(
        GATED_PYPROJECT.replace("branch = true", "branch = false")
        .replace("fail_under = 90", "fail_under = 80")
        .replace(', "pytest-cov>=7.0"', "")
    )

    assert gate_problems(stage) == [
        "01-hello/pyproject.toml: add [tool.coverage.run] branch = true",
        "01-hello/pyproject.toml: add [tool.coverage.report] fail_under = 90 (or more)",
        "01-hello/pyproject.toml: add pytest-cov in the dev group",
    ]
