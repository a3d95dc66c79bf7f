"""The markdown guard: every Python block of the guide runs in a test or includes code that does.

A page shows Python in two ways: a block that pytest-examples runs (`tests/test_docs_examples.py`)
or an include of a file that a test runs (a stage's, a snippet's, a how-to recipe's). A block
that is neither is code that no test keeps correct; the guard finds it.
"""

from __future__ import annotations

from pathlib import Path

from guide_kit.markdown import fenced_blocks

# Where a page may include Python from: code that the test suite runs (the how-to recipes'
# files run in a scaffolded service: tests/test_howto.py).
INCLUDABLE_ROOTS = ("examples/", "snippets/", "docs/how-to/recipes/")


def guard_problems(paths: list[Path]) -> list[str]:
    """Find Python blocks that nothing runs, and includes of code that nothing tests.

    A Python block passes when it is either:

    - an include (only `--8<-- "file"` lines) of files under `examples/` or `snippets/`; or
    - a block that pytest-examples runs: a backtick fence whose info starts with `py`, with a
      `reason` when it is skipped, and with no include line mixed into its code.
    """
    problems: list[str] = []
    for path in paths:
        for block in fenced_blocks(path):
            if not block.is_python:
                continue
            targets = block.include_targets
            if targets is not None:
                problems.extend(
                    f"{block}: includes {target!r}, which is not under examples/, snippets/ "
                    "or docs/how-to/recipes/"
                    for target in targets
                    if not target.startswith(INCLUDABLE_ROOTS)
                )
            elif "8<-" in block.body:
                problems.append(f"{block}: mixes an include with code; split them")
            elif not (block.fence.startswith("```") and block.info.lower().startswith("py")):
                problems.append(
                    f"{block}: a Python block that no test runs (use a ``` fence with python)"
                )
            elif block.options.get("test") == "skip" and not block.options.get("reason"):
                problems.append(f"{block}: skipped without a reason")
    return problems
