"""The machinery that keeps the guide correct, as plain functions.

The test modules apply these functions to the real guide; `test_machinery.py` applies them to
deliberately broken inputs and checks that each of them fails, so that the guard is guarded.
"""

from __future__ import annotations

import ast
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import tomllib
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from html.parser import HTMLParser
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import ports
import pytest
from mkdocs.utils.yaml import yaml_load
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# One definition of what a stage is, shared with the script that writes the stage diffs.
from stage_diffs import is_lesson_file, stage_dirs

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
SNIPPETS = ROOT / "snippets"
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


def uv_binary() -> str:
    """The uv that runs this suite (uv sets `UV` for the processes it starts)."""
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        raise RuntimeError("uv is needed to run a stage's suite; see README.md")
    return found


def copy_stage(stage: Path, destination: Path) -> Path:
    """Copy a stage out of the repository as a reader would: its lesson files, no environment."""

    def not_lesson(directory: str, names: list[str]) -> set[str]:
        relative = Path(directory).relative_to(stage)
        return {name for name in names if not is_lesson_file(relative / name)}

    target = destination / stage.name
    shutil.copytree(stage, target, ignore=not_lesson)
    return target


def stage_environment() -> dict[str, str]:
    """The environment of a stage's own suite: ours, minus this suite's virtualenv.

    With TEST_PORT_RANGE set, the stage's servers get this worker's slice of it: the stage's
    own workers then split that slice, and never meet another worker's ports.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    env["UV_NO_PROGRESS"] = "1"
    allowed = ports.port_range()
    if allowed is not None:
        ours = ports.worker_slice(allowed)
        env[ports.PORT_RANGE_VARIABLE] = f"{ours.start}-{ours.stop - 1}"
    return env


def run_in_stage(stage_copy: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """Run a command in a copied stage's own environment, made from its own lock file."""
    return subprocess.run(
        [uv_binary(), "run", "--locked", "--quiet", *command],
        cwd=stage_copy,
        env=stage_environment(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


# Where a stage's tests put their temporary files (SQLite databases, mostly). A memory-backed
# folder spares each test's database its disk syncs: about a quarter of a suite's time here.
MEMORY_TMP = Path("/dev/shm")  # noqa: S108 - only a parent for private temporary folders


def run_stage_suite(stage_copy: Path) -> subprocess.CompletedProcess[str]:
    """Run a copied stage's own tests, every one of them, naming each test in the output.

    `-m ""` takes in the slow tests that a stage's own `uv run pytest` leaves out, and `-n 0`
    runs them in one process: this suite already keeps every core busy.
    """
    options = ["-v", "-p", "no:cacheprovider", "-m", ""]
    if _runs_on_every_core(stage_copy):
        options += ["-n", "0"]
    if not MEMORY_TMP.is_dir():
        return run_in_stage(stage_copy, "pytest", *options)
    with tempfile.TemporaryDirectory(dir=MEMORY_TMP, prefix="stage-") as basetemp:
        return run_in_stage(stage_copy, "pytest", *options, f"--basetemp={basetemp}")


def _runs_on_every_core(stage_copy: Path) -> bool:
    # The stages that add pytest-xdist ask for it in their pytest options.
    text = (stage_copy / "pyproject.toml").read_text(encoding="utf-8")
    return '"-n", "auto"' in text


# What every stage must pass besides its tests: the lint, format and type checks that its own
# pyproject.toml configures, run with the versions its own lock file pins.
STAGE_CHECKS: dict[str, tuple[str, ...]] = {
    "ruff-check": ("ruff", "check", "--no-cache", "."),
    "ruff-format": ("ruff", "format", "--no-cache", "--check", "."),
}


def run_stage_mypy(stage: Path, cache_dir: Path) -> subprocess.CompletedProcess[str]:
    """Type-check a stage with its own mypy settings, in this suite's environment.

    This suite's environment holds every package that the stages' lock files pin (a test in
    `test_stages.py` checks it). Checking every stage from it lets the stages share one cache
    of the libraries' types: each stage then costs a second or two instead of a cold start.
    """
    return run_tool("mypy", "--cache-dir", str(cache_dir), "fast_api_template", "tests", cwd=stage)


def run_tool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run a tool of this suite's environment (ruff, mypy, mkdocs) and capture its output."""
    executable = Path(sys.executable).parent / args[0]
    return subprocess.run(
        [str(executable), *args[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def free_port() -> int:
    """Return a free TCP port of 127.0.0.1, inside TEST_PORT_RANGE when it is set."""
    return ports.free_port()


# --- The built site ----------------------------------------------------------------------------

CONFIG = ROOT / "mkdocs.yml"
# Browsers that drive the site tests, in order of preference: Debian's package, Ubuntu's name
# for it, and the Google Chrome that GitHub's Ubuntu runners ship.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Flags for a quiet, offline, headless browser in a container: no sandbox (CI runs as root),
# no GPU, and none of the browser's own calls home.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
)


@dataclass(frozen=True)
class BuiltSite:
    """The guide built once by `mkdocs build --strict`, and what the build said."""

    directory: Path
    returncode: int
    output: str
    site_url: str

    @property
    def root_path(self) -> str:
        """The URL path that the published site lives under, e.g. `/fastapi-structure-guide/`."""
        return urlsplit(self.site_url).path or "/"


def site_url() -> str:
    """The `site_url` of `mkdocs.yml`, read as text (the file holds YAML tags of MkDocs)."""
    match = re.search(r"^site_url:\s*(\S+)\s*$", CONFIG.read_text(encoding="utf-8"), re.M)
    return match.group(1) if match else "/"


def build_site(site_dir: Path) -> BuiltSite:
    """Build the guide with `mkdocs build --strict` into `site_dir`."""
    result = run_tool("mkdocs", "build", "--strict", "--site-dir", str(site_dir))
    return BuiltSite(site_dir, result.returncode, result.stdout + result.stderr, site_url())


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (made if missing) while the block runs."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_site_once(site_dir: Path) -> BuiltSite:
    """Build the guide into `site_dir`, unless another process of this test run already did.

    The workers of one pytest-xdist run share a parent folder; the first worker that needs the
    site builds it under a lock and records the result, and the others read that record.
    """
    record = site_dir.with_name(f"{site_dir.name}.json")
    with file_lock(site_dir.with_name(f"{site_dir.name}.lock")):
        if record.is_file():
            fields = json.loads(record.read_text(encoding="utf-8"))
            return BuiltSite(Path(fields.pop("directory")), **fields)
        built = build_site(site_dir)
        fields = {
            "directory": str(built.directory),
            "returncode": built.returncode,
            "output": built.output,
            "site_url": built.site_url,
        }
        record.write_text(json.dumps(fields), encoding="utf-8")
        return built


def site_pages(site_dir: Path) -> list[str]:
    """The pages of a built site as URL paths from its root: "" for the home page, "a/b/" ..."""
    pages = [path.parent.relative_to(site_dir).as_posix() for path in site_dir.rglob("index.html")]
    return sorted("" if page == "." else f"{page}/" for page in pages)


class _PageParser(HTMLParser):
    """Collect the ids of a page, and the links and resources it points to."""

    LINKING = frozenset({("a", "href"), ("link", "href"), ("img", "src"), ("script", "src")})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            elif (tag, name) in self.LINKING:
                self.links.append(value)


def _parse_page(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def page_ids(path: Path) -> set[str]:
    """The ids of a built page: what a `#fragment` can point at."""
    return _parse_page(path).ids


def link_problems(site_dir: Path, site_url: str = "/") -> list[str]:
    """Find broken internal links and anchors in every HTML file of a built site.

    A link is internal when it is relative, starts with the site's root path, or starts with
    the site's own URL. Its file must exist (a folder means its `index.html`), and its
    `#fragment`, if any, must be an id of the page it points to. Links to other hosts are not
    followed: the check runs offline.
    """
    root_url = site_url if site_url.endswith("/") else f"{site_url}/"
    root_path = urlsplit(root_url).path or "/"
    base = "http://site.invalid"
    parsed: dict[Path, _PageParser] = {}

    def parse(path: Path) -> _PageParser:
        if path not in parsed:
            parsed[path] = _parse_page(path)
        return parsed[path]

    def target_file(path: str) -> Path | None:
        if not path.startswith(root_path):
            return None
        relative = unquote(path.removeprefix(root_path))
        candidate = site_dir / relative
        if relative == "" or relative.endswith("/") or candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate

    problems: list[str] = []
    for page in sorted(site_dir.rglob("*.html")):
        page_path = root_path + page.relative_to(site_dir).as_posix()
        for link in parse(page).links:
            if link.startswith(root_url) and root_url.startswith(("http://", "https://")):
                link = root_path + link.removeprefix(root_url)
            url = urlsplit(urljoin(base + page_path, link))
            if f"{url.scheme}://{url.netloc}" != base:
                continue  # another host, or mailto:, data: and the like
            where = f"{page.relative_to(site_dir).as_posix()}: {link}"
            target = target_file(url.path)
            if target is None or not target.is_file():
                problems.append(f"{where}: no such file")
            elif (
                url.fragment
                and target.suffix == ".html"
                and unquote(url.fragment) not in parse(target).ids
            ):
                problems.append(f"{where}: no such anchor")
    return problems


def find_chromium() -> str | None:
    """The path of an installed Chromium or Chrome, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name) or shutil.which(name, path="/usr/bin:/usr/local/bin")
        if found:
            return found
    return None


def services_required() -> bool:
    """Whether a missing service or program must fail the tests instead of skipping them."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("REQUIRE_SERVICES") == "1"


@contextmanager
def serve_site(site_dir: Path, root_path: str = "/") -> Iterator[str]:
    """Serve a built site on the loopback interface, under `root_path` as it is published.

    Yields the site's base URL. A path outside the site, or a missing file, gets the site's
    `404.html` with status 404, as on GitHub Pages.
    """
    not_found = site_dir / "404.html"

    class Handler(SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            clean = urlsplit(path).path
            if not clean.startswith(root_path):
                return str(site_dir / "\0missing")
            return super().translate_path("/" + clean.removeprefix(root_path))

        def send_error(
            self, code: int, message: str | None = None, explain: str | None = None
        ) -> None:
            if code != HTTPStatus.NOT_FOUND or not not_found.is_file():
                super().send_error(code, message, explain)
                return
            body = not_found.read_bytes()
            self.send_response(code)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Keep the test output quiet."""

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            """A browser that moves on closes its connections early; that is no error."""

    handler = partial(Handler, directory=str(site_dir))
    # A port of this worker's, inside TEST_PORT_RANGE when it is set.
    server = Server(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{root_path}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --- Adding a stage: what a new stage must name, and where ---------------------------------------
#
# Each function below checks one step of "Add a stage" in CONTRIBUTING.md and returns problems
# that say what to do. They take their folders as arguments, so that `test_machinery.py` can run
# them on a deliberately broken copy in a temporary folder.

GUIDE_NAME = "the FastAPI structure guide"
PACKAGE_DOCSTRING = '"""A FastAPI service, structured to grow: stage {number} of {guide}."""'
_STAGE_NUMBER = re.compile(r"\bstage (?P<number>\d\d)\b", re.IGNORECASE)


def stage_number(stage: Path) -> str:
    """The two digits of a stage folder: `08-performance` -> `08`."""
    return stage.name[:2]


def stage_topic(stage: Path) -> str:
    """The words of a stage folder after its number: `08-performance` -> `performance`."""
    return stage.name[3:].replace("-", " ")


def stage_label(stage: Path) -> str:
    """How tables and links name a stage: `08 performance`."""
    return f"{stage_number(stage)} {stage_topic(stage)}"


def shown_path(path: Path, root: Path = ROOT) -> str:
    """A path as problems name it: from the repository's root when it is inside it."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as file:
        return tomllib.load(file)


def stage_name_problems(stage: Path, site_url: str, root: Path = ROOT) -> list[str]:
    """The package docstring, the project description and the README name their own stage."""
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
    description = str(_read_toml(pyproject).get("project", {}).get("description", ""))
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


# --- Adding a stage: dependencies in the root environment ----------------------------------------

ROOT_RUNTIME_GROUP = "app"  # what the stages import: the guide's inline examples import it too
ROOT_DEV_GROUP = "lint"  # what the stages' dev groups add for their tests and type checks
ROOT_DEV_GROUPS = ("lint", "test")  # where the root already keeps dev tools (pytest is in test)


def _canonical(name: str) -> str:
    return canonicalize_name(name)


def group_requirements(pyproject: dict[str, Any], group: str) -> list[Requirement]:
    """The requirements of a dependency group, with the groups it includes."""
    groups = pyproject.get("dependency-groups", {})
    found: list[Requirement] = []
    for entry in groups.get(group, []):
        if isinstance(entry, str):
            found.append(Requirement(entry))
        elif isinstance(entry, dict) and "include-group" in entry:
            found.extend(group_requirements(pyproject, entry["include-group"]))
    return found


def _covers(requirements: list[Requirement], wanted: Requirement) -> bool:
    """Whether a list of requirements asks for `wanted`'s package with all of its extras."""
    return any(
        _canonical(have.name) == _canonical(wanted.name) and wanted.extras <= have.extras
        for have in requirements
    )


def _lock_graph(lock: dict[str, Any]) -> dict[str, set[str]]:
    """Each package of a uv.lock and the packages it depends on, through any of its extras."""
    graph: dict[str, set[str]] = {}
    for package in lock.get("package", []):
        edges = list(package.get("dependencies", []))
        for extra in package.get("optional-dependencies", {}).values():
            edges.extend(extra)
        for group in package.get("dev-dependencies", {}).values():
            edges.extend(group)
        graph[package["name"]] = {edge["name"] for edge in edges}
    return graph


def _reach(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph.get(name, ()))
    return seen


_LOCKED_NAME = re.compile(r'^\[\[package\]\]\r?\nname = "(?P<name>[^"]+)"', re.MULTILINE)


def locked_names(lock_file: Path) -> set[str]:
    """The names of the packages that a uv.lock pins.

    Read with a pattern, not a TOML parser: the root's lock file is over a megabyte, and every
    stage is compared with it. uv writes each package's table as `[[package]]`, then its name.
    """
    text = lock_file.read_text(encoding="utf-8")
    return {match.group("name") for match in _LOCKED_NAME.finditer(text)}


def stage_dependency_problems(stage: Path, root: Path = ROOT) -> list[str]:
    """Every package of a stage's lock file is in the root's: the root environment runs the
    guide's inline examples and the type checks of every stage.

    A problem names the stage's requirement that brings the missing packages, and the root group
    it belongs in: runtime dependencies in `app`, dev dependencies in `lint`.
    """
    stage_project = _read_toml(stage / "pyproject.toml")
    missing = locked_names(stage / "uv.lock") - locked_names(root / "uv.lock")
    missing.discard(_canonical(str(stage_project.get("project", {}).get("name", ""))))
    if not missing:
        return []
    stage_lock = _read_toml(stage / "uv.lock")
    root_project = _read_toml(root / "pyproject.toml")
    direct = [
        (Requirement(entry), ROOT_RUNTIME_GROUP, "a runtime dependency")
        for entry in stage_project.get("project", {}).get("dependencies", [])
    ] + [
        (requirement, ROOT_DEV_GROUP, f"in its {group!r} group")
        for group in stage_project.get("dependency-groups", {})
        for requirement in group_requirements(stage_project, group)
    ]
    graph, where = _lock_graph(stage_lock), shown_path(stage, root)
    problems: list[str] = []
    explained: set[str] = set()
    for requirement, group, role in direct:
        brought = sorted((_reach(graph, _canonical(requirement.name)) & missing) - explained)
        if not brought:
            continue
        explained.update(brought)
        groups = (group,) if group == ROOT_RUNTIME_GROUP else ROOT_DEV_GROUPS
        in_root = any(_covers(group_requirements(root_project, g), requirement) for g in groups)
        if in_root:
            extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
            problems.append(
                f"{where}: the root pyproject.toml asks for {requirement.name}{extras}, but the "
                f"root uv.lock lacks {', '.join(brought)}: run `uv lock` at the root"
            )
        else:
            problems.append(
                f"{where}: add {str(requirement)!r} ({role} of the stage) to the {group!r} group "
                f"of the root pyproject.toml, then run `uv lock` at the root "
                f"(the root uv.lock lacks {', '.join(brought)})"
            )
    if missing - explained:
        problems.append(
            f"{where}: the root uv.lock lacks {', '.join(sorted(missing - explained))}, which "
            f"the stage's uv.lock pins: run `uv lock` in the stage, then at the root"
        )
    return problems


# --- Adding a stage: the API reference documents the newest stage --------------------------------


def mkdocstrings_paths(config: Path) -> list[str] | None:
    """The `paths` that mkdocstrings' Python handler searches, as `mkdocs.yml` sets them."""
    with config.open(encoding="utf-8") as file:
        settings = yaml_load(file)
    for plugin in settings.get("plugins", []):
        if isinstance(plugin, dict) and "mkdocstrings" in plugin:
            python = plugin["mkdocstrings"].get("handlers", {}).get("python", {})
            paths = python.get("paths")
            return [str(path) for path in paths] if isinstance(paths, list) else None
    return None


def reference_stage_problems(config: Path, examples: Path, root: Path = ROOT) -> list[str]:
    """The API reference (mkdocstrings) documents the newest stage, and only that one."""
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
    """A pattern for a line of a page that includes `target` (an escaped `;--8<--` is not one)."""
    return re.compile(rf"""^[ \t]*-{{1,}}8<-{{1,}}[ \t]+["']{re.escape(target)}["'][ \t]*$""", re.M)


def diff_includes(stage: Path, previous: Path | None) -> str:
    """What a stage page pastes under "What changed": the table, then a link to the full diff,
    which `scripts/stage_diffs.py` writes on a page of its own."""
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
    """The line of `nav` in mkdocs.yml that puts a stage's page under Stages."""
    return (
        f"      - {stage_number(stage)} {stage_topic(stage).capitalize()}: stages/{stage.name}.md"
    )


def stage_nav_problems(examples: Path, nav: set[str]) -> list[str]:
    """Every stage has a page in the navigation of mkdocs.yml."""
    return [
        f"mkdocs.yml: add the page of {stage.name} to nav, under Stages:\n{nav_entry(stage)}"
        for stage in stage_dirs(examples)
        if f"stages/{stage.name}.md" not in nav
    ]


def stage_page_problems(docs: Path, examples: Path, root: Path = ROOT) -> list[str]:
    """Every stage has a page, and the page shows the stage's generated diff."""
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
    """The home page, the stages index and the structure page each have a row for every stage."""
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
    """A table row or diagram box that calls a stage planned, once the stage exists."""
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


def run_page_example(eval_example: Any, example: Any, *, update: bool = False) -> None:
    """Run a guide example as pytest-examples does, and report an error it raises plainly.

    On Python 3.11, pytest cannot show the frames of code compiled from a page: formatting
    them raises inside pytest ("generator raised StopIteration"), which ends the whole run
    (under pytest-xdist, a worker crashes) instead of failing the test. The error's type,
    message and the lines it passed through are what a reader needs anyway.
    """
    report = None
    try:
        if update:
            eval_example.run_print_update(example)
        else:
            eval_example.run_print_check(example)
    except Exception as error:
        if isinstance(error, pytest.fail.Exception):
            raise  # pytest-examples' own report of a changed output
        frames = [
            f"  {frame.f_code.co_filename}:{line} in {frame.f_code.co_name}"
            for frame, line in traceback.walk_tb(error.__traceback__)
        ]
        report = "\n".join([f"the example raised {type(error).__name__}: {error}", *frames])
    if report is not None:
        # Outside the `except`: pytest would show the error's frames as this one's context.
        pytest.fail(report, pytrace=False)
