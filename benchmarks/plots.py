"""SVG plots for the pages, written so that the same figures always give the same file.

matplotlib stamps a date into an SVG's metadata and draws random ids; both are fixed here
(`metadata={"Date": None}`, `svg.hashsalt`), and text stays text (`svg.fonttype: none`), so a
re-run on the same numbers leaves the file unchanged and a diff shows only what moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from benchmarks.case import Document

BASELINE_COLOUR = "#9e9e9e"
SUBJECT_COLOUR = "#3f51b5"


def bar_chart(
    path: Path,
    *,
    labels: Sequence[str],
    values: Sequence[float],
    colours: Sequence[str],
    title: str,
    axis_label: str,
    value_labels: Sequence[str],
    log_scale: bool = False,
) -> None:
    """Draw horizontal bars, one per label, each with its value written beside it."""
    # Imported here: matplotlib takes a while to load, and `--check` draws nothing.
    import matplotlib as mpl
    from matplotlib.figure import Figure

    mpl.use("Agg")  # no display: the runner draws files only
    with mpl.rc_context(
        {
            "svg.hashsalt": "fastapi-structure-guide-benchmarks",
            "svg.fonttype": "none",
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    ):
        figure = Figure(figsize=(8, 0.55 * len(labels) + 1.5), layout="constrained")
        axes = figure.add_subplot()
        positions = list(range(len(labels)))
        axes.barh(positions, values, color=list(colours))
        # Labels come from the Markdown tables; backticks mean nothing in a plot.
        axes.set_yticks(positions, labels=[label.replace("`", "") for label in labels])
        axes.invert_yaxis()  # the first label on top, as in the table
        if log_scale:
            axes.set_xscale("log")
        # Room on the right for the value written after the longest bar.
        axes.set_xlim(right=max(values) * (200 if log_scale else 1.45))
        for position, value, text in zip(positions, values, value_labels, strict=True):
            axes.annotate(
                text, (value, position), xytext=(4, 0), textcoords="offset points", va="center"
            )
        axes.set_xlabel(axis_label)
        figure.suptitle(title.replace("`", ""), x=0.01, ha="left")
        figure.savefig(path, format="svg", metadata={"Date": None})


def comparison_plot(document: Document, path: Path) -> None:
    """Draw a comparison: both sides' median of the headline metric, and the ratio in the title."""
    figures = document["figures"]
    metric = figures["metric"]
    sides = [figures["baseline"], figures["subject"]]
    values = [side["median"][metric] for side in sides]
    per_second = metric == "requests_per_second"
    bar_chart(
        path,
        labels=[side["label"] for side in sides],
        values=values,
        colours=[BASELINE_COLOUR, SUBJECT_COLOUR],
        title=f"{document['title']}: {figures['ratio_label']} = {document['headline']}",
        axis_label=(
            "requests/s, median of the rounds (this machine)"
            if per_second
            else f"{metric.removesuffix('_ms')} latency in ms, median of the rounds (this machine)"
        ),
        value_labels=[f"{value:,.0f}" if per_second else f"{value:.2f} ms" for value in values],
    )
