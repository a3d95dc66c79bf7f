"""The service's own docs: the operations page lists every setting as the code defines it."""

import re
from pathlib import Path

import pytest
from service_docs import END, OPERATIONS_PAGE, START, rendered

STAGE_ROOT = Path(__file__).resolve().parents[1]
VARIABLE_ROW = re.compile(r"^\| `(FAST_API_TEMPLATE_\w+)` \|", re.MULTILINE)
VARIABLE_LINE = re.compile(r"^# (FAST_API_TEMPLATE_\w+)=", re.MULTILINE)


# --8<-- [start:stale]
def test_the_operations_page_says_what_the_settings_say() -> None:
    page = OPERATIONS_PAGE.read_text(encoding="utf-8")

    assert page == rendered(page), "stale: run `uv run python tests/service_docs.py`"


# --8<-- [end:stale]


def test_the_operations_page_and_env_example_list_the_same_settings() -> None:
    # .env.example is checked against the settings in test_config.py.
    page = OPERATIONS_PAGE.read_text(encoding="utf-8")
    example = (STAGE_ROOT / ".env.example").read_text(encoding="utf-8")

    assert sorted(VARIABLE_ROW.findall(page)) == sorted(VARIABLE_LINE.findall(example))


def test_a_stale_reference_is_written_anew() -> None:
    page = OPERATIONS_PAGE.read_text(encoding="utf-8")
    stale = re.sub(r"^\| `FAST_API_TEMPLATE_APP__NAME` .*\n", "", page, flags=re.MULTILINE)

    assert stale != page
    assert rendered(stale) == rendered(page)


def test_a_page_without_its_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="lacks the markers"):
        rendered(f"# Operations\n\n{START}\nno end marker, e.g. {END[:-3]}\n")
