"""The scaffold command: a stage becomes a reader's own service, and takes the stage's fixes later.

Rendering every stage is cheap (no environment, no git), so every stage is checked for
leftovers of the guide's names and markers. The update is checked on a small repository made
here, whose stage changes after the scaffold, as a fix to the guide would.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from guide_kit.scaffold import (
    ANSWERS,
    Answers,
    ScaffoldError,
    find_stage,
    main,
    render,
    scaffold,
    update,
    without_markers,
)
from guide_kit.stage import stage_dirs

LEFTOVERS = re.compile(r"fast_api_template|FAST_API_TEMPLATE_|fast-api-template|--8<--")


def git(repository: Path, *arguments: str) -> str:
    """Run git in `repository` with a fixed identity; return what it printed."""
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    result = subprocess.run(
        ["git", *identity, *arguments],
        cwd=repository,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.mark.parametrize("stage", stage_dirs(), ids=lambda stage: stage.name)
def test_a_rendered_stage_keeps_nothing_of_the_guides_names(stage: Path, tmp_path: Path) -> None:
    render(stage, tmp_path, Answers(package="acme_api", stage=stage.name))

    found = [
        f"{path.relative_to(tmp_path)}:{number}: {line.strip()}"
        for path in sorted(tmp_path.rglob("*"))
        if path.is_file()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if LEFTOVERS.search(line)
    ]
    assert found == []
    assert (tmp_path / "acme_api" / "__init__.py").is_file()
    assert (tmp_path / "README.md").read_text(encoding="utf-8").startswith("# acme_api\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "a\n\n\n# --8<-- [end:x]\n\n\n# --8<-- [start:y]\nb\n", "a\n\n\nb\n", id="gap"
        ),
        pytest.param(
            "a\n\n    # --8<-- [start:y]\n    def f(): ...\n",
            "a\n\n    def f(): ...\n",
            id="indented",
        ),
        pytest.param("a\n\n# --8<-- [end:x]\n", "a\n", id="at-the-end"),
        pytest.param("<!-- --8<-- [start:x] -->\na\n", "a\n", id="markdown"),
        pytest.param("a\n\n\nb\n", "a\n\n\nb\n", id="no-marker"),
        pytest.param('--8<-- "a/file.py:name"\n', '--8<-- "a/file.py:name"\n', id="an-include"),
    ],
)
def test_markers_go_and_the_layout_stays(text: str, expected: str) -> None:
    assert without_markers(text) == expected


@pytest.mark.parametrize(
    ("package", "reason"),
    [
        ("acme-api", "lower-case Python identifier"),
        ("AcmeApi", "lower-case Python identifier"),
        ("1api", "lower-case Python identifier"),
        ("class", "keyword"),
        ("json", "already the name of a module"),
    ],
)
def test_a_bad_name_is_a_clear_error_and_writes_nothing(
    package: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    destination = tmp_path / "service"

    assert main([str(destination), "--package", package, "--stage", "01"]) == 2

    assert reason in capsys.readouterr().err
    assert not destination.exists()


def test_an_existing_folder_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("my work\n", encoding="utf-8")

    with pytest.raises(ScaffoldError, match="exists"):
        scaffold(tmp_path, package="acme_api", stage=find_stage("01"))
    assert [path.name for path in tmp_path.iterdir()] == ["mine.txt"]


def test_an_unknown_stage_names_the_ones_there_are() -> None:
    with pytest.raises(ScaffoldError, match="01-hello"):
        find_stage("99")


@pytest.fixture
def guide(tmp_path: Path) -> Path:
    """A repository laid out as the guide is, with one stage: stage 01, copied from git."""
    root = tmp_path / "guide"
    stage = root / "examples" / "01-hello"
    stage.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "HEAD", "examples/01-hello"],
        cwd=find_stage("01").parents[1],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(
        ["tar", "-x", "--strip-components=2", "-C", str(stage)],
        input=archive,
        check=True,
    )
    git(root, "init", "--quiet")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", "The guide")
    return root


def test_a_fix_to_the_stage_reaches_the_service(guide: Path, tmp_path: Path) -> None:
    stage = guide / "examples" / "01-hello"
    service = tmp_path / "service"
    scaffold(service, package="acme_api", stage=stage)
    # The reader's own work, committed.
    readme = service / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nOur notes.\n", encoding="utf-8")
    git(service, "commit", "--quiet", "--all", "--message", "Our notes")
    # The guide fixes the stage.
    app = stage / "fast_api_template" / "app.py"
    app.write_text(app.read_text(encoding="utf-8") + "\n# A fix of the guide.\n", encoding="utf-8")
    git(guide, "commit", "--quiet", "--all", "--message", "A fix")

    done = update(service, examples=guide / "examples")

    assert done.endswith("merged the changes of stage 01-hello")
    assert (
        (service / "acme_api" / "app.py")
        .read_text(encoding="utf-8")
        .endswith("# A fix of the guide.\n")
    )
    assert readme.read_text(encoding="utf-8").endswith("Our notes.\n")
    assert git(service, "status", "--porcelain") == ""
    assert (service / ANSWERS).is_file()


def test_a_fix_that_meets_the_readers_change_is_a_conflict_to_resolve(
    guide: Path, tmp_path: Path
) -> None:
    stage = guide / "examples" / "01-hello"
    service = tmp_path / "service"
    scaffold(service, package="acme_api", stage=stage)
    ours = service / "acme_api" / "app.py"
    ours.write_text(ours.read_text(encoding="utf-8") + "# ours\n", encoding="utf-8")
    git(service, "commit", "--quiet", "--all", "--message", "Ours")
    theirs = stage / "fast_api_template" / "app.py"
    theirs.write_text(theirs.read_text(encoding="utf-8") + "# theirs\n", encoding="utf-8")
    git(guide, "commit", "--quiet", "--all", "--message", "Theirs")

    with pytest.raises(ScaffoldError, match=r"acme_api/app\.py"):
        update(service, examples=guide / "examples")
    assert "<<<<<<<" in ours.read_text(encoding="utf-8")


def test_an_update_waits_for_a_clean_tree(guide: Path, tmp_path: Path) -> None:
    service = tmp_path / "service"
    scaffold(service, package="acme_api", stage=guide / "examples" / "01-hello")
    (service / "scratch.py").write_text("x = 1\n", encoding="utf-8")

    with pytest.raises(ScaffoldError, match="uncommitted changes"):
        update(service, examples=guide / "examples")
