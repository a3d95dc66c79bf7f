"""SVG plots for the pages, written so that the same figures always give the same file.

matplotlib stamps a date into an SVG's metadata and draws random ids; both are fixed here
(`metadata={"Date": None}`, `svg.hashsalt`), and text stays text (`svg.fonttype: none`), so a
re-run on the same numbers leaves the file unchanged and a diff shows only what moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.case import Document

BASELINE_COLOUR = "#9e9e9e"
SUBJECT_COLOUR = "#3f51b5"

# Each plot is drawn twice, on a transparent background: for the light palette and for the dark
# one (`<name>.dark.svg`); a page shows the one that matches (`#only-light`, `#only-dark`).
# Bars are 3:1 or more against the page, text 4.5:1 or more, in both.
THEMES = {
    "light": {
        "ink": "#212121",
        "grid": "#9e9e9e",
        "bars": {BASELINE_COLOUR: "#757575", SUBJECT_COLOUR: "#3f51b5"},
    },
    "dark": {
        "ink": "#e0e0e0",
        "grid": "#757575",
        "bars": {BASELINE_COLOUR: "#bdbdbd", SUBJECT_COLOUR: "#8c9eff"},
    },
}
# 11 pt is 14.7 px at the plot's own size; a page never shows a plot smaller than that width
# minus a sixth (on a phone it scrolls sideways instead), so labels stay 12 px or more.
FONT_PT = 11


def dark_variant(path: Path) -> Path:
    """Where the dark palette's version of a plot goes: `cache.svg` -> `cache.dark.svg`."""
    return path.with_name(f"{path.stem}.dark{path.suffix}")


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
    """Draw horizontal bars, one per label, each with its value written beside it.

    Writes `path` for the light palette and `dark_variant(path)` for the dark one. A linear axis
    starts at zero; a log axis says so, and why, in its label.
    """
    if log_scale:
        spread = f"the values span {max(values) / min(values):,.0f} times"
        axis_label += f" ({spread})" if "log scale" in axis_label else f"; log scale: {spread}"
    for theme, file in (("light", path), ("dark", dark_variant(path))):
        _draw(
            file,
            THEMES[theme],
            labels=labels,
            values=values,
            colours=colours,
            title=title,
            axis_label=axis_label,
            value_labels=value_labels,
            log_scale=log_scale,
        )


def _draw(
    path: Path,
    theme: dict[str, Any],
    *,
    labels: Sequence[str],
    values: Sequence[float],
    colours: Sequence[str],
    title: str,
    axis_label: str,
    value_labels: Sequence[str],
    log_scale: bool,
) -> None:
    """Draw one variant of a bar chart (see `bar_chart`)."""
    # Imported here: matplotlib takes a while to load, and `--check` draws nothing.
    import matplotlib as mpl
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    mpl.use("Agg")  # no display: the runner draws files only
    ink = theme["ink"]
    with mpl.rc_context(
        {
            "svg.hashsalt": "fastapi-structure-guide-benchmarks",
            "svg.fonttype": "none",
            "font.size": FONT_PT,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "text.color": ink,
            "axes.labelcolor": ink,
            "axes.edgecolor": theme["grid"],
            "xtick.color": ink,
            "ytick.color": ink,
        }
    ):
        figure = Figure(figsize=(8, 0.6 * len(labels) + 1.7), layout="constrained")
        axes = figure.add_subplot()
        positions = list(range(len(labels)))
        axes.barh(positions, values, color=[theme["bars"].get(c, c) for c in colours])
        # Labels come from the Markdown tables; backticks mean nothing in a plot.
        axes.set_yticks(positions, labels=[label.replace("`", "") for label in labels])
        axes.invert_yaxis()  # the first label on top, as in the table
        if log_scale:
            axes.set_xscale("log")
            # Plain numbers (1, 10, 100): powers of ten would print their exponents smaller.
            axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        else:
            axes.set_xlim(left=0)
        # Room on the right for the value written after the longest bar.
        axes.set_xlim(right=max(values) * (200 if log_scale else 1.5))
        axes.set_facecolor("none")
        for position, value, text in zip(positions, values, value_labels, strict=True):
            axes.annotate(
                text, (value, position), xytext=(4, 0), textcoords="offset points", va="center"
            )
        axes.set_xlabel(axis_label)
        figure.suptitle(title.replace("`", ""), x=0.01, ha="left")
        figure.savefig(path, format="svg", metadata={"Date": None}, transparent=True)


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
