"""The guard is guarded: each check of the kit fails on a deliberately broken input."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from pytest_examples import EvalExample, find_examples

from kit import (
    EXAMPLES,
    ROOT,
    STAGE_CHECKS,
    copy_stage,
    guard_problems,
    run_in_stage,
    run_stage_suite,
    run_tool,
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
        ('```python\n--8<-- "docs/notes.py"\n```\n', "not under examples/ or snippets/"),
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

    result = run_stage_suite(stage)

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


def test_an_import_against_the_layers_fails(tmp_path: Path) -> None:
    copy = copy_stage(EXAMPLES / "03-database", tmp_path)
    models = copy / "fast_api_template" / "models" / "base.py"
    # A model that reaches up into the app: the arrow points the wrong way.
    models.write_text(models.read_text() + "\nimport fast_api_template.app  # noqa: F401\n")

    result = run_tool("lint-imports", "--no-cache", cwd=copy)

    assert result.returncode != 0
    assert "fast_api_template.models.base -> fast_api_template.app" in result.stdout
