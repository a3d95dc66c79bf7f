"""`n_plus_one`: project summaries with one query per project vs the stage's one query.

Two owners: one with 100 projects, one with 1,000, each project with 10 tasks. Both servers
are the stage with its cache off; the baseline swaps the stage's summary query for the obvious
code (`benchmarks/apps/n_plus_one_summaries.py`): one query for the page of projects, then one
per project. Before measuring, the case checks that both answer the same JSON, and counts the
statements of one request from the servers' SQL logs, at a page of 10 projects and at the
largest page the API allows (100), for each owner. Then it loads both with the largest page.

The stage's statements must not change with the owner or the page: that is the target. The
requests/s ratio at each size is reported, not targeted.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from benchmarks.case import Document, Outcome, format_ratio
from benchmarks.context import RunContext
from benchmarks.load import LoadSettings, Target, compare
from benchmarks.owners import Owner, make_owner, same_json
from benchmarks.plots import BASELINE_COLOUR, SUBJECT_COLOUR, bar_chart
from benchmarks.report import format_figure, notes_and_footer
from benchmarks.servers import Server, ServerSpec
from benchmarks.sql import gist, statements_of
from benchmarks.stages import ENV_PREFIX, Stage

SIZES = (100, 1000)
TASKS_EACH = 10
PAGES = (10, 100)  # a small page, and the largest that the API allows
LOADED_PAGE = max(PAGES)
# Fewer connections than the stage's pool holds (5): each request gets a database connection
# at once, so the ratio is that of the queries, not of the wait for a connection. Half the
# run's rounds: two sizes to load, and a ratio far from 1.
CONNECTIONS = 4
PATH = "/api/v2/projects/summaries?limit={limit}"
CACHE_OFF = {"CACHE__ENABLED": "false"}
ECHO = {"DATABASE__ECHO": "true"}
APP = "n_plus_one_summaries"
ROUTES = ("POST /api/v2/users", "POST /api/v2/auth/token", "GET /api/v2/projects/summaries")


def run(context: RunContext, stage: Stage) -> Outcome:
    """Make the two owners, count each side's statements, then load both at each size."""
    fixed = context.stage_server(stage, f"stage {stage.name}, one query", settings=CACHE_OFF)
    naive = _naive_server(context, stage, f"stage {stage.name}, N+1")
    # Logging every statement slows a server down: the counting is done by servers of its own,
    # started with the measured ones so that they all start at once, and idle while measured.
    fixed_logged = context.stage_server(stage, "stage, SQL logged", settings=CACHE_OFF | ECHO)
    naive_logged = _naive_server(context, stage, "N+1, SQL logged", **ECHO)
    with context.serve(fixed, naive, fixed_logged, naive_logged) as servers:
        fixed_server, naive_server, *logged = servers
        owners = [
            make_owner(
                fixed_server.url,
                context.database.url,
                f"n-plus-one-{size}-{context.run_id}@example.com",
                size,
                TASKS_EACH,
            )
            for size in SIZES
        ]
        path = PATH.format(limit=LOADED_PAGE)
        bodies = [
            same_json(
                {"N+1": naive_server.url + path, "one query": fixed_server.url + path},
                owner.headers,
                LOADED_PAGE,
            )
            for owner in owners
        ]
        statements = _statements(*logged, owners=owners)
        load = dataclasses.replace(
            context.load, connections=CONNECTIONS, rounds=max(1, context.load.rounds // 2)
        )
        rows = [_row(load, owner, naive_server, fixed_server, statements) for owner in owners]
    fixed_counts = {len(row["one_query"]) for row in statements}
    constant = len(fixed_counts) == 1
    return Outcome(
        headline=", ".join(f"{format_ratio(row['ratio'])} at {row['projects']:,}" for row in rows),
        figures={
            "tasks_each": TASKS_EACH,
            "loaded_page": LOADED_PAGE,
            "bodies": sorted(set(bodies)),
            "sizes": rows,
            "statements": statements,
        },
        ratio=rows[-1]["ratio"],
        meets_target=constant,
        load=load,
    )


def _naive_server(context: RunContext, stage: Stage, label: str, **settings: str) -> ServerSpec:
    """Describe the N+1 app: the stage's package and settings, its cache off."""
    env = context.stage_settings(stage) | {
        f"{ENV_PREFIX}{name}": value for name, value in (CACHE_OFF | settings).items()
    }
    env["PYTHONPATH"] = str(stage.copy)  # the stage's package, whichever interpreter runs it
    spec = context.app_server(stage, APP, label, env=env)
    # It is the stage's app: it creates the tables at start-up, as the stage's servers do.
    return dataclasses.replace(spec, creates_tables=True)


def _statements(fixed: Server, naive: Server, *, owners: list[Owner]) -> list[dict[str, Any]]:
    """Return the statements of one request of each side, for each owner and page."""
    return [
        {
            "projects": owner.projects,
            "page": page,
            "n_plus_one": statements_of(naive, PATH.format(limit=page), owner.headers),
            "one_query": statements_of(fixed, PATH.format(limit=page), owner.headers),
        }
        for owner in owners
        for page in PAGES
    ]


def _row(
    load: LoadSettings,
    owner: Owner,
    naive: Server,
    fixed: Server,
    statements: list[dict[str, Any]],
) -> dict[str, Any]:
    """Load both servers for one owner; return the medians, the ratio and the statements."""
    path = PATH.format(limit=LOADED_PAGE)
    comparison = compare(
        Target(f"N+1, {owner.projects:,} projects", naive.url + path, owner.headers),
        Target(f"one query, {owner.projects:,} projects", fixed.url + path, owner.headers),
        load,
    )
    counted = next(
        row
        for row in statements
        if row["projects"] == owner.projects and row["page"] == LOADED_PAGE
    )
    ratio = comparison.ratio()
    return {
        "projects": owner.projects,
        "n_plus_one": comparison.baseline.as_dict() | {"statements": len(counted["n_plus_one"])},
        "one_query": comparison.subject.as_dict() | {"statements": len(counted["one_query"])},
        "ratio": round(ratio, 4),
        "round_ratios": [round(value, 4) for value in comparison.round_ratios()],
    }


def table(document: Document) -> str:
    """Render one row per size: each side's statements and requests/s, and the ratio."""
    figures = document["figures"]
    lines = [
        "| owner's projects | N+1: statements | N+1: requests/s | one query: statements "
        "| one query: requests/s | one query / N+1 |",
        "|--:|--:|--:|--:|--:|--:|",
    ]
    for row in figures["sizes"]:
        naive, fixed = row["n_plus_one"], row["one_query"]
        cells = [
            f"{row['projects']:,}",
            str(naive["statements"]),
            format_figure(naive["median"]["requests_per_second"], "requests/s"),
            str(fixed["statements"]),
            format_figure(fixed["median"]["requests_per_second"], "requests/s"),
            f"**{format_ratio(row['ratio'])}**",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n\n" + _explanation(document) + "\n"
    return text + notes_and_footer(document)


def _explanation(document: Document) -> str:
    figures = document["figures"]
    counts = figures["statements"]
    by_page = {
        page: sorted({len(row["n_plus_one"]) for row in counts if row["page"] == page})
        for page in PAGES
    }
    fixed = sorted({len(row["one_query"]) for row in counts})
    example = next(row for row in counts if row["page"] == min(PAGES))
    rounds = "; ".join(
        f"{row['projects']:,}: " + ", ".join(format_ratio(value) for value in row["round_ratios"])
        for row in figures["sizes"]
    )
    naive_small = ", ".join(map(str, by_page[min(PAGES)]))
    naive_large = ", ".join(map(str, by_page[max(PAGES)]))
    return (
        "Both sides are the stage with its cache off (`CACHE__ENABLED=false`), so that every"
        " request runs its queries; the N+1 side has the stage's summary query swapped for"
        " one query per project."
        f" Each owner's projects have {figures['tasks_each']} tasks each, and each request asks"
        f" for a page of {figures['loaded_page']} projects, the most the API gives; the run"
        f" checked that both sides answer {' and '.join(figures['bodies'])} JSON. SQL"
        f" statements per request, from the servers' SQL logs, for both owners: the N+1 code"
        f" runs {naive_small} at a page of {min(PAGES)} and {naive_large} at a page of"
        f" {max(PAGES)}; the stage runs {', '.join(map(str, fixed))} whatever the page and the"
        f" owner ({'; '.join(gist(s) for s in example['one_query'])}). Both pick the page"
        " first, so what the N+1 statements grow with is the page, not the projects the owner"
        f" has. Target: {document['target']}. The ratios are the medians of the rounds'"
        f" ratios, which were, by owner's projects, {rounds}."
    )


def plot(document: Document, path: Path) -> None:
    """Draw both sides' requests/s at each size, labelled with their statements per request."""
    labels, values, colours, texts = [], [], [], []
    for row in document["figures"]["sizes"]:
        for side, name, colour in (
            ("n_plus_one", "N+1", BASELINE_COLOUR),
            ("one_query", "one query", SUBJECT_COLOUR),
        ):
            rate = row[side]["median"]["requests_per_second"]
            labels.append(f"{row['projects']:,} projects, {name}")
            values.append(rate)
            colours.append(colour)
            texts.append(f"{rate:,.0f} ({row[side]['statements']} statements)")
    bar_chart(
        path,
        labels=labels,
        values=values,
        colours=colours,
        title=f"{document['title']}: one query / N+1 = {document['headline']}",
        axis_label="requests/s, median of the rounds (this machine)",
        value_labels=texts,
    )
