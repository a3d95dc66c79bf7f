"""Every Python block in the guide runs, prints what its `#>` comments say, and is lint-clean."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pytest_examples import CodeExample, EvalExample, find_examples
from sqlalchemy.orm import clear_mappers
from sqlmodel import SQLModel

from guide_kit.markdown import markdown_files
from guide_kit.page_examples import run_page_example
from guide_kit.paths import EXAMPLES, ROOT


def runnable_examples() -> list[CodeExample]:
    """The blocks pytest-examples finds, less the pure includes (the site build checks those)."""
    return [
        example
        for example in find_examples(*(str(path) for path in markdown_files()))
        if "8<-" not in example.source
    ]


EXAMPLES_TO_RUN = runnable_examples()


@contextmanager
def stage_on_path(stage: str | None, workdir: Path) -> Iterator[None]:
    """Make a stage's `fast_api_template` importable for one block, and forget it afterwards.

    The block runs in an empty working directory, so no local `.env` file reaches it, and the
    environment variables it sets are undone, so no block leaks settings into the next.
    """
    if stage is None:
        yield
        return
    stage_dir = EXAMPLES / stage
    if not stage_dir.is_dir():
        pytest.fail(f"the block names stage {stage!r}, but {stage_dir} does not exist")

    def forget_package() -> None:
        for name in [n for n in sys.modules if n.split(".")[0] == "fast_api_template"]:
            del sys.modules[name]
        # Table models register themselves on SQLModel's shared metadata and mapper registry;
        # the next stage defines tables of the same names.
        SQLModel.metadata.clear()
        clear_mappers()

    saved_environ, saved_cwd = dict(os.environ), Path.cwd()
    forget_package()
    sys.path.insert(0, str(stage_dir))
    os.chdir(workdir)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_environ)
        sys.path.remove(str(stage_dir))
        forget_package()


def example_id(example: CodeExample) -> str:
    """A test id like `docs/stages/01-hello.md:42`."""
    return f"{Path(example.path).relative_to(ROOT)}:{example.start_line}"


def test_the_guide_has_runnable_examples() -> None:
    assert EXAMPLES_TO_RUN, "no Python block found: is the search path right?"


@pytest.mark.parametrize("example", EXAMPLES_TO_RUN, ids=example_id)
def test_docs_example(example: CodeExample, eval_example: EvalExample, tmp_path: Path) -> None:
    settings = example.prefix_settings()
    if settings.get("test") == "skip":
        pytest.skip(settings.get("reason", "no reason given"))
    # pytest-examples accepts py311 but its type hints stop at py310; py311 is what we test.
    eval_example.set_config(
        line_length=100,
        target_version="py311",  # type: ignore[arg-type]
        ruff_ignore=["D", "T20"],
    )
    eval_example.lint_ruff(example)
    with stage_on_path(settings.get("stage"), tmp_path):
        run_page_example(eval_example, example, update=eval_example.update_examples)
