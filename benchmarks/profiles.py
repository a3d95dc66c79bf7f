"""The table and the plot of a profile case: each app's CPU per request, split between parts.

`edge_profile` and `list_profile` profile two apps each, in one process per app, and report
the same figures: `apps`, a mapping from each app's label to its `cpu_us` per request and the
`shares` of that time that each part of the code took. The first app is the one the others
are compared with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks.case import Document, format_ratio
from benchmarks.plots import bar_chart


def microseconds(value: float) -> str:
    """Show a time in whole microseconds: `1,234 µs`."""
    return f"{value:,.0f} µs"


def profile_rows(apps: Mapping[str, Any], parts: Sequence[str], ratio: str) -> list[str]:
    """Return a Markdown table, a row per app: its CPU, the first app's over it, its parts.

    `ratio` heads the column of the first app's CPU over each app's.
    """
    first = next(iter(apps.values()))["cpu_us"]
    header = f"| app | CPU per request | {ratio} | " + " | ".join(parts) + " |"
    lines = [header, "|:--|--:|--:|" + "--:|" * len(parts)]
    for label, app in apps.items():
        cpu = app["cpu_us"]
        split = [microseconds(cpu * app["shares"].get(part, 0.0)) for part in parts]
        cells = [label, microseconds(cpu), format_ratio(first / cpu), *split]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def plot_cpu(
    document: Document, path: Path, *, colours: Sequence[str], title: str, axis_label: str
) -> None:
    """Draw each app's CPU per request."""
    apps = document["figures"]["apps"]
    labels = list(apps)
    values = [apps[label]["cpu_us"] for label in labels]
    bar_chart(
        path,
        labels=labels,
        values=values,
        colours=colours,
        title=title,
        axis_label=axis_label,
        value_labels=[microseconds(value) for value in values],
    )
