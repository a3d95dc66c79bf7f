"""What a benchmark case is: what it needs, how it runs, how its results are shown.

A case measures in its own module in `benchmarks/cases/` (its `run`) and is declared, with its
question and target, in the registry, `benchmarks/cases/__init__.py`. Most cases compare two
targets with `load.compare` and return `ratio_outcome(...)`; they then get the standard table
and plot for free.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks import APPS
from benchmarks.load import Comparison, LoadSettings

if TYPE_CHECKING:
    from benchmarks.context import RunContext
    from benchmarks.stages import Stage

Document = Mapping[str, Any]
"""A case's results as written to `benchmarks/results/<case>.json`."""


@dataclass(frozen=True)
class Outcome:
    """What a case measured, before the runner adds the machine's facts and fingerprints."""

    headline: str  # the figure a summary shows, e.g. "0.46x"
    figures: dict[str, Any]
    ratio: float | None = None
    meets_target: bool | None = None
    notes: tuple[str, ...] = ()
    # The load it applied, when not the run's (fewer connections, say): the results say so.
    load: LoadSettings | None = None


@dataclass(frozen=True)
class Case:
    """A benchmark: a question, the routes the stage must serve, and how to answer it.

    Attributes:
        name: Command-line name, and the name of its results files.
        title: A heading for its table.
        question: What it answers, in one sentence.
        target: What the guide aims for, as the table states it.
        routes: "METHOD /path" of every route the stage must serve; the newest stage that
            serves them all is measured.
        run: Measures, given the run's context and the prepared stage.
        apps: Single-file apps under `benchmarks/apps/` that the case runs.
        table: Renders the results document as Markdown; by default the table of a
            comparison (`report.comparison_table`).
        plot: Draws the results document as an SVG file; by default the plot of a
            comparison (`plots.comparison_plot`).
        in_smoke: Whether `--smoke` runs it.

    """

    name: str
    title: str
    question: str
    target: str
    routes: tuple[str, ...]
    run: Callable[[RunContext, Stage], Outcome]
    apps: tuple[str, ...] = ()
    table: Callable[[Document], str] | None = None
    plot: Callable[[Document, Path], None] | None = None
    in_smoke: bool = False

    def render(self, document: Document) -> str:
        """Return the results document as the Markdown table that the pages include."""
        if self.table is not None:
            return self.table(document)
        # Imported here: the report module imports this one.
        from benchmarks.report import comparison_table

        return comparison_table(document)

    def draw(self, document: Document, path: Path) -> None:
        """Draw the results document as the SVG plot that the pages show."""
        if self.plot is not None:
            self.plot(document, path)
            return
        # Imported here: the plots module imports this one.
        from benchmarks.plots import comparison_plot

        comparison_plot(document, path)

    @property
    def sources(self) -> list[Path]:
        """Return the files specific to this case: its module and its single-file apps."""
        module = sys.modules[self.run.__module__].__file__
        if module is None:
            msg = f"the module of case {self.name} has no file"
            raise RuntimeError(msg)
        return [Path(module), *(APPS / f"{app}.py" for app in self.apps)]


def ratio_outcome(
    comparison: Comparison,
    *,
    label: str,
    metric: str = "requests_per_second",
    minimum: float | None = None,
    notes: tuple[str, ...] = (),
    extra: Mapping[str, Any] | None = None,
    load: LoadSettings | None = None,
) -> Outcome:
    """Turn a comparison into an outcome whose headline is subject / baseline of `metric`.

    Args:
        comparison: The two sides, measured round by round.
        label: What the ratio is, e.g. "stage / bare".
        metric: The `Sample` field whose ratio is the headline.
        minimum: The target: the least ratio that meets it, if there is one.
        notes: Caveats to print under the table.
        extra: More figures for the results document.
        load: The load that the comparison applied, when it was not the run's.

    """
    ratio = comparison.ratio(metric)
    figures = {
        "metric": metric,
        "ratio_label": label,
        "baseline": comparison.baseline.as_dict(),
        "subject": comparison.subject.as_dict(),
        "ratio": round(ratio, 4),
        "round_ratios": [round(value, 4) for value in comparison.round_ratios(metric)],
        **(extra or {}),
    }
    return Outcome(
        headline=format_ratio(ratio),
        figures=figures,
        ratio=round(ratio, 4),
        meets_target=None if minimum is None else round(ratio, 2) >= minimum,
        notes=notes,
        load=load,
    )


def format_ratio(ratio: float) -> str:
    """Write a ratio as the tables print it, e.g. `0.46x`."""
    return f"{ratio:.2f}x"
