"""Nothing on a page escapes the tests: every Python block runs or is included from tested code,
every stage has a page, and every page is in the navigation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.config import load_config

from guide_kit.guard import guard_problems
from guide_kit.markdown import fenced_blocks, markdown_files
from guide_kit.paths import DOCS, EXAMPLES, ROOT
from guide_kit.recipe import stage_nav_problems, stage_page_problems
from guide_kit.site import site_url
from guide_kit.stage import stage_dirs


def nav_pages(entries: Any) -> set[str]:
    """Flatten MkDocs' `nav` into the set of page paths it names."""
    if isinstance(entries, str):
        return set() if entries.startswith(("http://", "https://")) else {entries}
    if isinstance(entries, dict):
        return set().union(*(nav_pages(value) for value in entries.values()))
    if isinstance(entries, list):
        return set().union(*(nav_pages(entry) for entry in entries))
    return set()


def navigation() -> set[str]:
    """The pages that `mkdocs.yml` puts in the navigation."""
    config = load_config(str(ROOT / "mkdocs.yml"))
    return nav_pages(config["nav"])


def pages() -> set[str]:
    """Every page of the guide, relative to `docs/`, less the generated fragments."""
    return {
        path.relative_to(DOCS).as_posix()
        for path in DOCS.rglob("*.md")
        if "diffs" not in path.relative_to(DOCS).parts
    }


def test_every_python_block_is_run_or_included() -> None:
    assert guard_problems(markdown_files()) == []


def test_the_guard_sees_blocks_on_every_page() -> None:
    python_blocks = [b for path in markdown_files() for b in fenced_blocks(path) if b.is_python]
    assert len(python_blocks) >= len(stage_dirs()), "the guard found suspiciously few blocks"


def test_every_page_is_in_the_navigation() -> None:
    assert pages() - navigation() == set()


def test_the_navigation_names_only_existing_pages() -> None:
    assert navigation() - pages() == set()


def test_every_stage_has_a_page_in_the_navigation() -> None:
    problems = stage_nav_problems(EXAMPLES, navigation())
    assert not problems, "\n".join(problems)


def test_every_stage_page_shows_its_generated_diff() -> None:
    problems = stage_page_problems(DOCS, EXAMPLES)
    assert not problems, "\n\n".join(problems)


# --- Wayfinding: links, stage names, listing labels ---------------------------------------------

# Markdown links `[text](target "title")`, reference definitions `[id]: target`, autolinks.
MARKDOWN_LINK = re.compile(
    r"\]\((?P<inline><[^>]+>|[^)\s]+)(?:\s+\"[^\"]*\")?\)"
    r"|^\s*\[[^\]]+\]:\s*(?P<ref>\S+)"
    r"|<(?P<auto>https?://[^>\s]+)>",
    re.MULTILINE,
)
STAGE_IN_LINK = re.compile(r"(?:^|/)(?:stages|examples)/(?P<stage>\d\d-[a-z0-9-]+?)(?=\.md|/|#|$)")
# A table cell or a diagram box that starts with a stage, e.g. "08 performance" or "[01 hello]".
STAGE_LABEL = re.compile(r"^\[?(?P<number>\d\d)[ -][a-z]")
MERMAID_LABEL = re.compile(r'\["(?P<label>[^"]*)"\]')
SITE_URL = site_url()


def shown(path: Path) -> str:
    """A path as a problem names it: from the repository's root when it is inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def prose_files() -> list[Path]:
    """Every page a reader meets: the guide's pages, the READMEs and the contributor guide."""
    pages = [path for path in markdown_files() if "diffs" not in path.relative_to(ROOT).parts]
    return [*pages, ROOT / "CONTRIBUTING.md", *sorted(EXAMPLES.glob("*/README.md"))]


def links(path: Path) -> list[str]:
    """The link targets of a Markdown file, outside its code blocks."""
    text = path.read_text(encoding="utf-8")
    for block in fenced_blocks(path):
        text = text.replace(block.body, "")
    return [
        (match.group("inline") or match.group("ref") or match.group("auto")).strip("<>")
        for match in MARKDOWN_LINK.finditer(text)
    ]


def missing_stage_problems(path: Path) -> list[str]:
    """Links to stage folders that do not exist; table rows and diagram boxes naming such a
    stage without saying that it is planned."""
    existing = {stage.name for stage in stage_dirs()}
    numbers = {name[:2] for name in existing}
    problems = [
        f"{shown(path)}: links to {target}, but examples/{match.group('stage')} does not exist"
        for target in links(path)
        for match in STAGE_IN_LINK.finditer(target)
        if match.group("stage") not in existing
    ]
    labels = [
        (line, cell.strip())
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.lstrip().startswith("|")
        for cell in line.strip().strip("|").split("|")
    ]
    labels += [
        (line, match.group("label"))
        for block in fenced_blocks(path)
        if block.language == "mermaid"
        for line in block.body.splitlines()
        for match in MERMAID_LABEL.finditer(line)
    ]
    for line, label in labels:
        match = STAGE_LABEL.match(label)
        if match and match.group("number") not in numbers and "planned" not in line:
            problems.append(
                f"{shown(path)}: names stage {match.group('number')}, which does not exist "
                f"yet, without saying that it is planned: {line.strip()}"
            )
    return problems


def test_no_link_or_row_names_a_stage_that_does_not_exist() -> None:
    assert [problem for path in prose_files() for problem in missing_stage_problems(path)] == []


def test_a_stage_that_does_not_exist_is_caught(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "| stage |\n|---|\n| [99 later](stages/99-later.md) |\n| 98 soon |\n"
        "| 97 next, planned |\n| 01 hello |\n\n"
        '```mermaid\nflowchart LR\n    a["96 far<br/>cache"] --> b["01 hello"]\n```\n',
        encoding="utf-8",
    )
    problems = missing_stage_problems(page)
    assert len(problems) == 4, problems  # the link, its label, 98 and 96


def guide_page_for(url: str) -> Path | None:
    """The Markdown page that a URL of the published site is built from, if there is one."""
    path = url.removeprefix(SITE_URL).split("#")[0].strip("/")
    candidates = (
        [DOCS / "index.md"] if not path else [DOCS / f"{path}.md", DOCS / path / "index.md"]
    )
    return next((page for page in candidates if page.is_file()), None)


def stage_readme_problems(readme: Path) -> list[str]:
    """Links of a stage README that break once the stage is copied out of the repository."""
    stage = readme.parent.resolve()
    problems = []
    for target in links(readme):
        if target.startswith(SITE_URL):
            if guide_page_for(target) is None:
                problems.append(f"{shown(readme)}: {target} is no page of the guide")
        elif not re.match(r"^[a-z][a-z0-9+.-]*:", target) and not target.startswith("#"):
            local = (stage / target.split("#")[0]).resolve()
            if not local.is_relative_to(stage):
                problems.append(f"{shown(readme)}: {target} leaves the stage")
            elif not local.exists():
                problems.append(f"{shown(readme)}: {target} does not exist")
    return problems


def test_stage_readmes_link_to_the_published_guide_not_out_of_the_stage() -> None:
    readmes = sorted(EXAMPLES.glob("*/README.md"))
    assert len(readmes) == len(stage_dirs())
    assert [problem for readme in readmes for problem in stage_readme_problems(readme)] == []
    for readme in readmes:
        assert SITE_URL in readme.read_text(encoding="utf-8"), f"{shown(readme)}: no guide link"


def test_a_link_out_of_a_stage_is_caught(tmp_path: Path) -> None:
    stage = tmp_path / "01-copy"
    stage.mkdir()
    readme = stage / "README.md"
    readme.write_text(
        f"[guide](../../docs/stages/01-hello.md) [gone]({SITE_URL}stages/99-later/) "
        f"[ok]({SITE_URL}stages/01-hello/) [missing](notes.md)\n",
        encoding="utf-8",
    )
    assert len(stage_readme_problems(readme)) == 3


def test_the_original_structure_document_is_never_called_the_seed() -> None:
    found = [
        f"{shown(path)}:{number}"
        for path in prose_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bseed\b", line, re.IGNORECASE)
    ]
    assert found == []


def test_listings_from_a_stage_on_other_pages_name_their_stage() -> None:
    """Outside its own stage page, a listing from a stage says which stage it comes from."""
    unlabelled = [
        f"{block}: title should be {target.split(':')[0]!r}"
        for path in DOCS.rglob("*.md")
        if path.parent.name not in {"stages", "diffs"}
        for block in fenced_blocks(path)
        for target in block.include_targets or []
        if target.startswith("examples/") and block.options.get("title") != target.split(":")[0]
    ]
    assert unlabelled == []


def diagram_problems(path: Path) -> list[str]:
    """Mermaid diagrams without an accessible title and description.

    A screen reader meets a diagram as a flat list of its labels; `accTitle:` and `accDescr:`
    (on the lines after the diagram's type) say what it is and what it shows.
    """
    return [
        f"{block}: add `accTitle: ...` and `accDescr: ...` lines after `{first}`: what the "
        "diagram is, and what it shows"
        for block in fenced_blocks(path)
        if block.language == "mermaid"
        for first in [block.body.strip().splitlines()[0] if block.body.strip() else ""]
        if not (
            re.search(r"^\s*accTitle\s*:\s*\S", block.body, re.MULTILINE)
            and re.search(r"^\s*accDescr\s*(?::\s*\S|\{)", block.body, re.MULTILINE)
        )
    ]


def test_every_diagram_has_a_title_and_a_description() -> None:
    pages = [path for path in markdown_files() if "diffs" not in path.relative_to(ROOT).parts]
    diagrams = [b for path in pages for b in fenced_blocks(path) if b.language == "mermaid"]
    assert len(diagrams) >= 5, "the check found suspiciously few diagrams"
    assert [problem for path in pages for problem in diagram_problems(path)] == []


def test_a_diagram_without_a_title_is_caught(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```mermaid\nflowchart LR\n    a --> b\n```\n\n"
        "```mermaid\nflowchart LR\n    accTitle: Two boxes\n    accDescr: a leads to b\n"
        "    a --> b\n```\n",
        encoding="utf-8",
    )
    assert len(diagram_problems(page)) == 1
