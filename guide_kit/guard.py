"""The markdown guard: every Python block of the guide runs in a test or includes code that does.

A page shows Python in two ways: a block that pytest-examples runs (`tests/test_docs_examples.py`)
or an include of a file that a test runs (a stage's, a snippet's, a how-to recipe's). A block
that is neither is code that no test keeps correct; the guard finds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from guide_kit.paths import DOCS, ROOT

PYTHON_LANGUAGES = frozenset({"python", "py", "python3", "py3", "pycon", "pyi"})
# Where a page may include Python from: code that the test suite runs (the how-to recipes'
# files run in a scaffolded service: tests/test_howto.py).
INCLUDABLE_ROOTS = ("examples/", "snippets/", "docs/how-to/recipes/")
_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
_INCLUDE_LINE = re.compile(r"""^\s*-{1,}8<-{1,}\s+["'](?P<target>[^"']+)["']\s*$""")
_LANGUAGE = re.compile(r"^\{?\s*\.?(?P<lang>[A-Za-z0-9_+-]+)")


@dataclass(frozen=True)
class Block:
    """A fenced code block of a Markdown page."""

    path: Path
    line: int  # 1-based line of the opening fence
    fence: str  # the fence characters, e.g. "```" or "~~~~"
    info: str  # what follows the fence: language and options
    body: str

    @property
    def language(self) -> str:
        """The block's language, lower-cased ("" when it has none)."""
        match = _LANGUAGE.match(self.info.strip())
        return match.group("lang").lower() if match else ""

    @property
    def is_python(self) -> bool:
        """Whether the page renders this block as Python."""
        return self.language in PYTHON_LANGUAGES

    @property
    def include_targets(self) -> list[str] | None:
        """The files a block includes, or None when it holds anything but include lines."""
        lines = [line for line in self.body.splitlines() if line.strip()]
        matches = [_INCLUDE_LINE.match(line) for line in lines]
        if not lines or not all(matches):
            return None
        return [match.group("target") for match in matches if match]

    @property
    def options(self) -> dict[str, str]:
        """The `key="value"` options of the fence, read as pytest-examples reads them."""
        return dict(re.findall(r"""([^{\s]+?)=["'](.+?)["']""", self.info))

    def __str__(self) -> str:
        shown = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{shown}:{self.line}"


def markdown_files() -> list[Path]:
    """Every Markdown file whose code the guide shows: the pages and the README."""
    return [*sorted(DOCS.rglob("*.md")), ROOT / "README.md"]


def fenced_blocks(path: Path) -> Iterator[Block]:
    """Yield every fenced code block of a Markdown file, at any indentation."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE_OPEN.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence = opening.group("indent"), opening.group("fence")
        closing = re.compile(rf"^{re.escape(indent)}{fence[0]}{{{len(fence)},}}\s*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        body = "\n".join(line.removeprefix(indent) for line in lines[index + 1 : end])
        yield Block(path, index + 1, fence, opening.group("info").strip(), body)
        index = end + 1


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
