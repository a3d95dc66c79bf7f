"""The stage recipe of CONTRIBUTING.md ("Add a stage") as checks: what a stage must name, where.

Each function checks one step and returns problems that say what to do. They take their
folders as arguments, so that `tests/test_machinery.py` can run them on a deliberately broken
copy in a temporary folder. The step that brings a stage's dependencies into the root
environment is checked in `guide_kit.dependencies`.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from mkdocs.utils.yaml import yaml_load

from guide_kit.markdown import fenced_blocks
from guide_kit.paths import ROOT, shown_path
from guide_kit.stage import stage_dirs, stage_label, stage_number, stage_topic

GUIDE_NAME = "the FastAPI structure guide"
PACKAGE_DOCSTRING = '"""A FastAPI service, structured to grow: stage {number} of {guide}."""'
_STAGE_NUMBER = re.compile(r"\bstage (?P<number>\d\d)\b", re.IGNORECASE)


def stage_name_problems(stage: Path, site_url: str, root: Path = ROOT) -> list[str]:
    """Check that the package docstring, the project description and the README name the stage."""
    number, problems = stage_number(stage), []
    init = stage / "fast_api_template" / "__init__.py"
    docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    named = {match.group("number") for match in _STAGE_NUMBER.finditer(docstring)}
    if named != {number}:
        wanted = PACKAGE_DOCSTRING.format(number=number, guide=GUIDE_NAME)
        said = f"names stage {', '.join(sorted(named))}" if named else "names no stage"
        problems.append(
            f"{shown_path(init, root)}: the package docstring {said}, not {number}; "
            f"make it {wanted}"
        )
    pyproject = stage / "pyproject.toml"
    project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    description = str(project.get("description", ""))
    prefix = f"Stage {number} of {GUIDE_NAME}: "
    if not description.startswith(prefix):
        problems.append(
            f"{shown_path(pyproject, root)}: `description` should start with {prefix!r} and say "
            f"what the stage adds; it is {description!r}"
        )
    readme = stage / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    heading = f"# Stage {number}: {stage_topic(stage)}"
    first_line = text.splitlines()[0] if text else ""
    if first_line != heading:
        problems.append(
            f"{shown_path(readme, root)}: the first line should be {heading!r}; "
            f"it is {first_line!r}"
        )
    page_url = f"{site_url.rstrip('/')}/stages/{stage.name}/"
    if page_url not in text:
        problems.append(
            f"{shown_path(readme, root)}: link the stage's page of the guide, {page_url} "
            f'("This is stage {number} of the [FastAPI structure guide]({page_url}).")'
        )
    return problems


# --- Adding a stage: the API reference documents the newest stage --------------------------------


def mkdocstrings_paths(config: Path) -> list[str] | None:
    """Return the `paths` that mkdocstrings' Python handler searches, as `mkdocs.yml` sets them."""
    with config.open(encoding="utf-8") as file:
        settings = yaml_load(file)
    for plugin in settings.get("plugins", []):
        if isinstance(plugin, dict) and "mkdocstrings" in plugin:
            python = plugin["mkdocstrings"].get("handlers", {}).get("python", {})
            paths = python.get("paths")
            return [str(path) for path in paths] if isinstance(paths, list) else None
    return None


def reference_stage_problems(config: Path, examples: Path, root: Path = ROOT) -> list[str]:
    """Check that the API reference (mkdocstrings) documents the newest stage, and only it."""
    newest = f"{shown_path(examples, root)}/{stage_dirs(examples)[-1].name}"
    paths = mkdocstrings_paths(config)
    if paths == [newest]:
        return []
    return [
        f"{shown_path(config, root)}: the API reference documents "
        f"{', '.join(paths) if paths else 'no stage'}, but the newest stage "
        f"is {newest}: set `paths: [{newest}]` under plugins > mkdocstrings > handlers > python, "
        "then make the pages under docs/reference/ name that stage's modules "
        "(the strict build fails on a module that does not exist)"
    ]


# --- Adding a stage: its page, and the rows that link it ----------------------------------------

_TABLE_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
_MERMAID_BOX = re.compile(r'(?P<node>\w+)\["(?P<label>[^"]*)"\]')
_LABEL_NUMBER = re.compile(r"^\[?(?P<number>\d\d)[ -][a-z]")


def include_line(target: str) -> re.Pattern[str]:
    """Match a line of a page that includes `target` (an escaped `;--8<--` is not one)."""
    return re.compile(rf"""^[ \t]*-{{1,}}8<-{{1,}}[ \t]+["']{re.escape(target)}["'][ \t]*$""", re.M)


def diff_includes(stage: Path, previous: Path | None) -> str:
    """Return what a stage page pastes under "What changed": the table, then a diff link.

    The link goes to the full diff, which `scripts/stage_diffs.py` writes on a page of its own.
    """
    what = (
        f"The full diff from stage {stage_number(previous)}"
        if previous
        else "The full listing, as a diff from nothing"
    )
    return (
        f'--8<-- "docs/stages/diffs/{stage.name}.md"\n\n'
        f"[{what}](diffs/{stage.name}/index.md), line by line, is on a page of its own.\n"
    )


def _diff_page_link(stage: Path) -> re.Pattern[str]:
    return re.compile(rf"\]\(diffs/{re.escape(stage.name)}/(?:index\.md)?\)")


def nav_entry(stage: Path) -> str:
    """Return the line of `nav` in mkdocs.yml that puts a stage's page under Stages."""
    return (
        f"      - {stage_number(stage)} {stage_topic(stage).capitalize()}: stages/{stage.name}.md"
    )


def stage_nav_problems(examples: Path, nav: set[str]) -> list[str]:
    """Check that every stage has a page in the navigation of mkdocs.yml."""
    return [
        f"mkdocs.yml: add the page of {stage.name} to nav, under Stages:\n{nav_entry(stage)}"
        for stage in stage_dirs(examples)
        if f"stages/{stage.name}.md" not in nav
    ]


def stage_page_problems(docs: Path, examples: Path, root: Path = ROOT) -> list[str]:
    """Check that every stage has a page, and that the page shows the stage's generated diff."""
    problems = []
    stages = stage_dirs(examples)
    for previous, stage in zip([None, *stages], stages, strict=False):
        page = docs / "stages" / f"{stage.name}.md"
        text = page.read_text(encoding="utf-8") if page.is_file() else ""
        table = include_line(f"docs/stages/diffs/{stage.name}.md")
        inlined = include_line(f"docs/stages/diffs/{stage.name}.diff")
        shows_table_and_link = table.search(text) and _diff_page_link(stage).search(text)
        if not shows_table_and_link or inlined.search(text):
            write = "" if page.is_file() else "write it (CONTRIBUTING.md, Add a stage) and "
            problems.append(
                f"{shown_path(page, root)}: {write}paste these lines under "
                f"`## What changed {{ data-search-exclude }}` to show the stage's generated "
                "table and link its full diff (instead of including the diff, which would "
                "weigh up to a megabyte on the page):\n\n"
                f"{diff_includes(stage, previous)}"
            )
    return problems


def _links_to(path: Path, line: str, page: Path) -> bool:
    """Whether a line of `path` links to `page` (a relative link, resolved from `path`)."""
    return any(
        (path.parent / match.group("target").split("#")[0]).resolve() == page.resolve()
        for match in _TABLE_LINK.finditer(line)
    )


def _rows_linking(path: Path, page: Path) -> list[str]:
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    rows = [line for line in text.splitlines() if line.lstrip().startswith("|")]
    return [row for row in rows if _links_to(path, row, page)]


def _planned_row(path: Path, stage: Path) -> str | None:
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return next(
        (
            line.strip()
            for line in text.splitlines()
            if line.lstrip().startswith("|") and "planned" in line and stage_label(stage) in line
        ),
        None,
    )


def stage_row_problems(docs: Path, examples: Path, root: Path = ROOT) -> list[str]:
    """Check that the home page, the stages index and the structure page list every stage."""
    problems = []
    for stage in stage_dirs(examples):
        page = docs / "stages" / f"{stage.name}.md"
        label = stage_label(stage)
        wanted = {
            docs / "index.md": (
                f"| [{label}](stages/{stage.name}.md) | what it adds | the principle it serves |",
                "the table of stages",
            ),
            docs / "stages" / "index.md": (
                f"| [{label}]({stage.name}.md) | what it adds |",
                "the table of stages",
            ),
            docs / "structure.md": (
                f"| `path/it/adds` | what it is for | [{label}](stages/{stage.name}.md) |",
                "the table of folders and files, for each entry the stage introduces "
                "(or link the stage in the last column of the rows it introduces)",
            ),
        }
        for path, (row, where) in wanted.items():
            if _rows_linking(path, page):
                continue
            planned = _planned_row(path, stage)
            instead = f", in place of {planned!r}" if planned else ""
            problems.append(
                f"{shown_path(path, root)}: no row links the page of {stage.name}; add this row to "
                f"{where}{instead}:\n{row}"
            )
    return problems


def planned_stage_problems(path: Path, examples: Path, root: Path = ROOT) -> list[str]:
    """Find a table row or diagram box that calls a stage planned, once the stage exists."""
    existing = {stage_number(stage): stage for stage in stage_dirs(examples)}
    text = path.read_text(encoding="utf-8")
    problems = []
    for line in text.splitlines():
        if not line.lstrip().startswith("|") or "planned" not in line:
            continue
        for cell in line.strip().strip("|").split("|"):
            match = _LABEL_NUMBER.match(cell.strip())
            if match and match.group("number") in existing and "planned" in cell:
                stage = existing[match.group("number")]
                problems.append(
                    f"{shown_path(path, root)}: calls {stage.name} planned, but it exists: "
                    f"drop 'planned' and link its page ({stage.name}.md): {line.strip()}"
                )
    for block in fenced_blocks(path):
        if block.language != "mermaid":
            continue
        boxes = {
            match.group("node"): match.group("label") for match in _MERMAID_BOX.finditer(block.body)
        }
        planned_nodes = {
            node.strip()
            for line in block.body.splitlines()
            if line.strip().startswith("class ") and line.strip().endswith(" planned")
            for node in line.strip().removeprefix("class ").removesuffix(" planned").split(",")
        }
        for node, label in boxes.items():
            match = _LABEL_NUMBER.match(label)
            if not match or match.group("number") not in existing:
                continue
            stage = existing[match.group("number")]
            if "planned" in label or node in planned_nodes:
                problems.append(
                    f"{shown_path(path, root)}:{block.line}: the diagram calls {stage.name} "
                    f"planned, but it exists: drop 'planned' from the box {node!r} and take "
                    f"{node!r} out of the `class ... planned` line"
                )
    return problems
