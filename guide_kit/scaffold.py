"""Turn a stage into the start of your own service, and pull the stage's later fixes into it.

    uv run scaffold ../acme-api --package acme_api               # from the last stage
    uv run scaffold ../acme-api --package acme_api --stage 04    # from another stage
    uv run scaffold ../acme-api --update                         # pull what the stage changed

A scaffold copies the stage's files as git has them, renames the package (`fast_api_template`),
the settings prefix (`FAST_API_TEMPLATE_`) and the distribution name (`fast-api-template`),
removes the guide's snippet markers and nothing else, heads the README with the new name and
the stage it came from, and makes a git repository with one commit.

Updates work like a template branch. The scaffold keeps, on a branch named `scaffold`, the
stage exactly as it was rendered. `--update` renders the stage again, as this clone of the
guide has it now, commits that on the `scaffold` branch, and merges the branch into yours: git
brings each fix of the stage into your service, and a line that both changed is a conflict
you resolve as in any merge. `.scaffold.toml` records the answers that the render needs.
"""

from __future__ import annotations

import argparse
import keyword
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from guide_kit import process
from guide_kit.stage import EXAMPLES, is_lesson_file, stage_dirs

GUIDE = "https://fastapi-structure-guide.github.io/fastapi-structure-guide"

OLD_PACKAGE = "fast_api_template"
OLD_PREFIX = "FAST_API_TEMPLATE_"
OLD_DISTRIBUTION = "fast-api-template"
# Where the answers live in the service; `--update` reads them back.
ANSWERS = ".scaffold.toml"
# The branch that holds the stage as rendered, for `--update` to merge from.
BRANCH = "scaffold"
# A package name as PEP 8 asks: lower case, digits and underscores, not starting with a digit.
PACKAGE_NAME = re.compile(r"[a-z_][a-z0-9_]*")
# A line that only marks a section for the guide's pages: `# --8<-- [start:name]`, in any
# comment syntax that the stages use (Python, YAML, TOML, Dockerfile, Markdown, HTML).
MARKER_LINE = re.compile(
    r"[ \t]*(?:#|//|<!--)?[ \t]*-+8<-+[ \t]+\[(?:start|end):[\w-]+\][ \t]*(?:-->)?\s*"
)


class ScaffoldError(Exception):
    """What keeps the command from running, said so that the reader can fix it."""


@dataclass(frozen=True)
class Answers:
    """What a render needs: the new package's name and the stage it starts from."""

    package: str
    stage: str

    @property
    def prefix(self) -> str:
        """The settings' environment prefix, e.g. `ACME_API_`."""
        return f"{self.package.upper()}_"

    @property
    def distribution(self) -> str:
        """The project's name in pyproject.toml and uv.lock, e.g. `acme-api`."""
        return self.package.replace("_", "-")


def check_package(name: str) -> None:
    """Refuse a name that cannot be the service's package.

    Raises:
        ScaffoldError: It is not a lower-case identifier, is a keyword, or is the name of a
            module of the standard library (importing it would import the other one).

    """
    if not PACKAGE_NAME.fullmatch(name):
        msg = f"--package {name!r}: expected a lower-case Python identifier, such as acme_api"
        raise ScaffoldError(msg)
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        msg = f"--package {name!r}: a Python keyword cannot name a package"
        raise ScaffoldError(msg)
    if name in sys.stdlib_module_names or name == OLD_PACKAGE:
        msg = f"--package {name!r}: already the name of a module the service imports"
        raise ScaffoldError(msg)


def find_stage(name: str | None, examples: Path = EXAMPLES) -> Path:
    """Return the stage folder that `name` names (`09`, `09-production`), or the last one.

    Raises:
        ScaffoldError: No stage has that name.

    """
    stages = stage_dirs(examples)
    if name is None:
        return stages[-1]
    for stage in stages:
        if name in {stage.name, stage.name[:2]}:
            return stage
    msg = f"--stage {name!r}: expected one of {', '.join(stage.name for stage in stages)}"
    raise ScaffoldError(msg)


def stage_files(stage: Path) -> list[Path]:
    """List a stage's files as git sees them: tracked, or new and not ignored.

    Never what a run leaves beside them (`.venv`, caches, local databases, `.env`): a copy
    from a working folder would carry those along.
    """
    listed = _git(stage, "ls-files", "-z", "--cached", "--others", "--exclude-standard", ".")
    # A file that git does not ignore may still be no lesson file (a coverage data file, say).
    return sorted(
        Path(name)
        for name in listed.split("\0")
        if name and (stage / name).is_file() and is_lesson_file(Path(name))
    )


def rename(text: str, answers: Answers) -> str:
    """Rename the package, the prefix and the distribution, and drop the snippet markers."""
    text = without_markers(text)
    text = text.replace(OLD_PREFIX, answers.prefix)
    text = text.replace(OLD_PACKAGE, answers.package)
    return text.replace(OLD_DISTRIBUTION, answers.distribution)


def without_markers(text: str) -> str:
    """Drop the marker lines, and the blank lines that only they kept apart.

    Two blank lines, a marker, two blank lines and a marker become two blank lines, not
    four: the file stays as its formatter left it.
    """
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    gap: list[list[str]] = [[]]  # the blank lines between content, split where markers were
    for line in lines:
        if MARKER_LINE.fullmatch(line):
            gap.append([])
        elif not line.strip():
            gap[-1].append(line)
        else:
            kept += _longest(gap)
            kept.append(line)
            gap = [[]]
    # At the end of the file, the blank lines before a closing marker go with it.
    if len(gap) == 1:
        kept += gap[0]
    return "".join(kept)


def _longest(runs: list[list[str]]) -> list[str]:
    longest: list[str] = []
    for run in runs:
        if len(run) > len(longest):
            longest = run
    return longest


def render(stage: Path, destination: Path, answers: Answers) -> None:
    """Write the stage into `destination` as the service `answers` describe."""
    for relative in stage_files(stage):
        target = destination / Path(*(rename(part, answers) for part in relative.parts))
        target.parent.mkdir(parents=True, exist_ok=True)
        data = (stage / relative).read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            target.write_bytes(data)  # an image, say: nothing in it to rename
        else:
            if relative.as_posix() == "README.md":
                text = _readme(text, answers)
            target.write_text(rename(text, answers), encoding="utf-8")
        shutil.copymode(stage / relative, target)
    (destination / ANSWERS).write_text(_answers_file(answers), encoding="utf-8")
    _tidy(destination)


def _tidy(destination: Path) -> None:
    """Sort the imports and format the code again, as the service's own settings ask.

    A new name sorts elsewhere among the imports, and a shorter or longer one moves where
    the formatter breaks a line. The kit's ruff does it, so nothing needs installing first.
    """
    ruff = Path(sys.executable).parent / "ruff"
    if not ruff.is_file():
        return  # the service's own `uv run ruff format .` does the same later
    for command in (["check", "--fix-only", "--select", "I", "."], ["format", "."]):
        subprocess.run(  # noqa: S603 - our own tool, on the files we just wrote
            [str(ruff), *command, "--quiet", "--no-cache"],
            cwd=destination,
            capture_output=True,
            check=False,
        )


def _readme(text: str, answers: Answers) -> str:
    _heading, _, rest = text.partition("\n")
    origin = (
        f"Started from [stage {answers.stage[:2]} of the FastAPI structure guide]"
        f"({GUIDE}/stages/{answers.stage}/). To bring in the guide's later fixes of that stage,"
        " run `uv run scaffold <this folder> --update` in a clone of the guide."
    )
    return f"# {answers.package}\n\n{origin}\n{rest}"


def _answers_file(answers: Answers) -> str:
    return (
        "# The answers of `uv run scaffold`, which its --update reads. Keep this file.\n"
        f'package = "{answers.package}"\n'
        f'stage = "{answers.stage}"\n'
    )


def scaffold(destination: Path, *, package: str, stage: Path) -> str:
    """Make a new service at `destination` from `stage`; return what was done, in one line.

    Raises:
        ScaffoldError: The name is not a package name, or `destination` exists. Nothing is
            written then.

    """
    check_package(package)
    if destination.exists():
        msg = f"{destination} exists: choose a new folder, or run with --update in a service"
        raise ScaffoldError(msg)
    answers = Answers(package=package, stage=stage.name)
    destination.mkdir(parents=True)
    try:
        render(stage, destination, answers)
        _git(destination, "init", "--quiet", "--initial-branch", "main")
        _commit(
            destination, f"Start {package} from stage {stage.name} of the FastAPI structure guide"
        )
        _git(destination, "branch", BRANCH)
    except BaseException:
        shutil.rmtree(destination, ignore_errors=True)
        raise
    return f"made {destination} from {stage.name}, package {package}, settings {answers.prefix}*"


def update(service: Path, *, examples: Path = EXAMPLES) -> str:
    """Merge what the service's stage changed since its last render; return what was done.

    Raises:
        ScaffoldError: `service` is not a scaffolded service, it has uncommitted changes, or
            the merge left conflicts (they are in the working tree, to resolve and commit).

    """
    answers = _read_answers(service)
    stage = find_stage(answers.stage, examples)
    if _git(service, "status", "--porcelain").strip():
        msg = f"{service} has uncommitted changes: commit or stash them, then update"
        raise ScaffoldError(msg)
    with tempfile.TemporaryDirectory(prefix="scaffold-") as scratch:
        rendered = Path(scratch) / "rendered"
        _git(service, "worktree", "add", "--quiet", str(rendered), BRANCH)
        try:
            _git(rendered, "rm", "-r", "--quiet", ".")
            render(stage, rendered, answers)
            _git(rendered, "add", "--all")
            changed = _git(rendered, "status", "--porcelain").strip()
            if changed:
                _commit(rendered, f"The guide's stage {stage.name}, rendered again")
        finally:
            _git(service, "worktree", "remove", "--force", str(rendered))
    if not changed:
        return f"{service}: stage {stage.name} has not changed since the last render"
    merged = _run_git(service, "merge", "--no-edit", BRANCH)
    if merged.returncode != 0:
        conflicts = _git(service, "diff", "--name-only", "--diff-filter=U").split()
        msg = (
            f"the stage's changes conflict with yours in {', '.join(conflicts) or 'some files'}:"
            " resolve them, then `git commit`"
        )
        raise ScaffoldError(msg)
    return f"{service}: merged the changes of stage {stage.name}"


def _read_answers(service: Path) -> Answers:
    try:
        data = tomllib.loads((service / ANSWERS).read_text(encoding="utf-8"))
        answers = Answers(package=str(data["package"]), stage=str(data["stage"]))
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        msg = f"{service}: no readable {ANSWERS}; is it a service that scaffold made?"
        raise ScaffoldError(msg) from None
    check_package(answers.package)
    return answers


def _commit(repository: Path, message: str) -> None:
    _git(repository, "add", "--all")
    _git(repository, "commit", "--quiet", "--no-verify", "--message", message)


# A commit needs a name: the reader's own when git has one, else a stand-in.
_IDENTITY = {
    "GIT_AUTHOR_NAME": "scaffold",
    "GIT_AUTHOR_EMAIL": "scaffold@localhost",
    "GIT_COMMITTER_NAME": "scaffold",
    "GIT_COMMITTER_EMAIL": "scaffold@localhost",
}


@cache
def _git_environment() -> dict[str, str]:
    # Asked once: the reader's global identity does not change while the command runs.
    configured = subprocess.run(
        ["git", "config", "--global", "user.email"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    return dict(os.environ) if configured.stdout.strip() else dict(os.environ) | _IDENTITY


def _run_git(cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return process.run(["git", *arguments], cwd=cwd, env=_git_environment())


def _git(cwd: Path, *arguments: str) -> str:
    result = _run_git(cwd, *arguments)
    if result.returncode != 0:
        msg = f"git {' '.join(arguments)} failed in {cwd}: {result.stderr.strip()}"
        raise ScaffoldError(msg)
    return result.stdout


def parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    commands = argparse.ArgumentParser(prog="scaffold", description=__doc__.splitlines()[0])
    commands.add_argument("destination", type=Path, help="the new service's folder")
    commands.add_argument("--package", help="the service's package name, e.g. acme_api")
    commands.add_argument("--stage", help="the stage to start from, e.g. 04 (default: the last)")
    commands.add_argument(
        "--update", action="store_true", help="merge the stage's later changes into the service"
    )
    return commands


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; print what was done, or why not. Returns the exit status."""
    arguments = parser().parse_args(argv)
    try:
        if arguments.update:
            done = update(arguments.destination)
        elif arguments.package is None:
            msg = "--package is needed to make a service (or --update to update one)"
            raise ScaffoldError(msg)
        else:
            stage = find_stage(arguments.stage)
            done = scaffold(arguments.destination, package=arguments.package, stage=stage)
    except ScaffoldError as error:
        print(f"scaffold: {error}", file=sys.stderr)
        return 2
    print(done)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
