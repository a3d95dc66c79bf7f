"""Claims that link to their proof: the checker behind `tests/test_claims.py`.

A claim is a sentence of a page's prose that states a universal ("every", "all", "never",
"always", "none", "only", "exactly", "at most"), a superlative that ranks things ("largest",
"fastest", "cheapest"...) or a speed figure (`0.45x`, `3.2 ms`, `40%`, `1,000 requests/s`).
Prose is what a reader reads as text: fenced blocks, include lines
(`--8<--`), HTML comments, code spans and link targets are not prose, and neither are the
generated pages under `docs/stages/diffs/`. A table row is one sentence, and so is a heading.
A page's `## The rule` section is advice to the reader, not a statement about the code, and is
left out: the sections after it show how the stages follow the rule.

A claim is backed when:

- its sentence carries a proof mark, `[proof](target){ .proof }`, whose target is a page of
  the guide (the strict build checks it, anchors included) or a file of this repository as a
  URL under `REPOSITORY` (this checker checks that the file exists); or
- its paragraph ends with a colon and introduces a listing: the next thing on the page is a
  fenced block or an include, the code or the results that show the claim; or
- it is a heading, and its section holds a proof mark or a listing; or
- the allowlist names it (`tests/claims-allowlist.txt`): a fragment of the sentence and the
  reason why no proof can or need be linked.

Everything else is reported, with its page and line, so that a new unbacked universal fails
the suite the day it is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from guide_kit.markdown import CODE_SPAN, FENCE, mark_fenced

REPOSITORY = "https://github.com/fastapi-structure-guide/fastapi-structure-guide"
_REPOSITORY_FILE = re.compile(re.escape(REPOSITORY) + r"/(?:blob|tree)/main/(?P<path>[^)\s#]+)")

UNIVERSAL = re.compile(
    r"(?<![\w-])(every|all|never|always|none|only|exactly|at most)(?![\w-])", re.IGNORECASE
)
# A ranking is measured like a figure, and goes stale like one when the code moves on.
SUPERLATIVE = re.compile(
    r"(?<![\w-])(largest|smallest|biggest|fastest|slowest|cheapest|costliest|highest|lowest"
    r"|longest|shortest)(?![\w-])",
    re.IGNORECASE,
)
FIGURE = re.compile(
    r"(?<![\w.,])\d[\d,]*(?:\.\d+)?"
    r"(?:(?:x|\s?\u00d7)(?!\w)|\s?(?:ms|µs|μs|ns)\b|\s?%|\s?(?:req/s|requests/s)\b)"
)
PROOF = re.compile(
    r"\[proof\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)(?P<mark>\{\s*\.proof\s*\})?"
)

# A page's rule is an instruction to the reader ("version every endpoint"), not a statement
# about the code; the sections after it show how the stages follow it, with the proof.
RULE_SECTIONS = frozenset({"The rule"})

_INCLUDE = re.compile(r"^\s*-{1,}8<-{1,}\s")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_LINK_TARGET = re.compile(r"\]\([^)]*\)(?:\{[^}]*\})?")
_ATTRIBUTES = re.compile(r"\{\s*[.#:][^}]*\}")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_BOLD_LEAD = re.compile(r"(?:[-*+]\s+|\d+\.\s+)?\*\*[^*]+\*\*")
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?]\*\*))\s+(?=[A-Z`*\[(\"])")


@dataclass(frozen=True)
class Claim:
    """A sentence of prose that states a universal, a superlative or a figure."""

    path: Path
    line: int
    text: str  # the sentence as written, on one line
    words: tuple[str, ...]  # the universals, superlatives and figures that make it a claim

    def shown(self, root: Path) -> str:
        """Return the claim as a report line: page, line, what makes it one, the sentence."""
        page = self.path.relative_to(root) if self.path.is_relative_to(root) else self.path
        return f"{page}:{self.line}: [{', '.join(self.words)}] {self.text}"


@dataclass(frozen=True)
class _Paragraph:
    line: int
    lines: list[tuple[int, str]]
    introduces_listing: bool
    is_table: bool
    section: str  # the `## ` heading the paragraph is under, "" before the first

    @property
    def is_heading(self) -> bool:
        """Whether the paragraph is a heading."""
        return bool(_HEADING.match(self.lines[0][1]))


def _paragraphs(text: str) -> Iterator[_Paragraph]:
    """Split a page into paragraphs of prose, each knowing whether a listing follows it."""
    text = _COMMENT.sub(lambda match: "\n" * match.group(0).count("\n"), text)
    lines = text.splitlines()
    current: list[tuple[int, str]] = []
    blocks: list[tuple[list[tuple[int, str]], int]] = []  # paragraph, index of the next line

    def close(index: int) -> None:
        if current:
            blocks.append((list(current), index))
            current.clear()

    for index, (line, is_code) in enumerate(mark_fenced(lines)):
        if is_code:
            close(index)
            continue
        if not line.strip() or _INCLUDE.match(line):
            close(index)
            continue
        # A list item, a heading or a table row after prose starts a paragraph of its own.
        starts = _LIST_ITEM.match(line) or _HEADING.match(line)
        is_row = line.lstrip().startswith("|")
        if current and (starts or is_row != current[-1][1].lstrip().startswith("|")):
            close(index)
        current.append((index + 1, line))
        if _HEADING.match(line):
            close(index + 1)
    close(len(lines))

    section = ""
    for paragraph, after in blocks:
        heading = re.match(r"^##\s+(.*?)\s*(?:\{[^}]*\})?\s*$", paragraph[0][1])
        if heading:
            section = heading.group(1)
        following = next((line for line in lines[after:] if line.strip()), "")
        last = paragraph[-1][1].rstrip()
        yield _Paragraph(
            line=paragraph[0][0],
            lines=paragraph,
            introduces_listing=last.endswith(":")
            and bool(FENCE.match(following) or _INCLUDE.match(following)),
            is_table=paragraph[0][1].lstrip().startswith("|"),
            section=section,
        )


def _sentences(paragraph: _Paragraph) -> Iterator[tuple[int, str]]:
    """Yield the sentences of a paragraph with the line each starts on; a table row is one."""
    if paragraph.is_table:
        for number, line in paragraph.lines:
            if not re.fullmatch(r"[\s|:-]+", line):
                yield number, line.strip()
        return
    joined = ""
    starts: list[tuple[int, int]] = []  # offset in `joined`, line number
    for number, line in paragraph.lines:
        if joined:
            joined += " "
        starts.append((len(joined), number))
        joined += line.strip()
    offset = 0
    for sentence in _SENTENCE_END.split(joined):
        first = max((number for start, number in starts if start <= offset), default=paragraph.line)
        offset += len(sentence) + 1
        yield first, sentence


def prose(sentence: str) -> str:
    """Return what a reader reads of a sentence: no code spans, link targets or attributes."""
    return _ATTRIBUTES.sub("", _LINK_TARGET.sub("]", CODE_SPAN.sub("", sentence)))


def claim_words(sentence: str) -> tuple[str, ...]:
    """Return the universals, superlatives and figures of a sentence's prose, in order."""
    text = prose(sentence)
    words = [*UNIVERSAL.finditer(text), *SUPERLATIVE.finditer(text)]
    found = [(match.start(), match.group(0).lower()) for match in words]
    found += [(match.start(), match.group(0)) for match in FIGURE.finditer(text)]
    return tuple(word for _, word in sorted(found))


def claims(path: Path) -> Iterator[tuple[Claim, bool]]:
    """Yield each claim of a page, and whether a proof mark or a listing under it backs it."""
    paragraphs = list(_paragraphs(path.read_text(encoding="utf-8")))
    for index, paragraph in enumerate(paragraphs):
        if paragraph.section in RULE_SECTIONS:
            continue
        proved = any(PROOF.search(line) for _, line in paragraph.lines)
        if _HEADING.match(paragraph.lines[0][1]):
            # A heading names what its section shows: a proof or a listing in the section
            # backs it.
            proved = _section_proves(paragraphs[index + 1 :])
        for line, sentence in _sentences(paragraph):
            words = claim_words(sentence)
            if not words:
                continue
            # A bold lead ("- **Every stage is a project.** The examples...") sums up its
            # paragraph, and a proof anywhere in the paragraph backs it.
            lead = (bool(_BOLD_LEAD.fullmatch(sentence)) or paragraph.is_heading) and proved
            backed = bool(PROOF.search(sentence)) or paragraph.introduces_listing or lead
            yield Claim(path, line, " ".join(sentence.split()), words), backed


def _section_proves(following: list[_Paragraph]) -> bool:
    """Whether the paragraphs up to the next heading hold a proof mark or introduce a listing."""
    for paragraph in following:
        if paragraph.is_heading:
            return False
        if paragraph.introduces_listing or any(PROOF.search(line) for _, line in paragraph.lines):
            return True
    return False


def broken_proofs(path: Path, root: Path) -> list[str]:
    """Return the proof marks of a page that name no file of the repository, or lack their class."""
    problems = []
    text = path.read_text(encoding="utf-8")
    for match in PROOF.finditer(text):
        target = match.group("target")
        if match.group("mark") is None and path.name != "README.md":
            # The guide's pages render the mark with its class; only GitHub's README cannot.
            line = text.count("\n", 0, match.start()) + 1
            problems.append(f"{path.name}:{line}: write the proof mark as [proof](...){{ .proof }}")
        if target.startswith(REPOSITORY):
            file = _REPOSITORY_FILE.match(target)
            if file is None or not (root / file.group("path")).exists():
                line = text.count("\n", 0, match.start()) + 1
                shown = path.relative_to(root) if path.is_relative_to(root) else path
                problems.append(
                    f"{shown}:{line}: the proof {target} names no file of the repository"
                )
        elif target.startswith(("http://", "https://")):
            line = text.count("\n", 0, match.start()) + 1
            problems.append(
                f"{path}:{line}: a proof links this repository or a page of the guide, not {target}"
            )
    return problems


@dataclass(frozen=True)
class Allowed:
    """An allowlist entry: a page, a fragment of one of its sentences, and why it is allowed."""

    page: str
    fragment: str
    reason: str

    def allows(self, claim: Claim, root: Path) -> bool:
        """Whether this entry names the claim."""
        page = claim.path.relative_to(root).as_posix() if claim.path.is_relative_to(root) else ""
        return page == self.page and self.fragment in claim.text


def read_allowlist(path: Path) -> list[Allowed]:
    """Read `page | fragment | reason` lines; `#` starts a comment. A reason is required."""
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [part.strip() for part in line.split(" | ")]
        if len(parts) != 3 or not all(parts):
            msg = f"{path.name}:{number}: expected `page | fragment of the sentence | reason`"
            raise ValueError(msg)
        entries.append(Allowed(*parts))
    return entries


def unbacked_claims(pages: list[Path], allowlist: list[Allowed], root: Path) -> list[Claim]:
    """Return the claims of `pages` that no proof mark, listing or allowlist entry backs."""
    return [
        claim
        for page in pages
        for claim, backed in claims(page)
        if not backed and not any(entry.allows(claim, root) for entry in allowlist)
    ]


def unused_entries(pages: list[Path], allowlist: list[Allowed], root: Path) -> list[Allowed]:
    """Return the allowlist entries that name no unbacked claim any more."""
    found = [claim for page in pages for claim, backed in claims(page) if not backed]
    return [entry for entry in allowlist if not any(entry.allows(claim, root) for claim in found)]
