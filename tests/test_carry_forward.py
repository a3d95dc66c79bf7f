"""`scripts/carry_forward.py` carries a stage's change into the later stages, in a throwaway git
repository with three small stages: copied, merged, conflicting, added and deleted files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from guide_kit import carry as carry_forward
from guide_kit.stage import stage_dirs

STAGES = ("01-one", "02-two", "03-three")
BASE = "line 1\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\n"


def git(repo: Path, *args: str) -> str:
    """Run git in the throwaway repository."""
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def write(path: Path, text: str) -> None:
    """Write a file, making its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three stages, committed. Stage 03 changed `app.py` far from line 2 and `shared.py` at
    line 1, and `gone.py` for its own lesson; every other file is the same in every stage."""
    for variable, value in {
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Guide",
        "GIT_AUTHOR_EMAIL": "guide@example.org",
        "GIT_COMMITTER_NAME": "Guide",
        "GIT_COMMITTER_EMAIL": "guide@example.org",
    }.items():
        monkeypatch.setenv(variable, value)
    examples = tmp_path / "examples"
    for stage in STAGES:
        for name in ("app.py", "shared.py", "gone.py", "uv.lock"):
            write(examples / stage / name, BASE)
    write(examples / "03-three" / "app.py", BASE.replace("line 7", "line 7, stage 03"))
    write(examples / "03-three" / "shared.py", BASE.replace("line 1", "line 1, stage 03"))
    write(examples / "03-three" / "gone.py", BASE + "stage 03's own line\n")
    git(tmp_path, "init", "--quiet", "--initial-branch=main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "--quiet", "-m", "three stages")
    # The script works on the repository it lives in: point it at this one.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(carry_forward, "ROOT", tmp_path)
    monkeypatch.setattr(carry_forward, "stage_dirs", lambda: stage_dirs(examples))
    return tmp_path


def change_stage_one(repo: Path) -> None:
    """A fix in stage 01: line 2 of app.py, line 1 of shared.py; a new file; a deleted file."""
    one = repo / "examples" / "01-one"
    write(one / "app.py", BASE.replace("line 2", "line 2, fixed"))
    write(one / "shared.py", BASE.replace("line 1", "line 1, fixed"))
    write(one / "new.py", "a new helper\n")
    write(one / "uv.lock", "a lock is never carried\n")
    (one / "gone.py").unlink()


def results(output: str) -> dict[str, str]:
    """`stage/file: result` lines of the script's output, as a mapping."""
    return dict(line.rsplit(": ", 1) for line in output.splitlines() if line.startswith("0"))


def test_an_uncommitted_fix_reaches_every_later_stage(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change_stage_one(repo)

    code = carry_forward.main([str(repo / "examples" / "01-one")])

    output = capsys.readouterr().out
    assert code == 1  # a conflict and a kept file need a person
    assert results(output) == {
        "02-two/app.py": "copied",
        "02-two/gone.py": "deleted",
        "02-two/new.py": "added",
        "02-two/shared.py": "copied",
        "03-three/app.py": "merged",
        "03-three/gone.py": "kept",
        "03-three/new.py": "added",
        "03-three/shared.py": "conflict",
    }
    two, three = repo / "examples" / "02-two", repo / "examples" / "03-three"
    assert (two / "app.py").read_text() == BASE.replace("line 2", "line 2, fixed")
    assert not (two / "gone.py").exists()
    assert (two / "uv.lock").read_text() == BASE
    merged = (three / "app.py").read_text()
    assert "line 2, fixed" in merged
    assert "line 7, stage 03" in merged
    conflict = (three / "shared.py").read_text()
    assert (
        "<<<<<<< later stage\nline 1, stage 03\n=======\nline 1, fixed\n>>>>>>> change" in conflict
    )
    assert (three / "new.py").read_text() == "a new helper\n"
    assert (three / "gone.py").is_file()
    assert "2 file(s) need a person" in output


def test_a_committed_fix_reaches_the_stages_up_to_to(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change_stage_one(repo)
    git(repo, "add", "examples/01-one")
    git(repo, "commit", "--quiet", "-m", "fix stage 01")

    code = carry_forward.main(["examples/01-one", "--since", "HEAD~1", "--to", "02-two"])

    assert code == 0
    assert results(capsys.readouterr().out) == {
        "02-two/app.py": "copied",
        "02-two/gone.py": "deleted",
        "02-two/new.py": "added",
        "02-two/shared.py": "copied",
    }
    assert (repo / "examples" / "03-three" / "app.py").read_text() == BASE.replace(
        "line 7", "line 7, stage 03"
    )
    assert git(repo, "status", "--short", "examples/03-three") == ""


def test_a_dry_run_changes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    change_stage_one(repo)

    carry_forward.main([str(repo / "examples" / "01-one"), "--dry-run"])

    assert results(capsys.readouterr().out)["03-three/new.py"] == "would add"
    assert git(repo, "status", "--short", "examples/02-two", "examples/03-three") == ""
