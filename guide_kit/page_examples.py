"""Running one of the guide's inline examples, with an error it raises reported plainly."""

from __future__ import annotations

import traceback
from typing import Any

import pytest


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
