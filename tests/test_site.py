"""The guide builds with `mkdocs build --strict`: no broken link, include or section."""

from __future__ import annotations

from pathlib import Path

from kit import run_tool


def test_strict_build(tmp_path: Path) -> None:
    result = run_tool("mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site"))

    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "stages" / "01-hello" / "index.html").is_file()
    # mkdocstrings rendered the reference from the stage's docstrings.
    services = (tmp_path / "site" / "reference" / "services" / "index.html").read_text()
    assert 'id="fast_api_template.services.projects.ProjectService.create"' in services
