"""The benchmarks: the runner runs, the guide states no speed figure that no run measured, and
the results in the repository are those of this checkout's benchmark code.

Benchmarks are never timed here: the suite smoke-runs the runner for a second or two, and
checks the rest statically.

**What counts as a speed figure.** A number typed in a page's prose (not in a code block or
a code span) followed by:

- `x` or the multiplication sign, a ratio (`0.46x`);
- a time below the second, `ms`, `µs` or `ns` (`3.2 ms`);
- a rate, `req/s`, `requests/s`, `requests per second` or `rps`;
- `%`, or `s` and `seconds`, on a line that speaks of speed (faster, slower, latency,
  throughput, overhead, takes, took, costs...): `20% faster`, `takes 3 s`.

Status codes (`413`), counts (`2 cores`, `100 tasks`), sizes (`1 MiB`) and versions are not
figures. A setting's value is written as code (`ready_timeout = 2.0`), and then is not one
either: a timeout is a choice, not a measurement. Generated pages (the stage diffs) are skipped,
and so are the results that a page includes, which live under `benchmarks/results/`.

**The rule.** A figure passes when a Markdown table under `benchmarks/results/` prints the same
number, with the same unit where the table prints one (ratios and times carry theirs; rates sit
bare under a `requests/s` heading), so `0.46x` passes only while a table says `0.46x`. Better
still, a page includes the table (`--8<-- "benchmarks/results/health.md"`) or the plot
(`docs/assets/benchmarks/health.svg`) and types no figure at all: the figures then change
with each run, and no page goes stale.

**Staleness.** Each results file records a fingerprint of the benchmark code that measured it
(the runner, the case and its single-file apps; docstrings and comments left out) and of the
stage it measured. `python -m benchmarks --check` fails when the benchmark code changed since,
when a table is not what its JSON renders, when a plot is missing, or when the measured stage
is gone. It only *warns* when the stage's files changed since, or when a newer stage exists:
the stages change many times a day for reasons that move no figure (a docstring, a test, a
lock file), and a full run needs PostgreSQL, Redis, wrk and minutes of a quiet machine. A test
that failed on every stage edit would be failing most of the time, for nothing its authors can
fix in their change, and a suite that is always red is one nobody reads. The warnings appear in
the test summary, and each table states the stage and commit it measured.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path

from guide_kit.markdown import CODE_SPAN, mark_fenced
from guide_kit.paths import DOCS, ROOT
from guide_kit.process import run

RESULTS = ROOT / "benchmarks" / "results"
# Pages generated from the stages' files: their numbers are code, and nobody types them.
GENERATED_PAGES = (DOCS / "stages" / "diffs",)
# The stage that the smoke run measures: the first, which starts fastest. The smoke run checks
# the runner, not a stage; the real runs measure the newest stage that serves each case.
SMOKE_STAGE = "01-hello"
MACHINE_FACTS = ("cpu_count", "cpu_model", "python", "date", "git_commit", "load_generator")
SERVICE_FACTS = ("postgresql", "redis", "wrk")

_NUMBER = r"(?<![\w.,])(?P<number>\d[\d,]*(?:\.\d+)?)"
_ALWAYS = re.compile(
    _NUMBER + r"(?:(?P<ratio>x|\s?\u00d7)(?![\w])"
    r"|\s?(?P<time>ms|µs|μs|ns)\b"
    r"|\s?(?P<rate>req/s|requests/s|requests per second|rps)\b)",
    re.IGNORECASE,
)
_NEAR_SPEED_WORDS = re.compile(_NUMBER + r"(?:\s?(?P<percent>%)|\s(?P<seconds>s|seconds?)\b)")
_SPEED_WORDS = re.compile(
    r"\b(faster|slower|quicker|speed\w*|latenc\w+|throughput|overhead|slowdown|takes?|took"
    r"|costs?|per second)\b",
    re.IGNORECASE,
)
_LINK_TARGET = re.compile(r"\]\([^)]*\)|<https?://[^>]*>|<!--.*?-->")


@dataclass(frozen=True)
class Figure:
    """A speed figure typed in a page."""

    path: Path
    line: int
    text: str
    number: str  # without thousands separators
    unit: str  # "x", "ms", "µs", "ns", "%", "" (a rate or seconds: tables print them bare)

    def __str__(self) -> str:
        shown = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{shown}:{self.line}: {self.text!r}"


def prose_lines(path: Path) -> list[tuple[int, str]]:
    """Return a page's lines outside fenced blocks, without code spans, links' targets and
    HTML comments, with their 1-based numbers."""
    text = path.read_text(encoding="utf-8").splitlines()
    return [
        (number, _LINK_TARGET.sub("", CODE_SPAN.sub("", line)))
        for number, (line, is_code) in enumerate(mark_fenced(text), start=1)
        if not is_code
    ]


def speed_figures(path: Path) -> list[Figure]:
    """Find the speed figures typed in a page (see the module's docstring)."""
    figures = []
    for number, line in prose_lines(path):
        matches = list(_ALWAYS.finditer(line))
        if _SPEED_WORDS.search(line):
            matches += _NEAR_SPEED_WORDS.finditer(line)
        for match in matches:
            groups = match.groupdict()
            kind = next((name for name, value in groups.items() if value and name != "number"))
            # Rates and seconds are printed bare in the tables: under a heading, or in prose.
            shown = {"ratio": "x", "time": groups.get("time") or "", "percent": "%"}
            figures.append(
                Figure(
                    path=path,
                    line=number,
                    text=match.group(0).strip(),
                    number=match.group("number").replace(",", ""),
                    unit=shown.get(kind, "").replace("μ", "µ").lower(),
                )
            )
    return figures


def measured(figure: Figure, results_text: str) -> bool:
    """Whether a results table prints this figure's number (with its unit, if it has one)."""
    unit = rf"\s?{re.escape(figure.unit)}" if figure.unit else ""
    pattern = rf"(?<![\d.]){re.escape(figure.number)}{unit}(?![\d])"
    return re.search(pattern, results_text) is not None


def results_text(results: Path) -> str:
    """Return every results table, with thousands separators removed from its numbers."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in sorted(results.glob("*.md")))
    return re.sub(r"(?<=\d),(?=\d{3})", "", text).replace("\u00d7", "x")


def unmeasured_figures(pages: list[Path], results: Path) -> list[Figure]:
    """Return the figures of `pages` that no results table prints."""
    text = results_text(results)
    return [
        figure
        for page in pages
        if not page.is_relative_to(GENERATED_PAGES[0])
        for figure in speed_figures(page)
        if not measured(figure, text)
    ]


# A plot of a case's results, as a page shows it: its description, then its file.
PLOT = re.compile(
    r"!\[(?P<alt>[^\]]*)\]\((?:\.\./)*assets/benchmarks/(?P<case>\w+?)(?:\.dark)?\.svg"
)


def stale_plot_descriptions(pages: list[Path], results: Path) -> list[str]:
    """Return the plots whose description does not state their own case's headline now.

    A description is typed once and read by whoever cannot see the plot; its figure must be
    the one that the plot draws, not merely one that some table prints.
    """
    stale = []
    for page in pages:
        for match in PLOT.finditer(page.read_text(encoding="utf-8")):
            document = json.loads((results / f"{match['case']}.json").read_text(encoding="utf-8"))
            if document["headline"] not in match["alt"]:
                stale.append(
                    f"{page.name}: the plot of `{match['case']}` is described as "
                    f"{match['alt']!r}; its headline is now {document['headline']}"
                )
    return stale


def guide_pages() -> list[Path]:
    """Return the pages whose prose the guard reads: every page of the guide, and the README."""
    pages = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
    return [page for page in pages if not any(page.is_relative_to(g) for g in GENERATED_PAGES)]


def run_benchmarks(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m benchmarks` from the repository's root with this suite's interpreter."""
    return run([sys.executable, "-m", "benchmarks", *args], cwd=ROOT, env=env, timeout=300)


# --- the runner ---------------------------------------------------------------------------------


def test_a_smoke_run_writes_results_with_the_machine_facts(tmp_path: Path) -> None:
    result = run_benchmarks("--smoke", "--stage", SMOKE_STAGE, "--results", str(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads((tmp_path / "health.json").read_text(encoding="utf-8"))
    machine = document["machine"]
    assert all(machine[fact] for fact in MACHINE_FACTS), machine
    assert all(fact in machine for fact in SERVICE_FACTS), machine
    assert document["setup"]["smoke"] is True
    assert document["ratio"] > 0
    assert document["headline"] in (tmp_path / "health.md").read_text(encoding="utf-8")


def test_without_wrk_a_real_run_says_how_to_install_it() -> None:
    # An empty PATH: no wrk to find. The runner must stop before it starts anything.
    result = run_benchmarks("--only", "health", env={**os.environ, "PATH": ""})

    assert result.returncode == 2, result.stdout + result.stderr
    assert "apt-get install wrk" in result.stderr


def test_the_results_are_those_of_this_checkouts_benchmark_code() -> None:
    result = run_benchmarks("--check")

    for line in result.stdout.splitlines():
        if line.startswith("warning: "):
            warnings.warn(line.removeprefix("warning: "), UserWarning, stacklevel=1)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the guard ----------------------------------------------------------------------------------


def test_the_guide_states_no_speed_figure_that_no_run_measured() -> None:
    unmeasured = unmeasured_figures(guide_pages(), RESULTS)

    assert not unmeasured, (
        "speed figures that no table under benchmarks/results/ prints; include the table or "
        "the plot instead, or run `uv run python -m benchmarks`:\n"
        + "\n".join(str(figure) for figure in unmeasured)
    )


def test_each_plot_is_described_with_its_own_headline() -> None:
    stale = stale_plot_descriptions(guide_pages(), RESULTS)

    assert not stale, "\n".join(stale)


def write(directory: Path, name: str, text: str) -> Path:
    """Write a dedented file and return its path."""
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_guard_flags_typed_figures_and_nothing_else(tmp_path: Path) -> None:
    page = write(
        tmp_path,
        "page.md",
        """\
        The stage serves 0.46x the requests of a bare app, at 12.5 ms per request.
        It answers 1,234 requests/s and is 20% faster with a cache; a login takes 3 s.
        A 413 answers a body over 1 MiB; the suite runs on 2 cores with a `ready_timeout` of
        2 s, and `wrk -d 5s` loads it for 5 s. Retries wait `0.5 ms`.
        See [the run](https://example.com/runs/2x) <!-- 9x -->.

        ```text
        3x faster, 9 ms
        ```
        """,
    )
    results = tmp_path / "results"
    results.mkdir()
    write(results, "health.md", "| stage / bare | **0.46x** | 1,234 | 12.50 ms |\n")

    found = {figure.text for figure in speed_figures(page)}
    unmeasured = {figure.text for figure in unmeasured_figures([page], results)}

    assert found == {"0.46x", "12.5 ms", "1,234 requests/s", "20%", "3 s"}
    assert unmeasured == {"12.5 ms", "20%", "3 s"}


def test_a_plot_described_with_another_figure_is_caught(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "health.json").write_text(json.dumps({"headline": "0.59x"}), encoding="utf-8")
    # 0.61x is still printed in the table (as one round's ratio): only the headline counts.
    write(results, "health.md", "| round ratios | 0.61x, 0.59x |\n")
    page = write(
        tmp_path,
        "page.md",
        """\
        ![Requests per second: stage / bare = 0.61x.](../assets/benchmarks/health.svg#only-light)
        ![Requests per second: stage / bare = 0.59x.](../assets/benchmarks/health.dark.svg)
        """,
    )

    stale = stale_plot_descriptions([page], results)

    assert stale == [
        "page.md: the plot of `health` is described as 'Requests per second: stage / bare = "
        "0.61x.'; its headline is now 0.59x"
    ]
