"""Reading the guide's Markdown as its tests read it: its pages, and the code blocks in them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from guide_kit.paths import DOCS, ROOT

PYTHON_LANGUAGES = frozenset({"python", "py", "python3", "py3", "pycon", "pyi"})
# A line that opens or closes a fence, and a code span: what prose readers skip.
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+).+?\1")
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


def mark_fenced(lines: Iterable[str]) -> Iterator[tuple[str, bool]]:
    """Yield each line with whether it is code: inside a fenced block, or one of its fences.

    For the checks that read prose: a fence closes on a line of the same character, at least
    as long, at any indentation.
    """
    fence = ""
    for line in lines:
        opening = FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
            yield line, True
        elif opening:
            fence = opening.group(1)
            yield line, True
        else:
            yield line, False
