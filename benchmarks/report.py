"""Results files: the JSON document of a case, its Markdown table, and the summary table.

Every table is rendered from the JSON document alone, so `--check` can render it again and
prove that the table in the repository is the one the figures give.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks import COMMAND
from benchmarks.case import Document, format_ratio

SUMMARY = "summary"
_COLUMNS = (
    ("requests_per_second", "requests/s"),
    ("p50_ms", "p50 latency"),
    ("p99_ms", "p99 latency"),
)


def write_json(document: Document, path: Path) -> None:
    """Write a results document, stable in layout so that diffs show what moved."""
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_documents(results: Path) -> dict[str, dict[str, Any]]:
    """Read every case's results document in `results`, by case name."""
    documents = {}
    for path in sorted(results.glob("*.json")):
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        documents[path.stem] = document
    return documents


def format_figure(value: float, unit: str) -> str:
    """Write a measured value as the tables print it: `12,345 requests/s`, `3.2 ms`."""
    if unit == "requests/s":
        return f"{value:,.0f}"
    if unit == "ms":
        return f"{value:.2f} ms" if value < 10 else f"{value:,.1f} ms"
    return f"{value:g} {unit}"


def _unit(metric: str) -> str:
    return "requests/s" if metric == "requests_per_second" else "ms"


def comparison_table(document: Document) -> str:
    """Render a two-sided comparison: both sides' medians, then the ratio under its metric."""
    figures = document["figures"]
    metric = figures["metric"]
    header = "| setup | " + " | ".join(title for _, title in _COLUMNS) + " |"
    lines = [header, "|:--|" + "--:|" * len(_COLUMNS)]
    for side in ("baseline", "subject"):
        medians = figures[side]["median"]
        cells = [format_figure(medians[name], _unit(name)) for name, _ in _COLUMNS]
        lines.append(f"| {figures[side]['label']} | " + " | ".join(cells) + " |")
    ratio_cells = [f"**{document['headline']}**" if name == metric else "" for name, _ in _COLUMNS]
    lines.append(f"| **{figures['ratio_label']}** | " + " | ".join(ratio_cells) + " |")
    rounds = ", ".join(format_ratio(value) for value in figures["round_ratios"])
    text = "\n".join(lines)
    text += (
        f"\n\nTarget: {document['target']}. The ratio is the median of the rounds' ratios,"
        f" which were {rounds}; the figures above are each side's median over the rounds."
    )
    return text + "\n" + notes_and_footer(document)


def notes_and_footer(document: Document) -> str:
    """Render a case's caveats and the facts of the machine and run that measured it."""
    parts = [f"\n{note}\n" for note in document.get("notes", [])]
    machine, setup, stage = document["machine"], document["setup"], document["stage"]
    libraries = ", ".join(
        f"{name} {version}" for name, version in stage["libraries"].items() if version
    )
    parts.append(
        f"\n<small>Measured on {machine['date'][:10]} at commit `{machine['git_commit'][:10]}`"
        f"{' (with local changes)' if machine['git_dirty'] else ''} by "
        f"`{document['command']}`, on this machine: {machine['cpu_model']}, "
        f"{machine['cpu_count']} CPUs, {machine['system']}; Python {stage['python']}; "
        f"{setup['database']}; {setup['redis']}. Load: {setup['load']}. The machine's"
        f" one-minute load average, which counts this case's own servers and load generator"
        f" too: {setup['load_average']['before']:.1f} before, "
        f"{setup['load_average']['after']:.1f} after. "
        f"CPUs: {setup['cpus']}. Stage `{stage['name']}` runs in {stage['environment']} "
        f"({libraries}), with {setup['stage_settings']}. Absolute figures are this machine's"
        " and move from day to day; the ratio, measured side by side, is what carries over."
        "</small>\n"
    )
    return "".join(parts)


def summary_table(documents: Mapping[str, Document]) -> str:
    """Render one line per case: what it measured, on which stage, and against which target."""
    lines = [
        "| benchmark | stage | measured | target | met |",
        "|:--|:--|--:|:--|:--|",
    ]
    for name, document in documents.items():
        met = {True: "yes", False: "no", None: "-"}[document["meets_target"]]
        lines.append(
            f"| {document['title']} (`{name}`) | `{document['stage']['name']}` | "
            f"{document['headline']} | {document['target']} | {met} |"
        )
    dates = sorted({document["machine"]["date"][:10] for document in documents.values()})
    return (
        "\n".join(lines)
        + f"\n\n<small>Measured on {', '.join(dates)} by `{COMMAND}`; each benchmark's own"
        " table gives its absolute figures and the machine.</small>\n"
    )
