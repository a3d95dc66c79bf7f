"""The diffs that stage pages show are the diffs between the stages as they are now."""

from __future__ import annotations

from pathlib import Path

from guide_kit.diffs import diff_page_path, expected_outputs, render, written_outputs
from guide_kit.stage import is_lesson_file, stage_dirs


def test_written_diffs_match_the_stages() -> None:
    expected = expected_outputs()
    written = written_outputs()

    stale = sorted(
        name for name in expected.keys() | written.keys() if expected.get(name) != written.get(name)
    )
    assert stale == [], f"stale stage diffs {stale}: run `uv run python scripts/py`"


def test_a_stage_diff_shows_what_changed() -> None:
    previous = {"app.py": "a = 1\n", "gone.py": "x = 1\n"}
    current = {"app.py": "a = 2\n", "new.py": "b = 1\n"}

    diff, table = render(previous, current)

    assert "-a = 1\n+a = 2\n" in diff
    assert "+++ b/new.py" in diff
    assert "--- a/gone.py" in diff
    assert "| `app.py` | changed | +1 -1 |" in table
    assert "| `gone.py` | removed | +0 -1 |" in table


def test_what_a_run_leaves_in_a_stage_is_not_part_of_its_lesson() -> None:
    leftovers = [".coverage", ".coverage.host.1234.XyZ", "htmlcov/index.html", "app.db"]

    assert [path for path in leftovers if is_lesson_file(Path(path))] == []
    assert is_lesson_file(Path("tests/test_coverage.py"))


def test_each_stage_diff_has_a_page_of_its_own_out_of_the_search_index() -> None:
    """The stage page links to it; the diff would otherwise weigh up to a megabyte there."""
    outputs = expected_outputs()
    stages = stage_dirs()
    for previous, stage in zip([None, *stages], stages, strict=False):
        page = outputs[diff_page_path(stage.name)]
        assert page.startswith("---\n")
        assert "search:\n  exclude: true\n" in page
        assert f'--8<-- "docs/stages/diffs/{stage.name}.diff"' in page
        assert f"](../../{stage.name}.md)" in page
        if previous is not None:
            assert f"the full diff from stage {previous.name[:2]}" in page
